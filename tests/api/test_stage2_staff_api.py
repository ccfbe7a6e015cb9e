"""The staff side of stage 2 through the API: a broker records the person,
creates and publishes a package and reads the frozen invitations; an
identifier is a 400 on its field; bids are sealed (403, logged on channel
api) until the deadline; only commissioners move it; evaluation, award by
preference, joint funding, uplifts; the utilisation report as JSON and CSV;
roles, bad input (never a 500), list query counts and the schema."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import resolve, reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenancy.routing import urlconf_for
from tenants.calloffs.models import IdentityAccess, Package, SealedAccess
from tests import support
from tests.api_support import client_for, problem
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Brightday", "Meadow Farm"])


def package_body(market, people, **overrides) -> dict:
    deadline = timezone.localtime(timezone.now() + timedelta(days=14)).replace(hour=17, minute=0, second=0,
                                                                              microsecond=0)
    return {"agreement": market.agreement.pk, "lot": market.lot.pk, "people": people,
            "title": "Day opportunities, two days a week",
            "outcomes": "Build confidence to travel independently.",
            "support_needed": "Two days a week of building-based day opportunities.", "sessions_per_week": 2,
            "start_on": (timezone.localdate() + timedelta(days=30)).isoformat(), "locality": "Crewe",
            "postcode_district": "CW1", "budget_weekly": "450.00",
            "clarification_deadline": (deadline - timedelta(days=3)).replace(tzinfo=None).isoformat(),
            "bid_deadline": deadline.replace(tzinfo=None).isoformat()} | overrides


def test_a_broker_creates_publishes_and_reads_the_invitations(market):
    api = client_for(market.broker)
    person = api.post(f"{API}/calloffs/people/", {"first_name": "Margaret", "last_name": "Okoro",
                                                   "nhs_number": "943 476 5919"}, format="json")
    assert person.status_code == 201 and set(person.json()) == {"id", "created_at"}   # nothing identifying back
    created = api.post(f"{API}/calloffs/packages/", package_body(market, [person.json()["id"]]), format="json")
    assert created.status_code == 201, created.json()
    package = created.json()
    assert package["status"] == "draft" and package["invited"] is None and package["bids_received"] is None
    assert package["people"] == [person.json()["id"]] and "Okoro" not in created.content.decode()
    # a time without an offset is UK local time
    deadline = timezone.localtime(datetime.fromisoformat(package["bid_deadline"]))
    assert (deadline.hour, deadline.minute) == (17, 0)

    changed = api.patch(f"{API}/calloffs/packages/{package['id']}/", {"title": "Day opportunities, three days"},
                        format="json")
    assert changed.status_code == 200 and changed.json()["title"] == "Day opportunities, three days"
    eligibility = api.get(f"{API}/calloffs/packages/{package['id']}/eligibility/").json()
    assert [(row["provider"]["name"], row["eligible"]) for row in eligibility] == [("Brightday", True),
                                                                                  ("Meadow Farm", True)]
    published = api.post(f"{API}/calloffs/packages/{package['id']}/publish/")
    assert published.status_code == 200, published.json()
    detail = published.json()
    assert detail["status"] == "published" and detail["invited"] == 2 and detail["bids_received"] is None
    assert sorted(i["provider"]["name"] for i in detail["invitations"]) == ["Brightday", "Meadow Farm"]
    assert detail["not_invited"] == []
    # a published package no longer changes, and cannot be published twice
    problem(api.patch(f"{API}/calloffs/packages/{package['id']}/", {"title": "x"}, format="json"), 409)
    problem(api.post(f"{API}/calloffs/packages/{package['id']}/publish/"), 409)
    listed = api.get(f"{API}/calloffs/packages/?status=published").json()["results"]
    assert [row["id"] for row in listed] == [package["id"]]


@pytest.mark.parametrize("field, text, found", [
    ("outcomes", "Ring her daughter on 07700 900123", "07700 900123"),
    ("title", "Day service for Mrs Okoro", "Okoro"),
    ("other_requirements", "Contact sam.reid@cheshireeast.gov.uk", "sam.reid@cheshireeast.gov.uk"),
])
def test_an_identifier_in_a_provider_facing_field_is_a_400_on_that_field(market, field, text, found):
    person = stage2.person(market)
    body = problem(client_for(market.broker).post(f"{API}/calloffs/packages/",
                                                  package_body(market, [person.pk], **{field: text}),
                                                  format="json"), 400)
    assert found in body["errors"][field][0] and "Remove what could identify the person" in body["errors"][field][0]
    with schema_context("alpha"):
        assert not Package.objects.filter(agreement=market.agreement).exists()


def test_bad_package_input_is_a_400_with_the_fields(market):
    api = client_for(market.broker)
    body = problem(api.post(f"{API}/calloffs/packages/", {"people": [], "budget_weekly": "lots",
                                                         "bid_deadline": "tomorrow"}, format="json"), 400)
    assert {"people", "budget_weekly", "bid_deadline", "title", "agreement"} <= set(body["errors"])
    person = stage2.person(market)
    body = problem(api.post(f"{API}/calloffs/packages/", package_body(
        market, [person.pk, 999999], weight_quality="50", lot=999999), format="json"), 400)
    assert body["errors"]["people"] == ["No such person here: 999999."] and "lot" in body["errors"]
    body = problem(api.post(f"{API}/calloffs/packages/", package_body(market, [person.pk], weight_quality="50"),
                            format="json"), 400)
    assert "must add up to 100" in body["errors"]["weight_quality"][0]


def test_bids_are_sealed_in_the_api_until_the_deadline_and_each_attempt_is_logged(market):
    package = stage2.package(market)
    stage2.submit(market, package, market.providers[0], price="431.25")
    bid = ss.bids_by_name(market, package)["Brightday"]
    api = client_for(market.setup.commissioner)
    for path in (f"calloffs/packages/{package.pk}/bids/", f"calloffs/packages/{package.pk}/bids/{bid.pk}/",
                 f"calloffs/packages/{package.pk}/bids/export/", f"calloffs/packages/{package.pk}/candidates/"):
        body = problem(api.get(f"{API}/{path}"), 403)
        assert body["detail"].startswith("Bids are sealed until the deadline") and "431.25" not in str(body)
    problem(api.post(f"{API}/calloffs/packages/{package.pk}/bids/{bid.pk}/evaluation/",
                     {"compliant": True, "quality": 50, "outcomes": 50, "social_value": 50}, format="json"), 403)
    assert problem(api.get(f"{API}/calloffs/packages/{package.pk}/bids/999999/"), 403)["detail"].startswith(
        "Bids are sealed")
    with schema_context("alpha"):
        channels = sorted(SealedAccess.objects.filter(bid=bid, allowed=False).values_list("channel", flat=True))
    assert channels == ["api", "api", "api", "api", "export"]   # list, bid, candidates, evaluation; the export
    detail = client_for(market.broker).get(f"{API}/calloffs/packages/{package.pk}/").json()
    assert detail["bids_received"] is None


def test_only_a_commissioner_moves_the_deadline(market):
    package = stage2.package(market)
    new = (package.bid_deadline + timedelta(days=3)).isoformat()
    body = problem(client_for(market.broker).post(f"{API}/calloffs/packages/{package.pk}/deadline/",
                                                  {"bid_deadline": new, "reason": "Holidays"}, format="json"), 403)
    assert "Only commissioners" in body["detail"]
    api = client_for(market.setup.commissioner)
    body = problem(api.post(f"{API}/calloffs/packages/{package.pk}/deadline/", {"bid_deadline": new, "reason": ""},
                            format="json"), 400)
    assert "reason" in body["errors"]
    moved = api.post(f"{API}/calloffs/packages/{package.pk}/deadline/",
                     {"bid_deadline": new, "reason": "A clarification changed the hours"}, format="json")
    assert moved.status_code == 200
    assert moved.json()["deadline_changes"][0]["reason"] == "A clarification changed the hours"


def test_identity_needs_a_purpose_and_the_right_role_and_is_logged(market):
    package = stage2.package(market)
    with schema_context("alpha"):
        person = package.people.get()
    url = f"{API}/calloffs/people/{person.pk}/identity/"
    api = client_for(market.broker)
    assert "purpose" in problem(api.get(url), 400)["errors"]
    shown = api.get(url, {"purpose": "Arranging the first review", "package": package.pk})
    assert shown.status_code == 200 and shown.json()["last_name"] == "Okoro"
    assert "no-store" in shown["Cache-Control"]
    problem(api.get(url, {"purpose": "x", "package": 999999}), 400)
    for role in (AuthorityRole.EVALUATOR, AuthorityRole.FINANCE_VIEWER):
        problem(client_for(support.make_staff(market.authority, role)).get(url, {"purpose": "curious"}), 403)
    with schema_context("alpha"):
        assert list(IdentityAccess.objects.values_list("purpose", "package_id")) == [
            ("Arranging the first review", package.pk)]


def test_evaluation_and_award_by_preference_through_the_api(market):
    package = ss.closed_with_bids(market, ["430.00", "445.00"])
    bids = ss.bids_by_name(market, package)
    evaluator = client_for(support.make_staff(market.authority, AuthorityRole.EVALUATOR))
    listed = evaluator.get(f"{API}/calloffs/packages/{package.pk}/bids/").json()
    assert [(b["provider"]["name"], b["content"]["weekly_price"]) for b in listed] == [
        ("Brightday", "430.00"), ("Meadow Farm", "445.00")]
    body = problem(evaluator.post(f"{API}/calloffs/packages/{package.pk}/bids/{bids['Brightday'].pk}/evaluation/",
                                  {"compliant": True, "quality": 140, "outcomes": "x", "social_value": 50},
                                  format="json"), 400)
    assert {"quality", "outcomes"} <= set(body["errors"])
    for name, quality in (("Brightday", 80), ("Meadow Farm", 70)):
        scored = evaluator.post(f"{API}/calloffs/packages/{package.pk}/bids/{bids[name].pk}/evaluation/",
                                {"compliant": True, "quality": str(quality), "outcomes": "75", "social_value": "50"},
                                format="json")
        assert scored.status_code == 200, scored.json()
    assert scored.json()["price"] == "96.63"     # 430 / 445, the lowest compliant price scoring 100
    problem(evaluator.post(f"{API}/calloffs/packages/{package.pk}/award/", {"bid": bids["Brightday"].pk},
                           format="json"), 403)

    api = client_for(market.broker)
    negotiated = api.post(f"{API}/calloffs/packages/{package.pk}/bids/{bids['Meadow Farm'].pk}/negotiation/",
                          {"note": "Shared transport", "price_after": "440.00"}, format="json")
    assert negotiated.status_code == 201 and negotiated.json()["price_before"] == "445.00"
    candidates = api.get(f"{API}/calloffs/packages/{package.pk}/candidates/").json()
    assert [c["provider"]["name"] for c in candidates] == ["Brightday", "Meadow Farm"]
    body = problem(api.post(f"{API}/calloffs/packages/{package.pk}/award/", {"bid": bids["Meadow Farm"].pk},
                            format="json"), 400)
    assert "2 compliant bids fit the budget" in body["errors"]["expressed_by"][0]
    made = api.post(f"{API}/calloffs/packages/{package.pk}/award/",
                    {"bid": bids["Meadow Farm"].pk, "expressed_by": "Her mother",
                     "preference_notes": "She loves animals"}, format="json")
    assert made.status_code == 201, made.json()
    award = made.json()
    assert award["basis"] == "preference" and award["preference_expressed_by"] == "Her mother"
    assert award["weekly_price"] == "440.00" and award["provider"]["name"] == "Meadow Farm"
    problem(api.post(f"{API}/calloffs/packages/{package.pk}/no-award/", {"next_step": "republish",
                                                                       "reason": "x"}, format="json"), 409)
    export = api.get(f"{API}/calloffs/packages/{package.pk}/bids/export/")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert len(export.content.decode().splitlines()) == 3
    placement = client_for(market.broker).get(f"{API}/placements/{award['placement']}/").json()
    assert placement["weekly_cost"] == "440.00" and placement["status"] == "pending"


def test_joint_funding_go_live_variation_end_and_uplifts_through_the_api(region):
    market = stage2.live_market(region.partners, providers=1)
    placement_id = ss.awarded(market, called_off_by=region.alpha).package.placement.pk
    base = f"/a/{region.partners.slug}/api/v1/placements"
    api = client_for(market.broker)
    body = problem(api.put(f"{base}/{placement_id}/funders/", {"shares": [
        {"authority": "alpha", "share": "60"}, {"authority": "nhs-north", "share": "30"}]}, format="json"), 400)
    assert body["errors"]["shares"] == ["The shares must total 100%; they total 90.00%."]
    body = problem(api.put(f"{base}/{placement_id}/funders/", {"shares": [
        {"authority": "alpha", "share": "50"}, {"authority": "beta", "share": "50"}]}, format="json"), 400)
    assert "Beta Council cannot co-fund placements" in body["errors"]["shares"][0]
    set_ = api.put(f"{base}/{placement_id}/funders/", {"shares": [
        {"authority": "alpha", "share": "62.5"}, {"authority": "nhs-north", "share": "37.5"}]}, format="json")
    assert set_.status_code == 200
    assert [(f["authority"]["slug"], f["share"]) for f in set_.json()["funders"]] == [("alpha", "62.50"),
                                                                                       ("nhs-north", "37.50")]
    live = api.post(f"{base}/{placement_id}/go-live/", {"start_on": timezone.localdate().isoformat()},
                    format="json")
    assert live.status_code == 200 and live.json()["status"] == "live"
    problem(api.post(f"{base}/{placement_id}/go-live/", {}, format="json"), 409)

    commissioner = client_for(market.setup.commissioner)
    problem(api.post(f"{base}/rate-schedules/", {"agreement": market.agreement.pk,
                                                 "effective_from": timezone.localdate().isoformat(),
                                                 "uplift_percent": "4.5"}, format="json"), 403)
    problem(commissioner.post(f"{base}/rate-schedules/", {"agreement": market.agreement.pk, "lot": 999999,
                                                          "effective_from": timezone.localdate().isoformat(),
                                                          "uplift_percent": "4.5"}, format="json"), 400)
    schedule = commissioner.post(f"{base}/rate-schedules/", {"agreement": market.agreement.pk,
                                                             "effective_from": timezone.localdate().isoformat(),
                                                             "uplift_percent": "4.5"}, format="json")
    assert schedule.status_code == 201, schedule.json()
    applied = api.post(f"{base}/rate-schedules/{schedule.json()['id']}/apply/")
    assert applied.json() == {"applied": 1, "placements": [placement_id]}
    assert api.post(f"{base}/rate-schedules/{schedule.json()['id']}/apply/").json()["applied"] == 0
    varied = api.post(f"{base}/{placement_id}/variations/", {"effective_on": timezone.localdate().isoformat(),
                                                             "weekly_cost": "400.00", "reason": "Fewer hours"},
                      format="json")
    assert varied.status_code == 201
    detail = varied.json()
    assert detail["weekly_cost"] == "400.00"
    assert [u["weekly_cost_after"] for u in detail["uplifts"]] == ["438.90"]
    assert [v["weekly_cost_before"] for v in detail["variations"]] == ["438.90"]
    assert "reason" in problem(api.post(f"{base}/{placement_id}/end/", {
        "ended_on": timezone.localdate().isoformat(), "reason": ""}, format="json"), 400)["errors"]
    ended = api.post(f"{base}/{placement_id}/end/", {"ended_on": timezone.localdate().isoformat(),
                                                     "reason": "Moved away"}, format="json")
    assert ended.json()["status"] == "ended"


def test_utilisation_as_json_and_csv(market):
    ss.closed_with_bids(market, ["430.00", "445.00"])
    stage2.package(market)
    api = client_for(support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER))
    [row] = [r for r in api.get(f"{API}/calloffs/utilisation/").json() if r["lot"]["id"] == market.lot.pk]
    assert (row["requests"], row["published"], row["bids"], row["awards"], row["live"]) == (2, 2, 2, 0, 0)
    assert row["lot"]["number"] == "1" and row["month"] == timezone.localdate().replace(day=1).isoformat()
    csv = api.get(f"{API}/calloffs/utilisation/?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0] == "Month,Agreement,Lot,Lot title,Sourcing requests,Published,Bids received,Awarded,Gone live"
    ours = [line for line in lines if f",{market.agreement.reference}," in line]
    assert ours == [f"{timezone.localdate():%Y-%m},{market.agreement.reference},1,Building Based Services,2,2,2,0,0"]
    accepted = api.get(f"{API}/calloffs/utilisation/", HTTP_ACCEPT="text/csv")
    assert accepted.content.decode().splitlines()[0] == lines[0]
    later = (timezone.localdate() + timedelta(days=40)).isoformat()
    assert not [r for r in api.get(f"{API}/calloffs/utilisation/", {"start": later}).json()
                if r["lot"]["id"] == market.lot.pk]
    assert "start" in problem(api.get(f"{API}/calloffs/utilisation/", {"start": "2026-13-45"}), 400)["errors"]
    assert "end" in problem(api.get(f"{API}/calloffs/utilisation/?format=csv&start=2026-05-01&end=2026-04-01"),
                            400)["errors"]
    problem(client_for(support.make_staff(market.authority, AuthorityRole.QUALITY_OFFICER)).get(
        f"{API}/calloffs/utilisation/"), 403)


def test_a_finance_viewer_reads_placements_but_does_not_source_or_manage(market):
    award = ss.awarded(market)
    api = client_for(support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER))
    assert [p["id"] for p in api.get(f"{API}/placements/").json()["results"]] == [award.package.placement.pk]
    assert api.get(f"{API}/placements/{award.package.placement.pk}/").status_code == 200
    person = stage2.person(market)
    problem(api.post(f"{API}/calloffs/packages/", package_body(market, [person.pk]), format="json"), 403)
    problem(api.post(f"{API}/calloffs/people/", {"first_name": "A", "last_name": "B"}, format="json"), 403)
    problem(api.post(f"{API}/placements/{award.package.placement.pk}/go-live/", {}, format="json"), 403)
    problem(client_for(support.make_staff(market.authority, AuthorityRole.QUALITY_OFFICER)).get(
        f"{API}/placements/"), 403)


def test_another_authoritys_staff_get_403_on_real_objects(market, region):
    award = ss.awarded(market)
    api = client_for(support.make_staff(region.beta, *support.ALL_STAFF_ROLES))
    for path in (f"calloffs/packages/{award.package_id}/", f"calloffs/packages/{award.package_id}/bids/",
                 f"placements/{award.package.placement.pk}/", "calloffs/utilisation/?format=csv"):
        problem(api.get(f"{API}/{path}"), 403)


def test_every_staff_endpoint_answers_bad_input_without_a_500(market):
    award = ss.awarded(market)
    draft = stage2.package(market, publish=False)
    with schema_context("alpha"):
        person_id = draft.people.get().pk
    real = {"package_id": draft.pk, "bid_id": award.bid_id, "person_id": person_id, "clarification_id": 999999,
            "placement_id": award.package.placement.pk, "schedule_id": 999999}
    junk = {"people": "x", "agreement": "x", "lot": [1], "budget_weekly": "NaN", "bid_deadline": "soon",
            "weight_quality": 1e99, "quality": None, "compliant": "perhaps", "bid": {"id": 1},
            "shares": [{"authority": "nowhere", "share": "Infinity"}], "share": "-1", "uplift_percent": "1e30",
            "next_step": "sideways", "weekly_cost": "1e30", "price_after": "-1", "effective_on": "2026-02-30",
            "start_on": "", "reason": 5, "answer": ["a"]}
    api = client_for(support.make_staff(market.authority, AuthorityRole.BROKER, AuthorityRole.COMMISSIONER))
    urlconf = urlconf_for("alpha")
    endpoints = [e for e in support.tenant_endpoints("alpha")
                 if e.name.startswith(("tenant-api:calloffs-", "tenant-api:placement"))]
    assert len(endpoints) >= 25
    for endpoint in endpoints:
        names = list(resolve(endpoint.path, urlconf=urlconf).kwargs)
        for sample in (real, dict.fromkeys(real, 999999)):
            path = reverse(endpoint.name, kwargs={n: sample[n] for n in names}, urlconf=urlconf)
            for method, body in (("get", None), ("post", {}), ("post", junk), ("put", junk), ("patch", junk),
                                 ("delete", None), ("post", "[1, 2]")):
                response = getattr(api, method)(path, body, format="json")
                assert response.status_code in (200, 201, 400, 403, 404, 405, 409), (
                    method, path, body, response.status_code, response.content[:500])
                if response.status_code >= 400:
                    assert response["Content-Type"] == "application/problem+json", (method, path)
            assert api.get(path, {"purpose": "\x00", "start": "x", "status": "zzz", "page": "-1",
                                  "package": "x"}).status_code < 500


# SET search_path, the person's access (staff roles, provider roles, MFA: three
# queries), then the count, the page of packages with their agreement, lot and
# authority, and the people's ids.
PACKAGES_QUERIES = 7
# ... or the count, the placements with package, lot and provider, and their
# funders with the authorities.
PLACEMENTS_QUERIES = 7


def test_list_query_counts_do_not_grow_with_rows(market, django_assert_num_queries):
    api = client_for(market.setup.commissioner)

    def listed(path) -> int:
        return api.get(f"{API}/{path}?page_size=200").json()["count"]

    packages, placements = listed("calloffs/packages/"), listed("placements/")
    ss.awarded(market)
    stage2.package(market)
    with django_assert_num_queries(PACKAGES_QUERIES):
        assert listed("calloffs/packages/") == packages + 2
    with django_assert_num_queries(PLACEMENTS_QUERIES):
        assert listed("placements/") == placements + 1
    for _ in range(2):
        ss.awarded(market)
        stage2.package(market, publish=False)
    with django_assert_num_queries(PACKAGES_QUERIES):
        assert listed("calloffs/packages/") == packages + 6
    with django_assert_num_queries(PLACEMENTS_QUERIES):
        assert listed("placements/") == placements + 3


def test_the_staff_endpoints_are_documented_without_schema_warnings(client, tmp_path):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    for path in ("calloffs/packages/", "calloffs/packages/{package_id}/", "calloffs/packages/{package_id}/publish/",
                 "calloffs/packages/{package_id}/eligibility/", "calloffs/people/{person_id}/identity/",
                 "calloffs/packages/{package_id}/bids/{bid_id}/evaluation/", "calloffs/utilisation/",
                 "placements/", "placements/{placement_id}/funders/", "placements/rate-schedules/{schedule_id}/apply/"):
        assert f"/a/{{authority}}/api/v1/{path}" in paths, path
    assert set(paths["/a/{authority}/api/v1/calloffs/packages/{package_id}/"]) >= {"get", "patch"}
    assert "put" in paths["/a/{authority}/api/v1/placements/{placement_id}/funders/"]
    # every view is described well enough that drf-spectacular has nothing to warn about
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", "api.urls_openapi",
                 "--file", str(tmp_path / "schema.yaml"))
