"""Pricing schedules through the API: a commissioner drafts, edits and
publishes; a published schedule is a 409 to change; strict input (400), the
wrong role (403), another authority's or a missing id (404); providers see
only the published schedules of agreements they are admitted to; a low
bid's explanation asked, answered by the provider and accepted; the award at
the schedule's rate."""

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from tenants.pricing.models import PricingSchedule
from tests import support as base
from tests.calloffs import support as stage2
from tests.pricing import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Low Cost", "Fair Price"])


def client_for(user) -> APIClient:
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(user)
    return api


def problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:1000])
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def schedule_body(market, **overrides) -> dict:
    today = date.today()
    return {"agreement": market.agreement.pk, "year": today.year,
            "effective_from": (today - timedelta(days=10)).isoformat(),
            "effective_to": (today + timedelta(days=355)).isoformat(), "low_band_percent": "85",
            "high_band_percent": "130", "note": "Fees for the year, after the cost of care exercise."} | overrides


def test_a_commissioner_drafts_edits_and_publishes_and_then_it_is_fixed(market):
    api = client_for(market.setup.commissioner)
    created = api.post(f"{API}/pricing/schedules/", schedule_body(market), format="json")
    assert created.status_code == 201, created.content
    schedule = created.json()
    assert (schedule["status"], schedule["rates"]) == ("draft", [])
    url = f"{API}/pricing/schedules/{schedule['id']}/"
    rate = api.post(f"{url}rates/", {"lot": market.lot.pk, "unit": "session", "amount": "210.00",
                                     "fair_cost": "218.40", "fair_cost_note": "Cost of care exercise 2025"},
                    format="json")
    assert rate.status_code == 201, rate.content
    [added] = rate.json()["rates"]
    assert (added["unit"], added["amount"], added["fair_cost"], added["service_type"]) == (
        "session", "210.00", "218.40", None)
    changed = api.patch(url, {"low_band_percent": "80"}, format="json")
    assert changed.status_code == 200 and changed.json()["low_band_percent"] == "80.00"
    # publishing with nothing wrong; then every change is a 409
    assert api.post(f"{url}publish/").json()["status"] == "published"
    assert "cannot be changed" in problem(api.patch(url, {"note": "x"}, format="json"), 409)["detail"]
    problem(api.put(f"{url}rates/{added['id']}/", {"lot": market.lot.pk, "unit": "session", "amount": "1.00"},
                    format="json"), 409)
    problem(api.delete(f"{url}rates/{added['id']}/"), 409)
    problem(api.post(f"{url}publish/"), 409)
    listed = api.get(f"{API}/pricing/schedules/", {"status": "published"}).json()
    assert [s["id"] for s in listed["results"]] == [schedule["id"]]


def test_bad_input_wrong_roles_and_missing_ids(market, region):
    lead = client_for(market.setup.commissioner)
    # strict: an unknown field is named; bad values are 400 on their fields
    assert "narative" in problem(lead.post(f"{API}/pricing/schedules/", schedule_body(market, narative="x"),
                                           format="json"), 400)["errors"]
    problem(lead.post(f"{API}/pricing/schedules/", schedule_body(market, effective_to="2000-01-01"), format="json"),
            400)
    problem(lead.post(f"{API}/pricing/schedules/", schedule_body(market, agreement=999999), format="json"), 400)
    problem(lead.get(f"{API}/pricing/schedules/", {"status": "maybe"}), 400)
    schedule = support.schedule(market, publish=False, rates=())
    url = f"{API}/pricing/schedules/{schedule.pk}/"
    for body in ({"lot": market.lot.pk, "unit": "fortnight", "amount": "10"},
                 {"lot": market.lot.pk, "unit": "hour", "amount": "NaN"},
                 {"lot": 999999, "unit": "hour", "amount": "10"},
                 {"lot": market.lot.pk, "unit": "hour", "amount": "10", "service_type": "no-such-type"},
                 {"lot": market.lot.pk, "unit": "hour", "amount": "10", "colour": "red"}):
        problem(lead.post(f"{url}rates/", body, format="json"), 400)
    # a broker reads but cannot set fees; a provider is not staff
    broker = client_for(market.broker)
    assert broker.get(url).status_code == 200
    problem(broker.post(f"{API}/pricing/schedules/", schedule_body(market, year=2040), format="json"), 403)
    problem(broker.post(f"{url}publish/"), 403)
    problem(broker.put(f"{API}/pricing/agreements/{market.agreement.pk}/priced-by-schedule/",
                       {"priced_by_schedule": True, "reason": "x"}, format="json"), 403)
    problem(client_for(catalogue.admin_of(market.providers[0])).get(url), 403)
    # another authority's staff and missing ids: 404
    beta_lead = client_for(base.make_staff(region.beta, AuthorityRole.COMMISSIONER))
    problem(beta_lead.get(f"/a/beta/api/v1/pricing/schedules/{schedule.pk}/"), 404)
    problem(lead.get(f"{API}/pricing/schedules/999999/"), 404)
    problem(lead.delete(f"{url}rates/999999/"), 404)
    problem(lead.post(f"{API}/pricing/price-checks/999999/decide/", {"accepted": True, "reason": "x"},
                      format="json"), 404)
    problem(lead.put(f"{API}/pricing/agreements/999999/priced-by-schedule/",
                     {"priced_by_schedule": True, "reason": "x"}, format="json"), 404)


