"""Importing an authority's history: a dry run reports every problem of a
file and writes nothing; applying makes spot placements with their cost
lines and real dates (which the commitment report counts), and applications
and admissions with their round, dates and whether the provider was new to
the authority; applying the same file twice makes nothing twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from shared_catalogue.models import AdmissionProjection, JointPlacementProjection
from tenants.admissions.models import Admission, Application, ApplicationLot
from tenants.agreements import grants
from tenants.calloffs.models import Package, Person
from tenants.history import services
from tenants.history.models import HistoryImport, ImportedRow, Kind
from tenants.placements import commitment as reports
from tenants.placements.models import CostLine, Placement
from tests import support
from tests.admissions import support as stage1
from tests.history.support import example, run, world

pytestmark = pytest.mark.django_db
SPOT, APPS = Kind.SPOT_PLACEMENTS, Kind.APPLICATIONS
SPOT_HEADER = ("import_reference,provider,agreement,lot,person_reference,start_date,end_date,end_reason,weekly_cost,"
               "rate,unit,quantity,client_group,primary_need,description,locality,funders\n")


@pytest.fixture
def w(region):
    return world(region.alpha)


def _counts():
    return (Placement.objects.count(), Package.objects.count(), Person.objects.count(), CostLine.objects.count(),
            Application.objects.count(), Admission.objects.count(), HistoryImport.objects.count(),
            ImportedRow.objects.count(), AuditEvent.objects.count())


def test_a_dry_run_reports_every_problem_of_a_bad_file_and_writes_nothing(w):
    bad = (SPOT_HEADER
           + "BAD-1,NOPE-123,,,CASE-1,2021-06-01,,,400,,,,,,,,\n"                       # row 2: unknown provider
           + "BAD-2,1-900000001,,,CASE-2,31/02/2022,,,400,,,,,,,,\n"                    # row 3: no such date
           + "BAD-3,1-900000001,,,CASE-3,2099-01-01,,,400,,,,,,,,\n"                    # row 4: in the future
           + "BAD-4,1-900000001,,,CASE-4,1999-12-31,,,400,,,,,,,,\n"                    # row 5: before 2000
           + "BAD-5,1-900000001,,,CASE-5,2022-01-01,,,=1+1,,,,,,,,\n"                   # row 6: a formula is no money
           + "BAD-6,1-900000001,,,CASE-6,2022-01-01,,,400,,,,,,Call 07700 900123,CW1 2AB,\n"  # row 7: identifiers
           + "BAD-7,1-900000001,NO-SUCH,1,CASE-7,2022-01-01,,,400,,,,,,,,\n"            # row 8: no such agreement
           + "BAD-1,1-900000001,,,CASE-8,2022-01-01,,,400,,,,,,,,\n"                    # row 9: reference again
           + 'GOOD-1,1-900000001,,,CASE-9,2022-01-01,,,"£1,200.50",,,,,,,,\n'           # row 10: fine
           + "BAD-10,1-900000001,,,943 476 5919,2022-01-01,,,400,,,,,,,,\n"             # row 11: an NHS number
           + "BAD-11,1-900000001,,,CASE-11,2022-01-01,2021-01-01,,400,,,,,,,,\n"        # row 12: ends before start
           + "BAD-12,1-900000001,,,CASE-12,2022-01-01,,,,21.50,fortnight,,,sadness,,,alpha: 50\n")  # row 13
    with schema_context("alpha"):
        before = _counts()
    report = run(w, bad.encode(), SPOT)
    found = {(p.row, p.column) for p in report.problems}
    assert {(2, "provider"), (3, "start_date"), (4, "start_date"), (5, "start_date"), (6, "weekly_cost"),
            (7, "description"), (7, "locality"), (8, "agreement"), (9, "import_reference"), (11, "person_reference"),
            (12, "end_date"), (13, "unit"), (13, "primary_need"), (13, "funders")} <= found
    assert not any(p.row == 10 for p in report.problems)
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert "is in the future" in messages[(4, "start_date")] and "before 2000" in messages[(5, "start_date")]
    assert "07700 900123" in messages[(7, "description")] and "CW1 2AB" in messages[(7, "locality")]
    assert "add up to 50" in messages[(13, "funders")]
    assert report.would_create["placements"] == 1 and not report.ok
    with schema_context("alpha"):
        assert _counts() == before
    # applying it is refused the same way, with every problem, and still writes nothing
    with pytest.raises(services.FileRefused) as refused:
        run(w, bad.encode(), SPOT, dry_run=False)
    assert {(p.row, p.column) for p in refused.value.report.problems} == found
    assert "row 4, start_date" in refused.value.message_dict
    with schema_context("alpha"):
        assert _counts() == before


def test_the_file_itself_is_checked_size_encoding_and_header(w):
    assert "not UTF-8" in run(w, b"import_reference\n\xff\xfe", SPOT).problems[0].message
    too_big = run(w, SPOT_HEADER.encode() + b"x" * (3 * 1024 * 1024), SPOT)
    assert "at most 2 MB" in too_big.problems[0].message
    header = run(w, b"import_reference,provider,colour\nA,B,C\n", SPOT)
    columns = {p.column for p in header.problems if p.row == 1}
    assert {"colour", "person_reference", "start_date"} <= columns


def test_applying_makes_placements_with_cost_lines_and_real_dates_that_the_commitment_counts(w):
    report = run(w, "spot_placements.csv", SPOT)
    assert report.ok, report.problems
    assert report.would_create == {"placements": 3, "people": 3, "cost_lines": 3,
                                   "spot_purchases_outside_agreements": 2}
    data = b"\xef\xbb\xbf" + example("spot_placements.csv")  # saved by Excel: a byte-order mark first
    done = run(w, data, SPOT, dry_run=False)
    assert done.created["placements"] == 3 and done.history_import is not None
    with schema_context("alpha"):
        rows = {r.reference: r for r in ImportedRow.objects.select_related("placement__package__agreement",
                                                                          "placement__package__lot")}
        first = rows["SP-0001"].placement
        assert (first.status, first.start_on, first.weekly_cost) == ("live", date(2021, 6, 1), Decimal("1250.00"))
        assert timezone.localtime(first.went_live_at).date() == date(2021, 6, 1)
        assert first.package.agreement.reference == "SPOT-PURCHASES"
        assert first.package.agreement.status == "ended"  # nothing is called off under the holding agreement
        assert (first.package.primary_need, first.package.client_group.code) == ("dementia", "older-people")
        assert first.package.people.get().names == []  # held apart: the person is their case reference only
        assert rows["SP-0001"].person_reference == "CASE-1001"
        line = CostLine.objects.get(placement=first)
        assert (line.source, line.effective_from, line.weekly_amount) == ("recorded", date(2021, 6, 1),
                                                                          Decimal("1250.00"))
        ended = rows["SP-0002"].placement
        assert (ended.status, ended.ended_on) == ("ended", date(2023, 3, 31))
        hourly = CostLine.objects.get(placement=ended)
        assert (hourly.unit, hourly.rate, hourly.quantity, hourly.weekly_amount) == (
            "hour", Decimal("21.50"), Decimal("14.00"), Decimal("301.00"))
        under = rows["SP-0003"].placement
        assert (under.package.agreement.reference, under.package.lot.number) == ("CEC-DAYOPS-FPS-2022", "1")
        assert under.weekly_cost == Decimal("210.00")
        assert list(under.funders.values_list("authority__slug", "share")) == [("alpha", Decimal("100.00"))]

        # the financial year April 2022 to March 2023, as it ran
        year = reports.commitment(year=2022, today=date(2026, 1, 1))
        care_home = Decimal(1250) * 365 / 7
        expected = (care_home + Decimal(301) * 365 / 7 + Decimal(210) * 54 / 7).quantize(Decimal("0.01"))
        assert year["total"].to_date == expected and year["total"].forecast == 0
        by_lot = {row.key: row.to_date for row in year["lots"]}
        assert by_lot[under.package.lot_id] == (Decimal(210) * 54 / 7).quantize(Decimal("0.01"))
        assert {row.label for row in year["providers"]} == {"Oak Tree Care", "Brightday Support"}
        event = AuditEvent.objects.get(action="history.imported")
        assert event.after["sha256"] == done.file_sha256 and event.after["created"]["placements"] == 3
        assert event.actor_id == w.commissioner.pk


def test_applying_the_same_file_twice_makes_nothing_twice(w):
    run(w, "spot_placements.csv", SPOT, dry_run=False)
    with schema_context("alpha"):
        before = _counts()
    again = run(w, "spot_placements.csv", SPOT)
    assert again.ok and len(again.skipped) == 3 and again.would_create["placements"] == 0
    with pytest.raises(services.FileRefused, match="imported before"):
        run(w, "spot_placements.csv", SPOT, dry_run=False)
    # one row changed under a reference already used is a problem, not a silent skip
    changed = run(w, example("spot_placements.csv").replace(b"1,250.00", b"1,300.00"), SPOT)
    assert [(p.row, p.column) for p in changed.problems] == [(2, "import_reference")]
    # a new row beside the old ones is imported alone
    more = example("spot_placements.csv") + b"SP-0004,09000003,,,CASE-1001,2020-05-05,,,300,,,,,,,,\n"
    done = run(w, more, SPOT, dry_run=False)
    assert done.created["placements"] == 1 and len(done.skipped) == 3
    assert done.created["people"] == 0  # CASE-1001 is the same person as before
    with schema_context("alpha"):
        assert Placement.objects.count() == before[0] + 1


def test_imported_admissions_keep_their_round_dates_and_new_to_authority(w):
    report = run(w, "applications.csv", APPS)
    assert report.ok, report.problems
    assert report.would_create == {"applications": 4, "admissions": 4}
    run(w, "applications.csv", APPS, dry_run=False)
    with schema_context("alpha"):
        rows = {r.reference: r.application for r in ImportedRow.objects.select_related("application__round")}
        first = rows["APP-2022-001"]
        assert (first.status, first.round.number) == ("decided", 1)
        assert timezone.localtime(first.submitted_at).date() == date(2022, 8, 15)
        assert timezone.localtime(first.created_at).date() == date(2022, 8, 15)
        assert timezone.localtime(first.decided_at).date() == date(2022, 9, 20)
        admissions = list(Admission.objects.filter(application=first).order_by("lot__number"))
        assert [(a.lot.number, a.status, a.new_to_authority) for a in admissions] == [
            ("1", "active", True), ("2", "active", True)]
        assert timezone.localtime(admissions[0].admitted_at).date() == date(2022, 9, 20)
        assert timezone.localtime(admissions[0].activated_at).date() == date(2022, 10, 3)
        pending = Admission.objects.get(application=rows["APP-2022-002"])
        assert (pending.status, pending.activated_at) == ("pending_onboarding", None)
        assert pending.onboarding.filter(done_at__isnull=True).count() == 2
        willow = rows["APP-2022-003"]
        assert dict(ApplicationLot.objects.filter(application=willow).values_list("lot__number", "outcome")) == {
            "2": "passed", "3": "failed"}
        assert rows["APP-2023-001"].round.number == 2
        assert not Admission.objects.filter(application=rows["APP-2023-001"]).exists()
        # the admissions reach the provider's views (the public projection) with their status
        assert AdmissionProjection.objects.filter(authority__slug="alpha", admission_id=pending.pk,
                                                  status="pending_onboarding").exists()
        # reports by date see the real dates
        assert Admission.objects.filter(admitted_at__date__lte=date(2022, 12, 31)).count() == 4


def test_earlier_spot_placements_make_a_provider_not_new_whichever_is_imported_first(w):
    # admissions imported first: new here, as far as anyone then knew
    run(w, "applications.csv", APPS, dry_run=False)
    with schema_context("alpha"):
        oak = Admission.objects.filter(provider=w.providers["oak"]).order_by("lot__number")
        assert [a.new_to_authority for a in oak] == [True, True]
    # the spot placements, earlier than those admissions, are imported next: the flags are put right, audited
    done = run(w, "spot_placements.csv", SPOT, dry_run=False)
    assert done.created["admissions_corrected"] == 3  # Oak Tree's two and Brightday's one
    with schema_context("alpha"):
        flags = {(a.provider.name, a.lot.number): a.new_to_authority for a in Admission.objects.select_related(
            "provider", "lot")}
        assert flags == {("Oak Tree Care", "1"): False, ("Oak Tree Care", "2"): False,
                         ("Brightday Support", "1"): False, ("Willow Day Services", "2"): True}
        assert AuditEvent.objects.filter(action="admission.new_to_authority_corrected").count() == 3


def test_a_provider_admitted_later_after_an_imported_spot_placement_is_not_new_here(w, region):
    provider = stage1.provider_with_evidence(region.alpha, "Later Admitted Care")
    line = f"SP-L1,{provider.company_number},,,CASE-77,2023-05-02,2024-01-31,,450,,,,,,,,\n"
    run(w, (SPOT_HEADER + line).encode(), SPOT, dry_run=False)
    setup = stage1.open_agreement(region.alpha)
    application = stage1.apply(setup, provider, ["1"])
    stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 4})
    with schema_context("alpha"):
        assert Admission.objects.get(application=application).new_to_authority is False
    # and a provider with no history here is new
    fresh = stage1.provider_with_evidence(region.alpha, "Fresh Start Care")
    application = stage1.apply(setup, fresh, ["1"])
    stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 4})
    with schema_context("alpha"):
        assert Admission.objects.get(application=application).new_to_authority is True


def test_application_rows_are_checked_against_the_agreement_and_each_other(w):
    header = ("import_reference,provider,agreement,round,lots,submitted_date,decision_date,outcomes,"
              "admission_status,activated_date\n")
    bad = (header
           + "A1,09000003,CEC-DAYOPS-FPS-2022,,1,2022-08-20,2022-09-21,passed,active,2022-10-01\n"   # FPS: no round
           + "A2,09000003,CEC-DAYOPS-FPS-2022,7,1,2022-08-20,2022-09-21,passed,active,2022-10-01\n"  # no round 7
           + "A3,09000003,CEC-DAYOPS-FPS-2022,1,9,2022-08-20,2022-08-01,maybe,active,\n"  # lot, order, outcome, date
           + "A4,09000003,CEC-DAYOPS-FPS-2022,1,1; 2,2022-08-20,2022-09-21,passed,active,2022-10-01\n"  # fine
           + "A5,09000003,CEC-DAYOPS-FPS-2022,1,1,2022-08-20,2022-09-21,passed,active,2022-10-01\n")  # lot 1 again
    report = run(w, bad.encode(), APPS)
    found = {(p.row, p.column) for p in report.problems}
    assert {(2, "round"), (3, "round"), (4, "lots"), (4, "decision_date"), (4, "outcomes"), (6, "lots")} <= found
    assert not any(p.row == 5 for p in report.problems)


def test_only_commissioners_and_authority_admins_import(w, region):
    broker = support.make_staff(region.alpha, AuthorityRole.BROKER)
    with pytest.raises(PermissionDenied):
        run(w, "spot_placements.csv", SPOT, actor=broker)
    admin = support.make_staff(region.alpha, AuthorityRole.AUTHORITY_ADMIN)
    assert run(w, "spot_placements.csv", SPOT, actor=admin).ok


def test_a_co_funder_needs_a_co_funding_grant_on_the_agreement_and_then_sees_the_placement(w, region):
    rows = (SPOT_HEADER
            + "CF-1,09000002,CEC-DAYOPS-FPS-2022,2,CASE-500,2023-01-09,,,500,,,,,,,,alpha: 60; nhs-north: 40\n"
            + "CF-2,09000002,,,CASE-501,2023-01-09,,,500,,,,,,,,alpha: 60; nhs-north: 40\n").encode()
    refused = run(w, rows, SPOT)
    assert {(p.row, p.column) for p in refused.problems} == {(2, "funders"), (3, "funders")}
    assert "co-funding grant" in refused.problems[0].message
    with schema_context("alpha"):
        grants.grant_create(actor=w.commissioner, agreement=w.setup.agreement, grantee=region.nhs,
                            may_call_off=False, may_co_fund=True, starts_on=date.today(),
                            purchasing_agreement="NHS-N-IPA-2023-002", reason="Joint funding of day opportunities")
    report = run(w, rows, SPOT)
    assert [(p.row, p.column) for p in report.problems] == [(3, "funders")]  # outside the agreement: no grant
    run(w, rows.splitlines(keepends=True)[0] + rows.splitlines(keepends=True)[1], SPOT, dry_run=False)
    with schema_context("alpha"):
        placement = ImportedRow.objects.get(reference="CF-1").placement
        funders = {f.authority.slug: (f.share, f.purchasing_agreement, f.grant_id is not None)
                   for f in placement.funders.select_related("authority")}
        assert funders == {"alpha": (Decimal("60.00"), "", False),
                           "nhs-north": (Decimal("40.00"), "NHS-N-IPA-2023-002", True)}
        year = reports.commitment(year=2023, today=date(2026, 1, 1))
        shares = {row.label: row.to_date for row in year["funders"]}
        whole_year = Decimal(500) * 366 / 7  # April 2023 to March 2024, a leap year
        assert shares == {"NHS North ICB": (whole_year * 40 / 100).quantize(Decimal("0.01")),
                          "Alpha Council": (whole_year * 60 / 100).quantize(Decimal("0.01"))}
    assert JointPlacementProjection.objects.filter(owner=region.alpha, placement_id=placement.pk).exists()
