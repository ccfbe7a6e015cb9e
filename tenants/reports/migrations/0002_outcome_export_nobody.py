"""An export that found nobody to send to is not sent: `nobody_at` says when,
and the next run (or staff) sends it once someone is named. Exports recorded
before as sent to no one become not sent, so that they go too."""

from django.db import migrations, models


def not_sent_to_no_one(apps, schema_editor):
    OutcomeExport = apps.get_model("reports", "OutcomeExport")
    for export in OutcomeExport.objects.filter(sent_at__isnull=False):
        if not export.recipients:
            export.nobody_at, export.sent_at = export.sent_at, None
            export.save(update_fields=["nobody_at", "sent_at"])


def back(apps, schema_editor):
    OutcomeExport = apps.get_model("reports", "OutcomeExport")
    OutcomeExport.objects.filter(sent_at__isnull=True, nobody_at__isnull=False).update(
        sent_at=models.F("nobody_at"), nobody_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_outcome_export"),
    ]

    operations = [
        migrations.AddField(
            model_name="outcomeexport",
            name="nobody_at",
            field=models.DateTimeField(blank=True, help_text="When sending it found nobody to send to; cleared when "
                                                             "it is queued again.", null=True),
        ),
        migrations.RunPython(not_sent_to_no_one, back),
        migrations.AddConstraint(
            model_name="outcomeexport",
            constraint=models.CheckConstraint(condition=models.Q(("sent_at__isnull", True), ("nobody_at__isnull", True),
                                                                 _connector="OR"),
                                              name="outcome_export_sent_or_nobody"),
        ),
    ]
