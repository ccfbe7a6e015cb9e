"""Pricing schedules through the pages: a commissioner starts a year's
schedule, adds rates with the fair cost of care, publishes it (then it is
fixed); the bid list shows each bid against its rate; a low bid's
explanation is asked, answered on the provider's page and accepted; a
provider sees only published fees; the award at the schedule's rate."""

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from tenants.pricing.models import BidPriceCheck, PricingSchedule
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2
from tests.pricing import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
BASE = "/a/alpha/staff/pricing"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Low Cost", "Fair Price"])


def test_a_commissioner_sets_the_years_fees_and_publishes_them(client, market, mailoutbox):
    client.force_login(market.setup.commissioner)
    listing = client.get(f"{BASE}/").content.decode()
    assert "Start a year's schedule" in listing and "regulation 69" in listing
    today = date.today()
    body = {"agreement": str(market.agreement.pk), "year": str(today.year),
            **ss.date_parts("effective_from", today - timedelta(days=10)),
            **ss.date_parts("effective_to", today - timedelta(days=20)),
            "low_band_percent": "85", "high_band_percent": "130", "note": ""}
    refused = client.post(f"{BASE}/", body)
    assert refused.status_code == 400 and "The last date must be after the first" in refused.content.decode()
    created = client.post(f"{BASE}/", body | ss.date_parts("effective_to", today + timedelta(days=355)))
    assert created.status_code == 302, created.content.decode()[:2000]
    url = created.url
    rate = {"action": "rate", "lot": str(market.lot.pk), "unit": "session", "amount": "210.00", "tier": "",
            "zone": "", "need_level": "", "fair_cost": "218.40", "fair_cost_note": "Cost of care exercise 2025"}
    assert client.post(url, rate | {"amount": "abc"}).status_code == 400
    assert client.post(url, rate).status_code == 302
    page = client.get(url).content.decode()
    assert "£210.00" in page and "£218.40" in page and "Cost of care exercise 2025" in page
    duplicate = client.post(url, rate)
    assert duplicate.status_code == 400 and "already has a rate" in duplicate.content.decode()
    assert client.post(url, {"action": "publish"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Published" in page and "Add a rate" not in page
    # fixed now: a publish or a change is refused and nothing changes
    again = client.post(url, {"action": "publish"})
    assert again.status_code == 409 and "cannot be changed" in again.content.decode()
    assert client.post(url, rate | {"unit": "hour"}).status_code == 400
    with schema_context("alpha"):
        assert PricingSchedule.objects.get().rates.count() == 1
    # a broker reads the fees but cannot set them
    client.force_login(market.broker)
    assert "Start a year's schedule" not in client.get(f"{BASE}/").content.decode()
    assert client.post(f"{BASE}/", body).status_code == 403


def test_a_low_bid_is_shown_against_its_rate_explained_by_the_provider_and_accepted(client, market):
    support.schedule(market)
    draft = support.schedule(market, publish=False, year=date.today().year + 1,
                             effective_from=date.today() + timedelta(days=400),
                             effective_to=date.today() + timedelta(days=700))
    package, (low, fair) = support.closed_with_bids(market, ["300.00", "420.00"])
    client.force_login(market.broker)
    bids = client.get(f"/a/alpha/staff/calloffs/{package.pk}/bids/").content.decode()
    assert "Abnormally low" in bids and "71.43% of £420.00 a week" in bids and "Within the band" in bids
    with schema_context("alpha"):
        check = BidPriceCheck.objects.get(bid=low)
    page = f"{BASE}/price-checks/{check.pk}/"
    assert f'href="{page}"' in bids
    assert client.post(page, {"action": "request", "request": ""}).status_code == 400
    asked = client.post(page, {"action": "request", "request": "How does the price pay the National Minimum Wage?"})
    assert asked.status_code == 302
    # the provider answers on its page; it sees the published fees, not next year's draft
    provider = client.__class__()
    provider.force_login(catalogue.admin_of(market.providers[0]))
    fees = provider.get("/a/alpha/provider/pricing/").content.decode()
    assert f"fees for {date.today().year}" in fees and f"fees for {date.today().year + 1}" not in fees
    assert "£210.00" in fees
    assert f"/a/alpha/provider/pricing/price-checks/{check.pk}/" in fees
    explain = f"/a/alpha/provider/pricing/price-checks/{check.pk}/"
    assert provider.post(explain, {"explanation": ""}).status_code == 400
    assert provider.post(explain, {"explanation": "We own our building, so pay no rent."}).status_code == 302
    other = client.__class__()
    other.force_login(catalogue.admin_of(market.providers[1]))
    assert other.get(explain).status_code == 404
    decision = client.get(page).content.decode()
    assert "We own our building" in decision and "Decide on the explanation" in decision
    assert client.post(page, {"action": "decide", "accepted": "yes", "reason": "Owned premises."}).status_code == 302
    with schema_context("alpha"):
        check.refresh_from_db()
        assert check.explanation_status == "accepted" and PricingSchedule.objects.get(pk=draft.pk).status == "draft"


def test_the_award_at_the_schedules_rate_on_an_agreement_priced_by_schedule(client, market):
    schedule = support.schedule(market)
    package, (low, fair) = support.closed_with_bids(market, ["300.00", "460.00"])
    client.force_login(market.setup.commissioner)
    marked = client.post(f"{BASE}/{schedule.pk}/", {"action": "pricing", "priced_by_schedule": "yes",
                                                    "reason": "Fees are set each year."})
    assert marked.status_code == 302
    client.force_login(market.broker)
    bids = client.get(f"/a/alpha/staff/calloffs/{package.pk}/bids/").content.decode()
    url = f"{BASE}/packages/{package.pk}/award-at-rate/"
    assert f'href="{url}"' in bids
    form = client.get(url).content.decode()
    assert "£420.00 a week" in form
    assert client.post(url, {"bid": str(fair.pk), "expressed_by": "", "reason": "x"}).status_code == 400
    done = client.post(url, {"bid": str(fair.pk), "expressed_by": "The person",
                             "reason": "Her friends go there on Tuesdays."})
    assert done.status_code == 302
    with schema_context("alpha"):
        package.refresh_from_db()
        assert (package.award.basis, package.placement.weekly_cost) == ("schedule_rate", 420)
