"""The pages built after the first browser walk, in a real browser at 320
pixels wide: the year report with its charts, the call-off outcomes and their
export, a history file checked with a bad row, and the grants pages on both
sides of a grant. Every page is checked for duplicate ids and by axe-core
(conftest's page fixtures) and must not scroll sideways: wide tables sit in
their scrolling region."""

import time
from datetime import date

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenants.reports import services as reports
from tests import support
from tests.browser import page_checks
from tests.browser.conftest import sign_in, submit
from tests.grants import support as gs
from tests.reports import support as build

pytestmark = [pytest.mark.browser]


def _history_file(provider, agreement) -> bytes:
    """Two spot placements: the first right, the second with a weekly cost
    that is not money and a start date that is not a date (row 3)."""
    good, bad = support.unique("SP-"), support.unique("SP-")
    return (
        "import_reference,provider,agreement,lot,person_reference,start_date,end_date,end_reason,weekly_cost,rate,"
        "unit,quantity,client_group,primary_need,description,locality,funders\n"
        f"{good},{provider.company_number},{agreement},1,CASE-1,2023-02-06,,,£420.00,,,,older-people,dementia,"
        "Support at home,Crewe,\n"
        f"{bad},{provider.company_number},{agreement},1,CASE-2,31/31/2023,,,a lot,,,,older-people,dementia,"
        "Support at home,Crewe,\n"
    ).encode()


def test_reports_history_and_grants_pages_fit_a_320_pixel_screen(committed_db, region, server, page, other_page):
    year = build.seeded(region.alpha, region.nhs)
    g = gs.granted(region, names=None)  # uniquely named: the data is committed
    staff = support.make_staff(
        region.alpha, AuthorityRole.COMMISSIONER, AuthorityRole.FINANCE_VIEWER, full_name="Rhea Reports"
    )
    with schema_context("alpha"):
        reports.export_settings_set(actor=staff, frequency="monthly", send_to_finance_viewers=True, recipients=[])
        reports.outcome_exports_due(today=timezone.localdate())
        provider = support.make_provider(support.unique("Heritage Care "))
    provider.company_number = f"{time.time_ns() // 1000 % 10**8:08d}"  # digits, as Companies House gives
    provider.save(update_fields=["company_number"])
    too_wide, problems_found = {}, []

    def visit(on, path):
        """Go to the page; what is wrong with it is collected, to see every page's at once."""
        try:
            response = on.goto(f"{server}{path}")
        except page_checks.PageProblem as problem:
            problems_found.append(str(problem))
        else:
            if response.status != 200:
                problems_found.append(f"{path}: {response.status}")
        if page_checks.too_wide(on):
            too_wide[path] = page_checks.too_wide(on)

    for each in (page, other_page):
        each.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, server, staff)
    sign_in(other_page, server, g.icb_broker)

    # the year report: its five charts, each with its title, and the tables behind them
    visit(page, "/a/alpha/staff/reports/")
    visit(page, f"/a/alpha/staff/reports/agreements/{year.agreement.pk}/?from={build.FROM}&to={build.TO}")
    charts = page.locator("svg.jointly-chart")
    assert charts.count() == 5
    assert "Providers contracted" in page.locator("svg.jointly-chart title").first.text_content()
    assert "4 providers issued with contracts" in page.get_by_test_id("provider-figures").inner_text()

    # the call-off outcomes, their CSV and the export made last month
    visit(page, "/a/alpha/staff/reports/calloff-outcomes/")
    assert page.get_by_test_id("csv").is_visible() and page.get_by_test_id("exports").is_visible()

    # a history file with a bad row is checked: nothing imported, each problem by row and column
    visit(page, "/a/alpha/staff/history/")
    page.get_by_label("Spot placements").check()
    page.get_by_label("The CSV file").set_input_files(
        {"name": "spot.csv", "mimeType": "text/csv", "buffer": _history_file(provider, year.agreement.reference)}
    )
    submit(page, page.get_by_role("button", name="Check the file"), r".*/staff/history/$")
    assert "nothing has been imported" in page.locator(".govuk-error-summary").inner_text()
    problems = [
        [cell.strip() for cell in row.split("\t")]
        for row in page.get_by_test_id("problems").locator("tbody tr").all_inner_texts()
    ]
    assert {(row[0], row[1]) for row in problems} >= {("3", "start_date"), ("3", "weekly_cost")}
    assert all(row[0] == "3" for row in problems), problems
    if page_checks.too_wide(page):
        too_wide["the history check"] = page_checks.too_wide(page)

    # the grants pages: the council's, its recharges, and the ICB's broker's at the council and at home
    visit(page, "/a/alpha/staff/grants/")
    visit(page, f"/a/alpha/staff/grants/recharges/?period=monthly&starts_on={date.today().replace(day=1)}")
    visit(page, f"/a/alpha/staff/agreements/{g.market.agreement.pk}/")
    assert g.grant.purchasing_agreement in page.get_by_test_id("grants").inner_text()
    visit(page, f"/a/alpha/staff/agreements/{g.market.agreement.pk}/grants/new/")
    visit(page, f"/a/alpha/staff/agreements/{g.market.agreement.pk}/grants/{g.grant.pk}/revoke/")
    visit(other_page, "/a/alpha/staff/grants/")
    visit(other_page, "/a/nhs-north/staff/grants/")
    assert problems_found == []
    assert too_wide == {}


def test_the_quality_pages_pass_the_checks_and_fit_a_320_pixel_screen(committed_db, region, server, page, other_page):
    from datetime import timedelta

    from accounts.services import membership_grant
    from tenants.quality import oversight
    from tests.quality.support import monitored, opened
    from tests.shared_catalogue import support as catalogue

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    kpi_return = next(r for r in opened(m) if r.provider_id == provider.pk)
    with schema_context("alpha"):
        assessment = oversight.assessment_schedule(
            actor=m.officer, provider=provider, service="Home care, Crewe", visit_on=date.today() + timedelta(days=14)
        )
    membership_grant(actor=None, authority=region.alpha, user=m.officer, role=AuthorityRole.COMMISSIONER)
    for each in (page, other_page):
        each.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, server, m.officer)
    sign_in(other_page, server, catalogue.admin_of(provider))
    staff, mine = "/a/alpha/staff/quality/", "/a/alpha/provider/quality/"
    agreement = m.market.agreement.pk
    found = {}
    for on, path in [
        *[
            (page, f"{staff}{tail}")
            for tail in (
                "",
                f"agreements/{agreement}/",
                f"agreements/{agreement}/kpis/new/",
                "returns/",
                f"returns/{kpi_return.pk}/",
                "risk/",
                "risk/regional/",
                f"providers/{provider.pk}/",
                f"providers/{provider.pk}/intelligence/new/",
                f"providers/{provider.pk}/actions/new/",
                f"providers/{provider.pk}/assessments/new/",
                f"providers/{provider.pk}/feedback-links/new/",
                f"assessments/{assessment.pk}/",
                "feedback/",
            )
        ],
        *[
            (other_page, f"{mine}{tail}")
            for tail in (
                "",
                f"{kpi_return.pk}/",
                f"assessments/{assessment.pk}/",
                f"assessments/{assessment.pk}/self-assessment/",
            )
        ],
    ]:
        try:
            response = on.goto(f"{server}{path}")
        except page_checks.PageProblem as problem:
            found[path] = str(problem)
            continue
        if response.status != 200:
            found[path] = response.status
        if page_checks.too_wide(on):
            found[path] = page_checks.too_wide(on)
    assert found == {}
