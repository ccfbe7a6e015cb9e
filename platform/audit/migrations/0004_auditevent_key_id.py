from django.db import migrations, models


class Migration(migrations.Migration):
    """Adding the column writes no row (PostgreSQL keeps the default in the
    catalogue), so the append-only trigger is not involved. Existing events
    keep an empty key id: chains start keyed (docs/decisions.md)."""

    dependencies = [("audit", "0003_chain_check")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16,
                                   help_text="Which chain key sealed this event (audit.chain.key_id_of)."),
        ),
    ]
