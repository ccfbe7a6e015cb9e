"""A broker outage never fails the request that made a change, and loses
nothing: what the change must cause waits in the outbox, and once the broker
is back the flush (on beat) hands it over: invitations are e-mailed and the
package closes at its deadline, each exactly once. Real Redis, real workers."""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from audit.models import AuditEvent
from outbox.models import Message
from outbox.services import broker_reachable_again
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Invitation, Package
from tests import support
from tests.calloffs import support as stage2

pytestmark = [pytest.mark.worker]
workers = 2  # the races below run on two workers at once

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@contextmanager
def broker_down():
    """The Celery app publishes to a dead broker, and its results go to a dead
    Redis (both are one Redis in production), for real (not eager)."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager, app._pool,
             app.amqp._producer_pool, app._backend_cache, getattr(app._local, "backend", None))
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = DEAD_BROKER, DEAD_BROKER, False
    app._pool = app.amqp._producer_pool = None  # fresh connections to the dead broker
    app._backend_cache = app._local.backend = None  # and to the dead result store
    try:
        yield
    finally:
        (app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager, app._pool,
         app.amqp._producer_pool, app._backend_cache, app._local.backend) = saved
        app._pool = app.amqp._producer_pool = None  # and back to the live one
        broker_reachable_again()


def flush_everywhere() -> None:
    """What beat does every 30 seconds: the flush, sent to every authority."""
    from config.celery import app
    from tenancy.beat import ResilientTenantAwareScheduler

    scheduler = ResilientTenantAwareScheduler(app=app, lazy=True)
    scheduler.merge_inplace(settings.CELERY_BEAT_SCHEDULE)
    scheduler.apply_entry(scheduler.schedule["outbox.flush@__all_tenants_only__"])


def mails(mail_dir, subject: str, reference: str) -> list:
    """The e-mails whose subject starts so and names the package."""
    return [m for m in support.mail_in(mail_dir) if m["subject"].startswith(subject) and reference in m["subject"]]


def closings(package) -> list:
    with schema_context("alpha"):
        return list(AuditEvent.objects.filter(action="package.closed", object_id=str(package.pk)))


def test_a_package_published_with_the_broker_down_is_invited_and_closed_once_it_is_back(
        committed_db, region, live_tasks, caplog):
    _, mail_dir = live_tasks
    market = stage2.live_market(region.alpha, providers=2)
    deadline = timezone.now() + timedelta(seconds=40)
    by_api = stage2.package(market, publish=False, deadline=deadline)
    by_service = stage2.package(market, publish=False, deadline=deadline)
    api = APIClient()
    api.force_authenticate(market.broker)

    with broker_down(), caplog.at_level(logging.WARNING, logger="jointly.ops"):
        started = time.monotonic()
        answer = api.post(f"/a/alpha/api/v1/calloffs/packages/{by_api.pk}/publish/")
        took = time.monotonic() - started
        with schema_context("alpha"):
            calloffs.package_publish(actor=market.broker, package=by_service)

    assert answer.status_code == 200, answer.content
    # each failed hand-over fails fast (the broker's connect timeout, one retry), not
    # after the client's own retries (about 20 s); a loaded machine is slow enough
    assert took < 10, f"the answer took {took:.1f}s"
    packages = [by_api, by_service]
    with schema_context("alpha"):
        for package in packages:
            assert Package.objects.get(pk=package.pk).status == Package.Status.PUBLISHED
            waiting = Message.objects.filter(task__startswith="calloffs.", args__0=package.pk, sent_at__isnull=True)
            assert sorted(waiting.values_list("task", flat=True)) == ["calloffs.invitations_notify",
                                                                      "calloffs.package_close"]
            assert all(m.dispatched_at is None for m in waiting)
    # the first hand-over failed fast and said so; the others were not tried (the
    # broker was just found unreachable) and wait for the flush too
    first = Message.objects.filter(task="calloffs.invitations_notify", args__0=by_api.pk)
    with schema_context("alpha"):
        assert first.get().attempts == 1 and "Broker unreachable" in first.get().last_error
    logged = [r.getMessage() for r in caplog.records if r.name == "jointly.ops"]
    assert any("calloffs.invitations_notify" in m and "flush tries again" in m for m in logged), logged

    # the broker is back: beat's next flush hands everything over
    flush_everywhere()

    def invited():
        with schema_context("alpha"):
            return not Invitation.objects.filter(package__in=packages, notified_at__isnull=True).exists()

    support.wait_for(invited, timeout=60, what="the invitations' e-mails")
    support.wait_for(lambda: all(closings(p) for p in packages), timeout=120, what="both packages to close")
    flush_everywhere()  # and again, as beat would: nothing more happens
    time.sleep(3)

    with schema_context("alpha"):
        for package in packages:
            package.refresh_from_db()
            assert package.status == Package.Status.CLOSED and package.closed_by == "deadline"
            assert package.closed_at >= deadline
            assert not Message.objects.filter(task__startswith="calloffs.", args__0=package.pk,
                                              sent_at__isnull=True).exists()
            assert len(closings(package)) == 1
            invitees = Invitation.objects.filter(package=package).count()
            assert invitees == 2 and len(mails(mail_dir, "New opportunity:", package.reference)) == invitees


def test_an_email_goes_once_when_the_flush_and_the_after_commit_send_race(committed_db, region, live_tasks):
    """The e-mail about a moved deadline has no row of its own to mark: the
    outbox message is what makes it go once, however many tasks carry its id."""
    from outbox.services import outbox_flush
    from tenants.calloffs.tasks import deadline_moved_notify_task, invitations_notify_task

    _, mail_dir = live_tasks
    market = stage2.live_market(region.alpha, providers=2)
    package = stage2.package(market)
    commissioner = market.setup.commissioner
    new_deadline = package.bid_deadline + timedelta(days=2)
    with schema_context("alpha"):
        calloffs.deadline_move(actor=commissioner, package=package, bid_deadline=new_deadline,
                               reason="More time for the providers to visit the day centre.")
        moved = Message.objects.get(task="calloffs.deadline_moved_notify", args__0=package.pk)
        invitations = Message.objects.get(task="calloffs.invitations_notify", args__0=package.pk)
        # the after-commit send is on its way; race it with more tasks for the
        # same messages and with flushes that hand them over again
        for _ in range(4):
            deadline_moved_notify_task.apply_async((package.pk, moved.args[1], "bid"), {"outbox_id": moved.pk})
            invitations_notify_task.apply_async((package.pk,), {"outbox_id": invitations.pk})
            outbox_flush(now=timezone.now() + timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER + 1))

    def sent():
        with schema_context("alpha"):
            return Message.objects.filter(pk__in=[moved.pk, invitations.pk], sent_at__isnull=False).count() == 2

    support.wait_for(sent, timeout=60, what="both messages to be sent")
    time.sleep(5)  # every task still in flight has had its turn
    assert len(mails(mail_dir, "Deadline changed:", package.reference)) == 2  # one to each invitee's people
    assert len(mails(mail_dir, "New opportunity:", package.reference)) == 2


def test_no_task_is_sent_further_ahead_than_the_brokers_visibility_timeout(committed_db, region, live_tasks):
    """Redis would deliver a task waiting for a far ETA again every hour: a
    closing weeks ahead waits in the outbox and is handed over only within
    the look-ahead, with the deadline as its ETA."""
    from celery.signals import before_task_publish
    from dateutil.parser import isoparse

    from outbox.services import outbox_flush

    published = []

    def record(sender=None, headers=None, **kwargs):
        published.append((sender, headers.get("eta")))

    before_task_publish.connect(record, weak=False)
    try:
        market = stage2.live_market(region.alpha, providers=1)
        later = stage2.package(market, deadline=timezone.now() + timedelta(days=21))
        soon = stage2.package(market, deadline=timezone.now() + timedelta(seconds=30))
        with schema_context("alpha"):
            outbox_flush()
            far = Message.objects.get(task="calloffs.package_close", args__0=later.pk)
            near = Message.objects.get(task="calloffs.package_close", args__0=soon.pk)
    finally:
        before_task_publish.disconnect(record)

    horizon = timezone.now() + timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT)
    etas = [(name, isoparse(eta)) for name, eta in published if eta]
    assert etas and all(eta < horizon for _, eta in etas), etas
    assert far.dispatched_at is None and near.dispatched_at is not None
    assert ("calloffs.package_close", soon.bid_deadline) in etas
    support.wait_for(lambda: closings(soon), timeout=150, what="the near package to close at its deadline")
