"""An invoice number is used once per provider whatever its capitals, in the
database as in the service (which compares them ignoring case). Numbers
already entered that differ only by case would break the new constraint:
they are named and the migration stops, so that someone decides which
invoice stands rather than a migration choosing.

The old constraint is dropped by what it is (unique on provider and number),
not by its name: authority schemas cloned before the clone kept the
template's names (tenancy.roles, jointly_restore_names) have it under the
name PostgreSQL gave it."""

import django.db.models.functions.text
from django.db import migrations, models


def refuse_clashes(apps, schema_editor):
    Invoice = apps.get_model("payments", "Invoice")
    clashes = (Invoice.objects.annotate(upper=django.db.models.functions.text.Upper("number"))
               .values("provider_id", "upper").annotate(n=models.Count("pk")).filter(n__gt=1)
               .order_by("provider_id", "upper"))
    found = [f"provider {row['provider_id']}: {row['upper']} ({row['n']} invoices)" for row in clashes]
    if found:
        raise RuntimeError(
            f"Invoice numbers in schema {schema_editor.connection.schema_name} differ only by capitals: "
            f"{'; '.join(found)}. Decide which invoice stands and renumber the others before migrating.")


DROP_OLD_UNIQUE = """
DO $$
DECLARE found text;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'payments_invoice'::regclass AND contype = 'u'
          AND pg_get_constraintdef(oid) = 'UNIQUE (provider_id, number)'
    LOOP
        EXECUTE format('ALTER TABLE payments_invoice DROP CONSTRAINT %I', found);
    END LOOP;
END
$$;
"""
ADD_OLD_UNIQUE = ("ALTER TABLE payments_invoice ADD CONSTRAINT one_invoice_number_per_provider "
                  "UNIQUE (provider_id, number)")


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0001_initial"),
        ("shared_catalogue", "0009_grants"),
    ]

    operations = [
        migrations.RunPython(refuse_clashes, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveConstraint(model_name="invoice",
                                                          name="one_invoice_number_per_provider")],
            database_operations=[migrations.RunSQL(DROP_OLD_UNIQUE, ADD_OLD_UNIQUE)],
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.UniqueConstraint(django.db.models.functions.text.Upper("number"), models.F("provider"),
                                               name="one_invoice_number_per_provider_any_case"),
        ),
    ]
