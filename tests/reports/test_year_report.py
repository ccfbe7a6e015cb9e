"""The year report's figures on a small market with real dates, and the
constant number of queries it takes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.reports.year import year_report
from tests.reports import support as build

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(region):
    return build.seeded(region.alpha, region.nhs)


def _report(market, **dates):
    with schema_context(market.authority.schema_name):
        return year_report(market.agreement, date_from=dates.get("date_from", build.FROM),
                           date_to=dates.get("date_to", build.TO))


def test_the_year_report_counts_providers_requests_and_packages_as_a_council_reports_them(market):
    report = _report(market)
    providers = report["providers"]
    assert report["agreement"]["reference"] == market.agreement.reference
    assert (report["from"], report["to"]) == (build.FROM, build.TO)
    # active and suspended count once activated by the end; removed before the end, or activated after, do not
    assert providers["contracted"] == 4
    assert providers["rounds"] == 2  # the third round opens after the period
    assert [(r["round"], r["count"]) for r in providers["contracted_by_round"]] == [(1, 2), (2, 2)]
    assert [(r["number"], r["count"]) for r in providers["contracted_by_lot"]] == [("1", 3), ("2", 1), ("3", 1)]
    # pending at the end (one activated only after it), never one already contracted on another lot
    assert providers["awaiting_onboarding"] == 2
    assert providers["new_to_area"] == 2  # the removed provider was new too, but is not contracted
    # A and its republication once; B; four placements' requests; not before, after, nor a draft
    assert report["sourcing_requests"] == 6
    live = report["packages_live"]
    assert live["total"] == 4
    by_lot = {row["number"]: row for row in live["by_lot"]}
    assert by_lot["1"]["count"] == 3 and by_lot["2"]["count"] == 0 and by_lot["3"]["count"] == 1
    assert [(n["need"], n["count"]) for n in by_lot["1"]["by_need"]] == [("dementia", 2),
                                                                       ("learning_disability", 1)]
    assert by_lot["1"]["by_need"][0]["label"] == "Dementia"
    assert [(n["need"], n["label"]) for n in by_lot["3"]["by_need"]] == [(None, "Not recorded")]


def test_the_year_report_adds_spend_and_commitment_by_lot_and_funder(market, region):
    money = _report(market)["money"]
    funders = {row["slug"]: row for row in money["by_funder"]}
    # L1: £700 a week from 1 Nov 2022, 40% the ICB's: 304 days to 31 Aug 2023, 517 to 31 Mar 2024
    assert funders["nhs-north"]["spend_to_date"] == Decimal("12160.00")
    assert funders["nhs-north"]["committed"] == Decimal("20680.00")
    # the council: 60% of L1, L2 for its 28 days, and pennies for two more
    assert funders["alpha"]["spend_to_date"] == Decimal("19640.26")
    assert money["spend_to_date"] == Decimal("31800.26")
    assert money["committed_until"].isoformat() == "2024-03-31"
    lots = {row["number"]: row for row in money["by_lot"]}
    assert lots["1"]["spend_to_date"] == Decimal("31800.13") and lots["2"]["spend_to_date"] == Decimal("0.00")
    assert lots["1"]["committed"] > lots["1"]["spend_to_date"]


def test_a_shorter_period_counts_only_what_happened_in_it(market):
    report = _report(market, date_from=build.FROM, date_to=build.FROM.replace(year=2022, month=12, day=31))
    assert report["providers"]["contracted"] == 3  # Gone Away was still contracted then
    assert report["providers"]["rounds"] == 1
    assert report["packages_live"]["total"] == 1
    assert report["sourcing_requests"] == 2  # A (twice) and L1's


def test_the_year_report_takes_the_same_number_of_queries_with_2_or_10_providers(region):
    small = build.year(region.beta)
    for n in range(2):
        build.admit(small, f"Small {n}", round_number=1, lots=["1", "2"], activated=build.FROM)
        build.placement(small, f"S{n}", f"Small {n}", need="dementia", live_on=build.FROM, funders=[
            (region.beta, Decimal("50")), (region.nhs, Decimal("50"))])
    with schema_context("beta"), CaptureQueriesContext(connection) as two:
        year_report(small.agreement, date_from=build.FROM, date_to=build.TO)
    for n in range(2, 10):
        build.admit(small, f"Small {n}", round_number=2, lots=["1", "3"], activated=build.TO, new=True)
        build.placement(small, f"S{n}", f"Small {n}", lot="3", need="autism", live_on=build.TO)
        build.package(small, f"R{n}", published=build.TO)
    with schema_context("beta"), CaptureQueriesContext(connection) as ten:
        report = year_report(small.agreement, date_from=build.FROM, date_to=build.TO)
    assert report["providers"]["contracted"] == 10 and report["packages_live"]["total"] == 10
    assert len(ten.captured_queries) == len(two.captured_queries) <= 8, [q["sql"][:120] for q in ten]


def test_lots_are_listed_by_number_as_people_count_them_not_as_text(market, region):
    import io

    from openpyxl import load_workbook

    from tenants.agreements.models import Lot, lot_number_key
    from tenants.reports.charts import year_report_charts
    from tenants.reports.packs import year_report_xlsx

    assert sorted(["10", "2", "3b", "S", "3a", "3", "1"], key=lot_number_key) == ["1", "2", "3", "3a", "3b", "10",
                                                                                    "S"]
    with schema_context(market.authority.schema_name):
        market.setup.lots["10"] = Lot.objects.create(agreement=market.agreement, number="10", title="Specialist")
    build.admit(market, "Tenth Lot Care", round_number=1, lots=["10"], activated=build.FROM)
    report = _report(market)
    in_order = ["1", "2", "3", "10"]  # as text, 10 came before 2
    assert [row["number"] for row in report["providers"]["contracted_by_lot"]] == in_order
    assert [row["number"] for row in report["packages_live"]["by_lot"]] == in_order
    assert [row["number"] for row in report["money"]["by_lot"]] == in_order
    assert report["providers"]["contracted_by_lot"][-1]["count"] == 1
    with schema_context(market.authority.schema_name):
        book = load_workbook(io.BytesIO(year_report_xlsx(report, region.alpha)))
    for title in ("Contracted by lot", "Packages live", "Money by lot"):
        assert [row[0].split(":")[0] for row in book[title].iter_rows(min_row=2, values_only=True)] == [
            f"Lot {n}" for n in in_order], title
    by_lot = [chart for chart in year_report_charts(report) if "lot" in chart.title.lower()]
    assert by_lot and all([bar.label.split(":")[0] for bar in chart.bars] == [f"Lot {n}" for n in in_order]
                          for chart in by_lot)
