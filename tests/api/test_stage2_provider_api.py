"""The provider's side of stage 2 through the API: an invited bid writer
reads the anonymised package and the published answers, asks, saves a draft,
submits with an Idempotency-Key (a retry is the same receipt, 200), revises
and withdraws; one second late is a 409 with the deadline; another provider's
bid is a 403 and the attempt is recorded; viewers read but do not write; bad
input is a 400 problem with field errors, never a 500."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from accounts.roles import ProviderRole
from audit.models import AuditEvent
from tenants.calloffs import services
from tenants.calloffs.models import Bid, BidReceipt, SealedAccess
from tests.api_support import client_for, problem
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1/provider/calloffs"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Brightday", "Rival Care"])


@pytest.fixture
def package(market):
    return stage2.package(market)


@pytest.fixture
def writer(market):
    return catalogue.add_person(market.providers[0], ProviderRole.BID_WRITER)


def submit(api, package, key="key-1", provider=None, **fields):
    url = f"{API}/{package.pk}/bid/submit/" + (f"?provider={provider.pk}" if provider else "")
    return api.post(url, stage2.bid_content(**fields), format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_bid_writer_reads_asks_and_bids_through_the_api(market, package, writer):
    brightday, rival = market.providers
    stage2.submit(market, package, rival, price="399.99")
    with schema_context("alpha"):
        asked = services.clarification_ask(actor=catalogue.admin_of(rival), package=package, provider=rival,
                                           question="Rival's own words")
        services.clarification_answer(actor=market.broker, clarification=asked, answer="Yes, Saturdays too.",
                                      question="Can sessions be on Saturdays?")
    api = client_for(writer)
    [listed] = api.get(f"{API}/").json()["results"]
    assert listed["package"]["id"] == package.pk and listed["bid_status"] == "none"
    assert listed["package"]["bidding_open"] is True and listed["provider"]["name"] == "Brightday"

    detail = api.get(f"{API}/{package.pk}/")
    body = detail.json()
    assert detail.status_code == 200 and body["budget_weekly"] == "450.00" and body["locality"] == "Crewe"
    assert body["criteria"] == {"quality": "40.00", "outcomes": "30.00", "price": "20.00", "social_value": "10.00"}
    assert [b["provider"]["name"] for b in body["your_bids"]] == ["Brightday"]
    assert body["your_bids"][0]["status"] == "none" and body["your_bids"][0]["may_bid"] is True
    text = detail.content.decode()
    for hidden in ("Margaret", "Okoro", "9434765919", "CW1 2AB", "Sam Reid", "Rival", "399.99", "people",
                   "urgent_reason", "invitations"):
        assert hidden not in text, hidden

    qa = api.get(f"{API}/{package.pk}/clarifications/").json()
    assert qa["published"] == [{"id": asked.pk, "question": "Can sessions be on Saturdays?",
                                "answer": "Yes, Saturdays too.", "published_at": qa["published"][0]["published_at"]}]
    assert qa["waiting"] == [] and qa["questions_open"] is True
    asked_now = api.post(f"{API}/{package.pk}/clarifications/", {"question": "Is there parking?"}, format="json")
    assert asked_now.status_code == 201
    assert [q["question"] for q in asked_now.json()["waiting"]] == ["Is there parking?"]

    draft = api.put(f"{API}/{package.pk}/bid/", stage2.bid_content("430.00"), format="json")
    assert draft.status_code == 200, draft.json()
    assert draft.json()["status"] == "draft" and draft.json()["content"]["weekly_price"] == "430.00"
    assert draft.json()["receipts"] == []

    first = submit(api, package, key="first", price="425.50")
    assert first.status_code == 201, first.json()
    receipt = first.json()
    assert receipt["version"] == 1 and receipt["replayed"] is False and receipt["bid_status"] == "submitted"
    assert len(receipt["content_sha256"]) == 64 and receipt["idempotency_key"] == "first"
    retried = submit(api, package, key="first", price="425.50")
    assert retried.status_code == 200 and retried.json() | {"replayed": False} == receipt
    assert retried.json()["replayed"] is True

    revised = submit(api, package, key="second", price="410.00")
    assert revised.status_code == 201 and revised.json()["version"] == 2
    bid = api.get(f"{API}/{package.pk}/bid/").json()
    assert bid["content"]["weekly_price"] == "410.00" and bid["version"] == 2
    assert [r["version"] for r in bid["receipts"]] == [2, 1]
    assert problem(api.put(f"{API}/{package.pk}/bid/", stage2.bid_content(), format="json"), 409)["detail"] \
        == "Your bid is submitted: submit a revised bid instead of saving a draft."

    withdrawn = api.post(f"{API}/{package.pk}/bid/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert "Only a submitted bid" in problem(api.post(f"{API}/{package.pk}/bid/withdraw/"), 409)["detail"]
    with schema_context("alpha"):
        assert BidReceipt.objects.filter(bid__package=package, bid__provider=brightday).count() == 2
        reads = SealedAccess.objects.filter(bid__provider=brightday, channel="api")
        assert reads.exists() and all(r.allowed for r in reads)


def test_a_retry_with_the_same_key_is_one_receipt_even_after_the_deadline(market, package, writer, time_machine):
    api = client_for(writer)
    start = {"start_available_on": "2030-12-01"}
    assert submit(api, package, key="once", **start).status_code == 201
    # the same key with other content is not silently taken for a retry
    changed = problem(submit(api, package, key="once", price="401.00", **start), 409)
    assert "This key was already used for version 1" in changed["errors"]["idempotency_key"][0]
    time_machine.move_to(package.bid_deadline + timedelta(seconds=5), tick=False)
    late_retry = submit(api, package, key="once", **start)
    assert late_retry.status_code == 200 and late_retry.json()["replayed"] is True
    with schema_context("alpha"):
        assert BidReceipt.objects.filter(bid__package=package).count() == 1
        assert Bid.objects.get(package=package).version == 1


def test_a_bid_one_second_late_is_a_409_with_the_deadline(market, package, writer, time_machine):
    api = client_for(writer)
    time_machine.move_to(package.bid_deadline + timedelta(seconds=1), tick=False)
    late = problem(submit(api, package, key="late"), 409)
    assert late["type"] == "urn:jointly:problem:conflict"
    assert "Bids closed at" in late["errors"]["bid_deadline"][0] and "this one arrived at" in late["detail"]
    assert problem(api.put(f"{API}/{package.pk}/bid/", stage2.bid_content(), format="json"), 409)
    assert problem(api.post(f"{API}/{package.pk}/clarifications/", {"question": "?"}, format="json"), 409)
    assert api.get(f"{API}/{package.pk}/").json()["bidding_open"] is False
    with schema_context("alpha"):
        assert not Bid.objects.filter(package=package).exists()
        assert AuditEvent.objects.filter(action="bid.late_refused").count() == 1
    # at the deadline exactly, it is already too late
    time_machine.move_to(package.bid_deadline, tick=False)
    problem(submit(api, package, key="at-the-deadline"), 409)


def test_another_providers_bid_is_a_403_and_the_attempt_is_recorded(market, package, writer):
    brightday, rival = market.providers
    assert submit(client_for(writer), package, key="mine", price="431.25").status_code == 201
    spy = client_for(catalogue.admin_of(rival))
    for response in (spy.get(f"{API}/{package.pk}/bid/?provider={brightday.pk}"),
                     spy.put(f"{API}/{package.pk}/bid/?provider={brightday.pk}", stage2.bid_content(),
                             format="json"),
                     submit(spy, package, key="theirs", provider=brightday),
                     spy.post(f"{API}/{package.pk}/bid/withdraw/?provider={brightday.pk}"),
                     spy.get(f"{API}/{package.pk}/bid/?provider=999999")):
        body = problem(response, 403)
        assert "this attempt has been recorded" in body["detail"] and "431.25" not in response.content.decode()
    # the rival's own bid is not there yet: a 404 for its own, and nothing of Brightday's anywhere
    problem(spy.get(f"{API}/{package.pk}/bid/"), 404)
    assert "431.25" not in spy.get(f"{API}/{package.pk}/").content.decode()
    with schema_context("alpha"):
        refused = SealedAccess.objects.filter(bid__provider=brightday, allowed=False)
        assert refused.count() == 4 and {r.channel for r in refused} == {"api"}
        assert AuditEvent.objects.filter(action="bid.read_refused").count() == 5
        bid = Bid.objects.get(package=package, provider=brightday)
        assert bid.status == "submitted" and bid.version == 1


def test_not_invited_is_404_and_a_viewer_reads_but_does_not_write(market, package):
    brightday = market.providers[0]
    stage2.submit(market, package, brightday, price="431.25")
    outsider = client_for(catalogue.register(name="Not Invited Care").memberships.get().user)
    for path in (f"{API}/{package.pk}/", f"{API}/{package.pk}/clarifications/", f"{API}/{package.pk}/bid/",
                 f"{API}/999999/"):
        problem(outsider.get(path), 404)
    problem(submit(outsider, package), 404)
    assert outsider.get(f"{API}/").json()["results"] == []

    viewer = client_for(catalogue.add_person(brightday, ProviderRole.VIEWER))
    assert viewer.get(f"{API}/{package.pk}/bid/").json()["content"]["weekly_price"] == "431.25"
    assert viewer.get(f"{API}/{package.pk}/").json()["your_bids"][0]["may_bid"] is False
    for response in (submit(viewer, package, key="viewer"),
                     viewer.put(f"{API}/{package.pk}/bid/", stage2.bid_content(), format="json"),
                     viewer.post(f"{API}/{package.pk}/bid/withdraw/"),
                     viewer.post(f"{API}/{package.pk}/clarifications/", {"question": "?"}, format="json")):
        assert "provider admins and bid writers" in problem(response, 403)["detail"]
    with schema_context("alpha"):
        assert Bid.objects.get(package=package).version == 1


@pytest.mark.parametrize("body, field", [
    ({"weekly_price": "lots"}, "weekly_price"),
    ({"weekly_price": None}, "weekly_price"),
    ({"weekly_price": True}, "weekly_price"),
    ({"hours_per_week": "-2"}, "hours_per_week"),
    ({"outcomes_response": ""}, "outcomes_response"),
    ({"start_available_on": "next week"}, "start_available_on"),
    ({"start_available_on": "2026-02-30"}, "start_available_on"),
    ({"breakdown": "x" * 20_001}, "breakdown"),
    ({"breakdown": {"nested": "object"}}, "breakdown"),
])
def test_bad_bids_are_400_problems_with_field_errors(market, package, writer, body, field):
    api = client_for(writer)
    for response in (submit(api, package, **body),
                     api.put(f"{API}/{package.pk}/bid/", stage2.bid_content() | body, format="json")):
        assert field in problem(response, 400)["errors"]
    with schema_context("alpha"):
        assert not Bid.objects.filter(package=package).exists()


def test_odd_requests_are_400s_not_500s(market, package, writer):
    api = client_for(writer)
    url = f"{API}/{package.pk}/bid/submit/"
    assert "Idempotency-Key" in problem(api.post(url, stage2.bid_content(), format="json"), 400)["detail"]
    assert problem(submit(api, package, key="k" * 81), 400)["errors"]["idempotency_key"]
    assert problem(api.post(url, "not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="x"), 400)
    assert problem(api.post(url, [1, 2], format="json", HTTP_IDEMPOTENCY_KEY="x"), 400)
    assert problem(api.get(f"{API}/{package.pk}/bid/?provider=abc"), 400)["errors"]["provider"]
    assert problem(api.post(f"{API}/{package.pk}/clarifications/", {}, format="json"), 400)["errors"]["question"]
    assert problem(api.post(f"{API}/{package.pk}/clarifications/", {"question": " "}, format="json"), 400)
    problem(api.post(f"{API}/{package.pk}/bid/withdraw/"), 404)   # nothing to withdraw yet
    with schema_context("alpha"):
        assert not Bid.objects.filter(package=package).exists()


def test_someone_in_two_invited_organisations_says_which_one(market, package):
    brightday, rival = market.providers
    both = catalogue.add_person(brightday, ProviderRole.BID_WRITER)
    from accounts.services import provider_membership_grant
    provider_membership_grant(actor=None, provider=rival, user=both, role=ProviderRole.BID_WRITER)
    api = client_for(both)
    assert len(api.get(f"{API}/{package.pk}/").json()["your_bids"]) == 2
    assert "more than one invited organisation" in problem(submit(api, package), 400)["errors"]["provider"][0]
    assert submit(api, package, provider=rival).status_code == 201
    assert api.get(f"{API}/{package.pk}/bid/?provider={rival.pk}").status_code == 200
    problem(api.get(f"{API}/{package.pk}/bid/?provider={brightday.pk}"), 404)


# SET search_path, the person's roles (two queries), the page count, the
# invitations with their packages, and the organisations' bids.
LIST_QUERIES = 6


def test_the_list_costs_the_same_for_one_package_or_three(market, writer, django_assert_num_queries):
    api = client_for(writer)
    stage2.package(market)
    api.get(f"{API}/")
    with django_assert_num_queries(LIST_QUERIES):
        assert len(api.get(f"{API}/").json()["results"]) == 1
    for _ in range(2):
        stage2.submit(market, stage2.package(market), market.providers[0])
    with django_assert_num_queries(LIST_QUERIES):
        results = api.get(f"{API}/").json()["results"]
    assert len(results) == 3 and sorted(r["bid_status"] for r in results) == ["none", "submitted", "submitted"]


def test_the_endpoints_are_documented_without_warnings(client, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", "api.urls_openapi",
                 "--file", str(tmp_path / "schema.yml"))
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    assert "/api/v1/opportunities/" in paths
    for path in ("", "{package_id}/", "{package_id}/clarifications/", "{package_id}/bid/",
                 "{package_id}/bid/submit/", "{package_id}/bid/withdraw/"):
        assert f"/a/{{authority}}/api/v1/provider/calloffs/{path}" in paths, path
    submit_op = paths["/a/{authority}/api/v1/provider/calloffs/{package_id}/bid/submit/"]["post"]
    assert {p["name"] for p in submit_op["parameters"]} >= {"Idempotency-Key", "provider"}
    assert set(submit_op["responses"]) >= {"200", "201", "409"}
