"""A bid writer applies to an authority's FPS in a real browser: chooses
lots, sees their verified evidence reused, answers, declares and submits."""

import re
from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from tenants.admissions.models import Application
from tenants.agreements import services as agreements
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

pytestmark = [pytest.mark.browser]
PASSWORD = "a-long-test-password"


def test_a_provider_applies_to_an_fps_and_gets_a_decision_date(committed_db, region, server, page):
    today = date.today()
    fps = stage1.agreement(region.alpha, rounds=[(today, today + timedelta(days=60))], starts_on=today,
                           ends_on=today + timedelta(days=1500))
    with schema_context("alpha"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
    provider = stage1.provider_with_evidence(region.alpha, stage1.support.unique("Willow Day Services "))
    writer = catalogue.admin_of(provider)

    page.goto(f"{server}/accounts/login/?next=/a/alpha/provider/agreements/{fps.agreement.pk}/")
    page.get_by_label("Email").fill(writer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{server}/a/alpha/provider/agreements/{fps.agreement.pk}/")
    assert "Round 1 is open" in page.content()

    page.get_by_role("link", name="Start an application").click()
    page.get_by_label("Lot 1: Building Based Services").check()
    page.get_by_label("Lot 3: Employment, Skills and Training").check()
    page.get_by_role("button", name="Start the application").click()
    page.wait_for_url(re.compile(r".*/provider/applications/\d+/answers/$"))

    # the verified insurance and safeguarding policy are reused, not asked for again
    for number in (1, 2):
        question = page.get_by_test_id(f"question-{number}")
        assert "Reused from your evidence locker" in question.inner_text()
        question.get_by_label("Yes").check()
    for number in (3, 4, 5):
        page.get_by_test_id(f"question-{number}").get_by_role("textbox").fill(
            "Person-centred planning with each person and their family, reviewed every 12 weeks.")
    page.get_by_role("button", name="Save and continue to the declaration").click()
    page.wait_for_url(re.compile(r".*/submit/$"))

    # submitting without the declaration is refused, with the reason
    page.get_by_role("button", name="Submit the application").click()
    assert "Confirm the declaration" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("I confirm the declaration above, for the organisation").check()
    page.get_by_role("button", name="Submit the application").click()
    page.wait_for_url(re.compile(r".*/provider/applications/\d+/$"))
    assert "Application submitted" in page.locator(".govuk-notification-banner").inner_text()

    with schema_context("alpha"):
        application = Application.objects.get(provider=provider)
        assert application.status == "submitted"
        assert sorted(application.lots.values_list("lot__number", flat=True)) == ["1", "3"]
        assert application.answers.get(question=fps.questions["insurance"]).evidence.evidence_type == \
            "public_liability"
    assert f"{application.decision_due_on:%-d %B %Y}" in page.get_by_test_id("decision-due").inner_text()
