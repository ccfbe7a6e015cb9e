"""A broker outage never fails the request that made a change: the change is
committed, the request answers at once, and the lost dispatch is logged for
the operators (the periodic sweep still closes the package at its deadline)."""

import logging
import time
from contextlib import contextmanager

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.calloffs.models import Package
from tests.calloffs import support as stage2

pytestmark = [pytest.mark.committed]

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


def test_publishing_with_the_broker_down_answers_success_at_once(committed_db, region, caplog):
    market = stage2.live_market(region.alpha, providers=1)
    draft = stage2.package(market, publish=False)
    api = APIClient()
    api.force_authenticate(market.broker)
    with broker_down(), caplog.at_level(logging.ERROR, logger="jointly.ops"):
        started = time.monotonic()
        answer = api.post(f"/a/alpha/api/v1/calloffs/packages/{draft.pk}/publish/")
        took = time.monotonic() - started
    assert answer.status_code == 200, answer.content
    assert took < 3, f"the answer took {took:.1f}s"
    with schema_context("alpha"):
        assert Package.objects.get(pk=draft.pk).status == Package.Status.PUBLISHED
    logged = [r.getMessage() for r in caplog.records if r.name == "jointly.ops" and r.levelno == logging.ERROR]
    assert any("calloffs.invitations_notify" in m and str(draft.pk) in m for m in logged), logged
    assert any("packages_close_due" in m and str(draft.pk) in m for m in logged), logged