def test_providers_see_only_published_schedules_of_agreements_they_are_admitted_to(market, region):
    draft = support.schedule(market, publish=False, year=date.today().year + 1,
                             effective_from=date.today() + timedelta(days=400),
                             effective_to=date.today() + timedelta(days=700))
    published = support.schedule(market)
    admitted = client_for(catalogue.admin_of(market.providers[0]))
    listed = admitted.get(f"{API}/provider/pricing/schedules/")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json()["results"]] == [published.pk]
    assert listed.json()["results"][0]["rates"][0]["fair_cost"] == "215.00"
    assert admitted.get(f"{API}/provider/pricing/schedules/{published.pk}/").status_code == 200
    problem(admitted.get(f"{API}/provider/pricing/schedules/{draft.pk}/"), 404)
    # a provider of another authority, not admitted here, sees neither
    beta_market = stage2.live_market(region.beta, providers=1, names=["Elsewhere"])
    outsider = client_for(catalogue.admin_of(beta_market.providers[0]))
    assert outsider.get(f"{API}/provider/pricing/schedules/").json()["results"] == []
    problem(outsider.get(f"{API}/provider/pricing/schedules/{draft.pk}/"), 404)
    problem(outsider.get(f"{API}/provider/pricing/schedules/{published.pk}/"), 404)
    with schema_context("alpha"):
        assert PricingSchedule.objects.count() == 2


def test_a_low_bid_is_explained_through_the_api_and_then_awarded(market):
    support.schedule(market)
    package, (low, fair) = support.closed_with_bids(market, ["300.00", "420.00"])
    lead = client_for(market.setup.commissioner)
    checks = lead.get(f"{API}/pricing/packages/{package.pk}/price-checks/").json()["results"]
    assert [(c["provider"]["name"], c["flag"], c["weekly_rate"], c["blocks_award"]) for c in checks] == [
        ("Low Cost", "low", "420.00", True), ("Fair Price", "within", "420.00", False)]
    check_id = checks[0]["id"]
    problem(lead.post(f"{API}/pricing/price-checks/{check_id}/request-explanation/", {"request": ""},
                      format="json"), 400)
    asked = lead.post(f"{API}/pricing/price-checks/{check_id}/request-explanation/",
                      {"request": "How does the price cover the National Minimum Wage?"}, format="json")
    assert asked.status_code == 200 and asked.json()["explanation_status"] == "requested"
    # the provider sees what was asked and answers; the other bidder sees nothing
    provider = client_for(catalogue.admin_of(market.providers[0]))
    other = client_for(catalogue.admin_of(market.providers[1]))
    assert other.get(f"{API}/provider/pricing/price-checks/").json()["results"] == []
    problem(other.post(f"{API}/provider/pricing/price-checks/{check_id}/explain/", {"explanation": "x"},
                       format="json"), 404)
    mine = provider.get(f"{API}/provider/pricing/price-checks/").json()["results"]
    assert [c["request"] for c in mine] == ["How does the price cover the National Minimum Wage?"]
    problem(provider.post(f"{API}/provider/pricing/price-checks/{check_id}/explain/",
                          {"explanation": "ok", "extra": 1}, format="json"), 400)
    answered = provider.post(f"{API}/provider/pricing/price-checks/{check_id}/explain/",
                             {"explanation": "We own the building; staff are paid £12.60 an hour."}, format="json")
    assert answered.status_code == 200 and answered.json()["explanation_status"] == "answered"
    broker = client_for(market.broker)
    bid_url = f"{API}/calloffs/packages/{package.pk}/bids/{low.pk}/evaluation/"
    assert broker.post(bid_url, {"compliant": True, "quality": 70, "outcomes": 70, "social_value": 70},
                       format="json").status_code in (200, 201)
    problem(broker.post(f"{API}/calloffs/packages/{package.pk}/award/", {"bid": low.pk}, format="json"), 409)
    decided = lead.post(f"{API}/pricing/price-checks/{check_id}/decide/",
                        {"accepted": True, "reason": "Owned premises explain it."}, format="json")
    assert decided.json()["explanation_status"] == "accepted" and decided.json()["blocks_award"] is False
    awarded = broker.post(f"{API}/calloffs/packages/{package.pk}/award/", {"bid": low.pk}, format="json")
    assert awarded.status_code == 201, awarded.content


