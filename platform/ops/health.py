"""Liveness and readiness (django-health-check).

- `/healthz` (liveness): the process answers. It touches nothing else, so a
  database or Redis outage never makes the orchestrator restart web processes.
- `/readyz` (readiness): each check below, run concurrently, each within its
  own time budget. The answer is 503 when a *critical* check fails (the
  database, unapplied migrations, the evidence storage): a request would fail.
  The cache, the broker and beat's heartbeat are reported but do not fail
  readiness by default: the service keeps answering without them (the cache
  is an optimisation, tasks sent while the broker is down are logged, beat's
  work waits), and taking every web process out of the load balancer for
  them would turn a partial outage into a full one.
- `/readyz?checks=beat` (or `broker`, `cache`, any comma-separated names):
  only those checks, every one of them critical: what a monitor alerts on.

The answer is JSON: {"status": "ok" | "degraded" | "failing", "checks":
{name: {"status": "ok" | "failing", "critical": bool, "detail": str,
"seconds": float}}}.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from health_check import Database, Storage
from health_check.base import HealthCheck
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as AsyncRedis

from ops import heartbeat
from ops import redis as ops_redis

SHORT = datetime.timedelta(seconds=2)


def _redis_factory(url: str):
    timeout = settings.OPS_REDIS_TIMEOUT
    return functools.partial(AsyncRedis.from_url, url, socket_connect_timeout=timeout, socket_timeout=timeout)


@dataclasses.dataclass
class BeatHeartbeat(HealthCheck):
    """Beat's heartbeat task ran within the last three periods."""

    timeout = SHORT

    def run(self):
        try:
            age = heartbeat.heartbeat_age()
        except ops_redis.ERRORS as error:
            raise ServiceUnavailable(f"The heartbeat cannot be read: {type(error).__name__}") from error
        if age is None:
            raise ServiceUnavailable("No heartbeat from beat yet.")
        if age > heartbeat.stale_after():
            raise ServiceUnavailable(f"Beat's last heartbeat was {age:.0f} s ago "
                                     f"(stale after {heartbeat.stale_after():.0f} s).")


@functools.cache
def _expected_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk (the code does not change under a running process)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    expected = set()
    for node in loader.graph.nodes:
        migration = loader.graph.nodes[node]
        expected.add((node, tuple(migration.replaces or ())))
    return frozenset(expected)


def unapplied_migrations() -> dict[str, list[str]]:
    """Schema -> the migrations it lacks, for the public schema, the template
    and every authority: one query across every schema's django_migrations
    (django-tenants records every migration in every schema)."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM public.tenancy_authority")
        schemas = {row[0] for row in cursor.fetchall()} | {"public"}
        template = getattr(settings, "TENANT_BASE_SCHEMA", "")
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = %s", [template])
        schemas |= {row[0] for row in cursor.fetchall()}
        schemas = sorted(schemas)
        union = " UNION ALL ".join(
            f"SELECT %s, app, name FROM {connection.ops.quote_name(schema)}.django_migrations" for schema in schemas
        )
        cursor.execute(union, schemas)
        applied: dict[str, set[tuple[str, str]]] = {schema: set() for schema in schemas}
        for schema, app, name in cursor.fetchall():
            applied[schema].add((app, name))
    missing = {}
    for schema, done in applied.items():
        lacking = [f"{app}.{name}" for (app, name), replaces in _expected_migrations()
                   if (app, name) not in done and not (replaces and all(tuple(r) in done for r in replaces))]
        if lacking:
            missing[schema] = sorted(lacking)
    return missing


# Once every schema is found migrated, a process looks again only after this
# long: migrations do not come undone under a running process, and new
# authorities are cloned from the migrated template.
MIGRATIONS_RECHECK_SECONDS = 60.0
_migrated_at: list[float] = []


@dataclasses.dataclass
class Migrations(HealthCheck):
    """No schema (public, template, any authority) lacks a migration."""

    def run(self):
        import time

        from django.db import Error

        if _migrated_at and time.monotonic() - _migrated_at[-1] < MIGRATIONS_RECHECK_SECONDS:
            return
        try:
            missing = unapplied_migrations()
        except Error as error:
            raise ServiceUnavailable(f"Migrations cannot be read: {type(error).__name__}") from error
        if not missing:
            _migrated_at[:] = [time.monotonic()]
            return
        _migrated_at.clear()
        count = sum(len(names) for names in missing.values())
        first = sorted(missing)[:3]
        raise ServiceUnavailable(f"{count} migration(s) not applied in {len(missing)} schema(s), "
                                 f"e.g. {', '.join(first)}: run manage.py migrate_all.")


def checks() -> dict[str, tuple[HealthCheck, bool]]:
    """name -> (check, critical by default)."""
    return {
        "database": (Database(alias="default"), True),
        "migrations": (Migrations(), True),
        "storage": (Storage(alias="evidence"), True),
        "cache": (Redis(client_factory=_redis_factory(settings.CACHES["default"]["LOCATION"])), False),
        "broker": (Redis(client_factory=_redis_factory(settings.CELERY_BROKER_URL)), False),
        "beat": (BeatHeartbeat(), False),
    }


class _ClosingExecutor(ThreadPoolExecutor):
    """Runs synchronous checks on threads of their own, and closes whatever
    database connection a check opened there, so probes leak no connection."""

    def submit(self, fn, /, *args, **kwargs):
        def call():
            try:
                return fn(*args, **kwargs)
            finally:
                connections.close_all()

        return super().submit(call)


class ReadinessView(HealthCheckView):
    def get_executor(self):
        @contextlib.contextmanager
        def executor():
            pool = _ClosingExecutor(max_workers=4, thread_name_prefix="readyz")
            try:
                yield pool
            finally:
                pool.shutdown(wait=False, cancel_futures=True)

        return executor()

    async def get(self, request, *args, **kwargs):
        available = checks()
        asked = request.GET.get("checks", "")
        if asked:
            names = [name.strip() for name in asked.split(",") if name.strip()]
            unknown = [name for name in names if name not in available]
            if unknown or not names:
                return JsonResponse({"status": "failing", "detail": f"Unknown check(s): {', '.join(unknown)}. "
                                     f"Known: {', '.join(available)}."}, status=400)
            selected = {name: (available[name][0], True) for name in names}
        else:
            selected = available
        import asyncio

        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check, _ in selected.values()))
        body, failed_critical, failed = {}, False, False
        for (name, (_, critical)), result in zip(selected.items(), results, strict=True):
            failed |= result.error is not None
            failed_critical |= critical and result.error is not None
            body[name] = {"status": "failing" if result.error else "ok", "critical": critical,
                          "detail": result.error.message if result.error else "",
                          "seconds": round(result.time_taken, 3)}
        status = "failing" if failed_critical else ("degraded" if failed else "ok")
        return JsonResponse({"status": status, "checks": body}, status=503 if failed_critical else 200)


readiness = ReadinessView.as_view()


def readyz(request):
    """The readiness view, callable from synchronous middleware."""
    return async_to_sync(readiness)(request)


@never_cache
def healthz(request):
    """Liveness: the process is up. No database, no Redis."""
    return JsonResponse({"status": "ok"})
