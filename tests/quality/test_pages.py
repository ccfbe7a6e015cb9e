"""The contract-monitoring pages: staff see the KPI table and review
returns; providers see what they owe and submit it; refusals are shown
against the fields."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenants.quality.models import KpiReturn
from tests.quality.support import monitored, opened, submit
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def test_a_provider_submits_a_return_on_the_page_and_sees_refusals_against_the_fields(client, region):
    m = monitored(region.alpha, providers=1)
    row = opened(m)[0]
    client.force_login(catalogue.admin_of(m.market.providers[0]))
    listed = client.get("/a/alpha/provider/quality/").content.decode()
    assert "KPI 1: Utilising assistive technology, April to June 2025" in listed and "Missing" in listed

    url = f"/a/alpha/provider/quality/{row.pk}/"
    refused = client.post(url, {"numerator": "900", "denominator": "807"})
    assert refused.status_code == 400 and "900 is more than the 807 it is counted from" in refused.content.decode()
    taken = client.post(url, {"numerator": "216", "denominator": "300", "comment": "New sensors from May."})
    assert taken.status_code == 302
    with schema_context(m.schema):
        row.refresh_from_db()
        assert (row.status, row.numerator, row.denominator, str(row.value)) == ("submitted", 216, 300, "72.00")


def test_staff_see_the_kpi_table_and_validate_or_query_a_return(client, region, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    m = monitored(region.alpha, providers=1)
    rows = [r for r in opened(m) if r.period_start.month == 7]
    for row in rows:
        submit(m, row, numerator=654, denominator=807) if row.kpi.code == "KPI 2" else \
            submit(m, row, numerator=216, denominator=300)
    client.force_login(m.officer)
    table = client.get(f"/a/alpha/staff/quality/agreements/{m.market.agreement.pk}/").content.decode()
    assert "81% (654 of 807)" in table and "Below target" in table
    assert "72% (216 of 300)" in table and "Close to target" in table
    assert "<svg" in table and "by period" in table  # the chart and its table of figures

    training = next(r for r in rows if r.kpi.code == "KPI 2")
    page = client.get(f"/a/alpha/staff/quality/returns/{training.pk}/")
    assert page.status_code == 200 and 'data-testid="validate"' in page.content.decode()
    assert client.post(f"/a/alpha/staff/quality/returns/{training.pk}/", {"query": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        queried = client.post(f"/a/alpha/staff/quality/returns/{training.pk}/", {"query": "Is 807 this quarter's?"})
    assert queried.status_code == 302 and len(mailoutbox) == 1
    other = next(r for r in rows if r.kpi.code == "KPI 1")
    assert client.post(f"/a/alpha/staff/quality/returns/{other.pk}/", {"decision": "validate"}).status_code == 302
    with schema_context(m.schema):
        assert KpiReturn.objects.get(pk=other.pk).status == "validated"
        assert KpiReturn.objects.get(pk=training.pk).status == "queried"


def test_brokers_read_the_table_but_cannot_review_or_add_kpis(client, region):
    m = monitored(region.alpha, providers=1)
    row = opened(m)[0]
    submit(m, row, numerator=1, denominator=2)
    client.force_login(m.market.broker)
    assert client.get("/a/alpha/staff/quality/").status_code == 200
    assert client.post(f"/a/alpha/staff/quality/returns/{row.pk}/", {"decision": "validate"}).status_code == 403
    assert client.get(f"/a/alpha/staff/quality/agreements/{m.market.agreement.pk}/kpis/new/").status_code == 403


def test_a_commissioner_adds_a_kpi_on_the_page(client, region):
    m = monitored(region.alpha, providers=0)
    client.force_login(m.market.setup.commissioner)
    url = f"/a/alpha/staff/quality/agreements/{m.market.agreement.pk}/kpis/new/"
    form = {"code": "KPI 3", "title": "Level 2 qualifications", "measure": "percentage", "target": "100",
            "amber_within": "10", "period": "quarterly", "covers": "placements", "due_days": "28",
            "starts_on_0": "1", "starts_on_1": "4", "starts_on_2": "2026"}
    refused = client.post(url, form | {"target": "140"})
    assert refused.status_code == 400 and "A percentage target is from 0 to 100" in refused.content.decode()
    assert client.post(url, form).status_code == 302
    table = client.get(f"/a/alpha/staff/quality/agreements/{m.market.agreement.pk}/").content.decode()
    assert "KPI 3</a>: Level 2 qualifications" in table


def test_the_risk_page_shows_every_colour_with_its_reasons_and_quality_staff_act_from_it(client, region):
    from datetime import date

    from tenants.quality import oversight

    m = monitored(region.alpha, providers=2)
    flagged, fine = m.market.providers
    with schema_context(m.schema):
        oversight.intelligence_record(actor=m.officer, provider=flagged, kind="safeguarding_decision",
                                      occurred_on=date.today(), source="Safeguarding adults board",
                                      summary="Neglect substantiated: missed medication visits.")
    client.force_login(m.officer)
    page = client.get("/a/alpha/staff/quality/risk/?colour=red").content.decode()
    assert flagged.name in page and "Red: safeguarding decision (substantiated)" in page and fine.name not in page
    unknown = client.get("/a/alpha/staff/quality/risk/?colour=purple")  # said, never quietly ignored
    assert unknown.status_code == 400 and "“purple” is not one of the values offered: red, amber, green" in (
        unknown.content.decode())

    # an embargo taken on the page, answered by the provider on theirs, lifted on the page
    refused = client.post(f"/a/alpha/staff/quality/providers/{flagged.pk}/actions/new/", {"kind": "embargo"})
    assert refused.status_code == 400
    taken = client.post(f"/a/alpha/staff/quality/providers/{flagged.pk}/actions/new/",
                        {"kind": "embargo", "grounds": "Substantiated neglect; no new placements until reviewed."})
    assert taken.status_code == 302
    detail = client.get(f"/a/alpha/staff/quality/providers/{flagged.pk}/").content.decode()
    assert "Embargo on new placements" in detail and "Red:" in detail
    from tenants.quality.models import Action

    with schema_context(m.schema):
        action = Action.objects.get(provider=flagged)
    client.force_login(catalogue.admin_of(flagged))
    mine = client.get("/a/alpha/provider/quality/").content.decode()
    assert "Embargo on new placements" in mine and "Neglect substantiated" not in mine  # never the intelligence
    assert client.post(f"/a/alpha/provider/quality/actions/{action.pk}/",
                       {"response": "A new medication system is in place."}).status_code == 302
    client.force_login(catalogue.admin_of(fine))
    assert client.get(f"/a/alpha/provider/quality/actions/{action.pk}/").status_code == 404
    client.force_login(m.officer)
    assert client.post(f"/a/alpha/staff/quality/actions/{action.pk}/lift/",
                       {"reason": "Reviewed: medication on time for six weeks."}).status_code == 302
    with schema_context(m.schema):
        action.refresh_from_db()
        assert action.status == "lifted" and action.provider_response


def test_an_assessment_on_the_pages_from_schedule_to_draft(client, region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    client.force_login(m.officer)
    made = client.post(f"/a/alpha/staff/quality/providers/{provider.pk}/assessments/new/",
                       {"service": "Home care, Crewe", "visit_on_0": "10", "visit_on_1": "11", "visit_on_2": "2026"})
    assert made.status_code == 302
    url = made.url
    from tenants.quality.models import Assessment
    from tests.quality.support import self_assess, validate_all

    with schema_context(m.schema):
        assessment = Assessment.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    assert "16 still to validate" in client.get(url).content.decode()
    self_assess(m.schema, assessment, provider)
    validate_all(m.schema, assessment, m.officer)
    ratings = {f"domain_{key}": "good" for key in ("involvement", "personalised", "safeguarding", "staffing",
                                                    "management")}
    assert client.post(url, ratings | {"rating": "good"}).status_code == 400  # no findings
    sent = client.post(url, ratings | {"rating": "good", "findings": "Warm, person-centred support."})
    assert sent.status_code == 302
    page = client.get(url).content.decode()
    assert "Draft report with the provider" in page and "Finalise the rating" not in page  # the window is open
    client.force_login(catalogue.admin_of(provider))
    assert "comments by" in client.get("/a/alpha/provider/quality/").content.decode()


def test_a_broker_sees_each_bidders_colour_and_latest_rating_beside_its_bid(client, region):
    from datetime import date

    from tenants.quality import oversight
    from tests.calloffs import staff_support

    m = monitored(region.alpha, providers=2)
    flagged = m.market.providers[0]
    with schema_context(m.schema):
        oversight.intelligence_record(actor=m.officer, provider=flagged, kind="manager_vacancy",
                                      occurred_on=date.today(), source="CQC notification",
                                      summary="The registered manager has left.")
    package = staff_support.closed_with_bids(m.market, ["420.00", "430.00"])
    client.force_login(m.market.broker)
    page = client.get(f"/a/alpha/staff/calloffs/{package.pk}/bids/").content.decode()
    assert "Amber" in page and "Green" in page and "registered manager vacancy" in page
    assert "Not assessed here" in page
