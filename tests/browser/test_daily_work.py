"""What a new user tripped over, in a real browser: the lead moderates four
questions with one press of a button, and the busiest pages fit a 320 pixel
wide screen. Every page visited is also checked for duplicate ids and by
axe-core (conftest's page fixture)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from accounts.services import membership_grant
from tenants.admissions.models import Application, ModeratedResult
from tenants.quality import oversight
from tests.admissions import support as stage1
from tests.admissions.test_moderation_all import in_moderation
from tests.browser import page_checks
from tests.browser.conftest import sign_in
from tests.calloffs import staff_support
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = [pytest.mark.browser]


def test_the_lead_moderates_four_questions_and_saves_them_at_once(committed_db, region, server, page):
    setup = stage1.open_agreement(region.alpha)
    provider = stage1.provider_with_evidence(region.alpha, stage1.support.unique("Fourfold Support "))
    application = in_moderation(setup, stage1.apply(setup, provider, ["1"]))
    sign_in(page, server, setup.commissioner)

    page.goto(f"{server}/a/alpha/staff/applications/{application.pk}/moderation/")
    q = setup.questions
    page.get_by_test_id("moderate-1").get_by_label("Met", exact=True).check()
    page.get_by_test_id("moderate-1").get_by_role("textbox").fill("Insurance verified in the catalogue.")
    page.get_by_test_id("moderate-2").get_by_label("Not met").check()
    page.get_by_test_id("moderate-2").get_by_role("textbox").fill("The policy is three years out of date.")
    page.get_by_test_id("moderate-3").get_by_label("Final score").select_option("4")
    page.get_by_test_id("moderate-3").get_by_role("textbox").fill("Clear, measurable outcomes.")
    page.get_by_test_id("moderate-4").get_by_label("Final score").select_option("2")
    page.get_by_test_id("moderate-4").get_by_role("textbox").fill("Little on supervision.")
    page.get_by_role("button", name="Save the moderated results").click()
    page.wait_for_url(re.compile(r".*/moderation/$"))
    assert "4 questions moderated" in page.locator(".govuk-notification-banner").inner_text()

    with schema_context("alpha"):
        results = {r.question_id: r for r in ModeratedResult.objects.filter(application=application)}
    assert results[q["insurance"].pk].met is True and results[q["safeguarding"].pk].met is False
    assert results[q["outcomes"].pk].score == 4 and results[q["workforce"].pk].score == 2


def test_the_busiest_pages_fit_a_320_pixel_screen(committed_db, region, server, page):
    market = stage2.live_market(region.alpha, providers=2)
    provider = market.providers[0]
    for kind in ("employers_liability", "cqc_registration"):
        catalogue.upload(provider, evidence_type=kind)
    staff_support.awarded(market)  # a placement
    package = stage2.package(market, title="Supported living, three nights a week")
    stage2.submit(market, package, market.providers[1])
    staff = market.setup.commissioner
    for role in (AuthorityRole.BROKER, AuthorityRole.QUALITY_OFFICER):
        membership_grant(actor=None, authority=region.alpha, user=staff, role=role)
    with schema_context("alpha"):
        application = Application.objects.filter(provider=provider).first()
        # a contract action with a review: its staff page and the provider's
        action = oversight.action_take(actor=staff, provider=provider, kind="improvement_plan",
                                       grounds="Visits were late on nine days in October.")
        oversight.action_review(actor=staff, action=action, outcome="continue",
                                notes="Visits are on time on weekdays; weekend rotas are still short of staff.",
                                next_review_on=timezone.localdate() + timedelta(days=30))

    page.set_viewport_size({"width": 320, "height": 800})
    sign_in(page, server, staff)
    staff_pages = ["/a/alpha/staff/", "/a/alpha/staff/applications/",
                   f"/a/alpha/staff/applications/{application.pk}/", "/a/alpha/staff/calloffs/",
                   f"/a/alpha/staff/calloffs/{package.pk}/", "/a/alpha/staff/placements/",
                   f"/a/alpha/staff/catalogue/{provider.pk}/", f"/a/alpha/staff/quality/actions/{action.pk}/",
                   f"/a/alpha/staff/quality/providers/{provider.pk}/", "/directory/"]
    too_wide = {}
    for path in staff_pages:
        page.goto(f"{server}{path}")
        if page_checks.too_wide(page):
            too_wide[path] = page_checks.too_wide(page)
    page.context.clear_cookies()
    sign_in(page, server, catalogue.admin_of(provider))
    for path in ("/a/alpha/provider/", "/providers/opportunities/", f"/providers/{provider.pk}/evidence/",
                 f"/a/alpha/provider/quality/actions/{action.pk}/"):
        page.goto(f"{server}{path}")
        if page_checks.too_wide(page):
            too_wide[path] = page_checks.too_wide(page)
    assert too_wide == {}
