"""Closing a call-off at its deadline happens exactly once, however many
workers try: the task scheduled for the deadline and the periodic sweep,
on two real Celery workers."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from tenants.calloffs.models import Bid, Package
from tests import support
from tests.calloffs import support as stage2

pytestmark = [pytest.mark.worker]
workers = 2


def test_two_workers_closing_the_same_call_off_close_it_once(committed_db, region, live_tasks):
    from tenants.calloffs.tasks import package_close_task, packages_close_due_task

    market = stage2.live_market(region.alpha, providers=1)
    deadline = timezone.now() + timedelta(seconds=3)
    package = stage2.package(market, deadline=deadline)
    stage2.submit(market, package, market.providers[0], price="415.00")
    # the task scheduled at publication fires at the deadline; race it with
    # more closing tasks and sweeps across both workers
    time.sleep(max(0.0, (deadline - timezone.now()).total_seconds()))
    with schema_context("alpha"):
        # results are kept only when asked for (task_ignore_result)
        results = [package_close_task.apply_async((package.pk, "deadline"), ignore_result=False) for _ in range(6)]
        results += [packages_close_due_task.apply_async(ignore_result=False) for _ in range(6)]
        closed_now = sum(int(r.get(timeout=60)) for r in results)

        def closed():
            return AuditEvent.objects.filter(action="package.closed", object_id=str(package.pk)).exists()

        support.wait_for(closed, what="the package to close")
        time.sleep(1)  # anything still in flight has had its chance
        package.refresh_from_db()
        events = list(AuditEvent.objects.filter(action="package.closed", object_id=str(package.pk)))
        bid = Bid.objects.get(package=package)

    assert package.status == Package.Status.CLOSED and package.closed_at >= deadline
    assert len(events) == 1 and closed_now <= 1
    assert events[0].context["by"] == package.closed_by
    assert bid.opened_at is not None and bid.weekly_price == 415
