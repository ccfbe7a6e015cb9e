"""Every placement names who pays (filled in by 0005, in its own transaction:
PostgreSQL refuses to alter a table with updates still pending in the same one).

Only NOT NULL is set in the database. Django's AlterField would drop and
re-create the foreign key to the authority, and PostgreSQL refuses to drop it
while the authority's own row has pending trigger events, which it has when a
new authority's schema is made by migrating in the transaction that creates
the authority (tenancy.roles.schema_create_by_migrating)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('placements', '0005_placement_payer'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    'ALTER TABLE "placements_placement" ALTER COLUMN "payer_id" SET NOT NULL',
                    'ALTER TABLE "placements_placement" ALTER COLUMN "payer_id" DROP NOT NULL'),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='placement',
                    name='payer',
                    field=models.ForeignKey(help_text="Who pays the provider (and recovers the other funders' shares): the authority that called off, unless the funders agree another of them does.", on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.authority'),
                ),
            ],
        ),
    ]
