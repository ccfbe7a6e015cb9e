from django.db import migrations, models


def flag_existing(apps, schema_editor):
    """Admissions made before the flag: those from a provider's first admitted
    application here, with no placement of theirs before it, were new."""
    Admission = apps.get_model("admissions", "Admission")
    Placement = apps.get_model("placements", "Placement")
    first = {}
    for admission in Admission.objects.order_by("admitted_at", "pk").only("pk", "provider_id", "application_id",
                                                                          "admitted_at"):
        first.setdefault(admission.provider_id, (admission.application_id, admission.admitted_at))
    for provider_id, (application_id, admitted_at) in first.items():
        if not Placement.objects.filter(provider_id=provider_id, created_at__lt=admitted_at).exists():
            Admission.objects.filter(provider_id=provider_id, application_id=application_id).update(
                new_to_authority=True)


class Migration(migrations.Migration):

    dependencies = [
        ("admissions", "0002_initial"),
        ("placements", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="admission",
            name="new_to_authority",
            field=models.BooleanField(
                default=False,
                help_text="Set when admitted: the provider had no earlier admission or placement here."),
        ),
        migrations.RunPython(flag_existing, migrations.RunPython.noop),
    ]
