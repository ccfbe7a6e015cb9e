"""The application connects with a database role that owns nothing: it
cannot switch the audit trail's append-only trigger off, truncate, change or
delete audit events or anchors, nor alter or drop any table. Migrations and
schema building run as the owner role (tenancy.roles)."""

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

pytestmark = pytest.mark.django_db


def _refused(statement: str) -> str:
    """Run one statement as the application, in a savepoint; the error it gets."""
    with connection.cursor() as cursor:
        cursor.execute("SAVEPOINT attempt")
        try:
            cursor.execute(statement)
        except Exception as error:  # noqa: BLE001 - any refusal is what we look for
            cursor.execute("ROLLBACK TO SAVEPOINT attempt")
            return str(error)
        cursor.execute("ROLLBACK TO SAVEPOINT attempt")
    pytest.fail(f"the application's role was allowed to run: {statement}")


def test_the_application_is_not_a_superuser_nor_an_owner(region):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
                       "FROM pg_roles WHERE rolname = current_user")
        user, *powers = cursor.fetchone()
        assert user == settings.DATABASE_APP_ROLE != settings.DATABASE_OWNER["USER"]
        assert powers == [False, False, False, False]
        cursor.execute("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspowner = current_user::regrole")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM pg_auth_members WHERE member = current_user::regrole")
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("schema", ["public", "alpha"])
def test_the_application_cannot_disable_the_trigger_or_rewrite_events(region, schema):
    with schema_context(schema):
        for statement in (
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_event_append_only ON audit_auditevent",
        ):
            assert "must be owner" in _refused(statement)
        for statement in (
            "TRUNCATE audit_auditevent",
            "UPDATE audit_auditevent SET reason = 'nothing to see'",
            "DELETE FROM audit_auditevent",
            "UPDATE audit_chaincheck SET intact = true",
        ):
            assert "permission denied" in _refused(statement)
        assert "permission denied" in _refused("SET session_replication_role = replica")


def test_the_application_cannot_rewrite_anchors(region):
    for statement in (
        "UPDATE jointly_audit.chain_anchor SET events = 0",
        "DELETE FROM jointly_audit.chain_anchor",
        "TRUNCATE jointly_audit.chain_anchor",
    ):
        assert "permission denied" in _refused(statement)
    for statement in (
        "ALTER TABLE jointly_audit.chain_anchor DISABLE TRIGGER ALL",
        "DROP TABLE jointly_audit.chain_anchor",
    ):
        assert "must be owner" in _refused(statement)


@pytest.mark.parametrize("schema", ["public", "alpha", "tenant_template"])
def test_the_application_cannot_alter_or_drop_any_table(region, schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [schema])
        tables = [name for (name,) in cursor.fetchall()]
    assert tables
    for table in tables:
        qualified = f'"{schema}"."{table}"'
        assert "must be owner" in _refused(f"ALTER TABLE {qualified} ADD COLUMN sneaky integer")
        assert "must be owner" in _refused(f"DROP TABLE {qualified}")
        assert "permission denied" in _refused(f"TRUNCATE {qualified}")
    assert "must be owner" in _refused(f'DROP SCHEMA "{schema}" CASCADE')
    assert "permission denied" in _refused(f'CREATE TABLE "{schema}".sneaky (id integer)')


def test_the_application_cannot_create_schemas_except_by_cloning_the_template(region):
    assert "permission denied" in _refused("CREATE SCHEMA sneaky")
    assert "not a name for an authority" in _refused("SELECT public.jointly_clone_template('public')")
    assert "already exists" in _refused("SELECT public.jointly_clone_template('alpha')")
    assert "permission denied" in _refused("SELECT public.jointly_grant_app('alpha')")
