"""The anchor store: every chain's head, recorded from time to time, in a
schema of its own owned by the migrating (owner) role. Rows can be added but
never changed or removed: a trigger refuses UPDATE, DELETE and TRUNCATE, and
the application's role, which owns nothing, can neither drop nor disable it
(tenancy.roles grants it SELECT and INSERT only). recorded_at and
recorded_by are the database's clock and the session's role, whatever the
inserting session says.

Created once, when the public schema is migrated (the audit app also lives
in every authority's schema, which holds no anchors).
"""

from django.db import migrations

FORWARD = """
CREATE SCHEMA IF NOT EXISTS jointly_audit;
CREATE TABLE IF NOT EXISTS jointly_audit.chain_anchor (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain varchar(63) NOT NULL,
    events bigint NOT NULL CHECK (events >= 0),
    last_id bigint,
    last_hash varchar(64) NOT NULL DEFAULT '',
    key_id varchar(16) NOT NULL DEFAULT '',
    source varchar(40) NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    recorded_by name NOT NULL DEFAULT session_user
);
CREATE INDEX IF NOT EXISTS chain_anchor_chain ON jointly_audit.chain_anchor (chain, id);
CREATE OR REPLACE FUNCTION jointly_audit.anchor_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.recorded_at := clock_timestamp();
        NEW.recorded_by := session_user;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit anchors are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS chain_anchor_append_only ON jointly_audit.chain_anchor;
CREATE TRIGGER chain_anchor_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON jointly_audit.chain_anchor
    FOR EACH ROW EXECUTE FUNCTION jointly_audit.anchor_guard();
DROP TRIGGER IF EXISTS chain_anchor_no_truncate ON jointly_audit.chain_anchor;
CREATE TRIGGER chain_anchor_no_truncate
    BEFORE TRUNCATE ON jointly_audit.chain_anchor
    FOR EACH STATEMENT EXECUTE FUNCTION jointly_audit.anchor_guard();
"""


def forward(apps, schema_editor):
    from django_tenants.utils import get_public_schema_name

    if schema_editor.connection.schema_name == get_public_schema_name():
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    """The anchors are kept: removing them is not something a migration does."""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_auditevent_key_id")]

    operations = [migrations.RunPython(forward, backward)]
