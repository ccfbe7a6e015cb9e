"""A provider's whole journey in a real browser, from the regional home to
the start of the care: finds an agreement open to applications, signs up
(the address it came from survives sign-up, the e-mail confirmation and
registering the organisation), applies, is admitted, sees an opportunity
on its home with its bid status, bids, wins, and sees who the care is for.
Staff steps (checking evidence, evaluating, onboarding, publishing,
awarding) go through the services to keep it short; every provider step is
in the browser."""

import random
import re
from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from shared_catalogue.models import Provider
from tenants.admissions import services as admissions
from tenants.admissions.models import Admission, Application
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Bid, IdentityAccess
from tests import support
from tests.admissions import support as stage1
from tests.browser.conftest import read_mail
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = [pytest.mark.browser]
PASSWORD = "grazing-cows-in-spring"


def _status_on_home(page, server, provider, package) -> str:
    page.goto(f"{server}/providers/{provider.pk}/")
    return page.get_by_test_id(f"dash-opportunity-alpha-{package.pk}").get_by_test_id("bid-status").inner_text()


def test_a_provider_finds_an_agreement_applies_bids_wins_and_sees_who_to_start_with(
        committed_db, region, server, outbox, page):
    page.set_default_timeout(60_000)  # a long journey on a shared machine
    market = stage2.live_market(region.alpha, providers=1)  # live, with a round open, one provider already on
    agreement = market.agreement
    email = f"{support.unique('owner')}@orchardcare.example"
    name = support.unique("Orchard Care ")

    # the regional home leads to the agreements open to providers
    page.goto(f"{server}/")
    page.get_by_role("link", name="see the agreements open to applications").click()
    page.wait_for_url(f"{server}/agreements/")
    listing = page.get_by_test_id(f"open-agreement-alpha-{agreement.pk}")
    assert "Alpha Council" in listing.inner_text() and "Lot 1: Building Based Services" in listing.inner_text()
    assert "Round 1 closes on" in listing.get_by_test_id("window").inner_text()
    listing.get_by_role("link", name=re.compile("^Apply")).click()

    # not signed in: create an account; the way back survives the e-mail confirmation
    page.wait_for_url(re.compile(r".*/accounts/signup/\?next=.*"))
    page.get_by_label("Full name").fill("Olive Orchard")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/.*"))
    link = re.search(r"http://\S+/accounts/confirm-email/\S+", read_mail(outbox, email)).group(0)
    page.goto(link)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()

    # no organisation yet: register it, then straight on to the authority's application form
    page.wait_for_url(re.compile(r".*/providers/register/\?next=.*"))
    assert "Register your organisation first" in page.content()
    page.get_by_label("Legal name").fill(f"{name} Limited")
    page.get_by_label("Trading name").fill(name)
    page.get_by_label("Company", exact=True).check()
    page.get_by_label("Companies House number").fill(f"{random.randrange(10**7, 10**8):08d}")
    page.get_by_label("Postcode").fill("CW1 2AB")
    page.get_by_label("Contact email").fill(email)
    page.get_by_role("button", name="Register organisation").click()
    page.wait_for_url(f"{server}/a/alpha/provider/agreements/{agreement.pk}/apply/")

    # its insurance and safeguarding policy go into the locker and are checked (shortcut: services)
    provider = Provider.objects.get(name=name)
    for kind in ("public_liability", "safeguarding_policy"):
        stage1.verify(region.alpha, catalogue.upload(provider, evidence_type=kind))

    page.get_by_label("Lot 1: Building Based Services").check()
    page.get_by_role("button", name="Start the application").click()
    page.wait_for_url(re.compile(r".*/provider/applications/\d+/answers/$"))
    for number in (1, 2):
        page.get_by_test_id(f"question-{number}").get_by_label("Yes").check()
    for number in (3, 4):
        page.get_by_test_id(f"question-{number}").get_by_role("textbox").fill(
            "Person-centred planning with each person and their family, reviewed every 12 weeks.")
    page.get_by_role("button", name="Save and continue to the declaration").click()
    page.wait_for_url(re.compile(r".*/submit/$"))
    page.get_by_label("I confirm the declaration above, for the organisation").check()
    page.get_by_role("button", name="Submit the application").click()
    page.wait_for_url(re.compile(r".*/provider/applications/\d+/$"))

    # the home shows the application, and no longer offers the agreement
    page.goto(f"{server}/providers/{provider.pk}/")
    with schema_context("alpha"):
        application = Application.objects.get(provider=provider)
    assert "Submitted" in page.get_by_test_id(f"dash-application-alpha-{application.pk}").inner_text()
    assert page.get_by_test_id(f"dash-joinable-alpha-{agreement.pk}").count() == 0

    # staff evaluate, decide and onboard (services)
    stage1.evaluate(market.setup, application, {"outcomes": 4, "workforce": 4})
    page.reload()
    assert "Still to do: Contract signed" in page.get_by_test_id("dashboard-admissions").inner_text()
    with schema_context("alpha"):
        admission = Admission.objects.get(application=application)
        for item in admission.onboarding.all():
            admissions.onboarding_complete(actor=market.setup.commissioner, item=item)
        admissions.admission_activate(actor=market.setup.commissioner, admission=admission)
    package = stage2.package(market, title=support.unique("Day service in Crewe "))

    # an opportunity on the home, not started; a bid in the browser; then submitted
    assert _status_on_home(page, server, provider, package) == "Not started"
    page.get_by_test_id(f"dash-opportunity-alpha-{package.pk}").get_by_role("link", name=package.title).click()
    page.wait_for_url(re.compile(rf".*/a/alpha/provider/calloffs/{package.pk}/$"))
    page.get_by_role("link", name="Write a bid").click()
    page.get_by_label("Weekly price, in pounds").fill("430.00")
    page.get_by_label("How you will achieve the outcomes").fill(
        "A named worker for travel training, and a weekly social group in Crewe.")
    start = date.today() + timedelta(days=30)
    page.get_by_label("Day").fill(str(start.day))
    page.get_by_label("Month").fill(str(start.month))
    page.get_by_label("Year").fill(str(start.year))
    page.get_by_role("button", name="Submit the bid").click()
    page.wait_for_selector("[data-testid=receipt]")
    assert _status_on_home(page, server, provider, package) == "Submitted"

    # bidding closes, staff evaluate and award it (services)
    with schema_context("alpha"):
        calloffs.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline + timedelta(seconds=1))
        bid = Bid.objects.get(package=package, provider=provider)
        calloffs.bid_evaluate(actor=market.broker, bid=bid, compliant=True, quality=80, outcomes=75,
                              social_value=60)
        calloffs.award(actor=market.broker, package=package, bid=bid)

    # the award on the home, with what happens next; the person's details on purpose, recorded
    page.goto(f"{server}/providers/{provider.pk}/")
    won = page.get_by_test_id(f"dash-won-alpha-{package.pk}")
    assert "Awarded to you" in won.inner_text()
    won.get_by_role("link", name=re.compile("see who the care is for")).click()
    page.wait_for_url(re.compile(rf".*/a/alpha/provider/calloffs/{package.pk}/start/$"))
    assert "Okoro" not in page.locator("main").inner_text()
    page.get_by_role("button", name="Show the person's details").click()
    person = page.get_by_test_id("start-person-1").inner_text()
    assert "Margaret Okoro" in person and "4 Mill Lane, Crewe" in person and "Sam Reid" in person
    arrangements = page.get_by_test_id("start-arrangements").inner_text()
    assert f"{start:%-d %B %Y}" in arrangements or "Start date" in arrangements
    assert market.broker.email in arrangements
    with schema_context("alpha"):
        assert IdentityAccess.objects.filter(package=package, user__email=email).count() == 1
