"""Attacks on sealed bids (Directive 2014/24 Annex IV, PCR 2015 reg 22: no
access to data before the deadline), each performed as an attacker would:
guessing a sealed price from what staff and operators can read; learning who
has bid from the audit trail; bringing a deadline forward after bids are in;
a bid that cannot be stored stopping the closing of others; a look at bids
while closing is in progress recorded as an attempt; and a sealing key that
cannot be rotated."""

import hashlib
import json
import logging
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from shared_catalogue.models import OpportunityProjection
from tenants.agreements.models import Agreement
from tenants.calloffs import sealing, services
from tenants.calloffs.models import Bid, BidReceipt, Package, SealedAccess
from tests import support
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1"


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def audit_api(user) -> list[dict]:
    """Every event of the trail, through the staff API, page by page."""
    api, url, events = api_for(user), f"{API}/audit-events/?page_size=500", []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content[:500]
        events += response.json()["results"]
        url = response.json()["next"]
    return events


def guesses(prices) -> dict[str, str]:
    """What the attacker computes: a plain SHA-256 of the canonical content
    (the provider's texts being known from an earlier opened bid) for each
    candidate price."""
    texts = stage2.bid_content()
    found = {}
    for price in prices:
        content = {"weekly_price": Decimal(price), "hourly_rate": Decimal("21.00"), "hours_per_week": Decimal("20.00"),
                   "breakdown": texts["breakdown"], "outcomes_response": texts["outcomes_response"],
                   "social_value": texts["social_value"],
                   "start_available_on": date.fromisoformat(texts["start_available_on"])}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"),
                               default=lambda v: str(v) if isinstance(v, Decimal) else v.isoformat()).encode()
        found[hashlib.sha256(canonical).hexdigest()] = price
    return found


def test_a_sealed_price_cannot_be_guessed_from_anything_staff_or_an_operator_can_read(region, client):
    market = stage2.live_market(region.alpha, providers=2, names=["Brightday", "Rival Care"])
    bidder, rival = market.providers
    package = stage2.package(market)
    stage2.submit(market, package, bidder, price="533.21")
    stage2.submit(market, package, bidder, price="533.21", key="a-retry-of-nothing-new")
    stage2.submit(market, package, rival, price="498.00")
    attacker = support.make_staff(region.alpha, AuthorityRole.AUTHORITY_ADMIN, AuthorityRole.COMMISSIONER)
    api = api_for(attacker)
    assert api.get(f"{API}/calloffs/packages/{package.pk}/bids/").status_code == 403
    export = api.get(f"{API}/calloffs/packages/{package.pk}/bids/export/")
    assert export.status_code in (403, 404)

    # everything readable: the trail through the API and the page, and, as an operator, the rows themselves
    readable = [json.dumps(audit_api(attacker))]
    client.force_login(attacker)
    page = client.get("/a/alpha/staff/audit/?page_size=500")
    assert page.status_code == 200
    readable.append(page.content.decode())
    staff_package = client.get(f"/a/alpha/staff/calloffs/{package.pk}/")
    readable.append(staff_package.content.decode())
    with schema_context("alpha"):
        for model in (AuditEvent, Bid, BidReceipt, SealedAccess, Package):
            readable.append(json.dumps(list(model.objects.values()), default=str))
    readable.append(json.dumps(list(OpportunityProjection.objects.values()), default=str))
    text = "\n".join(readable)

    digests = set(re.findall(r"[0-9a-f]{64}", text))
    assert digests, "the receipts' digests are there to be tried"
    table = guesses(f"{pennies / 100:.2f}" for pennies in range(50_000, 60_000))
    assert "533.21" in table.values()
    assert not [table[d] for d in digests if d in table], "a sealed price was recovered by hashing guesses"
    assert "533.21" not in text and "498.00" not in text


