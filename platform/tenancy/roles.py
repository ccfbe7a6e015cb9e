"""The two database roles at run time.

The application (web, workers, beat, most commands) connects as
settings.DATABASE_APP_ROLE, which owns nothing: it reads and writes rows, and
may only SELECT and INSERT audit events and anchors. Anything that changes
the shape of the database (migrations, a schema built by replaying them)
runs inside `as_owner()`, on the owner's connection (DATABASE_OWNER_URL).

New authorities are cloned from the template schema by the application
itself, through one function the owner defines (`jointly_clone_template`,
SECURITY DEFINER): it can only copy the template into a new schema, owned by
the owner and granted to the application like every other.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import connections

_SWITCHED = ("USER", "PASSWORD", "HOST", "PORT")
AUDIT_TABLES = ("audit_auditevent", "audit_chaincheck")
ANCHOR_SCHEMA = "jointly_audit"


class OwnerConnectionNeeded(RuntimeError):
    pass


def app_role() -> str:
    return settings.DATABASE_APP_ROLE


def owner_role() -> str:
    return settings.DATABASE_OWNER["USER"]


def roles_separated() -> bool:
    return app_role() != owner_role()


def connected_as_owner() -> bool:
    return connections["default"].settings_dict["USER"] == owner_role()


@contextmanager
def as_owner():
    """Run the block on the default connection as the owner role, then go
    back to the application's role. Not inside a transaction: a connection
    cannot change its role half-way."""
    connection = connections["default"]
    if connected_as_owner():
        yield
        return
    if connection.in_atomic_block:
        raise OwnerConnectionNeeded("The owner's connection cannot be opened inside a transaction.")
    saved = {key: connection.settings_dict.get(key) for key in _SWITCHED}
    connection.close()
    connection.settings_dict.update({key: settings.DATABASE_OWNER.get(key) for key in _SWITCHED})
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _functions_sql() -> str:
    # Both functions fix their search path, pg_temp last: a SECURITY DEFINER
    # function must not find a caller's temporary objects first.
    app, template = app_role(), settings.TENANT_BASE_SCHEMA
    tables = ", ".join(f"'{t}'" for t in AUDIT_TABLES)
    return f"""
