"""Who pays the provider, stored on the placement: until now it was assumed
to be the authority that called off, which is what existing placements get."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def payer_from_caller(apps, schema_editor):
    Placement = apps.get_model("placements", "Placement")
    Package = apps.get_model("calloffs", "Package")
    Placement.objects.filter(payer__isnull=True).update(
        payer=Subquery(Package.objects.filter(pk=OuterRef("package_id")).values("called_off_by_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('calloffs', '0001_initial'),
        ('placements', '0004_grants'),
        ('tenancy', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='placement',
            name='payer',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.authority'),
        ),
        migrations.RunPython(payer_from_caller, migrations.RunPython.noop),
    ]
