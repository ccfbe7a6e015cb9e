"""Payment schedules from the cost lines: pro rata for starts and ends,
approved once, nothing paid twice, backdated changes as adjustments, invoices
matched, exports, and a constant number of queries."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from tenants.payments import exports
from tenants.payments import services as payments
from tenants.payments.models import Line, Query, Schedule
from tenants.placements import recharges
from tenants.placements import services as placements
from tenants.placements.models import Placement
from tests.calloffs import staff_support as ss
from tests.payments.support import approved, month_end, month_start, payments_market, period_of
from tests.placements.support import copies, live_placement

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def pay(region):
    return payments_market(region.alpha, started=month_start(2) + timedelta(days=10))


def test_a_schedule_pro_rates_a_start_mid_period_stops_at_an_end_and_leaves_out_pending(pay):
    first = month_start(2)
    last = month_end(first)
    ended = live_placement(pay.market, started=first)
    ss.awarded(pay.market)  # awarded, never gone live: not care yet
    with schema_context("alpha"):
        placements.placement_end(actor=pay.broker, placement=ended, ended_on=first + timedelta(days=19),
                                 reason="The person moved away")
        placements.placement_vary(actor=pay.broker, placement=pay.placement, effective_on=first + timedelta(days=20),
                                  weekly_cost="490", reason="More support from the review")
        period = payments.period_open(actor=pay.finance, day=first + timedelta(days=5))
        assert (period.starts_on, period.ends_on) == (first, last)
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        lines = {line.placement_id: line for line in schedule.lines.all()}
        assert set(lines) == {pay.placement.pk, ended.pk}
        assert Placement.objects.filter(status="pending").exists()
        started = lines[pay.placement.pk]
        assert (started.starts_on, started.ends_on) == (first + timedelta(days=10), last)
        assert started.days == period.days - 10
        # £420 a week (£60 a day) for days 11 to 20, then £490 (£70 a day) to the month's end
        assert started.amount == Decimal(60 * 10 + 70 * (period.days - 20))
        assert [(c["weekly_amount"], c["days"]) for c in started.cost_lines] == [("420.00", 10),
                                                                              ("490.00", period.days - 20)]
        stopped = lines[ended.pk]
        assert (stopped.starts_on, stopped.ends_on, stopped.days, stopped.amount) == (
            first, first + timedelta(days=19), 20, Decimal("1200.00"))
        schedule.refresh_from_db()
        assert schedule.total == started.amount + stopped.amount
        assert (schedule.status, schedule.payer_id) == ("draft", pay.market.authority.pk)
        # the recharges use the same cost: one definition of a period's cost
        same = recharges.period_for(kind="monthly", starts_on=first)
        assert recharges.placement_cost_in_period(pay.placement, same).quantize(Decimal("0.01")) == started.amount


def test_the_same_period_cannot_be_approved_twice(pay):
    period = period_of(pay, month_start(2))
    schedule = approved(pay, period)
    with schema_context("alpha"):
        with pytest.raises(ValidationError, match="already approved") as refused:
            payments.schedule_approve(actor=pay.finance, schedule=schedule)
        assert refused.value.status == 409
        assert AuditEvent.objects.filter(action="payments.schedule_approved").count() == 1
        # and the database holds one schedule per provider, payer and period
        with pytest.raises(IntegrityError), transaction.atomic():
            Schedule.objects.create(reference="PAY-again", provider=schedule.provider, payer=schedule.payer,
                                    period=period)
        # a broker or commissioner prepares but does not approve
        other = payments.schedules_generate(actor=pay.market.setup.commissioner, period=period_of(
            pay, month_start(1)))[0]
        payments.schedule_issue(actor=pay.market.setup.commissioner, schedule=other)
        with pytest.raises(PermissionDenied, match="finance officer"):
            payments.schedule_approve(actor=pay.market.setup.commissioner, schedule=other)


def test_nothing_is_paid_twice(pay):
    period = period_of(pay, month_start(2))
    schedule = approved(pay, period)
    with schema_context("alpha"):
        total = schedule.total
        # generating the period again leaves the approved schedule as it was
        assert payments.schedules_generate(actor=pay.finance, period=period) == []
        assert Line.objects.filter(placement=pay.placement, period=period).count() == 1
        schedule.refresh_from_db()
        assert (schedule.status, schedule.total) == ("approved", total)
        with pytest.raises(ValidationError, match="never regenerated"):
            payments.schedule_regenerate(actor=pay.finance, schedule=schedule, reason="Again")
        # a four-weekly cadence cannot start inside the approved month
        with pytest.raises(ValidationError, match="28-day steps"):
            payments.payment_settings_set(actor=pay.finance, cadence="four_weekly",
                                          anchor_on=period.starts_on + timedelta(days=7))
        # the next day after the last period is allowed, and its periods follow on without overlap
        payments.payment_settings_set(actor=pay.finance, cadence="four_weekly",
                                      anchor_on=period.ends_on + timedelta(days=1))
        following = payments.period_open(actor=pay.finance, day=period.ends_on + timedelta(days=3))
        assert following.starts_on == period.ends_on + timedelta(days=1) and following.days == 28
        [next_one] = payments.schedules_generate(actor=pay.finance, period=following)
        line = next_one.lines.get()
        assert line.starts_on == following.starts_on and line.kind == "care"
        # a placement's care in a period is one line, whatever the schedule
        with pytest.raises(IntegrityError), transaction.atomic():
            Line.objects.create(schedule=next_one, period=period, covers=period, placement=pay.placement,
                                computed_amount=1, amount=1)


def test_a_backdated_variation_after_approval_becomes_an_adjustment_in_the_next_period(pay):
    first = month_start(2)
    period = period_of(pay, first)
    schedule = approved(pay, period)
    paid = schedule.total
    with schema_context("alpha"):
        placements.placement_vary(actor=pay.broker, placement=pay.placement, effective_on=first + timedelta(days=20),
                                  weekly_cost="490", reason="Backdated: more support from the review")
        following = payments.period_open(actor=pay.finance, day=month_start(1))
        [later] = payments.schedules_generate(actor=pay.finance, period=following)
        adjustment = later.lines.get(kind="adjustment")
        days = period.days - 20
        assert adjustment.covers_id == period.pk and adjustment.amount == Decimal(10 * days)
        assert adjustment.paid_before == paid
        care = later.lines.get(kind="care")
        assert care.amount == Decimal(70 * following.days)
        later.refresh_from_db()
        assert later.total == care.amount + adjustment.amount
        schedule.refresh_from_db()
        assert schedule.total == paid and schedule.lines.count() == 1  # the approved one is never rewritten
        # once the adjustment is approved, the next period owes nothing more for it
        payments.schedule_issue(actor=pay.finance, schedule=later)
        payments.schedule_approve(actor=pay.finance, schedule=later)
        third = payments.period_open(actor=pay.finance, day=month_start(0))
        made = payments.schedules_generate(actor=pay.finance, period=third)
        assert not Line.objects.filter(schedule__in=made, kind="adjustment").exists()


def test_care_left_off_an_approved_schedule_is_paid_once_as_an_adjustment_in_the_next_period(pay):
    first = month_start(2)
    last = month_end(first)
    period = period_of(pay, first)
    schedule = approved(pay, period)
    paid = schedule.total
    # gone live after approval, backdated to the period's third day: never on the approved schedule
    late = live_placement(pay.market, started=first + timedelta(days=2))
    days = period.days - 2
    with schema_context("alpha"):
        again = payments.schedules_generate(actor=pay.finance, period=period)
        assert [(s.pk, s.waiting) for s in again.left] == [(schedule.pk, [late.pk])]
        following = payments.period_open(actor=pay.finance, day=month_start(1))
        [later] = payments.schedules_generate(actor=pay.finance, period=following)
        # £420 a week (£60 a day) from the third day to the period's end; the care already paid owes nothing
        [missed] = later.lines.filter(kind="adjustment")
        assert (missed.placement_id, missed.covers_id) == (late.pk, period.pk)
        assert (missed.starts_on, missed.ends_on, missed.days) == (first + timedelta(days=2), last, days)
        assert missed.amount == missed.computed_amount == Decimal(60 * days)
        assert missed.paid_before is None and missed.missed
        assert missed.label == f"Care from 3 to {last:%-d %B %Y} not on the approved schedule"
        assert sorted(later.lines.filter(kind="care").values_list("placement_id", flat=True)) == sorted(
            [pay.placement.pk, late.pk])
        later.refresh_from_db()
        assert later.total == sum(line.amount for line in later.lines.all())
        # generating again makes the draft again: the care is on it once
        payments.schedules_generate(actor=pay.finance, period=following)
        assert Line.objects.filter(kind="adjustment", placement=late, covers=period).count() == 1
        schedule.refresh_from_db()
        assert (schedule.total, schedule.lines.count()) == (paid, 1)  # the approved one is never rewritten
        # a later period generated before it is approved carries it too, but only one of them is approved
        [later] = Schedule.objects.filter(period=following)
        payments.schedule_issue(actor=pay.finance, schedule=later)
        third = payments.period_open(actor=pay.finance, day=month_start(0))
        [after] = payments.schedules_generate(actor=pay.finance, period=third)
        assert after.lines.filter(kind="adjustment", placement=late, covers=period).exists()
        payments.schedule_approve(actor=pay.finance, schedule=later)
        payments.schedule_issue(actor=pay.finance, schedule=after)
        with pytest.raises(ValidationError, match="regenerate it"):
            payments.schedule_approve(actor=pay.finance, schedule=after)
        # once approved, it is settled: made again, the later period owes nothing more for it
        payments.schedule_regenerate(actor=pay.finance, schedule=after, reason="The adjustment was approved")
        assert not after.lines.filter(kind="adjustment").exists()
        assert Line.objects.filter(placement=late, covers=period, schedule__status="approved").count() == 1


def test_care_already_paid_or_not_yet_approved_is_no_adjustment(pay):
    first = month_start(2)
    period = period_of(pay, first)
    with schema_context("alpha"):
        [draft] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=draft)
    late = live_placement(pay.market, started=first + timedelta(days=2))
    with schema_context("alpha"):
        # the earlier schedule is issued, not approved: regenerating it adds the placement, so no adjustment
        following = payments.period_open(actor=pay.finance, day=month_start(1))
        [later] = payments.schedules_generate(actor=pay.finance, period=following)
        assert not later.lines.filter(kind="adjustment").exists()
        payments.schedule_regenerate(actor=pay.finance, schedule=draft, reason="A placement went live")
        payments.schedule_issue(actor=pay.finance, schedule=draft)
        payments.schedule_approve(actor=pay.finance, schedule=draft)
        assert draft.lines.filter(placement=late).exists()
        # both placements' care in the earlier period is paid: nothing more is owed for it
        [later] = payments.schedules_generate(actor=pay.finance, period=following)
        assert not later.lines.filter(kind="adjustment").exists()


def test_generating_again_adds_schedules_for_new_pairs_and_names_what_it_left(pay):
    from tests import support

    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        [issued] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=issued)
        issued.refresh_from_db()
        total = issued.total
        # a new placement with the same provider, and one with a provider not yet paid this period
        [same] = copies(pay.placement, 1)
        [elsewhere] = copies(same, 1)  # references made from another's, so they differ
    other = support.make_provider("Elsewhere Care")
    with schema_context("alpha"):
        elsewhere.provider = other
        elsewhere.save(update_fields=["provider"])
        made = payments.schedules_generate(actor=pay.finance, period=period)
        [added] = made.added
        assert list(made) == [added] and made.remade == []
        assert (added.provider_id, added.status) == (other.pk, "draft")
        assert list(added.lines.values_list("placement_id", flat=True)) == [elsewhere.pk]
        # the issued schedule is never touched, and what is waiting for it is named
        [left] = made.left
        assert left.pk == issued.pk and left.waiting == [same.pk]
        issued.refresh_from_db()
        assert (issued.status, issued.total, issued.lines.count()) == ("issued", total, 1)
        event = AuditEvent.objects.filter(action="payments.schedules_generated").latest("pk")
        assert event.after["added"] == [added.reference] and event.after["left"] == [issued.reference]
        # again: the new draft is made again, nothing is added twice
        again = payments.schedules_generate(actor=pay.finance, period=period)
        assert again.added == [] and [s.pk for s in again.remade] == [added.pk]
        assert Schedule.objects.filter(period=period).count() == 2
        # regenerating the issued schedule takes in the waiting placement
        payments.schedule_regenerate(actor=pay.finance, schedule=issued, reason="A new placement started")
        assert set(issued.lines.values_list("placement_id", flat=True)) == {pay.placement.pk, same.pk}
        payments.schedule_issue(actor=pay.finance, schedule=issued)
        payments.schedule_approve(actor=pay.finance, schedule=issued)
        last = payments.schedules_generate(actor=pay.finance, period=period)
        assert [(s.pk, s.status, s.waiting) for s in last.left] == [(issued.pk, "approved", [])]


def test_an_invoice_that_differs_raises_a_query_showing_the_difference(pay):
    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        with pytest.raises(ValidationError, match="against an issued schedule"):
            payments.invoice_add(actor=pay.provider_admin, schedule=schedule, number="INV-1",
                                 invoice_date=month_start(0), amount="10")
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        schedule.refresh_from_db()
        invoice = payments.invoice_add(actor=pay.provider_admin, schedule=schedule, number="INV-1",
                                       invoice_date=month_start(0), amount=schedule.total + Decimal("60"),
                                       upload=SimpleUploadedFile("invoice.pdf", PDF))
        assert invoice.difference == Decimal("60.00") and invoice.content_type == "application/pdf"
        schedule.refresh_from_db()
        assert schedule.status == "queried"
        query = Query.objects.get(schedule=schedule)
        assert query.difference == Decimal("60.00") and "£60.00 more than" in query.reason
        with pytest.raises(ValidationError, match="no open query"):
            payments.schedule_approve(actor=pay.finance, schedule=schedule)
        with pytest.raises(ValidationError, match="used once") as duplicate:
            payments.invoice_add(actor=pay.provider_admin, schedule=schedule, number="inv-1",
                                 invoice_date=month_start(0), amount=schedule.total)
        assert duplicate.value.status == 409
        with pytest.raises(ValidationError, match="PDF"):
            payments.invoice_add(actor=pay.provider_admin, schedule=schedule, number="INV-2",
                                 invoice_date=month_start(0), amount=schedule.total,
                                 upload=SimpleUploadedFile("invoice.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 64))
        payments.query_answer(actor=pay.finance, query=query, answer="We pay the schedule: 1 day was not delivered.")
        schedule.refresh_from_db()
        assert schedule.status == "issued"
        matched = payments.invoice_add(actor=pay.provider_admin, schedule=schedule, number="INV-2",
                                       invoice_date=month_start(0), amount=schedule.total)
        assert matched.matched and Query.objects.filter(schedule=schedule).count() == 1
        payments.schedule_confirm(actor=pay.provider_admin, schedule=schedule)
        assert payments.schedule_approve(actor=pay.finance, schedule=schedule).status == "approved"


def test_an_invoice_number_is_used_once_whatever_its_capitals_in_the_database_too(pay, monkeypatch):
    from tenants.payments.models import Invoice

    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        schedule.refresh_from_db()
        first = payments.invoice_add(actor=pay.provider_admin, schedule=schedule, number="BD-Inv-7",
                                     invoice_date=month_start(0), amount=schedule.total)
        # the database agrees with the service: the same number in other capitals is refused
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.create(schedule=schedule, provider=pay.provider, number="bd-inv-7",
                                   invoice_date=month_start(0), amount=1, schedule_total=1, difference=0,
                                   entered_by=pay.provider_admin)
        # two at once: the check finds nothing, the constraint refuses, and the refusal names the number used
        real = payments._number_used
        calls = []

        def missed_once(provider_id, number):
            calls.append(number)
            return None if len(calls) == 1 else real(provider_id, number)

        monkeypatch.setattr(payments, "_number_used", missed_once)
        with pytest.raises(ValidationError) as refused:
            payments.invoice_add(actor=pay.provider_admin, schedule=schedule, number="BD-INV-7",
                                 invoice_date=month_start(0), amount=schedule.total)
        assert refused.value.status == 409 and len(calls) == 2
        assert refused.value.message_dict["number"] == [
            f"Invoice number BD-Inv-7 is already used, on {schedule.reference} (entered "
            f"{first.entered_at:%-d %B %Y}): an invoice number is used once, whatever its capitals."]
        assert Invoice.objects.filter(provider=pay.provider).count() == 1


def test_an_adjusted_line_is_reasoned_audited_and_needs_confirming_again(pay):
    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        payments.schedule_confirm(actor=pay.provider_admin, schedule=schedule)
        line = schedule.lines.get()
        with pytest.raises(ValidationError, match="Say why"):
            payments.line_adjust(actor=pay.finance, line=line, amount="100", reason=" ")
        payments.line_adjust(actor=pay.finance, line=line, amount=line.amount - 60, reason="A day not delivered")
        schedule.refresh_from_db()
        assert schedule.status == "issued" and schedule.total == line.amount - 60
        event = AuditEvent.objects.filter(action="payments.line_adjusted").get()
        assert event.reason == "A day not delivered"
        approved_one = payments.schedule_approve(actor=pay.finance, schedule=schedule)
        # the manual adjustment is not reversed by the next period's schedule
        [later] = payments.schedules_generate(actor=pay.finance, period=payments.period_open(
            actor=pay.finance, day=month_start(1)))
        assert not later.lines.filter(kind="adjustment").exists()
        assert approved_one.total == line.amount - 60


def test_export_csv_and_xlsx_carry_the_finance_columns_and_say_when_already_exported(pay):
    from openpyxl import load_workbook

    period = period_of(pay, month_start(2))
    schedule = approved(pay, period)
    with schema_context("alpha"):
        payments.supplier_reference_set(actor=pay.finance, provider=pay.provider, reference="=SUP001")
        payments.cost_centre_set(actor=pay.finance, lot=pay.market.lot, code="CC-4410")
        assert payments.schedules_mark_exported(actor=pay.finance, schedules=[schedule]) == []
        csv = exports.export_csv([schedule])
        book = load_workbook(io.BytesIO(exports.export_xlsx([schedule])))
        again = payments.schedules_mark_exported(actor=pay.finance, schedules=[schedule])
        line = schedule.lines.get()
        schedule.refresh_from_db()
    header, row = csv.splitlines()[:2]
    assert header.split(",") == exports.COLUMNS
    cells = dict(zip(exports.COLUMNS, row.split(","), strict=True))
    assert cells["Supplier reference"] == "'=SUP001"  # never a formula in the finance officer's spreadsheet
    assert cells["Provider name"] == "Brightday" and cells["Payer authority"] == "Alpha Council"
    assert (cells["Period start"], cells["Period end"]) == (str(period.starts_on), str(period.ends_on))
    assert cells["Schedule reference"] == schedule.reference and cells["Cost centre"] == "CC-4410"
    assert cells["Placement reference"] == pay.placement.package.reference
    assert (cells["Days"], cells["Amount"]) == (str(line.days), str(line.amount))
    assert cells["Approved by"] == pay.finance.email
    sheet = book["Payments"]
    assert [c.value for c in sheet[1]] == exports.COLUMNS
    values = dict(zip(exports.COLUMNS, [c.value for c in sheet[2]], strict=True))
    assert values["Supplier reference"] == "=SUP001" and sheet["A2"].data_type == "s"
    assert Decimal(str(values["Amount"])) == line.amount and values["Days"] == line.days
    assert values["Period start"].date() == period.starts_on
    assert [s.pk for s in again] == [schedule.pk]
    assert (schedule.status, schedule.export_count) == ("exported", 2)


def test_an_export_whose_file_cannot_be_built_leaves_nothing_marked_exported(pay, monkeypatch):
    period = period_of(pay, month_start(2))
    schedule = approved(pay, period)

    def broken(schedules):
        raise OSError("The disk is full")

    with schema_context("alpha"):
        for kind in ("csv", "xlsx"):
            monkeypatch.setattr(exports, f"export_{kind}", broken)
            with pytest.raises(OSError, match="disk is full"):
                payments.schedules_export(actor=pay.finance, schedules=[schedule], kind=kind)
            schedule.refresh_from_db()
            assert (schedule.status, schedule.export_count, schedule.exported_at) == ("approved", 0, None)
            assert not AuditEvent.objects.filter(action="payments.schedule_exported").exists()
        monkeypatch.undo()
        # once the file can be built, the same schedules export, and are marked as they go
        body, already = payments.schedules_export(actor=pay.finance, schedules=[schedule], kind="csv")
        assert schedule.reference in body and already == []
        schedule.refresh_from_db()
        assert (schedule.status, schedule.export_count) == ("exported", 1)
        assert AuditEvent.objects.filter(action="payments.schedule_exported").count() == 1


def test_generating_schedules_costs_the_same_queries_for_5_or_50_placements(pay, django_assert_num_queries):
    """Generating a period's schedules takes 23 queries however many
    placements: who is asking (4); the period's lock, its schedules, the
    placements on the schedules it leaves alone, the placements, their cost
    from the cost lines (one statement), what was approved before (or left
    off an approved schedule: one statement), clearing
    the drafts' queries' links and lines, stamping the drafts, the new
    lines, the totals (11); the audit event (8).
    Asserted for 5 and for 50 placements."""
    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        more = copies(pay.placement, 4)
        payments.schedules_generate(actor=pay.finance, period=period)  # search_path and first look-ups
        with django_assert_num_queries(QUERIES) as five:
            [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        assert schedule.lines.count() == 5
        copies(more[0], 45)  # references made from another's, so they differ
        with django_assert_num_queries(len(five.captured_queries)):
            [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        assert schedule.lines.count() == 50
        schedule.refresh_from_db()
        assert schedule.total == 50 * schedule.lines.first().amount


QUERIES = 23


def test_care_left_off_an_earlier_approved_schedule_costs_the_same_queries_for_5_or_50(pay,
                                                                                      django_assert_num_queries):
    """With an earlier approved period whose schedule left placements off,
    generating the next period costs one more query (what is owed for the
    earlier period, one statement), the same for 5 placements or 50."""
    earlier = period_of(pay, month_start(2))
    approved(pay, earlier)
    with schema_context("alpha"):
        more = copies(pay.placement, 4)  # live from the same day: care in the approved period, not on it
        period = payments.period_open(actor=pay.finance, day=month_start(1))
        payments.schedules_generate(actor=pay.finance, period=period)
        with django_assert_num_queries(QUERIES + 1) as five:
            [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        assert (schedule.lines.filter(kind="care").count(), schedule.lines.filter(kind="adjustment").count()) == (
            5, 4)
        copies(more[0], 45)
        with django_assert_num_queries(len(five.captured_queries)):
            [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        assert (schedule.lines.filter(kind="care").count(), schedule.lines.filter(kind="adjustment").count()) == (
            50, 49)
