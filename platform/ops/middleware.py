"""Middleware for operations (settings.MIDDLEWARE, in this order):

1. RequestContextMiddleware, first: a request id (the caller's X-Request-ID
   when well formed, else a new one) in every log line and on the response;
   one log line per request; the latency histogram.
2. ProbeMiddleware: answers /healthz, /readyz and /metrics before anything
   else looks at the request, so an orchestrator or a scraper reaches them by
   a pod's address or any Host: Django validates the Host (ALLOWED_HOSTS)
   only when something calls request.get_host(), and nothing here does.
   It also comes before SecurityMiddleware, so a probe over plain HTTP is
   not redirected to HTTPS.
3. DatabaseOutageMiddleware, before the authority is looked up: a lost
   database connection is answered once more or with a 503 (ops.outage).
"""

from __future__ import annotations

import logging
import time

from django.db import connection

from ops import context, metrics, outage

log = logging.getLogger("jointly.request")

PROBES = {"/healthz", "/readyz", "/metrics"}


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = context.request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        id_token = context.request_id.set(request.request_id)
        request_token = context.current_request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = request.request_id
            if request.path not in PROBES:
                metrics.observe_request(request, response, seconds)
                status = response.status_code
                level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
                log.log(level, "%s %s %s %.0fms", request.method, request.path, status, seconds * 1000,
                        extra={"method": request.method, "path": request.path, "status": status,
                               "duration_ms": round(seconds * 1000, 1)})
                # This line stands for django.request's "Not Found: ..." that Django
                # would write after the middleware, without the request's context.
                # (An exception's traceback is still logged, in context.)
                response._has_been_logged = True
            return response
        finally:
            context.current_request.reset(request_token)
            context.request_id.reset(id_token)


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PROBES:
            from ops import health

            view = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": metrics.metrics}
            return view[request.path](request)
        return self.get_response(request)


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        watch = outage.WriteWatch()
        with connection.execute_wrapper(watch):
            response = self.get_response(request)
            if not getattr(response, "database_outage", False):
                return response
            if request.method in ("GET", "HEAD") and not watch.wrote and not connection.in_atomic_block:
                log.warning("Database connection lost during %s %s; answering it again on a fresh connection.",
                            request.method, request.path)
                self._fresh_start(request)
                response = self.get_response(request)
                if not getattr(response, "database_outage", False):
                    metrics.DATABASE_OUTAGES.labels("retried").inc()
                    return response
            log.error("Database unavailable during %s %s: answered 503 (%s).", request.method, request.path,
                      "it had written" if watch.wrote else "nothing written")
            metrics.DATABASE_OUTAGES.labels("503").inc()
            if not connection.in_atomic_block:
                _close_quietly()
            return response

    def process_exception(self, request, exception):
        """A view's lost connection, answered here (in DEBUG too); errors
        raised by other middleware reach web.views.server_error instead."""
        if outage.is_outage(exception):
            return outage.outage_response(request, wrote=outage.wrote_in_request())
        return None

    @staticmethod
    def _fresh_start(request) -> None:
        """Drop the broken connection and whatever the first attempt learnt
        from the database, so every middleware looks again."""
        _close_quietly()
        for attribute in ("tenant", "urlconf", "user", "_cached_user", "session", "auth", "resolver_match",
                          "_messages"):
            request.__dict__.pop(attribute, None)


def _close_quietly() -> None:
    from contextlib import suppress

    from django.db import Error

    with suppress(Error):
        connection.close()
