"""The audit trail is append-only and chained per schema with a keyed seal;
tampering by SQL is caught by the verify command, which names the first
broken link. Tampering needs a superuser: the application's role may only
read and add events (tests/audit/test_roles.py)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from audit.chain import key_id_of
from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_record
from tests import support


def _record(n, schema="alpha"):
    with schema_context(schema):
        return [audit_record(actor=None, action="test.event", obj=("test.thing", i, f"thing {i}"),
                             reason=f"reason {i}", after={"amount": "12.50", "n": i}) for i in range(n)]


def _tamper(schema, sql, params):
    """Alter the table as a database superuser would: triggers switched off."""
    with support.superuser_connection() as su, su.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(f'SET search_path = "{schema}"')
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_events_chain_and_verify(region):
    events = _record(3)
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert {e.key_id for e in events} == {key_id_of("jointly-insecure-audit-chain-key-local-only")}
    report = audit_chain_verify(schema="alpha")
    assert report.ok and report.events >= 3


@pytest.mark.django_db
def test_a_rotated_key_still_verifies_older_events(region):
    old = _record(2, schema="nhs_north")
    with override_settings(AUDIT_CHAIN_KEY="the new key", AUDIT_CHAIN_KEY_FALLBACKS=[
            "jointly-insecure-audit-chain-key-local-only"]):
        new = _record(2, schema="nhs_north")
        assert new[0].key_id == key_id_of("the new key") != old[0].key_id
        assert audit_chain_verify(schema="nhs_north").ok
    with override_settings(AUDIT_CHAIN_KEY="the new key"):  # the old key thrown away
        report = audit_chain_verify(schema="nhs_north")
    assert not report.ok and "AUDIT_CHAIN_KEY_FALLBACKS" in report.problem


@pytest.mark.django_db
def test_the_application_cannot_change_or_delete_events(region):
    _record(1)
    with schema_context("alpha"):
        for statement in ("UPDATE audit_auditevent SET reason = 'nothing to see'",
                          "DELETE FROM audit_auditevent"):
            with pytest.raises(Exception, match="permission denied"), connection.cursor() as cursor:
                cursor.execute("SAVEPOINT s")
                try:
                    cursor.execute(statement)
                finally:
                    cursor.execute("ROLLBACK TO SAVEPOINT s")


@pytest.mark.committed
def test_even_the_owner_meets_the_append_only_trigger(scratch):
    _record(1, schema=scratch.schema_name)
    with support.superuser_connection() as su, su.cursor() as cursor:
        with pytest.raises(Exception, match="append-only"):
            cursor.execute(f'UPDATE "{scratch.schema_name}".audit_auditevent SET reason = %s', ["quieter"])


@pytest.mark.committed
def test_altering_a_row_by_sql_is_detected_and_named(scratch, capsys):
    events = _record(4, schema=scratch.schema_name)
    target = events[2]
    _tamper(scratch.schema_name, "UPDATE audit_auditevent SET reason = %s WHERE id = %s",
            ["a quieter reason", target.id])
    with pytest.raises(CommandError, match=f"schema {scratch.schema_name}, event #{target.id}"):
        call_command("audit_verify", "--no-anchor")
    out = capsys.readouterr().out
    assert f"{scratch.schema_name}: BROKEN at event #{target.id}" in out and "altered after it was recorded" in out
    assert "alpha: " in out and "chain intact" in out  # the other chains are still reported


@pytest.mark.committed
def test_removing_a_row_is_detected(scratch):
    events = _record(3, schema=scratch.schema_name)
    _tamper(scratch.schema_name, "DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    report = audit_chain_verify(schema=scratch.schema_name)
    assert report.broken_at == events[2].id and "removed" in report.problem


@pytest.mark.committed
def test_rewriting_a_row_and_its_hash_is_still_detected(scratch):
    """Recomputing the altered row's own seal (even with the key) does not
    help: the next row still points at the old one."""
    from audit.chain import hash_of

    events = _record(3, schema=scratch.schema_name)
    with schema_context(scratch.schema_name):
        row = AuditEvent.objects.get(id=events[0].id)
    row.reason = "rewritten"
    _tamper(scratch.schema_name, "UPDATE audit_auditevent SET reason = %s, hash = %s WHERE id = %s",
            ["rewritten", hash_of(row), row.id])
    report = audit_chain_verify(schema=scratch.schema_name)
    assert report.broken_at == events[1].id


@pytest.mark.django_db
def test_verify_command_passes_on_an_intact_database(region, capsys):
    _record(2)
    call_command("audit_verify")
    assert "audit chains verified" in capsys.readouterr().out


@pytest.mark.committed
def test_the_nightly_check_notices_events_removed_from_the_end(scratch):
    from audit.models import ChainCheck
    from audit.services import audit_chain_check_record

    events = _record(3, schema=scratch.schema_name)
    assert audit_chain_check_record(schema=scratch.schema_name).intact  # and anchors the head
    _tamper(scratch.schema_name, "DELETE FROM audit_auditevent WHERE id = %s", [events[-1].id])
    check = audit_chain_check_record(schema=scratch.schema_name)
    assert not check.intact and "1 event(s) removed from the end" in check.problem
    assert check.broken_at == events[-1].id
    with schema_context(scratch.schema_name):
        assert ChainCheck.objects.count() == 2


@pytest.mark.committed
def test_the_periodic_anchor_catches_a_cut_tail(scratch):
    from audit.tasks import anchor_chain_task

    events = _record(3, schema=scratch.schema_name)
    with schema_context(scratch.schema_name):
        assert anchor_chain_task.delay().get()["last_id"] == events[-1].id
    _tamper(scratch.schema_name, "DELETE FROM audit_auditevent WHERE id >= %s", [events[1].id])
    report = audit_chain_verify(schema=scratch.schema_name)
    assert "2 event(s) removed from the end" in report.problem


@pytest.mark.committed
def test_the_anchor_log_outside_the_database_is_checked_too(scratch, tmp_path):
    """Anchors also go to a file a database superuser cannot reach: wiping
    the anchor table does not hide a cut tail."""
    log = tmp_path / "anchors.jsonl"
    events = _record(3, schema=scratch.schema_name)
    with override_settings(AUDIT_ANCHOR_LOG=str(log)):
        call_command("audit_verify", "--schema", scratch.schema_name)
        assert scratch.schema_name in log.read_text()
        _tamper(scratch.schema_name, "DELETE FROM audit_auditevent WHERE id = %s", [events[-1].id])
        with support.superuser_connection() as su, su.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("DELETE FROM jointly_audit.chain_anchor WHERE chain = %s", [scratch.schema_name])
        report = audit_chain_verify(schema=scratch.schema_name)
    assert "removed from the end" in report.problem and "anchor log" in report.problem


@pytest.mark.django_db
def test_the_audit_page_shows_the_trail_and_checks_it(client, region):
    client.force_login(support.make_staff(region.nhs, "authority_admin"))
    page = client.get("/a/nhs-north/staff/audit/?verify=1").content.decode()
    assert "Role given" in page and 'data-testid="chain-ok"' in page
    client.force_login(support.make_staff(region.nhs, "broker"))
    assert client.get("/a/nhs-north/staff/audit/").status_code == 403


@pytest.mark.committed
def test_the_audit_page_and_api_name_a_cut_tail(scratch, client):
    from tenancy.routing import forget_routes

    client.force_login(support.make_staff(scratch, "authority_admin"))
    events = _record(3, schema=scratch.schema_name)
    call_command("audit_verify", "--schema", scratch.schema_name)
    forget_routes(scratch.slug)
    api = client.get(f"/a/{scratch.slug}/api/v1/audit-chain/").json()
    assert api["intact"] is True and api["anchors_checked"] >= 1 and api["events"] == 5
    _tamper(scratch.schema_name, "DELETE FROM audit_auditevent WHERE id = %s", [events[-1].id])
    api = client.get(f"/a/{scratch.slug}/api/v1/audit-chain/").json()
    assert api["intact"] is False and api["broken_at"] == events[-1].id
    assert "1 event(s) removed from the end" in api["problem"]
    page = client.get(f"/a/{scratch.slug}/staff/audit/?verify=1").content.decode()
    assert 'data-testid="chain-broken"' in page and "removed from the end" in page