def test_the_bidder_can_check_the_receipt_and_nobody_without_the_key_can(region):
    market = stage2.live_market(region.alpha, providers=1)
    provider = market.providers[0]
    package = stage2.package(market)
    api = api_for(catalogue.admin_of(provider))
    submitted = api.post(f"{API}/provider/calloffs/{package.pk}/bid/submit/", stage2.bid_content("433.10"),
                         format="json", HTTP_IDEMPOTENCY_KEY="first")
    assert submitted.status_code == 201, submitted.content
    receipt = submitted.json()
    own = api.get(f"{API}/provider/calloffs/{package.pk}/bid/").json()
    assert own["receipt_key"] == receipt["receipt_key"]
    import hmac
    canonical = json.dumps(own["content"] | {"weekly_price": "433.10", "hourly_rate": "21.00",
                                             "hours_per_week": "20.00"},
                           sort_keys=True, separators=(",", ":")).encode()
    assert hmac.new(receipt["receipt_key"].encode(), canonical, hashlib.sha256).hexdigest() == \
        receipt["content_sha256"]
    assert hashlib.sha256(canonical).hexdigest() != receipt["content_sha256"]
    with schema_context("alpha"):
        # the key lives only inside the sealed record
        bid = Bid.objects.get(package=package)
        assert receipt["receipt_key"].encode() not in bytes(bid.sealed)
        rows = json.dumps([list(m.objects.values()) for m in (Bid, BidReceipt, AuditEvent)], default=str)
        assert receipt["receipt_key"] not in rows


def test_staff_cannot_tell_from_the_audit_trail_who_has_bid_until_bids_open(region, client):
    market = stage2.live_market(region.alpha, providers=2, names=["Brightday", "Rival Care"])
    bidder, rival = market.providers
    package = stage2.package(market)
    admin = support.make_staff(region.alpha, AuthorityRole.AUTHORITY_ADMIN)
    seen = {event["id"] for event in audit_api(admin)}
    bidder_person, rival_person = catalogue.admin_of(bidder), catalogue.admin_of(rival)
    stage2.submit(market, package, bidder, price="421.00")
    stage2.submit(market, package, bidder, price="419.00")
    with schema_context("alpha"):
        services.bid_save(actor=rival_person, package=package, provider=rival, content=stage2.bid_content("440.00"))
        services.bid_withdraw(actor=bidder_person, bid=Bid.objects.get(package=package, provider=bidder))
        bid_ids = [str(pk) for pk in Bid.objects.values_list("pk", flat=True)]
    stage2.submit(market, package, bidder, price="418.00")

    new = [event for event in audit_api(admin) if event["id"] not in seen]
    client.force_login(admin)
    page = client.get("/a/alpha/staff/audit/").content.decode()
    assert len(new) == 5
    for event in new:
        shown = json.dumps(event)
        assert event["action"] == sealing.SEALED_ACTIVITY, event
        for secret in ("Brightday", "Rival Care", bidder_person.email, rival_person.email, "calloffs.bid",
                       "421.00", "419.00", "418.00", "440.00"):
            assert secret not in shown, (secret, event)
        assert (event["object_type"], event["object_id"]) == ("calloffs.package", str(package.pk))
        assert event["actor"] == sealing.SealedBidder.email
    # the page: five alike rows, none naming a bid or its bidder
    assert page.count(sealing.SealedBidder.email) == 5
    assert not [pk for pk in bid_ids if f"Bid {pk} on" in page]
    # the rows themselves (as an operator reads them) look alike too: the same actor, object and size of
    # sealed context, whatever happened and whoever did it
    with schema_context("alpha"):
        rows = AuditEvent.objects.filter(pk__in=[event["id"] for event in new])
        assert len({(row.actor_id, row.actor_label, row.object_id, len(json.dumps(row.context)))
                    for row in rows}) == 1
        assert all(set(row.context) == {"sealed"} and not row.before and not row.after for row in rows)

    # at closing they open with the bids, and the chain is only appended to
    with schema_context("alpha"):
        before = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
        after = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
        assert after[:len(before)] == before
        opened = AuditEvent.objects.get(action=sealing.OPENED, object_id=str(package.pk))
    story = [(e["action"], e["provider"], e["by_email"]) for e in opened.after["events"]]
    assert story == [("bid.submitted", bidder.pk, bidder_person.email),
                     ("bid.revised", bidder.pk, bidder_person.email),
                     ("bid.draft_saved", rival.pk, rival_person.email),
                     ("bid.withdrawn", bidder.pk, bidder_person.email),
                     ("bid.revised", bidder.pk, bidder_person.email)]


