"""Every placement names who pays (filled in by 0005, in its own transaction:
PostgreSQL refuses to alter a table with updates still pending in the same one)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('placements', '0005_placement_payer'),
    ]

    operations = [
        migrations.AlterField(
            model_name='placement',
            name='payer',
            field=models.ForeignKey(help_text="Who pays the provider (and recovers the other funders' shares): the authority that called off, unless the funders agree another of them does.", on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.authority'),
        ),
    ]
