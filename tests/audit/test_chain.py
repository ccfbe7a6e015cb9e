"""The audit trail is append-only and hash-chained per schema; tampering by
SQL is caught by the verify command, which names the first broken link."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def _record(n, schema="alpha"):
    with schema_context(schema):
        return [audit_record(actor=None, action="test.event", obj=("test.thing", i, f"thing {i}"),
                             reason=f"reason {i}", after={"amount": "12.50", "n": i}) for i in range(n)]


def test_events_chain_and_verify(region):
    events = _record(3)
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    report = audit_chain_verify(schema="alpha")
    assert report.ok and report.events >= 3


def test_the_database_refuses_to_change_or_delete_events(region):
    _record(1)
    with schema_context("alpha"):
        with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET reason = 'nothing to see'")


def _tamper(sql, params):
    """Alter the table as a database superuser would: triggers switched off."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_altering_a_row_by_sql_is_detected_and_named(region, capsys):
    events = _record(4, schema="beta")
    target = events[2]
    with schema_context("beta"):
        _tamper("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["a quieter reason", target.id])
    with pytest.raises(CommandError, match=f"schema beta, event #{target.id}"):
        call_command("audit_verify")
    out = capsys.readouterr().out
    assert f"beta: BROKEN at event #{target.id}" in out and "altered after it was recorded" in out
    assert "alpha: " in out and "chain intact" in out  # the other chains are still reported


def test_removing_a_row_is_detected(region):
    events = _record(3, schema="nhs_north")
    with schema_context("nhs_north"):
        _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].id])
    report = audit_chain_verify(schema="nhs_north")
    assert report.broken_at == events[2].id and "removed" in report.problem


def test_rewriting_a_row_and_its_hash_is_still_detected(region):
    """Recomputing the altered row's own hash does not help: the next row
    still points at the old one."""
    from audit.chain import hash_of

    events = _record(3, schema="alpha_nhs")
    with schema_context("alpha_nhs"):
        row = AuditEvent.objects.get(id=events[0].id)
        row.reason = "rewritten"
        _tamper("UPDATE audit_auditevent SET reason = %s, hash = %s WHERE id = %s",
                ["rewritten", hash_of(row), row.id])
    report = audit_chain_verify(schema="alpha_nhs")
    assert report.broken_at == events[1].id


def test_verify_command_passes_on_an_intact_database(region, capsys):
    _record(2)
    call_command("audit_verify")
    assert "audit chains verified" in capsys.readouterr().out


def test_the_nightly_check_notices_events_removed_from_the_end(region):
    from audit.models import ChainCheck
    from audit.services import audit_chain_check_record

    events = _record(3, schema="beta")
    assert audit_chain_check_record(schema="beta").intact
    with schema_context("beta"):
        _tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].id])
    check = audit_chain_check_record(schema="beta")
    assert not check.intact and "1 event(s) removed from the end" in check.problem
    with schema_context("beta"):
        assert ChainCheck.objects.count() == 2


def test_the_audit_page_shows_the_trail_and_checks_it(client, region):
    from tests import support

    client.force_login(support.make_staff(region.nhs, "authority_admin"))
    page = client.get("/a/nhs-north/staff/audit/?verify=1").content.decode()
    assert "Role given" in page and 'data-testid="chain-ok"' in page
    client.force_login(support.make_staff(region.nhs, "broker"))
    assert client.get("/a/nhs-north/staff/audit/").status_code == 403
