"""What the replay needs besides its plan: counted API clients carrying each
person's own API token, a timeline that travels to each step's real date
before running it, and the set-up the API cannot do (an authority, its
staff, registered providers and their verified catalogue evidence)."""

from __future__ import annotations

import heapq
import itertools
import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.services import api_token_create
from shared_catalogue import services as catalogue_services
from tenancy.models import Authority
from tenancy.services import authority_create
from tests.shared_catalogue import support as catalogue

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


class ApiError(AssertionError):
    pass


class Calls:
    """Every API call of the replay, counted by what it was for."""

    def __init__(self):
        self.by_step = Counter()
        self.seconds = Counter()
        self.queries = Counter()
        self.step = "set-up"

    def count_query(self, execute, sql, params, many, context):
        self.queries[self.step] += 1
        return execute(sql, params, many, context)

    @property
    def total(self) -> int:
        return sum(self.by_step.values())

    def report(self) -> str:
        rows = ", ".join(f"{step} {n} ({self.seconds[step]:.1f} s, {self.queries[step]} queries)"
                         for step, n in sorted(self.by_step.items()))
        return (f"{self.total} API calls, {sum(self.queries.values())} SQL queries, "
                f"{sum(self.seconds.values()):.1f} s in the API: {rows}")


class Api:
    """One person's API client, authenticated as a script would be: with the
    person's own API token (`Authorization: Token ...`), renewed when it
    has expired, as the person would do on their account page."""

    def __init__(self, user, base: str, calls: Calls):
        self.user, self.base, self.calls = user, base, calls
        self.client = APIClient()
        self.expiry = None

    def _token(self):
        if self.expiry is None or self.expiry <= timezone.now() + timedelta(hours=1):
            token, plain = api_token_create(actor=self.user, name="Replay script", expires_in_days=365)
            self.expiry = token.expiry
            self.client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")

    def call(self, method: str, path: str, body=None, *, expect=(200, 201), **extra):
        self._token()
        self.calls.by_step[self.calls.step] += 1
        url = path if path.startswith("/") else f"{self.base}{path}"
        started = time.perf_counter()
        with connection.execute_wrapper(self.calls.count_query):
            if method == "get":
                response = self.client.get(url, body or {}, **extra)
            else:
                response = getattr(self.client, method)(url, body if body is not None else {}, format="json",
                                                        **extra)
        self.calls.seconds[self.calls.step] += time.perf_counter() - started
        if expect and response.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            raise ApiError(f"{method.upper()} {url} at {timezone.localtime():%Y-%m-%d %H:%M} by {self.user.email}: "
                           f"{response.status_code} {response.content[:800]!r}")
        return response

    def get(self, path, params=None, **kw):
        return self.call("get", path, params, **kw).json()

    def post(self, path, body=None, **kw):
        return self.call("post", path, body, **kw).json()

    def put(self, path, body=None, **kw):
        return self.call("put", path, body, **kw).json()

    def patch(self, path, body=None, **kw):
        return self.call("patch", path, body, **kw).json()

    def all(self, path, params=None) -> list:
        """Every row of a list, page by page."""
        rows, page = [], 1
        while True:
            body = self.get(path, (params or {}) | {"page_size": 200, "page": page})
            rows += body["results"]
            if not body.get("next"):
                return rows
            page += 1


class Timeline:
    """Steps at their real dates, run in date order: before each step the
    clock is moved to its date (time_machine), and a step may schedule the
    ones that follow from it."""

    def __init__(self, time_machine):
        self.time_machine = time_machine
        self.queue, self.seq = [], itertools.count()
        self.now = None

    def at(self, when: datetime, step, *args):
        heapq.heappush(self.queue, (when, next(self.seq), step, args))

    def travel(self, when: datetime):
        assert self.now is None or when >= self.now, f"the replay goes back in time: {when} < {self.now}"
        self.now = when
        self.time_machine.move_to(when, tick=False)

    def run(self, until: datetime | None = None):
        while self.queue and (until is None or self.queue[0][0] <= until):
            when, _, step, args = heapq.heappop(self.queue)
            self.travel(when)
            step(*args)


# --- Set-up: what registration does, outside the API's reach -------------------------------


def council(slug="cheshire-east") -> Authority:
    from tenancy.models import Region

    return authority_create(actor=None, kind=Authority.Kind.COUNCIL, name="Cheshire East Council", slug=slug,
                            official_code="E06000049", region=Region.objects.get(ons_code="E12000002"))


def register(name: str):
    """A provider registered on the regional catalogue by its admin."""
    return catalogue.register(name=name)


def evidence(provider, officer, authority: Authority, *, until: date) -> None:
    """The provider's public liability insurance and safeguarding policy in
    its catalogue locker, verified by an officer of the council (the
    catalogue's own journey, before an application)."""
    for kind in ("public_liability", "safeguarding_policy"):
        fields = {"expires_on": until}
        if kind == "public_liability":
            fields |= {"cover_amount": Decimal("5000000"), "issued_on": timezone.localdate() - timedelta(days=30)}
        made = catalogue.upload(provider, evidence_type=kind, **fields)
        catalogue_services.evidence_decide(actor=officer, authority=authority, evidence=made, decision="verified")


def close_due(authority: Authority) -> int:
    """What the scheduler runs every minute in every authority: close the
    call-offs whose deadline has passed (calloffs.packages_close_due)."""
    from tenants.calloffs.tasks import packages_close_due_task

    with schema_context(authority.schema_name):
        return packages_close_due_task()