def _time_passes(*packages, past=timedelta(seconds=20)):
    """The packages' deadlines pass (the clock cannot be stopped for the
    pages, so the deadlines move instead, straight in the table)."""
    now = timezone.now()
    with schema_context("alpha"):
        Package.objects.filter(pk__in=[p.pk for p in packages]).update(
            clarification_deadline=now - past - timedelta(days=1), bid_deadline=now - past)
        for package in packages:
            package.refresh_from_db()
    return now


def _two_bids(market):
    # questions closed early, so a deadline 40 seconds away would otherwise be a valid one
    package = stage2.package(market, clarification_deadline=timezone.now() + timedelta(seconds=5))
    for provider, price in zip(market.providers, ("410.00", "415.00"), strict=True):
        stage2.submit(market, package, provider, price=price)
    return package


def test_a_deadline_cannot_be_brought_forward_once_a_bid_is_in(region):
    market = stage2.live_market(region.alpha, providers=2)
    package = _two_bids(market)
    commissioner = market.setup.commissioner
    soon = timezone.now() + timedelta(seconds=40)
    # through the API, as the commissioner did
    response = api_for(commissioner).post(f"{API}/calloffs/packages/{package.pk}/deadline/",
                                          {"bid_deadline": soon.isoformat(), "reason": "Ready early"}, format="json")
    assert response.status_code == 409, response.content
    assert "can only be extended" in response.content.decode() and "regulation 22" in response.content.decode()
    with schema_context("alpha"):
        with pytest.raises(ValidationError, match="can only be extended"):
            services.deadline_move(actor=commissioner, package=package,
                                   bid_deadline=package.bid_deadline - timedelta(days=1), reason="Sooner")
        # the same deadline is not an extension either; a later one is
        with pytest.raises(ValidationError, match="can only be extended"):
            services.deadline_move(actor=commissioner, package=package, bid_deadline=package.bid_deadline,
                                   reason="Same")
        later = package.bid_deadline + timedelta(days=2)
        services.deadline_move(actor=commissioner, package=package, bid_deadline=later, reason="More time")
        package.refresh_from_db()
        assert package.bid_deadline == later
    # the clarification deadline too: never earlier once a bid is in
    other = stage2.package(market)
    stage2.submit(market, other, market.providers[0])
    earlier = timezone.now() + timedelta(days=1)
    response = api_for(commissioner).post(f"{API}/calloffs/packages/{other.pk}/clarification-deadline/",
                                          {"clarification_deadline": earlier.isoformat(), "reason": "Sooner"},
                                          format="json")
    assert response.status_code == 409 and "can only be extended" in response.content.decode()
    with schema_context("alpha"):
        with pytest.raises(ValidationError, match="can only be extended"):
            services.clarification_deadline_move(
                actor=commissioner, package=other, reason="Sooner",
                clarification_deadline=other.clarification_deadline - timedelta(days=1))
        services.clarification_deadline_move(actor=commissioner, package=other, reason="More questions",
                                             clarification_deadline=other.clarification_deadline + timedelta(days=1))
        other.refresh_from_db()
        assert AuditEvent.objects.filter(action="package.clarification_deadline_moved",
                                         object_id=str(other.pk)).exists()
    # and a withdrawn bid still counts: it was in
    market2 = stage2.live_market(region.alpha, providers=1)
    package2 = stage2.package(market2)
    stage2.submit(market2, package2, market2.providers[0])
    with schema_context("alpha"):
        services.bid_withdraw(actor=catalogue.admin_of(market2.providers[0]), bid=Bid.objects.get(package=package2))
        with pytest.raises(ValidationError, match="can only be extended"):
            services.deadline_move(actor=market2.setup.commissioner, package=package2,
                                   bid_deadline=package2.bid_deadline - timedelta(days=1), reason="Sooner")


