"""Sealing keys derived from a random identity kept in the schema, not from
the schema's name (calloffs.sealing). An authority that has sealed anything
already gets its identity now, remembering its schema name as the version-1
derivation, so what it sealed before still opens after a restore under
another name. The template (and so every authority cloned from it later) gets
none: its identity is made with its first sealed bid."""

import secrets

import django.utils.timezone

from django.conf import settings
from django.db import migrations, models


def identity_for_sealed_schemas(apps, schema_editor):
    schema = schema_editor.connection.schema_name
    if schema in ("public", settings.TENANT_BASE_SCHEMA):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM calloffs_bid) "
                       "OR EXISTS (SELECT 1 FROM audit_auditevent WHERE action = 'bid.sealed_activity')")
        (sealed,) = cursor.fetchone()
    if sealed:
        apps.get_model("calloffs", "SealingIdentity").objects.create(
            id=1, key_id=secrets.token_urlsafe(32), legacy_schema=schema)


class Migration(migrations.Migration):

    dependencies = [
        ("calloffs", "0003_closing_failures"),
        ("audit", "0005_anchor_store"),
    ]

    operations = [
        migrations.CreateModel(
            name="SealingIdentity",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("key_id", models.CharField(max_length=64, unique=True)),
                ("legacy_schema", models.CharField(blank=True, max_length=63, help_text="The schema name that version-1 keys were derived from, if any.")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="one_sealing_identity")],
            },
        ),
        migrations.RunPython(identity_for_sealed_schemas, migrations.RunPython.noop),
    ]
