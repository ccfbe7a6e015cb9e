"""A provider finds an opportunity in its regional list, reads the
anonymised package and bids, in a real browser; a double click is one bid."""

import re
from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from tenants.calloffs.models import Bid, BidReceipt
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = [pytest.mark.browser]
PASSWORD = "a-long-test-password"


def test_a_provider_finds_an_opportunity_and_bids_once(committed_db, region, server, page):
    market = stage2.live_market(region.alpha, providers=1)
    provider = market.providers[0]
    package = stage2.package(market, title=stage2.support.unique("Day service, two days a week "))
    admin = catalogue.admin_of(provider)

    page.goto(f"{server}/accounts/login/?next=/providers/opportunities/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{server}/providers/opportunities/")
    page.get_by_role("link", name=package.title).click()
    page.wait_for_url(re.compile(rf".*/a/alpha/provider/calloffs/{package.pk}/.*"))
    text = page.locator("main").inner_text()
    assert "Build confidence to travel independently" in text
    assert "Margaret" not in text and "Okoro" not in text and "9434765919" not in text  # held apart

    page.goto(f"{server}/a/alpha/provider/calloffs/{package.pk}/bid/")
    page.get_by_label("Weekly price, in pounds").fill("436.80")
    page.get_by_label("Hourly rate, in pounds (optional)").fill("21.84")
    page.get_by_label("Hours a week (optional)").fill("20")
    page.get_by_label("How you will achieve the outcomes").fill(
        "A named worker for travel training, and a weekly social group in Crewe.")
    start = date.today() + timedelta(days=35)
    page.get_by_label("Day").fill(str(start.day))
    page.get_by_label("Month").fill(str(start.month))
    page.get_by_label("Year").fill(str(start.year))
    page.get_by_role("button", name="Submit the bid").dblclick()  # an impatient double click
    page.wait_for_selector("[data-testid=receipt]")

    with schema_context("alpha"):
        bid = Bid.objects.get(package=package, provider=provider)
        receipts = list(BidReceipt.objects.filter(bid=bid))
    assert len(receipts) == 1 and bid.version == 1
    assert page.get_by_test_id("sha256").inner_text() == receipts[0].content_sha256
    assert page.get_by_test_id("version").inner_text() == "1"