def test_before_any_bid_a_deadline_keeps_the_minimum_period_from_publication(region):
    market = stage2.live_market(region.alpha, providers=1, kind=Agreement.Kind.DYNAMIC_MARKET)
    # 14 days; the dynamic market's minimum is 10 days from publication; questions close after 2
    package = stage2.package(market, clarification_deadline=timezone.now() + timedelta(days=2))
    commissioner = market.setup.commissioner
    with schema_context("alpha"):
        with pytest.raises(ValidationError, match="at least|minimum tender period of 10 days") as refused:
            services.deadline_move(actor=commissioner, package=package,
                                   bid_deadline=package.published_at + timedelta(days=9), reason="Sooner")
        assert refused.value.status == 400
    response = api_for(commissioner).post(
        f"{API}/calloffs/packages/{package.pk}/deadline/",
        {"bid_deadline": (package.published_at + timedelta(days=5)).isoformat(), "reason": "Sooner"},
        format="json")
    assert response.status_code == 400 and "10 days" in response.content.decode()
    with schema_context("alpha"):
        # within the rule, before any bid, it may come forward
        services.deadline_move(actor=commissioner, package=package,
                               bid_deadline=package.published_at + timedelta(days=11), reason="Sooner, within rules")


def test_a_bid_that_cannot_be_stored_is_refused_at_submit_and_save(region):
    market = stage2.live_market(region.alpha, providers=1)
    provider = market.providers[0]
    package = stage2.package(market)
    api = api_for(catalogue.admin_of(provider))
    url = f"{API}/provider/calloffs/{package.pk}/bid/"
    huge = api.post(f"{url}submit/", stage2.bid_content("100000000"), format="json", HTTP_IDEMPOTENCY_KEY="huge")
    assert huge.status_code == 400, huge.content
    assert "weekly_price" in huge.content.decode()
    for fields in ({"weekly_price": "2251.00"},            # more than 5 times the £450 budget
                   {"weekly_price": "NaN"}, {"weekly_price": "Infinity"}, {"weekly_price": "1e30"},
                   {"weekly_price": "420.005"}, {"hourly_rate": "100000000"}, {"hours_per_week": "169"},
                   {"hours_per_week": "12345"}):
        answer = api.post(f"{url}submit/", stage2.bid_content(**fields), format="json",
                          HTTP_IDEMPOTENCY_KEY=f"k-{list(fields.values())[0]}")
        assert answer.status_code == 400, (fields, answer.content)
        assert list(fields)[0] in answer.json().get("errors", answer.json()), answer.json()
        with schema_context("alpha"), pytest.raises(ValidationError):
            services.bid_save(actor=catalogue.admin_of(provider), package=package, provider=provider,
                              content=stage2.bid_content(**fields))
    with schema_context("alpha"):
        assert not BidReceipt.objects.exists() and not Bid.objects.exists()
    assert api.post(f"{url}submit/", stage2.bid_content("2250.00"), format="json",
                    HTTP_IDEMPOTENCY_KEY="at-the-limit").status_code == 201


def test_one_package_that_fails_to_close_never_stops_the_others(region, client, caplog):
    market = stage2.live_market(region.alpha, providers=1)
    provider = market.providers[0]
    broken = stage2.package(market, title="First due")
    healthy = stage2.package(market, title="Second due")
    for package in (broken, healthy):
        stage2.submit(market, package, provider, price="400.00")
    due = _time_passes(broken, healthy)
    with schema_context("alpha"):
        good = bytes(Bid.objects.get(package=broken).sealed)
        # content that cannot be opened, as a bid of £100,000,000 once could not be stored
        Bid.objects.filter(package=broken).update(sealed=b"not a sealed bid")
        with caplog.at_level(logging.ERROR, logger="jointly.ops"):
            assert services.packages_close_due(now=due) == 1
        healthy.refresh_from_db()
        broken.refresh_from_db()
        assert healthy.status == Package.Status.CLOSED
        assert Bid.objects.get(package=healthy).weekly_price == Decimal("400.00")
        assert broken.status == Package.Status.PUBLISHED and broken.close_failed_at and broken.close_failures == 1
        assert AuditEvent.objects.filter(action="package.close_failed", object_id=str(broken.pk)).exists()
    assert [r for r in caplog.records if r.name == "jointly.ops" and broken.reference in r.getMessage()]
    # staff see the alert on the package and in the list
    commissioner = market.setup.commissioner
    client.force_login(commissioner)
    page = client.get(f"/a/alpha/staff/calloffs/{broken.pk}/").content.decode()
    assert 'data-testid="close-failed"' in page and "being retried" in page
    listing = client.get("/a/alpha/staff/calloffs/").content.decode()
    assert f'data-testid="close-failed-{broken.pk}"' in listing
    # the closing task retries with backoff
    from tenants.calloffs.tasks import package_close_task
    assert package_close_task.autoretry_for == (Exception,) and package_close_task.retry_backoff
    # once the fault is mended, the next sweep closes it and the alert goes
    with schema_context("alpha"):
        Bid.objects.filter(package=broken).update(sealed=good)
        assert services.packages_close_due(now=due + timedelta(minutes=5)) == 1
        broken.refresh_from_db()
        assert broken.status == Package.Status.CLOSED and broken.close_failed_at is None