CREATE OR REPLACE FUNCTION public.jointly_grant_app(target text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    t text;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', target, '{app}');
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', target, '{app}');
    EXECUTE format('REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA %I FROM %I', target, '{app}');
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', target, '{app}');
    FOREACH t IN ARRAY ARRAY[{tables}] LOOP
        IF to_regclass(format('%I.%I', target, t)) IS NOT NULL THEN
            EXECUTE format('REVOKE UPDATE, DELETE ON %I.%I FROM %I', target, t, '{app}');
        END IF;
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION public.jointly_grant_app(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.jointly_restore_names(dest text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
-- Copying a table (CREATE TABLE ... LIKE ... INCLUDING ALL) names its unique
-- constraints and indexes by PostgreSQL's rules, not as the template has
-- them; a later migration that drops one by its name would not find it.
-- Give every index (and the constraint it backs) of `dest` the template's
-- name, matching them by table and definition. Returns how many were renamed.
DECLARE
    r record;
    renamed integer := 0;
BEGIN
    FOR r IN
        WITH idx AS (
            SELECT nsp.nspname AS s, t.relname AS tbl, i.relname AS name,
                   regexp_replace(pg_get_indexdef(x.indexrelid), ' INDEX \\S+ ON [^.]+\\.', ' INDEX ON ') AS def
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace nsp ON nsp.oid = t.relnamespace
            WHERE nsp.nspname IN ('{template}', dest)
        ), single AS (
            SELECT s, tbl, def, min(name) AS name FROM idx GROUP BY s, tbl, def HAVING count(*) = 1
        )
        SELECT b.name AS clone_name, a.name AS template_name
        FROM single a JOIN single b ON a.tbl = b.tbl AND a.def = b.def AND b.s = dest
        WHERE a.s = '{template}' AND a.name <> b.name
          AND NOT EXISTS (SELECT 1 FROM idx c WHERE c.s = dest AND c.name = a.name)
          AND NOT EXISTS (SELECT 1 FROM pg_class k WHERE k.relnamespace = to_regnamespace(dest)
                          AND k.relname = a.name)
    LOOP
        -- renaming an index renames the constraint it backs too
        EXECUTE format('ALTER INDEX %I.%I RENAME TO %I', dest, r.clone_name, r.template_name);
        renamed := renamed + 1;
    END LOOP;
    RETURN renamed;
END
$fn$;
REVOKE ALL ON FUNCTION public.jointly_restore_names(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION public.jointly_clone_template(dest text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $fn$
BEGIN
    IF dest !~ '^[a-z][a-z0-9_]{{1,62}}$' OR dest IN ('public', '{template}', '{ANCHOR_SCHEMA}') THEN
        RAISE EXCEPTION 'not a name for an authority''s schema: %', dest
            USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_namespace WHERE lower(nspname) = lower(dest)) THEN
        RAISE EXCEPTION 'New schema name already exists' USING ERRCODE = 'duplicate_schema';
    END IF;
    PERFORM public.clone_schema('{template}', dest, 'DATA');
    PERFORM public.jointly_restore_names(dest);
    PERFORM public.jointly_grant_app(dest);
END
$fn$;
REVOKE ALL ON FUNCTION public.jointly_clone_template(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.jointly_clone_template(text) TO "{app}";
"""


def grants_ensure() -> None:
    """As the owner: define the provisioning functions and grant the
    application's role what it needs in every schema (run by migrate_all and
    the test set-up, after migrating)."""
    from django_tenants.clone import CloneSchema
    from django_tenants.utils import get_public_schema_name

    from tenancy.models import Authority

    if not connected_as_owner():
        raise OwnerConnectionNeeded("grants_ensure runs on the owner's connection (tenancy.roles.as_owner).")
    connection = connections["default"]
    connection.set_schema_to_public()
    CloneSchema()._create_clone_schema_function()
    with connection.cursor() as cursor:
        cursor.execute(_functions_sql())
        # Schemas cloned before the clone kept the template's names get them now.
        for schema in Authority.objects.exclude(schema_name=get_public_schema_name()).values_list(
                "schema_name", flat=True):
            cursor.execute("SELECT public.jointly_restore_names(%s) WHERE to_regnamespace(%s) IS NOT NULL",
                           [schema, schema])
        if not roles_separated():
            return
        app = connection.ops.quote_name(app_role())
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        cursor.execute(f"ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}")
        cursor.execute(f"ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {app}")
        schemas = [get_public_schema_name(), settings.TENANT_BASE_SCHEMA] + list(
            Authority.objects.exclude(schema_name=get_public_schema_name()).values_list("schema_name", flat=True))
        for schema in schemas:
            cursor.execute("SELECT public.jointly_grant_app(%s) WHERE to_regnamespace(%s) IS NOT NULL",
                           [schema, schema])
        cursor.execute(f"GRANT USAGE ON SCHEMA {ANCHOR_SCHEMA} TO {app}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {ANCHOR_SCHEMA} FROM {app}")
        cursor.execute(f"GRANT SELECT, INSERT ON {ANCHOR_SCHEMA}.chain_anchor TO {app}")


def schema_clone_template(schema_name: str) -> None:
    """Build an authority's schema as a copy of the template (the
    application's role may, through the owner's function)."""
    connection = connections["default"]
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT public.jointly_clone_template(%s)", [schema_name])


def schema_create_by_migrating(schema_name: str, *, verbosity: int = 0) -> None:
    """Build an authority's schema by replaying every migration: DDL, so the
    owner's connection only (manage.py create_authority --by-migrating)."""
    from django.core.management import call_command
    from django_tenants.utils import schema_exists

    if roles_separated() and not connected_as_owner():
        raise OwnerConnectionNeeded(
            "Building a schema by replaying migrations needs the owner's database role: use "
            "manage.py create_authority --by-migrating, or clone the template.")
    connection = connections["default"]
    if not schema_exists(schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False,
                 verbosity=verbosity)
    if roles_separated():
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.jointly_grant_app(%s)", [schema_name])
