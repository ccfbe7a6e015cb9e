"""The year report through the API and the pages: its JSON shape, bad
periods refused, other authorities and providers kept out, and the
committee pack (XLSX with charts, PDF with the same figures)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from tests import support
from tests.reports import support as build

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2022-08-01", "to": "2023-08-31"}


@pytest.fixture
def market(region):
    return build.seeded(region.alpha, region.nhs)


def _api(user) -> APIClient:
    client = APIClient()
    support.confirm_second_factor(client, user)
    return client


def _url(market, tail=""):
    return f"/a/alpha/api/v1/agreements/{market.agreement.pk}/year-report/{tail}"


def test_the_api_answers_the_year_report_in_its_agreed_shape(market):
    finance = _api(support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER))
    response = finance.get(_url(market), PERIOD)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["agreement"] == {"id": market.agreement.pk, "reference": market.agreement.reference,
                                 "title": market.agreement.title}
    assert (body["from"], body["to"]) == ("2022-08-01", "2023-08-31")
    providers = body["providers"]
    assert (providers["contracted"], providers["rounds"], providers["awaiting_onboarding"],
            providers["new_to_area"]) == (4, 2, 2, 2)
    assert [{k: r[k] for k in ("round", "name", "count")} for r in providers["contracted_by_round"]] == [
        {"round": 1, "name": "Round 1", "count": 2}, {"round": 2, "name": "Round 2", "count": 2}]
    lot1 = providers["contracted_by_lot"][0]
    assert (lot1["lot"], lot1["number"], lot1["name"], lot1["count"]) == (
        market.lot("1").pk, "1", "Building Based Services", 3)
    assert body["sourcing_requests"] == 6
    live = body["packages_live"]
    assert live["total"] == 4
    assert live["by_lot"][0]["by_need"][0] == {"need": "dementia", "label": "Dementia", "count": 2}
    money = body["money"]
    assert money["spend_to_date"] == "31800.26" and isinstance(money["committed"], str)
    assert {row["name"] for row in money["by_funder"]} == {"Alpha Council", "NHS North ICB"}
    assert [row["number"] for row in money["by_lot"]] == ["1", "2", "3"]
    # without a period: from the agreement's go-live to today
    default = finance.get(_url(market)).json()
    assert default["from"] == "2022-08-01" and default["providers"]["contracted"] == 5


@pytest.mark.parametrize("query, name", [
    ({"from": "2022-13-01"}, "from"), ({"to": "31/08/2023"}, "to"), ({"from": ""}, "from"),
    ({"from": "2023-09-01", "to": "2023-08-31"}, "to"), ({"since": "2022-08-01"}, "since"),
    ({"format": ""}, "format"), ({"to": "9999-12-31"}, "to"), ({"from": "0001-01-01"}, "from")])
def test_a_bad_period_or_an_unknown_parameter_is_a_400_naming_it(market, query, name):
    commissioner = _api(market.setup.commissioner)
    response = commissioner.get(_url(market), query)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert name in response.json()["errors"]
    assert commissioner.get(_url(market, "pack.xlsx"), query if name != "format" else {"to": "x"}).status_code == 400


def test_other_authorities_providers_and_other_roles_are_kept_out(market, region):
    beta = _api(support.make_staff(region.beta, AuthorityRole.COMMISSIONER))
    assert beta.get(_url(market), PERIOD).status_code == 403
    assert beta.get(_url(market, "pack.pdf"), PERIOD).status_code == 403
    provider = _api(support.make_provider_person(market.providers["Brightday"]))
    assert provider.get(_url(market), PERIOD).status_code == 403
    assert provider.get(_url(market, "pack.xlsx"), PERIOD).status_code == 403
    quality = _api(support.make_staff(market.authority, AuthorityRole.QUALITY_OFFICER))
    assert quality.get(_url(market), PERIOD).status_code == 403
    commissioner = _api(market.setup.commissioner)
    assert commissioner.get("/a/alpha/api/v1/agreements/999999/year-report/").status_code == 404
    # the same agreement id in another authority is that authority's own, or nothing
    beta_admin = _api(support.make_staff(region.beta, AuthorityRole.COMMISSIONER))
    answer = beta_admin.get(f"/a/beta/api/v1/agreements/{market.agreement.pk}/year-report/", PERIOD)
    assert answer.status_code == 404 or answer.json()["agreement"]["reference"] != market.agreement.reference
    client = APIClient()
    client.force_login(market.setup.commissioner)
    page_beta = APIClient()
    page_beta.force_login(support.make_staff(region.beta, AuthorityRole.COMMISSIONER))
    assert page_beta.get(f"/a/alpha/staff/reports/agreements/{market.agreement.pk}/").status_code == 403


def test_the_committee_pack_renders_as_xlsx_with_charts_and_as_pdf_with_the_figures(market):
    from weasyprint import HTML

    from tenants.reports.packs import year_report_html

    commissioner = _api(market.setup.commissioner)
    xlsx = commissioner.get(_url(market, "pack.xlsx"), PERIOD)
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in xlsx["Content-Disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert summary["Providers issued with contracts"] == 4
    assert summary["Providers successful and waiting to be onboarded"] == 2
    assert summary["Sourcing requests"] == 6 and summary["Packages gone live"] == 4
    lots = list(book["Contracted by lot"].iter_rows(min_row=2, values_only=True))
    assert lots == [("Lot 1: Building Based Services", 3), ("Lot 2: Community Support", 1),
                    ("Lot 3: Employment, Skills and Training", 1)]
    needs = list(book["Packages live by need"].iter_rows(min_row=2, values_only=True))
    assert ("Lot 1: Dementia", 2) in needs
    for name in ("Contracted by round", "Contracted by lot", "Packages live", "Money by lot", "Money by funder"):
        assert len(book[name]._charts) == 1, name  # a native bar chart on each table's sheet

    pdf = commissioner.get(_url(market, "pack.pdf"), PERIOD)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # what the PDF lays out: the figures and the charts (no text extraction library here)
    from django_tenants.utils import schema_context

    from tenants.reports.year import year_report
    with schema_context("alpha"):
        report = year_report(market.agreement, date_from=build.FROM, date_to=build.TO)
    html = year_report_html(report, market.authority)
    assert html.count("<svg") == 5 and 'data-testid="chart-contracted-by-lot"' in html
    document = HTML(string=html).render()

    def texts(box):
        if getattr(box, "text", None):
            yield box.text
        for child in getattr(box, "children", []):
            yield from texts(child)

    laid_out = " ".join(text for page in document.pages for text in texts(page._page_box))
    for figure in ("4 providers issued with contracts after 2 rounds", "2 further providers",
                   "6 sourcing requests", "4 packages gone live", "2 dementia", "£31,800.26"):
        assert figure in " ".join(laid_out.split()), figure


def test_the_page_shows_the_report_with_charts_tables_and_downloads(market, client):
    client.force_login(support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER))
    url = f"/a/alpha/staff/reports/agreements/{market.agreement.pk}/"
    page = client.get(url, PERIOD)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'role="img"' in html and 'data-testid="chart-live-by-lot"' in html and 'data-testid="live-by-lot"' in html
    assert "4</strong> providers issued with contracts after 2 rounds" in html
    assert "pack.xlsx?from=2022-08-01&amp;to=2023-08-31" in html and "pack.pdf?from=2022-08-01" in html
    assert client.get(url, {"from": "someday"}).status_code == 400
    assert client.get(f"{url}pack.xlsx", {"to": "2023-02-30"}).status_code == 400
    home = client.get("/a/alpha/staff/reports/").content.decode()
    assert market.agreement.title in home
    detail = client.get(f"/a/alpha/staff/agreements/{market.agreement.pk}/").content.decode()
    assert f'href="{url}" data-testid="year-report"' in detail
    client.force_login(support.make_staff(market.authority, AuthorityRole.EVALUATOR))
    assert client.get(url).status_code == 403