def test_sealed_bids_give_no_price_checks_and_the_award_at_rate_goes_through_the_api(market):
    support.schedule(market)
    open_package = stage2.package(market)
    stage2.submit(market, open_package, market.providers[0], price="100.00")
    lead = client_for(market.setup.commissioner)
    assert lead.get(f"{API}/pricing/packages/{open_package.pk}/price-checks/").json()["results"] == []
    package, (low, fair) = support.closed_with_bids(market, ["300.00", "440.00"])
    broker = client_for(market.broker)
    url = f"{API}/pricing/packages/{package.pk}/award-at-rate/"
    body = {"bid": fair.pk, "expressed_by": "The person", "reason": "Her friends go there."}
    assert "not priced by schedule" in problem(broker.post(url, body, format="json"), 409)["detail"]
    marked = lead.put(f"{API}/pricing/agreements/{market.agreement.pk}/priced-by-schedule/",
                      {"priced_by_schedule": True, "reason": "Fees set annually."}, format="json")
    assert marked.json()["priced_by_schedule"] is True
    problem(broker.post(url, body | {"bid": 999999}, format="json"), 400)
    problem(broker.post(url, body | {"unknown": 1}, format="json"), 400)
    made = broker.post(url, body, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["basis"], made.json()["weekly_price"], made.json()["preference_expressed_by"]) == (
        "schedule_rate", "420.00", "The person")


def test_an_icb_under_a_grant_has_a_low_price_explained_and_decides_on_it_through_the_api(region, time_machine):
    """The abnormally low price rule holds for a call-off under a grant: the
    granted body asks, the provider explains, the granted body decides, then
    awards; the council's own call-offs' prices stay out of its reach."""
    from datetime import datetime

    from tenants.agreements import grants
    from tenants.calloffs import services as calloffs
    from tenants.pricing.models import BidPriceCheck
    from tests.grants.test_granted_journey_api import package_body

    market = stage2.live_market(region.alpha, providers=1, names=["Cheap"])
    support.schedule(market)  # £210 a session: £420 a week for two sessions
    with schema_context("alpha"):
        grants.grant_create(actor=market.setup.commissioner, agreement=market.agreement, grantee=region.nhs,
                            may_call_off=True, may_co_fund=True, starts_on=date.today(),
                            purchasing_agreement="NHS-N-IPA-2026-014", reason="Board decision 14/2026")
    icb = client_for(base.make_staff(region.nhs, "broker"))
    granted = "/a/alpha/api/v1/grants/call-offs"
    person = icb.post(f"{granted}/people/", {"first_name": "Ann", "last_name": "Lee"}, format="json").json()
    made = icb.post(f"{granted}/packages/", package_body(market, person["id"], budget_weekly="650.00"),
                    format="json").json()
    assert icb.post(f"{granted}/packages/{made['id']}/publish/").status_code == 200
    writer = client_for(catalogue.admin_of(market.providers[0]))
    assert writer.post(f"/a/alpha/api/v1/provider/calloffs/{made['id']}/bid/submit/",
                       stage2.bid_content("300.00"), format="json", HTTP_IDEMPOTENCY_KEY="low").status_code == 201
    # the council's own package, closed with its own low bid: not the ICB's
    own, _ = support.closed_with_bids(market, ["250.00"])

    time_machine.move_to(datetime.fromisoformat(made["bid_deadline"]) + timedelta(minutes=1), tick=False)
    with schema_context("alpha"):
        calloffs.packages_close_due()
        own_check = BidPriceCheck.objects.get(bid__package=own)
    [check] = icb.get(f"{granted}/packages/{made['id']}/price-checks/").json()["results"]
    assert (check["flag"], check["percent_of_rate"]) == ("low", "71.43")
    bid_id = icb.get(f"{granted}/packages/{made['id']}/bids/").json()[0]["id"]
    assert icb.post(f"{granted}/packages/{made['id']}/bids/{bid_id}/evaluation/",
                    {"compliant": True, "quality": 70, "outcomes": 70, "social_value": 70},
                    format="json").status_code == 200
    refused = problem(icb.post(f"{granted}/packages/{made['id']}/award/", {"bid": bid_id}, format="json"), 409)
    assert "abnormally low" in refused["detail"]
    asked = icb.post(f"{granted}/price-checks/{check['id']}/request-explanation/",
                     {"request": "Show how £300 pays at least the National Minimum Wage."}, format="json")
    assert asked.status_code == 200 and asked.json()["explanation_status"] == "requested"
    assert writer.post(f"/a/alpha/api/v1/provider/pricing/price-checks/{check['id']}/explain/",
                       {"explanation": "We own the building; staff paid £12.60 an hour."},
                       format="json").status_code == 200
    decided = icb.post(f"{granted}/price-checks/{check['id']}/decide/",
                       {"accepted": True, "reason": "Owned premises explain the price."}, format="json")
    assert decided.status_code == 200 and decided.json()["explanation_status"] == "accepted"
    assert icb.post(f"{granted}/packages/{made['id']}/award/", {"bid": bid_id}, format="json").status_code == 201

    # the council's own call-off: its prices are not the ICB's to read or decide
    problem(icb.get(f"{granted}/packages/{own.pk}/price-checks/"), 403)
    problem(icb.post(f"{granted}/price-checks/{own_check.pk}/request-explanation/", {"request": "Explain."},
                     format="json"), 403)