def test_between_the_deadline_and_the_close_staff_are_told_closing_is_in_progress(region, client):
    market = stage2.live_market(region.alpha, providers=1)
    package = stage2.package(market)
    stage2.submit(market, package, market.providers[0])
    commissioner = market.setup.commissioner
    client.force_login(commissioner)
    with schema_context("alpha"):
        before = (SealedAccess.objects.count(), AuditEvent.objects.filter(action="bid.read_refused").count())
    with schema_context("alpha"):
        sealed_deadline = Package.objects.get(pk=package.pk).bid_deadline
    _time_passes(package)
    if True:  # the deadline passed 20 seconds ago; the package has not closed yet
        page = client.get(f"/a/alpha/staff/calloffs/{package.pk}/bids/")
        assert page.status_code == 403
        text = page.content.decode()
        assert "closing is in progress" in text and "sealed until" not in text
        detail = client.get(f"/a/alpha/staff/calloffs/{package.pk}/").content.decode()
        assert 'data-testid="closing"' in detail
        answer = api_for(commissioner).get(f"{API}/calloffs/packages/{package.pk}/bids/")
        assert answer.status_code == 403 and "closing is in progress" in answer.content.decode()
        with schema_context("alpha"):
            with pytest.raises(PermissionDenied, match="closing is in progress"):
                services.bids_export(actor=commissioner, package=package)
            assert (SealedAccess.objects.count(),
                    AuditEvent.objects.filter(action="bid.read_refused").count()) == before
    # before the deadline the same look is still refused and recorded
    with schema_context("alpha"):
        Package.objects.filter(pk=package.pk).update(bid_deadline=sealed_deadline)
        package.refresh_from_db()
    with schema_context("alpha"), pytest.raises(PermissionDenied, match="sealed until the deadline"):
        services.bids_export(actor=commissioner, package=package)
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="bid.read_refused").count() == before[1] + 1


def test_a_bid_sealed_under_an_old_key_opens_after_rotation(region):
    market = stage2.live_market(region.alpha, providers=1)
    package = stage2.package(market)
    with override_settings(BID_SEALING_KEY="the-old-sealing-key", BID_SEALING_KEY_FALLBACKS=[]):
        stage2.submit(market, package, market.providers[0], price="437.50")
    with override_settings(BID_SEALING_KEY="the-new-sealing-key", BID_SEALING_KEY_FALLBACKS=["the-old-sealing-key"]):
        with schema_context("alpha"):
            assert services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
            bid = Bid.objects.get(package=package)
            assert bid.weekly_price == Decimal("437.50")
            # what is sealed now uses the new key alone
            assert sealing.unseal(bid)["weekly_price"] == "437.50"
            sealed = sealing.seal(package.pk, {"weekly_price": "1.00"}, receipt_key="k")
        with override_settings(BID_SEALING_KEY="the-new-sealing-key", BID_SEALING_KEY_FALLBACKS=[]), \
                schema_context("alpha"):
            assert sealing._fernet(package.pk).decrypt(sealed)
    # without the old key kept, it would not open
    with override_settings(BID_SEALING_KEY="the-new-sealing-key", BID_SEALING_KEY_FALLBACKS=[]), \
            schema_context("alpha"), pytest.raises(Exception, match="InvalidToken|^$"):
        sealing.unseal(bid)
