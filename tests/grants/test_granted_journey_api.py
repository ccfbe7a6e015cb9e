"""The whole call-off under a grant through the REST API, as an outside
replay would make it: the council grants NHS North ICB call-off and
co-funding rights on its FPS; the ICB's broker records the person, creates
and publishes a package in the ICB's name; providers bid through the
provider API; bids stay sealed to the ICB as to the council until the
deadline; the ICB evaluates and awards, confirms go-live and sets the
shares (ICB 40% under its own purchasing agreement, council 60%); both see
the placement and the recharge; a third authority sees nothing, and the ICB
nothing of the council's own packages."""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from tenants.calloffs import services
from tenants.calloffs.models import SealedAccess
from tenants.placements.models import Placement
from tests import support
from tests.api_support import client_for, ok, problem
from tests.calloffs import support as stage2
from tests.grants import support as gs
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
ALPHA = "/a/alpha/api/v1"
NHS = "/a/nhs-north/api/v1"
GRANTED = f"{ALPHA}/grants/call-offs"


def at(day: date, hour=10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def package_body(market, person_id, **overrides) -> dict:
    deadline = timezone.localtime(timezone.now() + timedelta(days=14)).replace(hour=17, minute=0, second=0,
                                                                              microsecond=0)
    return {"agreement": market.agreement.pk, "lot": market.lot.pk, "people": [person_id],
            "title": "Day opportunities for a person leaving hospital",
            "outcomes": "Build confidence to travel independently.",
            "support_needed": "Two days a week of building-based day opportunities.", "sessions_per_week": 2,
            "start_on": (timezone.localdate() + timedelta(days=30)).isoformat(), "locality": "Crewe",
            "postcode_district": "CW1", "budget_weekly": "450.00",
            "clarification_deadline": (deadline - timedelta(days=3)).replace(tzinfo=None).isoformat(),
            "bid_deadline": deadline.replace(tzinfo=None).isoformat()} | overrides


@pytest.fixture
def journey(region):
    market = stage2.live_market(region.alpha, providers=2, names=["Brightday", "Riverside"])
    council = client_for(market.setup.commissioner)
    ok(council.post(f"{ALPHA}/grants/", {
        "agreement": market.agreement.pk, "grantee": "nhs-north", "may_call_off": True, "may_co_fund": True,
        "starts_on": date.today().isoformat(), "purchasing_agreement": "NHS-N-IPA-2026-014",
        "reason": "Health and wellbeing board 14/2026"}, format="json"), 201)
    return market


def test_an_icb_calls_off_evaluates_awards_and_co_funds_40_percent_entirely_through_the_api(
        region, journey, time_machine):
    market = journey
    icb_broker = support.make_staff(region.nhs, AuthorityRole.BROKER, full_name="Ife ICB Broker")
    icb = client_for(icb_broker)
    council = client_for(market.setup.commissioner)
    council_broker = client_for(market.broker)
    beta = client_for(support.make_staff(region.beta, "broker", "commissioner", "finance_viewer"))

    # the council's own package, which the ICB must never reach
    own = stage2.package(market)

    # the ICB records the person and calls off in its own name
    person = ok(icb.post(f"{GRANTED}/people/", {"first_name": "Ann", "last_name": "Lee",
                                                "nhs_number": "943 476 5919"}, format="json"), 201)
    made = ok(icb.post(f"{GRANTED}/packages/", package_body(market, person["id"]), format="json"), 201)
    package_id = made["id"]
    detail = ok(icb.patch(f"{GRANTED}/packages/{package_id}/", {"pattern": "Tuesdays and Thursdays"},
                          format="json"))
    assert detail["called_off_by"]["slug"] == "nhs-north" and detail["status"] == "draft"
    assert ok(icb.post(f"{GRANTED}/packages/{package_id}/publish/"))["status"] == "published"
    assert [p["id"] for p in ok(icb.get(f"{GRANTED}/packages/"))["results"]] == [package_id]

    # providers bid through the provider API
    for provider, price in zip(market.providers, ("420.00", "435.00"), strict=True):
        writer = client_for(catalogue.admin_of(provider))
        ok(writer.post(f"{ALPHA}/provider/calloffs/{package_id}/bid/submit/", stage2.bid_content(price),
                       format="json", HTTP_IDEMPOTENCY_KEY=f"bid-{provider.pk}"), 201)

    # before the deadline, bids are sealed to the ICB exactly as to the council; attempts are recorded
    sealed = problem(icb.get(f"{GRANTED}/packages/{package_id}/bids/"), 403)
    assert "420.00" not in str(sealed)
    problem(council_broker.get(f"{ALPHA}/calloffs/packages/{package_id}/bids/"), 403)
    with schema_context(region.alpha.schema_name):
        assert SealedAccess.objects.filter(bid__package_id=package_id, user=icb_broker, allowed=False).count() == 2
    assert ok(icb.get(f"{GRANTED}/packages/{package_id}/clarifications/")) == []

    # the deadline passes; the package closes as the scheduled task would
    time_machine.move_to(datetime.fromisoformat(made["bid_deadline"]) + timedelta(minutes=1), tick=False)
    with schema_context(region.alpha.schema_name):
        services.packages_close_due()

    bids = ok(icb.get(f"{GRANTED}/packages/{package_id}/bids/"))
    assert sorted(b["weekly_price"] for b in bids) == ["420.00", "435.00"]
    for bid in bids:
        ok(icb.post(f"{GRANTED}/packages/{package_id}/bids/{bid['id']}/evaluation/",
                    {"compliant": True, "quality": 70, "outcomes": 70, "social_value": 60}, format="json"))
    candidates = ok(icb.get(f"{GRANTED}/packages/{package_id}/candidates/"))
    assert len(candidates) == 2
    chosen = next(b for b in bids if b["weekly_price"] == "420.00")
    award = ok(icb.post(f"{GRANTED}/packages/{package_id}/award/", {
        "bid": chosen["id"], "expressed_by": "Ann and her daughter",
        "preference_notes": "Close to home."}, format="json"), 201)
    with schema_context(region.alpha.schema_name):
        placement = Placement.objects.get(package_id=package_id)
        assert AuditEvent.objects.filter(action="package.awarded", actor=icb_broker).exists()
    assert (award["bid"], award["basis"], award["placement"]) == (chosen["id"], "preference", placement.pk)

    # the ICB cannot reach the council's own package through its grant: 404, whatever it tries
    for response in (icb.get(f"{GRANTED}/packages/{own.pk}/"),
                     icb.get(f"{GRANTED}/packages/{own.pk}/bids/"),
                     icb.post(f"{GRANTED}/packages/{own.pk}/no-award/", {"next_step": "republish",
                                                                        "reason": "x"}, format="json"),
                     icb.post(f"{GRANTED}/packages/{own.pk}/withdraw/", {"reason": "needs_changed"},
                              format="json")):
        problem(response, 404)
    problem(icb.get(f"{ALPHA}/calloffs/packages/{own.pk}/"), 403)  # the council's staff pages stay closed

    # go-live on the start date, then the shares: ICB 40% under its own agreement, council 60%
    time_machine.move_to(at(placement.start_on), tick=False)
    live = ok(icb.post(f"{GRANTED}/placements/{placement.pk}/go-live/", {}, format="json"))
    assert live["status"] == "live" and live["payer"]["slug"] == "nhs-north"
    funders = ok(icb.put(f"{GRANTED}/placements/{placement.pk}/funders/", {"shares": [
        {"authority": "nhs-north", "share": "40", "purchasing_agreement": "NHS-N-IPA-2026-014"},
        {"authority": "alpha", "share": "60", "purchasing_agreement": "CEC-IPA-7"}]}, format="json"))
    assert [(f["authority"]["slug"], f["share"], f["purchasing_agreement"]) for f in funders["funders"]] == [
        ("alpha", "60.00", "CEC-IPA-7"), ("nhs-north", "40.00", "NHS-N-IPA-2026-014")]

    # each sees the placement, with who pays the provider
    seen = ok(council.get(f"{ALPHA}/placements/{placement.pk}/"))
    assert seen["payer"]["slug"] == "nhs-north" and {f["authority"]["slug"] for f in seen["funders"]} == {
        "alpha", "nhs-north"}
    assert ok(icb.get(f"{GRANTED}/placements/{placement.pk}/"))["payer"]["slug"] == "nhs-north"
    joint = ok(icb.get(f"{NHS}/grants/joint-placements/"))["results"]
    assert [(p["owner"]["slug"], p["placement"]) for p in joint] == [("alpha", placement.pk)]
    assert "Lee" not in str(joint)

    # the recharge for the month it started: the ICB pays the provider, the council owes it 60%
    month = placement.start_on.replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    days = (following - placement.start_on).days
    query = f"{ALPHA}/grants/recharges/?period=monthly&starts_on={month.isoformat()}"
    for reader in (client_for(support.make_staff(region.nhs, "finance_viewer")),
                   client_for(support.make_staff(region.alpha, "finance_viewer"))):
        [line] = ok(reader.get(query))["lines"]
        assert (line["payer"]["slug"], line["funder"]["slug"], line["days"]) == ("nhs-north", "alpha", days)
        assert line["purchasing_agreement"] == "CEC-IPA-7"
        expected = (Decimal("420") * days / 7 * Decimal("0.6")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert line["owed"] == str(expected)

    # a third authority: refused at the council's address, and nothing of it in its own
    for response in (beta.get(f"{GRANTED}/packages/{package_id}/"),
                     beta.get(f"{GRANTED}/packages/{package_id}/bids/"),
                     beta.post(f"{GRANTED}/placements/{placement.pk}/go-live/", {}, format="json"),
                     beta.get(f"{GRANTED}/placements/{placement.pk}/"),
                     beta.get(f"{ALPHA}/placements/{placement.pk}/")):
        problem(response, 403)
    problem(beta.get(f"/a/beta/api/v1/placements/{placement.pk}/"), 404)
    assert ok(beta.get("/a/beta/api/v1/grants/joint-placements/"))["results"] == []


def test_the_council_can_change_who_pays_and_the_recharge_follows(region, journey, time_machine):
    market = journey
    g = gs.Granted(market, None, region.nhs, support.make_staff(region.nhs, "broker"))
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    time_machine.move_to(at(placement.start_on), tick=False)
    broker = client_for(market.broker)
    ok(broker.post(f"{ALPHA}/placements/{placement.pk}/go-live/", {}, format="json"))
    url = f"{ALPHA}/placements/{placement.pk}/funders/"
    shares = [{"authority": "nhs-north", "share": "40"}, {"authority": "alpha", "share": "60"}]
    refused = problem(broker.put(url, {"shares": shares, "payer": "beta"}, format="json"), 400)
    assert "neither called off nor funds" in refused["errors"]["payer"][0]
    body = ok(broker.put(url, {"shares": shares, "payer": "alpha", "reason": "The council pays the provider"},
                         format="json"))
    assert body["payer"] == {"slug": "alpha", "name": "Alpha Council"}
    month = placement.start_on.replace(day=1)
    lines = ok(client_for(market.setup.commissioner).get(
        f"{ALPHA}/grants/recharges/?period=monthly&starts_on={month.isoformat()}"))["lines"]
    assert [(x["payer"]["slug"], x["funder"]["slug"], x["share"]) for x in lines] == [
        ("alpha", "nhs-north", "40.00")]


def test_a_revoked_grant_refuses_a_new_call_off_but_what_was_called_off_runs_on(region, journey, time_machine):
    market = journey
    icb = client_for(support.make_staff(region.nhs, "broker"))
    council = client_for(market.setup.commissioner)
    person = ok(icb.post(f"{GRANTED}/people/", {"first_name": "Ann", "last_name": "Lee"}, format="json"), 201)
    draft = ok(icb.post(f"{GRANTED}/packages/", package_body(market, person["id"]), format="json"), 201)
    published = ok(icb.post(f"{GRANTED}/packages/", package_body(market, person["id"]), format="json"), 201)
    ok(icb.post(f"{GRANTED}/packages/{published['id']}/publish/"))
    grant_id = ok(council.get(f"{ALPHA}/grants/"))["results"][0]["id"]
    ok(council.post(f"{ALPHA}/grants/{grant_id}/revoke/", {"reason": "A pooled budget instead"}, format="json"))

    # no new call-off: neither a new package nor publishing the draft, and the reason names the grant
    for response in (icb.post(f"{GRANTED}/packages/", package_body(market, person["id"]), format="json"),
                     icb.post(f"{GRANTED}/packages/{draft['id']}/publish/")):
        refused = str(problem(response, 409))
        assert "NHS North ICB cannot call off under" in refused and "its grant was revoked" in refused
        assert market.agreement.reference in refused

    # ...but the call-off made goes on: withdrawn with a reason, and the draft cancelled
    ok(icb.post(f"{GRANTED}/packages/{draft['id']}/cancel/", {"reason": "needs_changed"}, format="json"))
    withdrawn = ok(icb.post(f"{GRANTED}/packages/{published['id']}/withdraw/",
                            {"reason": "needs_changed"}, format="json"))
    assert withdrawn["status"] == "withdrawn"
    assert {p["status"] for p in ok(icb.get(f"{GRANTED}/packages/"))["results"]} == {"cancelled", "withdrawn"}


def test_the_granted_body_s_finance_viewer_reads_but_cannot_act(region, journey):
    market = journey
    g = gs.Granted(market, None, region.nhs, support.make_staff(region.nhs, "broker"))
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    finance = client_for(support.make_staff(region.nhs, "finance_viewer"))
    assert ok(finance.get(f"{GRANTED}/placements/{placement.pk}/"))["id"] == placement.pk
    problem(finance.put(f"{GRANTED}/placements/{placement.pk}/funders/",
                        {"shares": [{"authority": "nhs-north", "share": "100"}]}, format="json"), 403)
    problem(finance.post(f"{GRANTED}/packages/{placement.package_id}/no-award/",
                         {"next_step": "republish", "reason": "x"}, format="json"), 403)


def test_a_grant_can_be_limited_to_lots_and_a_call_off_from_another_lot_is_refused_naming_the_grant(region):
    from shared_catalogue.models import ServiceType
    from tenants.agreements import services as agreements

    market = stage2.live_market(region.alpha, providers=1, names=["Brightday"])
    lead = market.setup.commissioner
    with schema_context("alpha"):
        lot2 = agreements.lot_add(actor=lead, agreement=market.agreement, number="2", title="Community Support",
                                  service_type=ServiceType.objects.get(code="community-support"),
                                  reason="Community support added by the cabinet decision of May")
    other = stage2.live_market(region.alpha, providers=0)
    council = client_for(lead)
    body = {"agreement": market.agreement.pk, "grantee": "nhs-north", "may_call_off": True,
            "starts_on": date.today().isoformat(), "purchasing_agreement": "NHS-N-IPA-2026-014",
            "reason": "Health and wellbeing board 14/2026"}
    wrong = problem(council.post(f"{ALPHA}/grants/", body | {"lots": [other.lot.pk]}, format="json"), 400)
    assert f"No such lot of {market.agreement.reference}" in wrong["errors"]["lots"][0]
    grant = ok(council.post(f"{ALPHA}/grants/", body | {"lots": [lot2.pk]}, format="json"), 201)
    assert grant["lots"] == [lot2.pk]
    browser = Client()  # the agreement's page shows the lots granted
    browser.force_login(lead)
    assert "From lot 2" in browser.get(f"/a/alpha/staff/agreements/{market.agreement.pk}/").content.decode()

    icb = client_for(support.make_staff(region.nhs, "broker"))
    person = ok(icb.post(f"{GRANTED}/people/", {"first_name": "Ann", "last_name": "Lee"}, format="json"), 201)
    refused = problem(icb.post(f"{GRANTED}/packages/", package_body(market, person["id"]), format="json"), 409)
    assert ("NHS North ICB cannot call off from lot 1 of " f"{market.agreement.reference}: its grant covers lot 2 "
            "only.") in str(refused)
    made = ok(icb.post(f"{GRANTED}/packages/", package_body(market, person["id"], lot=lot2.pk), format="json"), 201)
    assert made["lot"]["number"] == "2"
