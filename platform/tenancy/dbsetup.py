"""Setting up the two database roles and the database, as a superuser.

Used by deploy/ensure_database.py (`make run`, `make test`, CI) and by the
test set-up; in production a DBA does the same by hand (docs/operating.md).
No Django here: it runs before Django is configured.

- the owner role (DATABASE_OWNER_URL, `jointly_owner` locally) owns the
  database, its schemas and tables, runs migrations and builds new schemas;
- the application's role (DATABASE_URL, `jointly_app` locally) logs in, owns
  nothing and is a member of nothing: tenancy.roles grants it what it needs.
"""

from __future__ import annotations

import os

import environ
import psycopg2
from psycopg2 import sql

DEFAULT_DATABASE_URL = "postgres://jointly_app@127.0.0.1:5432/jointly"
OWNER_ROLE = "jointly_owner"


def config(url: str) -> dict:
    return environ.Env.db_url_config(url)


def owner_url_for(app_url: str) -> str:
    """The owner's URL when none is set: the same server and database, as
    the role `jointly_owner` (local development and tests only)."""
    app = config(app_url)
    host, port = app.get("HOST") or "127.0.0.1", app.get("PORT") or 5432
    return f"postgres://{OWNER_ROLE}@{host}:{port}/{app['NAME']}"


def admin_url_for(app_url: str) -> str:
    app = config(app_url)
    host, port = app.get("HOST") or "127.0.0.1", app.get("PORT") or 5432
    return os.environ.get("DATABASE_ADMIN_URL") or f"postgres://postgres@{host}:{port}/postgres"


def connect(url: str, dbname: str | None = None):
    c = config(url)
    conn = psycopg2.connect(dbname=dbname or c["NAME"], user=c.get("USER") or None,
                            password=c.get("PASSWORD") or None, host=c.get("HOST") or None,
                            port=c.get("PORT") or None)
    conn.autocommit = True
    return conn


def _role(cursor, name: str, password: str, attributes: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    created = cursor.fetchone() is None
    verb = "CREATE" if created else "ALTER"
    statement = sql.SQL(f"{verb} ROLE {{}} WITH {attributes}").format(sql.Identifier(name))
    if password:
        statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
    cursor.execute(statement)
    return created


def ensure_roles(admin, *, app: dict, owner: dict, say=print) -> None:
    """Create or correct both roles: neither is a superuser; the application's
    role creates nothing and belongs to no role (so it inherits no ownership)."""
    if app["USER"] == owner["USER"]:
        return  # one role for everything (benchmarks): nothing to separate
    with admin.cursor() as cursor:
        # One at a time: roles belong to the whole server, and two set-ups at once (parallel test
        # workers, two checkouts) would otherwise fail creating the same role or altering it together
        # ("tuple concurrently updated").
        cursor.execute("SELECT pg_advisory_lock(%s)", [ROLES_LOCK])
        try:
            _roles_ensure(cursor, app=app, owner=owner, say=say)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ROLES_LOCK])


ROLES_LOCK = 0x4A6F696E746C79  # "Jointly": the advisory lock held while the roles are created or corrected


def _roles_ensure(cursor, *, app: dict, owner: dict, say) -> None:
    if _role(cursor, owner["USER"], owner.get("PASSWORD") or "",
             "LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"):
        say(f"==> Created the owner role {owner['USER']}")
    if _role(cursor, app["USER"], app.get("PASSWORD") or "",
             "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"):
        say(f"==> Created the application's role {app['USER']}")
    cursor.execute("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                   "WHERE m.member = %s::regrole", [app["USER"]])
    for (granted,) in cursor.fetchall():
        cursor.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted),
                                                           sql.Identifier(app["USER"])))


def ensure_database(admin, *, name: str, owner: str, say=print) -> None:
    """Create the database owned by the owner role, or hand an existing one
    (and everything in it that a superuser made) over to that role."""
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name),
                                                                        sql.Identifier(owner)))
            say(f"==> Created database {name}")
        elif row[0] != owner:
            cursor.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name),
                                                                          sql.Identifier(owner)))
            say(f"==> Database {name} now belongs to {owner}")


HAND_OVER = """
DO $$
DECLARE
    r record;
    target regrole := %(owner)s::regrole;
    kinds CONSTANT jsonb := '{"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW",
                             "f": "FOREIGN TABLE", "S": "SEQUENCE"}';
BEGIN
    FOR r IN SELECT nspname FROM pg_namespace
             WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' AND nspowner <> target LOOP
        EXECUTE format('ALTER SCHEMA %%I OWNER TO %%I', r.nspname, target);
    END LOOP;
    -- Tables first: their serial and identity sequences follow them.
    FOR r IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND c.relowner <> target
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
             ORDER BY c.relkind = 'S' LOOP
        CONTINUE WHEN r.relkind = 'S' AND NOT EXISTS (
            SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = r.nspname AND c.relname = r.relname AND c.relowner <> target);
        EXECUTE format('ALTER %%s %%I.%%I OWNER TO %%I', kinds ->> r.relkind, r.nspname, r.relname, target);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS routine FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND p.proowner <> target
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
        EXECUTE format('ALTER ROUTINE %%s OWNER TO %%I', r.routine, target);
    END LOOP;
    FOR r IN SELECT t.oid::regtype AS type, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND t.typowner <> target
               AND t.typtype IN ('e', 'd') LOOP
        EXECUTE format('ALTER %%s %%s OWNER TO %%I', CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                       r.type, target);
    END LOOP;
END $$;
"""


def hand_over(url_as_admin: str, *, name: str, owner: str) -> None:
    """Give the owner role everything in the database that another role
    (a superuser, before the roles were separated) created."""
    conn = connect(url_as_admin, dbname=name)
    try:
        with conn.cursor() as cursor:
            cursor.execute(HAND_OVER, {"owner": owner})
    finally:
        conn.close()


def ensure_all(app_url: str, owner_url: str, *, database: bool = True, say=print) -> None:
    """The roles, and unless `database` is false the database, handed over to the owner."""
    app, owner = config(app_url), config(owner_url)
    admin_url = admin_url_for(app_url)
    admin = connect(admin_url, dbname="postgres")
    try:
        ensure_roles(admin, app=app, owner=owner, say=say)
        if database:
            ensure_database(admin, name=app["NAME"], owner=owner["USER"], say=say)
    finally:
        admin.close()
    if database and app["USER"] != owner["USER"]:
        hand_over(admin_url, name=app["NAME"], owner=owner["USER"])
