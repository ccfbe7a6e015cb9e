"""/metrics: who may read it, and what it says (latency per authority, queue
lengths, beat's heartbeat, e-mails sent and failed, packages past their
deadline still open)."""

from __future__ import annotations

import smtplib
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.mail import send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from ops import heartbeat
from ops import redis as ops_redis

pytestmark = pytest.mark.django_db
TOKEN = {"METRICS_TOKEN": "scrape-token-for-tests", "METRICS_ALLOWED_NETWORKS": []}
BEARER = {"HTTP_AUTHORIZATION": "Bearer scrape-token-for-tests"}


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPRecipientsRefused({"someone@example.org": (550, b"No such mailbox")})


def scrape(client) -> dict[tuple[str, tuple], float]:
    with override_settings(**TOKEN):
        response = client.get("/metrics", **BEARER)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[])
def test_metrics_are_not_served_without_a_token_or_networks(client):
    assert client.get("/metrics").status_code == 404


@override_settings(**TOKEN)
def test_metrics_need_the_bearer_token(client):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="scrape-token-for-tests").status_code == 403
    assert client.get("/metrics", **BEARER, HTTP_HOST="10.42.0.17:8000").status_code == 200


@override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"])
def test_metrics_from_allowed_networks_only(client):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="not-an-address").status_code == 403


def test_request_latency_is_labelled_by_authority_method_and_status_class(client, region):
    name = "jointly_http_request_duration_seconds_count"
    before = scrape(client)
    client.get("/a/alpha/")  # not signed in: a redirect to sign in
    client.get("/a/beta/no-such-page/")
    client.get("/a/nowhere/")  # no such authority
    after = scrape(client)

    def grew(**labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew(authority="alpha", method="GET", status="3xx") == 1
    assert grew(authority="beta", method="GET", status="4xx") == 1
    assert grew(authority="none", method="GET", status="4xx") == 1
    # probes and scrapes are not counted
    assert not any(labels and dict(labels).get("authority") == "/metrics" for _, labels in after)


def test_queue_lengths_are_read_from_the_broker(client, settings):
    from config.celery import app

    queue = f"jointly-test-depth-{uuid.uuid4().hex[:8]}"
    settings.METRICS_QUEUES = [queue]
    app.conf.task_always_eager = False
    try:
        for _ in range(3):
            app.send_task("ops.beat_heartbeat", queue=queue)
        samples = scrape(client)
    finally:
        app.conf.task_always_eager = True
        ops_redis.client().delete(queue)
    assert value(samples, "jointly_celery_queue_length", queue=queue) == 3
    assert value(samples, "jointly_celery_queue_length", queue=settings.CELERY_TASK_DEFAULT_QUEUE) is not None
    assert value(samples, "jointly_broker_up") == 1


def test_beat_heartbeat_age(client):
    heartbeat.heartbeat_record()
    age = value(scrape(client), "jointly_beat_heartbeat_age_seconds")
    assert age is not None and 0 <= age < 30


def test_emails_sent_and_failed_are_counted(client, settings):
    # Only the settings fixture: mixed with override_settings, its undoing
    # would leave the counting backend in place for every later test.
    settings.EMAIL_BACKEND = "ops.mail.CountingEmailBackend"
    before = scrape(client)
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_mail("Hello", "Body", None, ["a@example.org"])
    settings.EMAIL_DELIVERY_BACKEND = "tests.ops.test_metrics.RefusingBackend"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_mail("Hello", "Body", None, ["b@example.org"])
    after = scrape(client)

    def grew(name):
        return (value(after, name) or 0) - (value(before, name) or 0)

    assert grew("jointly_emails_sent_total") == 1
    assert grew("jointly_emails_failed_total") == 1


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_broker_still_gives_metrics(client):
    samples = scrape(client)
    assert value(samples, "jointly_broker_up") == 0
    assert any(name == "jointly_http_request_duration_seconds_count" for name, _ in samples)


def test_a_package_past_its_deadline_still_open_shows_its_lag(client, region):
    from tests.calloffs import support as stage2

    market = stage2.live_market(region.beta)
    package = stage2.package(market)
    with time_machine.travel(package.bid_deadline + timedelta(minutes=10), tick=False):
        samples = scrape(client)
    assert value(samples, "jointly_packages_overdue", authority="beta") == 1
    assert value(samples, "jointly_package_close_lag_seconds", authority="beta") == pytest.approx(600, abs=1)
    assert value(scrape(client), "jointly_packages_overdue", authority="beta") is None  # not yet due now
