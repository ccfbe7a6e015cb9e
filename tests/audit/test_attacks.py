"""Rewriting history with full database rights: a superuser alters an event
and recomputes every hash after it, or cuts the last events off. Both must be
named by `manage.py audit_verify`.

These tests commit (another connection, the superuser's, must see the events)
and work in an authority of their own, removed afterwards."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from audit.services import audit_record
from tests import support

pytestmark = pytest.mark.committed


def _body(row: dict, *, key_id: str | None = None) -> bytes:
    body = {
        "prev": row["prev_hash"],
        "id": row["id"],
        "at": row["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": row["actor_id"],
        "actor_label": row["actor_label"],
        "action": row["action"],
        "object": [row["object_type"], row["object_id"], row["object_label"]],
        "reason": row["reason"],
        "before": row["before"],
        "after": row["after"],
        "context": row["context"],
    }
    if key_id is not None:
        body["key"] = key_id
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _plain(row: dict) -> str:
    return hashlib.sha256(_body(row)).hexdigest()


def _wrong_key(row: dict) -> str:
    return hmac.new(b"a key the attacker made up", _body(row, key_id=row.get("key_id", "")),
                    hashlib.sha256).hexdigest()


def _rewrite(schema: str, from_id: int, *, reason: str, rehash, downgrade: bool = False) -> None:
    """As a superuser: alter one event, then recompute the hash of it and of
    every event after it so that each still points at the one before."""
    with support.superuser_connection() as su, su.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f'SET search_path = "{schema}"')
        cursor.execute("SELECT column_name FROM information_schema.columns "
                       "WHERE table_schema = %s AND table_name = 'audit_auditevent'", [schema])
        columns = [c for (c,) in cursor.fetchall()]
        cursor.execute(f"SELECT {', '.join(columns)} FROM audit_auditevent ORDER BY id")
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
        prev = None
        for row in rows:
            if row["id"] < from_id:
                prev = row["hash"]
                continue
            if row["id"] == from_id:
                row["reason"] = reason
            if downgrade and "key_id" in row:
                row["key_id"] = ""
            row["prev_hash"] = prev
            row["hash"] = rehash(row)
            prev = row["hash"]
            sets = ["reason = %s", "prev_hash = %s", "hash = %s"]
            params = [row["reason"], row["prev_hash"], row["hash"]]
            if "key_id" in row:
                sets.append("key_id = %s")
                params.append(row["key_id"])
            # A temporary hash first: the column is unique.
            cursor.execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s",
                           [f"tmp{row['id']}", row["id"]])
            cursor.execute(f"UPDATE audit_auditevent SET {', '.join(sets)} WHERE id = %s",
                           [*params, row["id"]])


def _events(schema, n):
    with schema_context(schema):
        return [audit_record(actor=None, action="test.event", obj=("test.thing", i, f"thing {i}"),
                             reason=f"reason {i}", after={"amount": "12.50", "n": i}) for i in range(n)]


def _verify_fails(schema, capsys) -> str:
    with pytest.raises(CommandError) as raised:
        call_command("audit_verify", "--schema", schema)
    return capsys.readouterr().out + str(raised.value)


@pytest.mark.parametrize("rehash, downgrade", [(_plain, False), (_plain, True), (_wrong_key, False)],
                         ids=["plain-sha256", "plain-sha256-unkeyed", "wrong-key"])
def test_a_forged_history_is_named(scratch, capsys, rehash, downgrade):
    events = _events(scratch.schema_name, 5)
    call_command("audit_verify", "--schema", scratch.schema_name)  # intact, and anchored
    capsys.readouterr()
    _rewrite(scratch.schema_name, events[2].id, reason="a quieter reason", rehash=rehash,
             downgrade=downgrade)
    out = _verify_fails(scratch.schema_name, capsys)
    assert f"{scratch.schema_name}: BROKEN at event #{events[2].id}" in out


def test_a_forged_history_is_named_without_an_anchor(scratch, capsys):
    """The key alone catches a re-hashed chain, before any anchor exists."""
    events = _events(scratch.schema_name, 4)
    _rewrite(scratch.schema_name, events[1].id, reason="rewritten", rehash=_plain)
    out = _verify_fails(scratch.schema_name, capsys)
    assert f"BROKEN at event #{events[1].id}" in out


def test_a_truncated_history_is_named(scratch, capsys):
    events = _events(scratch.schema_name, 5)
    call_command("audit_verify", "--schema", scratch.schema_name)  # intact, and anchored
    capsys.readouterr()
    with support.superuser_connection() as su, su.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f'DELETE FROM "{scratch.schema_name}".audit_auditevent WHERE id >= %s',
                       [events[3].id])
    out = _verify_fails(scratch.schema_name, capsys)
    assert "removed from the end" in out and f"#{events[-1].id}" in out
