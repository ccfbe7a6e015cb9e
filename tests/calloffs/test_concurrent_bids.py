"""Bids submitted at the same moment, on separate database connections: two
providers revising their bids go side by side without a deadlock, and a
double click by one provider makes one bid and one receipt. Each submission is held just after
it has share-locked the package, until the other has too, so the race
happens every time (found by bench/bid_storm.py: a plain FOR UPDATE on the
bid also locked the package row through Bid's ordering)."""

import threading

import pytest
from django.db import connections
from django_tenants.utils import schema_context

from tenants.calloffs import services
from tenants.calloffs.models import Bid, BidReceipt
from tests.calloffs import support as stage2

pytestmark = [pytest.mark.committed]


def race(monkeypatch, market, package, providers, keys):
    """Submit for each provider in its own thread; each waits, once, after
    taking its share lock on the package until every other has taken it."""
    barrier = threading.Barrier(len(providers), timeout=15)
    waited = threading.local()
    share_locked = services._share_locked

    def share_locked_together(package):
        locked = share_locked(package)
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return locked

    monkeypatch.setattr(services, "_share_locked", share_locked_together)
    receipts, errors = [], []

    def submit(provider, key):
        try:
            receipts.append(stage2.submit(market, package, provider, key=key))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(p, k)) for p, k in zip(providers, keys, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return receipts, errors


def test_two_providers_revising_at_once_do_not_deadlock(committed_db, region, monkeypatch):
    market = stage2.live_market(region.alpha, providers=2)
    package = stage2.package(market)
    for provider in market.providers:
        stage2.submit(market, package, provider)
    receipts, errors = race(monkeypatch, market, package, market.providers, ["revised-1", "revised-2"])
    assert errors == [] and len(receipts) == 2
    with schema_context("alpha"):
        assert Bid.objects.filter(package=package, status="submitted", version=2).count() == 2


def test_a_double_click_at_once_is_one_bid_and_one_receipt(committed_db, region, monkeypatch):
    market = stage2.live_market(region.alpha, providers=1)
    package = stage2.package(market)
    provider = market.providers[0]
    receipts, errors = race(monkeypatch, market, package, [provider, provider], ["click", "click"])
    assert errors == [] and len(receipts) == 2
    assert receipts[0].pk == receipts[1].pk and sorted(r.replayed for r in receipts) == [False, True]
    with schema_context("alpha"):
        assert Bid.objects.get(package=package).version == 1
        assert BidReceipt.objects.filter(bid__package=package).count() == 1


def test_invitations_are_emailed_while_a_bid_is_being_submitted(committed_db, region, monkeypatch, mailoutbox):
    """Invitation e-mails skip only invitations another sender holds, not
    those whose package a submission has share-locked."""
    from tenants.calloffs.models import Invitation

    market = stage2.live_market(region.alpha, providers=2)
    package = stage2.package(market)
    with schema_context("alpha"):
        Invitation.objects.filter(package=package).update(notified_at=None)
    locked, done = threading.Event(), threading.Event()
    share_locked = services._share_locked

    def share_locked_and_held(package):
        result = share_locked(package)
        locked.set()
        done.wait(timeout=15)
        return result

    monkeypatch.setattr(services, "_share_locked", share_locked_and_held)
    errors = []

    def submit():
        try:
            stage2.submit(market, package, market.providers[0])
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=submit)
    thread.start()
    try:
        assert locked.wait(timeout=15)
        with schema_context("alpha"):
            sent = services.invitations_notify(package_id=package.pk)
    finally:
        done.set()
        thread.join()
    assert errors == [] and sent == 2
