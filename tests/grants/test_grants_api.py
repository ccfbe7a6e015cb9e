"""The Done-when case through the API: the council's commissioner grants NHS
North ICB call-off and co-funding rights on its FPS; the ICB's broker calls
off in its own name at the council's address; the council sets the shares
60/40; both see the placement (the ICB in the council's authority and in its
own); an authority without a grant is refused and sees nothing; recharges."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.calloffs import services
from tenants.calloffs.models import Bid, Package
from tests import support
from tests.api_support import client_for, ok, problem
from tests.calloffs import support as stage2

pytestmark = pytest.mark.django_db
ALPHA = "/a/alpha/api/v1"
NHS = "/a/nhs-north/api/v1"


def package_body(market, people, **overrides) -> dict:
    deadline = timezone.localtime(timezone.now() + timedelta(days=14)).replace(hour=17, minute=0, second=0,
                                                                              microsecond=0)
    return {"agreement": market.agreement.pk, "lot": market.lot.pk, "people": people,
            "title": "Day opportunities for a person leaving hospital",
            "outcomes": "Build confidence to travel independently.",
            "support_needed": "Two days a week of building-based day opportunities.", "sessions_per_week": 2,
            "start_on": (timezone.localdate() + timedelta(days=30)).isoformat(), "locality": "Crewe",
            "postcode_district": "CW1", "budget_weekly": "450.00",
            "clarification_deadline": (deadline - timedelta(days=3)).replace(tzinfo=None).isoformat(),
            "bid_deadline": deadline.replace(tzinfo=None).isoformat()} | overrides


def test_an_icb_calls_off_under_the_council_fps_co_funds_40_and_each_sees_the_placement(region):
    market = stage2.live_market(region.alpha, providers=1, names=["Brightday"])
    council = client_for(market.setup.commissioner)
    icb_broker = support.make_staff(region.nhs, "broker")
    icb = client_for(icb_broker)
    beta = client_for(support.make_staff(region.beta, "broker", "commissioner", "finance_viewer"))
    grant_body = {"agreement": market.agreement.pk, "grantee": "nhs-north", "may_call_off": True,
                  "may_co_fund": True, "starts_on": date.today().isoformat(),
                  "purchasing_agreement": "NHS-N-IPA-2026-014", "reason": "Health and wellbeing board 14/2026"}

    # before the grant, the ICB's staff have no way in; a broker cannot grant; unknown fields are refused
    problem(icb.post(f"{ALPHA}/grants/call-offs/people/", {"first_name": "Ann", "last_name": "Lee"}), 403)
    problem(client_for(market.broker).post(f"{ALPHA}/grants/", grant_body, format="json"), 403)
    assert "granted_by" in problem(council.post(f"{ALPHA}/grants/", grant_body | {"granted_by": 1},
                                                format="json"), 400)["errors"]
    grant = ok(council.post(f"{ALPHA}/grants/", grant_body, format="json"), 201)
    assert grant["grantee"] == {"slug": "nhs-north", "name": "NHS North ICB"} and grant["may_co_fund"]
    assert ok(icb.get(f"{NHS}/grants/held/"))["results"][0]["agreement_reference"] == market.agreement.reference

    # the ICB's broker calls off in its own name, at the council's address
    person = ok(icb.post(f"{ALPHA}/grants/call-offs/people/", {"first_name": "Ann", "last_name": "Lee",
                                                               "nhs_number": "943 476 5919"}, format="json"), 201)
    made = ok(icb.post(f"{ALPHA}/grants/call-offs/packages/", package_body(market, [person["id"]]),
                       format="json"), 201)
    assert made["status"] == "draft"
    published = ok(icb.post(f"{ALPHA}/grants/call-offs/packages/{made['id']}/publish/"))
    assert published["status"] == "published"
    package = Package.objects.none()
    with schema_context(region.alpha.schema_name):
        package = Package.objects.get(pk=made["id"])
        assert package.called_off_by == region.nhs and package.published_by == icb_broker
    # ...but it is no member of the council's staff: the council's own lists stay closed to it
    problem(icb.get(f"{ALPHA}/placements/"), 403)
    problem(icb.get(f"{ALPHA}/calloffs/packages/"), 403)

    stage2.submit(market, package, market.providers[0])
    with schema_context(region.alpha.schema_name):
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
        bid = Bid.objects.get(package=package)
        services.bid_evaluate(actor=icb_broker, bid=bid, compliant=True, quality=70, outcomes=70, social_value=70)
        placement = services.award(actor=icb_broker, package=package, bid=bid).package.placement

    # the council's broker sets the shares: council 60%, ICB 40%; they must total 100
    funders_url = f"{ALPHA}/placements/{placement.pk}/funders/"
    broker = client_for(market.broker)
    refused = problem(broker.put(funders_url, {"shares": [{"authority": "alpha", "share": "60"},
                                                          {"authority": "nhs-north", "share": "30"}]},
                                 format="json"), 400)
    assert "they total 90.00%" in refused["errors"]["shares"][0]
    refused = problem(broker.put(funders_url, {"shares": [{"authority": "alpha", "share": "60"},
                                                          {"authority": "beta", "share": "40"}]},
                                 format="json"), 400)
    assert "Beta Council cannot co-fund placements" in refused["errors"]["shares"][0]
    assert "holds no grant" in refused["errors"]["shares"][0]
    shares = ok(broker.put(funders_url, {"shares": [
        {"authority": "alpha", "share": "60", "purchasing_agreement": "CEC-IPA-7"},
        {"authority": "nhs-north", "share": "40"}]}, format="json"))["funders"]
    assert [(f["authority"]["slug"], f["share"], f["purchasing_agreement"]) for f in shares] == [
        ("alpha", "60.00", "CEC-IPA-7"), ("nhs-north", "40.00", "NHS-N-IPA-2026-014")]

    # each sees the placement: the council among its own, the ICB at the council's address and in its own
    assert ok(council.get(f"{ALPHA}/placements/{placement.pk}/"))["id"] == placement.pk
    assert [p["id"] for p in ok(council.get(f"{ALPHA}/grants/call-offs/placements/"))["results"]] == [placement.pk]
    assert [p["id"] for p in ok(icb.get(f"{ALPHA}/grants/call-offs/placements/"))["results"]] == [placement.pk]
    assert [p["id"] for p in ok(icb.get(f"{ALPHA}/grants/call-offs/packages/"))["results"]] == [package.pk]
    own = ok(icb.get(f"{NHS}/grants/joint-placements/"))["results"]
    assert [(p["owner"]["slug"], p["placement"], p["called_off_by"]["slug"]) for p in own] == [
        ("alpha", placement.pk, "nhs-north")]
    assert {f["authority"]: f["share"] for f in own[0]["funders"]} == {"alpha": "60.00", "nhs-north": "40.00"}
    assert "Lee" not in str(own) and "9434765919" not in str(own)

    # an authority without a grant is refused at the council's address and sees nothing in its own
    problem(beta.get(f"{ALPHA}/grants/call-offs/placements/"), 403)
    problem(beta.post(f"{ALPHA}/grants/call-offs/packages/", package_body(market, [person["id"]]),
                      format="json"), 403)
    problem(beta.get(f"{ALPHA}/grants/recharges/?period=monthly&starts_on=2026-03-01"), 403)
    assert ok(beta.get("/a/beta/api/v1/grants/joint-placements/"))["results"] == []
    assert ok(beta.get("/a/beta/api/v1/grants/held/"))["results"] == []

    # recharges: the ICB called off and pays the provider; the council owes it 60%
    with schema_context(region.alpha.schema_name):
        placement.status, placement.start_on = "live", date(2026, 3, 11)
        placement.went_live_at = timezone.now()  # as going live sets it: the cost lines count from then on
        placement.save()
    finance = client_for(support.make_staff(region.nhs, "finance_viewer"))
    body = ok(finance.get(f"{ALPHA}/grants/recharges/?period=monthly&starts_on=2026-03-01"))
    [line] = body["lines"]
    assert (line["payer"]["slug"], line["funder"]["slug"], line["days"]) == ("nhs-north", "alpha", 21)
    assert line["cost"] == "1260.00" and line["owed"] == "756.00"  # £420 a week × 21/7 × 60%
    assert body["totals"] == [{"funder": {"slug": "alpha", "name": "Alpha Council"},
                               "payer": {"slug": "nhs-north", "name": "NHS North ICB"}, "owed": "756.00"}]
    assert "period" in problem(finance.get(f"{ALPHA}/grants/recharges/?period=weekly&starts_on=2026-03-01"),
                               400)["errors"]
    assert "starts_on" in problem(finance.get(f"{ALPHA}/grants/recharges/?period=monthly&starts_on=2026-03-02"),
                                  400)["errors"]


def test_revoking_through_the_api_stops_new_call_offs_and_keeps_the_placement_visible(region):
    from tests.grants import support as gs

    g = gs.granted(region)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    icb = client_for(g.icb_broker)
    council = client_for(g.market.setup.commissioner)
    assert "reason" in problem(council.post(f"{ALPHA}/grants/{g.grant.pk}/revoke/", {"reason": ""},
                                            format="json"), 400)["errors"]
    revoked = ok(council.post(f"{ALPHA}/grants/{g.grant.pk}/revoke/", {"reason": "Pooled budget instead"},
                              format="json"))
    assert revoked["revoked_at"] is not None
    problem(council.post(f"{ALPHA}/grants/{g.grant.pk}/revoke/", {"reason": "again"}, format="json"), 409)
    with schema_context(region.alpha.schema_name):
        person_id = placement.package.people.get().pk
    refused = problem(icb.post(f"{ALPHA}/grants/call-offs/packages/", package_body(g.market, [person_id]),
                               format="json"), 409)
    assert "its grant was revoked" in str(refused)
    assert [p["id"] for p in ok(icb.get(f"{ALPHA}/grants/call-offs/placements/"))["results"]] == [placement.pk]
    assert ok(icb.get(f"{NHS}/grants/held/"))["results"][0]["revoked_at"] is not None
