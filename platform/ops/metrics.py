"""Prometheus metrics at /metrics (prometheus_client).

Two kinds:

- Measured in the web process: request latency per authority, method and
  status class. Under gunicorn with several workers, set
  PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py does, through
  ops.gunicorn) and every worker's histogram is summed at scrape time
  (prometheus_client's multiprocess mode).
- Read at scrape time from Redis and the database, so they are the same
  whichever web process is scraped, and Celery workers need no HTTP server:
  queue lengths, beat's heartbeat age, e-mails sent and failed (counted in
  Redis by ops.mail), and the packages past their deadline still open.

Labels stay bounded: `authority` is the slug of an existing authority
("regional" for the regional site, "none" when no authority was found), the
method is one of the standard ones or "other", the status its class (2xx..5xx).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from ops import heartbeat
from ops import redis as ops_redis

log = logging.getLogger("jointly.ops")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "jointly_http_request_duration_seconds",
    "Time to answer a request, by authority, method and status class.",
    ["authority", "method", "status"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DATABASE_OUTAGES = Counter(
    "jointly_http_database_outages",
    "Requests that lost the database: retried (and answered) or answered 503.",
    ["outcome"],
)

EMAILS_SENT = "emails:sent"
EMAILS_FAILED = "emails:failed"
# kombu's Redis transport keeps a queue's messages of priority p in
# "<queue>\x06\x16<p>" (p > 0) beside "<queue>" itself.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def authority_label(request) -> str:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return "none"
    return tenant.slug


def observe_request(request, response, seconds: float) -> None:
    method = request.method if request.method in METHODS else "other"
    REQUEST_SECONDS.labels(authority_label(request), method, f"{response.status_code // 100}xx").observe(seconds)


def count_email(name: str, number: int = 1) -> None:
    """Add to a Redis-held e-mail counter; a Redis outage costs the count only."""
    try:
        ops_redis.client().incrby(ops_redis.key(name), number)
    except ops_redis.ERRORS as error:
        log.warning("E-mail counter %s not updated: Redis unreachable (%s)", name, type(error).__name__)


def queue_names() -> list[str]:
    names = {settings.CELERY_TASK_DEFAULT_QUEUE, *settings.METRICS_QUEUES}
    for queue in getattr(settings, "CELERY_TASK_QUEUES", None) or ():
        names.add(getattr(queue, "name", queue))
    return sorted(names)


class ScrapeTimeCollector:
    """Gauges and counters read when Prometheus scrapes."""

    def collect(self):
        yield from self._redis()
        yield from self._overdue_packages()

    def _redis(self):
        up = GaugeMetricFamily("jointly_broker_up", "1 if the broker's Redis answered this scrape.")
        depth = GaugeMetricFamily("jointly_celery_queue_length", "Messages waiting in a Celery queue.",
                                  labels=["queue"])
        beat = GaugeMetricFamily("jointly_beat_heartbeat_age_seconds",
                                 "Seconds since beat's heartbeat task last ran (absent: never).")
        sent = CounterMetricFamily("jointly_emails_sent", "E-mails handed to the mail server.")
        failed = CounterMetricFamily("jointly_emails_failed", "E-mails the mail server did not take.")
        try:
            client = ops_redis.client()
            pipe = client.pipeline(transaction=False)
            names = queue_names()
            for name in names:
                for step in PRIORITY_STEPS:
                    pipe.llen(name if step == 0 else f"{name}{PRIORITY_SEPARATOR}{step}")
            pipe.get(ops_redis.key(EMAILS_SENT))
            pipe.get(ops_redis.key(EMAILS_FAILED))
            values = pipe.execute()
            age = heartbeat.heartbeat_age()
        except ops_redis.ERRORS as error:
            log.warning("Metrics: the broker's Redis is unreachable (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for index, name in enumerate(names):
            step_count = len(PRIORITY_STEPS)
            depth.add_metric([name], sum(values[index * step_count:(index + 1) * step_count]))
        sent.add_metric([], int(values[-2] or 0))
        failed.add_metric([], int(values[-1] or 0))
        if age is not None:
            beat.add_metric([], age)
        yield from (up, depth, beat, sent, failed)

    def _overdue_packages(self):
        """From the opportunity projection (public schema): one query, not a
        loop over schemas. A package is overdue while providers still see it
        open after its deadline."""
        from django.db import Error
        from django.db.models import Count, Min
        from django.utils import timezone
        from django_tenants.utils import get_public_schema_name, schema_context

        from shared_catalogue.models import OpportunityProjection

        oldest = GaugeMetricFamily(
            "jointly_package_close_lag_seconds",
            "Seconds since the deadline of the oldest package still open after it, by authority.",
            labels=["authority"])
        count = GaugeMetricFamily("jointly_packages_overdue", "Packages still open after their deadline.",
                                  labels=["authority"])
        now = timezone.now()
        try:
            with schema_context(get_public_schema_name()):
                rows = list(OpportunityProjection.objects
                            .filter(status=OpportunityProjection.Status.OPEN, bid_deadline__lt=now)
                            .values("authority__slug")
                            .annotate(oldest=Min("bid_deadline"), packages=Count("package_id", distinct=True)))
        except Error as error:
            log.warning("Metrics: overdue packages not read (%s)", type(error).__name__)
            return
        for row in rows:
            oldest.add_metric([row["authority__slug"]], (now - row["oldest"]).total_seconds())
            count.add_metric([row["authority__slug"]], row["packages"])
        yield oldest
        yield count


_SCRAPE_TIME = ScrapeTimeCollector()


def registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        scrape = CollectorRegistry()
        multiprocess.MultiProcessCollector(scrape)
    else:
        scrape = CollectorRegistry()
        scrape.register(_Process())
    scrape.register(_SCRAPE_TIME)
    return scrape


class _Process:
    """This process's own metrics from the default registry (single-process mode)."""

    def collect(self):
        return REGISTRY.collect()


def allowed(request) -> bool | None:
    """True if the scraper may read; False if refused; None if metrics are
    not exposed at all (neither a token nor networks configured)."""
    token, networks = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return None
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
            return True
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(network, strict=False) for network in networks)
    return False


def metrics(request):
    permitted = allowed(request)
    if permitted is None:
        return HttpResponseNotFound("Not found\n", content_type="text/plain")
    if not permitted:
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    started = time.perf_counter()
    body = generate_latest(registry())
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    log.debug("Metrics scraped in %.3f s", time.perf_counter() - started)
    return response
