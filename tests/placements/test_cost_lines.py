"""A placement's cost over time: effective-dated lines that are never
overwritten, uplifts previewed then applied the same way, and the
commitment they add up to."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from tenants.placements import commitment as reports
from tenants.placements import services as placements
from tenants.placements.models import CostLine, Placement
from tenants.placements.uplifts import uplift_preview
from tests import support
from tests.calloffs import support as stage2
from tests.placements.support import copies, days_ago, live_placement

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=1, names=["Brightday"])


def _expected_to_date(year: int, pieces) -> Decimal:
    """What has run in financial year `year` up to today, from (first, last, weekly) pieces."""
    start, end = reports.financial_year(year)
    today = days_ago(0)
    total = Decimal(0)
    for first, last, weekly in pieces:
        days = (min(last, end, today) - max(first, start)).days + 1
        total += weekly * max(days, 0) / 7
    return total.quantize(Decimal("0.01"))


def test_a_backdated_variation_adds_a_line_changes_the_past_and_keeps_the_earlier_line(market):
    placement = live_placement(market, started=days_ago(28))
    year = reports.financial_year_of(days_ago(28))
    with schema_context("alpha"):
        before = reports.commitment(year=year, today=days_ago(0))
        assert before["total"].to_date == _expected_to_date(year, [(days_ago(28), days_ago(0), Decimal("420"))])
        placements.placement_vary(actor=market.broker, placement=placement, effective_on=days_ago(14),
                                  unit="hour", rate="24.50", quantity="20", reason="Two more hours after review")
        after = reports.commitment(year=year, today=days_ago(0))
        assert after["total"].to_date == _expected_to_date(year, [(days_ago(28), days_ago(15), Decimal("420")),
                                                                  (days_ago(14), days_ago(0), Decimal("490"))])
        assert after["total"].to_date > before["total"].to_date
        lines = list(CostLine.objects.filter(placement=placement).order_by("made_at", "pk"))
        assert [(line.source, line.weekly_amount) for line in lines] == [("award", Decimal("420.00")),
                                                                        ("variation", Decimal("490.00"))]
        assert lines[1].made_by == market.broker and lines[1].reason == "Two more hours after review"
        assert (lines[1].unit, lines[1].rate, lines[1].quantity) == ("hour", Decimal("24.50"), Decimal("20.00"))
        assert Placement.objects.get(pk=placement.pk).weekly_cost == Decimal("490.00")
        event = AuditEvent.objects.filter(action="placement.varied", object_id=str(placement.pk)).get()
        assert event.after["effective_on"] == days_ago(14).isoformat()
        # a correction dated earlier than a later line applies up to that line only
        placements.placement_vary(actor=market.broker, placement=placement, effective_on=days_ago(21),
                                  weekly_cost="455", reason="Backdated: transport added")
        assert Placement.objects.get(pk=placement.pk).weekly_cost == Decimal("490.00")
        corrected = reports.commitment(year=year, today=days_ago(0))
        assert corrected["total"].to_date == _expected_to_date(year, [
            (days_ago(28), days_ago(22), Decimal("420")), (days_ago(21), days_ago(15), Decimal("455")),
            (days_ago(14), days_ago(0), Decimal("490"))])
        assert CostLine.objects.filter(placement=placement).count() == 3
        with pytest.raises(ValidationError, match="cannot take effect before"):
            placements.placement_vary(actor=market.broker, placement=placement, effective_on=days_ago(40),
                                      weekly_cost="400", reason="Too early")


def test_the_forecast_runs_live_placements_to_the_year_end_and_an_ending_bounds_them(market):
    placement = live_placement(market, started=days_ago(0))
    year = reports.financial_year_of(days_ago(0))
    _, end = reports.financial_year(year)
    with schema_context("alpha"):
        report = reports.commitment(year=year, today=days_ago(0))
        assert report["total"].to_date == Decimal("60.00")  # one day at £420 a week
        assert report["total"].forecast == (Decimal("60") * (end - days_ago(0)).days).quantize(Decimal("0.01"))
        placements.placement_end(actor=market.broker, placement=placement, ended_on=days_ago(0), reason="Moved")
        ended = reports.commitment(year=year, today=days_ago(0))
        assert (ended["total"].to_date, ended["total"].forecast) == (Decimal("60.00"), Decimal("0.00"))


def test_an_uplift_preview_is_what_applying_it_does_and_it_applies_once(market):
    placement = live_placement(market, started=days_ago(28))
    with schema_context("alpha"):
        schedule = placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                                effective_from=days_ago(7), uplift_percent="4.5")
        preview = uplift_preview(schedule)
        shown = [(r.placement.pk, r.weekly_before, r.weekly_after) for r in preview["rows"]]
        assert shown == [(placement.pk, Decimal("420.00"), Decimal("438.90"))]
        assert (preview["weekly_before"], preview["weekly_after"]) == (Decimal("420.00"), Decimal("438.90"))
        made = placements.uplift_apply(actor=market.broker, schedule=schedule)
        assert [(u.placement_id, u.weekly_cost_before, u.weekly_cost_after) for u in made] == shown
        line = CostLine.objects.get(placement=placement, source="uplift")
        assert (line.effective_from, line.weekly_amount, line.uplift_id) == (days_ago(7), Decimal("438.90"),
                                                                             made[0].pk)
        assert placements.uplift_apply(actor=market.broker, schedule=schedule) == []
        assert uplift_preview(schedule)["rows"] == []
        assert CostLine.objects.filter(placement=placement).count() == 2

        # to a new rate: placements paid less rise to it, the preview says so first
        to_rate = placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                               effective_from=days_ago(0), new_rate="450")
        preview = uplift_preview(to_rate)
        assert [(r.weekly_before, r.weekly_after) for r in preview["rows"]] == [(Decimal("438.90"),
                                                                                 Decimal("450.00"))]
        made = placements.uplift_apply(actor=market.broker, schedule=to_rate)
        assert [(u.weekly_cost_before, u.weekly_cost_after) for u in made] == [(Decimal("438.90"),
                                                                               Decimal("450.00"))]
        assert Placement.objects.get(pk=placement.pk).weekly_cost == Decimal("450.00")
        with pytest.raises(ValidationError, match="either an uplift percentage or a new rate"):
            placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                         effective_from=days_ago(0), uplift_percent="2", new_rate="450")


def test_commitment_is_split_by_each_lines_funder_shares(region):
    market = stage2.live_market(region.partners, providers=1)
    placement = live_placement(market, started=days_ago(28), called_off_by=region.alpha)
    year = reports.financial_year_of(days_ago(28))
    with schema_context(region.partners.schema_name):
        placements.placement_set_funders(actor=market.broker, placement=placement,
                                         shares=[(region.alpha, "60"), (region.nhs, "40")])
        placements.placement_vary(actor=market.broker, placement=placement, effective_on=days_ago(14),
                                  weekly_cost="420", reason="NHS takes half from the review",
                                  shares=[(region.alpha, "50"), (region.nhs, "50")])
        report = reports.commitment(year=year, today=days_ago(0))
    funders = {row.label: row.to_date for row in report["funders"]}
    first = _expected_to_date(year, [(days_ago(28), days_ago(15), Decimal("420"))])
    second = _expected_to_date(year, [(days_ago(14), days_ago(0), Decimal("420"))])
    assert funders == {"Alpha Council": (first * Decimal("0.6") + second / 2).quantize(Decimal("0.01")),
                       "NHS North ICB": (first * Decimal("0.4") + second / 2).quantize(Decimal("0.01"))}
    assert sum(funders.values()) == report["total"].to_date
    assert [row.label for row in report["providers"]] == [placement.provider.name]
    assert len(report["lots"]) == 1 and report["lots"][0].to_date == report["total"].to_date
    assert sum(row.to_date for row in report["weeks"]) == report["total"].to_date


def test_the_commitment_report_costs_the_same_queries_for_one_placement_or_many(
        market, django_assert_num_queries):
    placement = live_placement(market, started=days_ago(28))
    year = reports.financial_year_of(days_ago(0))
    with schema_context("alpha"):
        reports.commitment(year=year, today=days_ago(0))  # the tenant's search_path is set on first use
        with django_assert_num_queries(4):
            one = reports.commitment(year=year, today=days_ago(0))
        copies(placement, 30)
        with django_assert_num_queries(4):
            many = reports.commitment(year=year, today=days_ago(0))
        csv = reports.commitment_csv(many)
    assert many["total"].total == one["total"].total * 31
    assert csv.splitlines()[0] == "Financial year,Breakdown,Item,Week from,Week to,To date,Forecast,Total"
    assert csv.splitlines()[-1].startswith(f"{year}-{str(year + 1)[-2:]},Total,All placements,")


def test_an_uplift_preview_costs_the_same_queries_however_many_placements(market, django_assert_num_queries):
    placement = live_placement(market, started=days_ago(28))
    with schema_context("alpha"):
        copies(placement, 20)
        schedule = placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                                effective_from=days_ago(7), uplift_percent="3")
        uplift_preview(schedule)  # the tenant's search_path is set on first use
        with django_assert_num_queries(3):
            assert len(uplift_preview(schedule)["rows"]) == 21


def test_the_api_reports_commitment_previews_uplifts_and_refuses_bad_input(market):
    placement = live_placement(market, started=days_ago(28))
    base = "/a/alpha/api/v1/placements"
    finance = APIClient()
    support.confirm_second_factor(finance, support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER))
    year = reports.financial_year_of(days_ago(0))
    report = finance.get(f"{base}/commitment/", {"year": year})
    assert report.status_code == 200
    body = report.json()
    assert body["providers"][0]["name"] == "Brightday" and Decimal(body["total"]["to_date"]) > 0
    csv = finance.get(f"{base}/commitment/", {"year": year, "format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert finance.get(f"{base}/commitment/", {"year": "soon"}).status_code == 400
    assert finance.get(f"{base}/commitment/", {"year": year, "funder": "x"}).status_code == 400
    refused = finance.post(f"{base}/{placement.pk}/variations/", {"effective_on": days_ago(3).isoformat(),
                                                                  "weekly_cost": "500", "reason": "x"},
                           format="json")
    assert refused.status_code == 403
    broker = APIClient()
    support.confirm_second_factor(broker, market.broker)
    unknown = broker.post(f"{base}/{placement.pk}/variations/", {"effective_on": days_ago(3).isoformat(),
                                                                 "weekly_cost": "500", "reason": "More",
                                                                 "narative": "typo"}, format="json")
    assert unknown.status_code == 400 and "narative" in unknown.json()["errors"]
    both = broker.post(f"{base}/{placement.pk}/variations/", {"effective_on": days_ago(3).isoformat(),
                                                              "weekly_cost": "500", "rate": "20", "unit": "hour",
                                                              "quantity": "25", "reason": "More"}, format="json")
    assert both.status_code == 400
    varied = broker.post(f"{base}/{placement.pk}/variations/", {"effective_on": days_ago(3).isoformat(),
                                                                "unit": "hour", "rate": "20", "quantity": "25",
                                                                "reason": "More hours"}, format="json")
    assert varied.status_code == 201
    lines = varied.json()["cost_lines"]
    assert [(line["source"], line["weekly_amount"]) for line in lines] == [("award", "420.00"),
                                                                          ("variation", "500.00")]
    commissioner = APIClient()
    support.confirm_second_factor(commissioner, market.setup.commissioner)
    made = commissioner.post(f"{base}/rate-schedules/", {"agreement": market.agreement.pk, "new_rate": "21",
                                                         "new_rate_unit": "hour",
                                                         "effective_from": days_ago(1).isoformat()}, format="json")
    assert made.status_code == 201, made.json()
    preview = broker.get(f"{base}/rate-schedules/{made.json()['id']}/preview/")
    assert preview.status_code == 200
    shown = preview.json()
    assert [(r["placement"], r["weekly_before"], r["weekly_after"]) for r in shown["placements"]] == [
        (placement.pk, "500.00", "525.00")]
    applied = broker.post(f"{base}/rate-schedules/{made.json()['id']}/apply/")
    assert applied.json()["placements"] == [placement.pk]
    assert finance.get(f"{base}/rate-schedules/{made.json()['id']}/preview/").status_code == 403


def test_the_pages_show_cost_lines_check_an_uplift_before_applying_it_and_report_commitment(client, market):
    placement = live_placement(market, started=days_ago(28))
    with schema_context("alpha"):
        placements.placement_vary(actor=market.broker, placement=placement, effective_on=days_ago(14),
                                  weekly_cost="490", reason="Backdated: more support at lunchtime")
        schedule = placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                                effective_from=days_ago(7), uplift_percent="10")
    base = "/a/alpha/staff/placements"
    client.force_login(market.broker)
    detail = client.get(f"{base}/{placement.pk}/").content.decode()
    assert "Cost over time" in detail and "Backdated: more support at lunchtime" in detail and "£490.00" in detail
    check = client.get(f"{base}/rates/{schedule.pk}/apply/")
    page = check.content.decode()
    assert check.status_code == 200 and "£490.00" in page and "£539.00" in page
    assert "Apply the uplift to 1 placement" in page
    with schema_context("alpha"):
        assert not CostLine.objects.filter(placement=placement, source="uplift").exists()  # nothing until applied
    assert client.post(f"{base}/rates/{schedule.pk}/apply/").status_code == 302
    with schema_context("alpha"):
        assert Placement.objects.get(pk=placement.pk).weekly_cost == Decimal("539.00")
    finance = support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER)
    client.force_login(finance)
    assert client.get(f"{base}/rates/{schedule.pk}/apply/").status_code == 403
    report = client.get(f"{base}/commitment/")
    assert report.status_code == 200 and "Brightday" in report.content.decode()
    assert 'data-testid="by-funder"' in report.content.decode()
    assert client.get(f"{base}/commitment/?year=soon").status_code == 400
    csv = client.get(f"{base}/commitment.csv")
    assert csv.status_code == 200 and ",Provider,Brightday," in csv.content.decode()
    client.force_login(support.make_staff(market.authority, AuthorityRole.QUALITY_OFFICER))
    assert client.get(f"{base}/commitment/").status_code == 403


def test_the_vary_page_takes_a_backdated_unit_rate_or_a_weekly_cost_but_not_both(client, market):
    from tests.calloffs import staff_support as ss

    placement = live_placement(market, started=days_ago(28))
    url = f"/a/alpha/staff/placements/{placement.pk}/vary/"
    client.force_login(market.broker)
    day = ss.date_parts("effective_on", days_ago(10))
    both = client.post(url, {**day, "weekly_cost": "500", "unit": "hour", "rate": "20", "quantity": "25",
                             "reason": "More hours"})
    assert both.status_code == 400 and "not both" in both.content.decode()
    neither = client.post(url, {**day, "reason": "More hours"})
    assert neither.status_code == 400 and "Enter the new weekly cost" in neither.content.decode()
    done = client.post(url, {**day, "unit": "hour", "rate": "20", "quantity": "25", "reason": "More hours"})
    assert done.status_code == 302
    with schema_context("alpha"):
        line = CostLine.objects.get(placement=placement, source="variation")
        assert (line.effective_from, line.unit, line.weekly_amount) == (days_ago(10), "hour", Decimal("500.00"))


def test_the_vary_page_sets_the_new_lines_own_funder_shares(client, market, region):
    from datetime import date

    from tenants.agreements import grants
    from tests.calloffs import staff_support as ss

    placement = live_placement(market, started=days_ago(28))
    with schema_context("alpha"):
        grants.grant_create(actor=market.setup.commissioner, agreement=market.agreement, grantee=region.nhs,
                            may_call_off=False, may_co_fund=True, starts_on=date.today(),
                            purchasing_agreement="NHS-N-IPA-2026-014", reason="Board decision 14/2026")
    url = f"/a/alpha/staff/placements/{placement.pk}/vary/"
    client.force_login(market.broker)
    page = client.get(url).content.decode()
    assert "NHS North ICB’s share, per cent" in page and "Alpha Council’s share, per cent" in page
    day = ss.date_parts("effective_on", days_ago(7))
    alpha, nhs = f"share_{region.alpha.pk}", f"share_{region.nhs.pk}"
    short = client.post(url, {**day, "weekly_cost": "480", "reason": "Joint funding from this week",
                              alpha: "60", nhs: "30"})
    assert short.status_code == 400 and "they total 90.00%" in short.content.decode()
    done = client.post(url, {**day, "weekly_cost": "480", "reason": "Joint funding from this week",
                             alpha: "60", nhs: "40"})
    assert done.status_code == 302
    with schema_context("alpha"):
        line = CostLine.objects.get(placement=placement, source="variation")
        assert {(s.authority.slug, s.share) for s in line.shares.all()} == {
            ("alpha", Decimal("60.00")), ("nhs-north", Decimal("40.00"))}
        # the placement's own funders are unchanged: the shares are the line's
        assert [f.authority.slug for f in placement.funders.all()] == ["alpha"]
    shown = client.get(f"/a/alpha/staff/placements/{placement.pk}/").content.decode()
    assert "NHS North ICB 40%" in shown
