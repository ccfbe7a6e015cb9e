"""Contract monitoring in a real browser: a provider submits a performance
return, a quality officer validates it, and the KPI table and the risk page
show the result. Every page visited is checked for duplicate ids and by
axe-core (conftest's page fixture)."""

import re

import pytest
from django_tenants.utils import schema_context

from tenants.quality.models import KpiReturn
from tests.browser.conftest import sign_in
from tests.quality.support import monitored, opened
from tests.shared_catalogue import support as catalogue

pytestmark = [pytest.mark.browser]


def test_a_return_submitted_by_a_provider_validated_by_staff_shows_on_the_dashboard(committed_db, region, server,
                                                                                     page):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    row = next(r for r in opened(m) if r.kpi.code == "KPI 2" and r.period_start.month == 7)

    # the provider sees what it owes and submits the figures
    sign_in(page, server, catalogue.admin_of(provider))
    page.goto(f"{server}/a/alpha/provider/quality/")
    owed = page.get_by_test_id("owed")
    assert "Missing" in owed.inner_text()
    owed.get_by_role("link", name=re.compile(r"KPI 2: Strengths-based approaches training, July to September")).click()
    page.get_by_label(re.compile(r"How many care workers trained")).fill("900")
    page.get_by_label(re.compile(r"Out of how many care workers")).fill("807")
    page.get_by_role("button", name="Submit the return").click()
    assert "900 is more than the 807 it is counted from" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label(re.compile(r"How many care workers trained")).fill("654")
    page.get_by_role("button", name="Submit the return").click()
    page.wait_for_url(re.compile(r".*/provider/quality/$"))
    assert "submitted" in page.locator(".govuk-notification-banner").inner_text()

    # the quality officer validates it
    sign_in(page, server, m.officer)
    page.goto(f"{server}/a/alpha/staff/quality/returns/?status=submitted")
    page.get_by_test_id("returns").get_by_role("link", name=re.compile(f"KPI 2 return from {re.escape(provider.name)}")
                                               ).click()
    assert "81.04%" in page.get_by_test_id("figure").inner_text()
    page.get_by_test_id("validate").click()
    page.wait_for_url(re.compile(r".*/staff/quality/returns/\d+/$"))
    assert "Return validated" in page.locator(".govuk-notification-banner").inner_text()
    with schema_context("alpha"):
        assert KpiReturn.objects.get(pk=row.pk).status == "validated"

    # the KPI table shows it against the target, and the risk page lists the provider with its reasons
    page.goto(f"{server}/a/alpha/staff/quality/agreements/{m.market.agreement.pk}/")
    table = page.get_by_test_id("kpi-table").inner_text()
    assert "81% (654 of 807)" in table and "Below target" in table
    page.goto(f"{server}/a/alpha/staff/quality/risk/")
    risk = page.get_by_test_id("risk").inner_text()
    assert provider.name in risk and "performance returns missing" in risk  # the other returns are still owed


def test_a_provider_self_assesses_and_the_officer_validates_a_standard(committed_db, region, server, page):
    from datetime import date, timedelta

    from tenants.quality import oversight
    from tenants.quality.standards import STANDARDS

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    with schema_context("alpha"):
        assessment = oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care, Crewe",
                                                   visit_on=date.today() + timedelta(days=14))

    # the provider finds it on its home page, fills every standard and submits
    sign_in(page, server, catalogue.admin_of(provider))
    page.goto(f"{server}/a/alpha/provider/")
    page.get_by_test_id("waiting-for-you").get_by_role("link", name=re.compile("Self-assessment for Home care")).click()
    page.wait_for_url(re.compile(rf".*/provider/quality/assessments/{assessment.pk}/self-assessment/$"))
    for standard in STANDARDS:
        page.locator(f'input[name="{standard.key}-self_rating"][value="good"]').check()
        page.locator(f'textarea[name="{standard.key}-narrative"]').fill(f"How we meet {standard.title.lower()}.")
    page.get_by_role("button", name="Submit the self-assessment").click()
    page.wait_for_url(re.compile(rf".*/provider/quality/assessments/{assessment.pk}/$"))
    assert "Self-assessment submitted" in page.locator(".govuk-notification-banner").inner_text()
    assert "Submitted" in page.get_by_test_id("self-assessment").inner_text()

    # the officer validates a standard of their own view; the draft waits for the rest
    sign_in(page, server, m.officer)
    page.goto(f"{server}/a/alpha/staff/quality/assessments/{assessment.pk}/")
    page.get_by_test_id("standards").get_by_role("link", name="Validate Management of medicines").click()
    page.get_by_label("No: I give my own rating").check()
    page.get_by_label("Your rating (if you do not agree)").select_option("requires_improvement")
    page.get_by_label("Note").fill("Two medicine charts had gaps on the visit.")
    page.get_by_role("button", name="Save the validation").click()
    page.wait_for_url(re.compile(rf".*/staff/quality/assessments/{assessment.pk}/$"))
    assert "15 still to validate" in page.get_by_test_id("outstanding").inner_text()
