"""Bid storm: every provider admitted to a lot bids through the API in the
last minute before a call-off's deadline, against the running web server.

    .venv/bin/python bench/bid_storm.py [--runs 3] [--providers 200 [500 ...]] [--window 60] [--lead 70]

With several `--providers` counts, each count has an authority (and market)
of its own, and every run measures each count in turn, so the smaller one is
the anchor for the larger, measured on the same machine in the same minutes.

What it does, against a database of its own (jointly_bench_bids):

1. Set-up, once (kept between invocations): an authority, a live FPS with one
   lot, and `--providers` organisations admitted and active on it, each with a
   provider admin holding an API token. The agreement, its questionnaire,
   opening and go-live go through the services; the providers, their people,
   applications and admissions are written in bulk with the ORM (in the
   public schema and the authority's), then the admission projection is
   rebuilt from the schema (`projection.rebuild`): admitting 200 providers
   through evaluation and onboarding would take minutes and measures nothing
   here. Tokens are made by `accounts.services.api_token_create`, afresh on
   every invocation (only their hashes are stored).
2. The web server: gunicorn with deploy/gunicorn.conf.py, as `make web` and
   production run it (WEB_CONCURRENCY workers, default 3, of WEB_THREADS
   threads, default 2), DEBUG off, against the bench database.
3. Each run publishes a new package (services.package_publish: every provider
   invited) with its deadline `--lead` seconds ahead. Every provider's client
   (a thread; the standard library's http.client, a new connection per
   request) reads the package, then submits one bid at a random moment in the
   `--window` seconds that end `--margin` seconds (default 5) before the
   deadline, with its own Idempotency-Key. One
   client in five sends the same request again when the answer comes (a
   retry); one in ten sends it twice at once (a double click). After the
   deadline ten clients try a late revision. Every request's latency is
   measured from sending to the last byte of the answer.
4. Then it checks in the database: exactly one bid per provider, none lost or
   duplicated; one receipt per bid (retries made none); every receipt time
   before the deadline; each bid's sealed price is the one its client sent;
   the late revisions were refused (409) and changed nothing. It then runs the
   closing task directly (tasks.package_close_task) and checks that it opened
   every bid, with the right price.

Prints one line per run and a Markdown table (medians of the runs) for
docs/benchmarks.md. Not part of CI.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointly_bench_bids")
os.environ.setdefault("DATABASE_OWNER_URL", os.environ["DATABASE_URL"])
# The server and this process must share it: bids sealed by the one are opened by the other.
os.environ.setdefault("SECRET_KEY", "bench-bid-storm-only-never-a-real-secret")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import _setup  # noqa: E402  (sets the rest of the environment up before Django)

SLUG = "bid-storm"
MAIL = "bench.jointly.localhost"
LATE_CLIENTS = 10


# --- Set-up --------------------------------------------------------------------------------

@dataclass
class Market:
    slug: str
    authority: object
    agreement: object
    lot: object
    broker: object
    tokens: dict = field(default_factory=dict)   # provider id -> plain token


def _staff(email: str, name: str, authority, role: str):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from accounts.models import AuthorityMembership, User
    from accounts.services import membership_grant

    user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=None,
                                                                                full_name=name)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JOINTLYBENCHSECRETJOINTLYBENCH23")  # staff roles need MFA to act
    if not AuthorityMembership.objects.current().filter(user=user, authority=authority, role=role).exists():
        membership_grant(actor=None, authority=authority, user=user, role=role)
    return user


def market_ensure(providers: int, slug: str = SLUG) -> Market:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import ApiToken, ProviderMembership, User
    from accounts.roles import AuthorityRole, ProviderRole
    from accounts.services import api_token_create
    from shared_catalogue.models import Provider, ServiceType
    from tenancy.models import Authority
    from tenancy.services import authority_create
    from tenants.admissions import projection
    from tenants.admissions import services as admissions
    from tenants.admissions.models import Admission, Application, ApplicationLot
    from tenants.agreements import services as agreements
    from tenants.agreements.models import Agreement, Question, QuestionnaireVersion

    # The first market keeps the names it always had; another one's providers are its own.
    tag = "storm" if slug == SLUG else f"{slug}-"
    authority = Authority.objects.filter(slug=slug).first() or authority_create(
        actor=None, kind=Authority.Kind.COUNCIL, name="Bid Storm Council" if slug == SLUG else f"Bid Storm {slug}",
        slug=slug, official_code="E06009901" if slug == SLUG else f"E0699{providers:04d}")
    lead = _staff(f"commissioner@{slug}.{MAIL}", "Storm Commissioner", authority, AuthorityRole.COMMISSIONER)
    broker = _staff(f"broker@{slug}.{MAIL}", "Storm Broker", authority, AuthorityRole.BROKER)
    today = timezone.localdate()

    with schema_context(authority.schema_name):
        agreement = Agreement.objects.filter(reference="STORM-FPS").first()
        if agreement is None:
            agreement = agreements.agreement_create(
                actor=lead, kind=Agreement.Kind.FPS, reference="STORM-FPS", title="Bid Storm Day Opportunities FPS",
                service_area="Day opportunities for adults", starts_on=today - timedelta(days=30),
                ends_on=today + timedelta(days=1400), estimated_value=Decimal("1000000"))
            agreements.lot_add(actor=lead, agreement=agreement, number="1", title="Building Based Services",
                               service_type=ServiceType.objects.get(code="day-opportunities-building-based"))
            agreements.round_add(actor=lead, agreement=agreement, opens_on=today - timedelta(days=1),
                                 closes_on=today + timedelta(days=365))
            version = agreements.questionnaire_draft(actor=lead, agreement=agreement)
            agreements.question_add(actor=lead, version=version, kind=Question.Kind.QUALITY, weight=Decimal("100"),
                                    text="How will you help people achieve the outcomes in their plans?")
            agreements.questionnaire_publish(actor=lead, version=version)
            agreements.agreement_open(actor=lead, agreement=agreement)
            agreements.agreement_go_live(actor=lead, agreement=agreement)
        lot = agreement.lots.get(number="1")
        version = agreement.questionnaires.get(status=QuestionnaireVersion.Status.PUBLISHED)
        have = Admission.objects.filter(lot=lot, status=Admission.Status.ACTIVE).count()

    if have < providers:
        now = timezone.now()
        numbers = range(have + 1, providers + 1)
        unusable = make_password(None)
        with transaction.atomic():
            users = User.objects.bulk_create([
                User(email=f"admin@{tag}{n:04d}.{MAIL}", full_name=f"Storm Admin {n}", password=unusable)
                for n in numbers])
            made = Provider.objects.bulk_create([
                Provider(legal_name=f"{tag.capitalize()} Care {n:04d} Limited", name=f"{tag.capitalize()} Care {n:04d}")
                for n in numbers])
            ProviderMembership.objects.bulk_create([
                ProviderMembership(user=user, provider=provider, role=ProviderRole.PROVIDER_ADMIN)
                for user, provider in zip(users, made, strict=True)])
            with schema_context(authority.schema_name):
                applications = Application.objects.bulk_create([
                    Application(agreement=agreement, provider=provider, version=version,
                                status=Application.Status.DECIDED, declaration=admissions.DECLARATION,
                                declared_by=user, created_by=user, submitted_at=now, decided_at=now,
                                decided_by=lead, lead=lead)
                    for user, provider in zip(users, made, strict=True)])
                ApplicationLot.objects.bulk_create([
                    ApplicationLot(application=application, lot=lot, provider_id=application.provider_id,
                                   live=False, outcome=ApplicationLot.Outcome.PASSED, quality_score=Decimal("80"))
                    for application in applications])
                Admission.objects.bulk_create([
                    Admission(agreement=agreement, lot=lot, provider_id=application.provider_id,
                              application=application, reference=f"STORM-FPS-1-{application.provider_id}",
                              status=Admission.Status.ACTIVE, admitted_at=now, activated_at=now)
                    for application in applications])
        projection.rebuild(authority)

    market = Market(slug, authority, agreement, lot, broker)
    with schema_context(authority.schema_name):
        admitted = list(Admission.objects.filter(lot=lot, status=Admission.Status.ACTIVE)
                        .order_by("provider_id").values_list("provider_id", flat=True)[:providers])
    admins = {m.provider_id: m.user for m in ProviderMembership.objects.current()
              .filter(provider_id__in=admitted, role=ProviderRole.PROVIDER_ADMIN).select_related("user")}
    ApiToken.objects.filter(user__in=admins.values(), name="bid storm").delete()
    for provider_id in admitted:
        _, market.tokens[provider_id] = api_token_create(actor=admins[provider_id], name="bid storm",
                                                         expires_in_days=1)
    return market


def package_publish(market: Market, run: int, lead_seconds: float):
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from tenants.calloffs import services

    with schema_context(market.authority.schema_name):
        person = services.person_create(actor=market.broker, first_name="Storm", last_name=f"Person{run}")
        now = timezone.now()
        package = services.package_create(
            actor=market.broker, agreement=market.agreement, lot=market.lot, people=[person],
            title="Day opportunities, three days a week", outcomes="Build confidence; make friends; try new things.",
            support_needed="Three days a week of building-based day opportunities.", sessions_per_week=3,
            start_on=date.today() + timedelta(days=30), locality="Crewe", postcode_district="CW1",
            budget_weekly=Decimal("500.00"), clarification_deadline=now + timedelta(seconds=10),
            bid_deadline=now + timedelta(seconds=lead_seconds))
        return services.package_publish(actor=market.broker, package=package)


# --- The server ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_start(log_path: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, JOINTLY_BIND=f"127.0.0.1:{port}", SITE_URL=f"http://127.0.0.1:{port}",
               DJANGO_DEBUG="false", JOINTLY_HTTPS="false", PYTHONUNBUFFERED="1")
    log = log_path.open("w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "deploy/gunicorn.conf.py"],
                               cwd=_setup.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    while time.monotonic() - started < 60:
        if process.poll() is not None:
            raise SystemExit(f"the web server stopped:\n{log_path.read_text()}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the web server did not answer within 60 s")


# --- The clients -------------------------------------------------------------------------------

@dataclass
class Shot:
    kind: str            # first, retry, double, late
    provider_id: int
    status: int = 0
    latency: float = 0.0
    replayed: bool | None = None
    error: str = ""
    sent: float = 0.0
    done: float = 0.0


def _request(port: int, method: str, path: str, token: str, body: bytes | None = None, key: str = "") -> tuple:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def fire(port: int, path: str, token: str, body: bytes, key: str, shot: Shot, results: list, lock) -> None:
    shot.sent = time.time()
    started = time.perf_counter()
    try:
        shot.status, raw = _request(port, "POST", path, token, body, key)
        shot.latency = time.perf_counter() - started
        if shot.status in (200, 201):
            shot.replayed = json.loads(raw)["replayed"]
        else:
            shot.error = raw[:300].decode(errors="replace")
    except Exception as error:  # a failed request is a result, not a crash
        shot.latency = time.perf_counter() - started
        shot.error = repr(error)
    shot.done = time.time()
    with lock:
        results.append(shot)


def bid_body(provider_id: int, price: str) -> bytes:
    return json.dumps({
        "weekly_price": price, "hourly_rate": "22.50", "hours_per_week": "18",
        "breakdown": "18 hours at £22.50 with a share of the building's costs",
        "outcomes_response": f"Provider {provider_id}: travel training, a weekly social group, taster sessions.",
        "start_available_on": (date.today() + timedelta(days=30)).isoformat(),
        "social_value": "Local staff and suppliers"}).encode()


def price_for(provider_id: int, run: int) -> str:
    return f"{380 + (provider_id * 7 + run) % 110}.{(provider_id * 13 + run) % 100:02d}"


def storm(port: int, market: Market, package, run: int, window: float, margin: float) -> tuple[list[Shot], dict]:
    path = f"/a/{market.slug}/api/v1/provider/calloffs/{package.pk}/bid/submit/"
    deadline = package.bid_deadline.timestamp()
    window_end = deadline - margin
    window_start = window_end - window
    if time.time() > window_start:
        raise SystemExit("publishing took too long: the window has started; use a longer --lead")
    chance = random.Random(run)
    results, lock, threads, prices = [], threading.Lock(), [], {}

    def client(index: int, provider_id: int, token: str, at: float) -> None:
        price = prices[provider_id] = price_for(provider_id, run)
        body, key = bid_body(provider_id, price), secrets.token_urlsafe(18)
        # first, as a real client would, read the package (this also warms every server worker up)
        status, _ = _request(port, "GET", f"/a/{market.slug}/api/v1/provider/calloffs/{package.pk}/", token)
        if status != 200:
            with lock:
                results.append(Shot("read", provider_id, status=status, error="could not read the package"))
        time.sleep(max(0.0, at - time.time()))
        if index % 10 == 3:   # a double click: the same request twice at once
            twin = threading.Thread(target=fire, args=(port, path, token, body, key, Shot("double", provider_id),
                                                       results, lock))
            twin.start()
            fire(port, path, token, body, key, Shot("first", provider_id), results, lock)
            twin.join()
        else:
            fire(port, path, token, body, key, Shot("first", provider_id), results, lock)
            if index % 5 == 0:   # the answer was lost: send the same again
                fire(port, path, token, body, key, Shot("retry", provider_id), results, lock)

    for index, (provider_id, token) in enumerate(sorted(market.tokens.items())):
        at = window_start + chance.random() * window
        threads.append(threading.Thread(target=client, args=(index, provider_id, token, at)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # after the deadline: late revisions, with new keys
    time.sleep(max(0.0, deadline + 1 - time.time()))
    late = []
    for provider_id, token in sorted(market.tokens.items())[:LATE_CLIENTS]:
        shot = Shot("late", provider_id)
        late.append(threading.Thread(target=fire, args=(port, path, token, bid_body(provider_id, "1.00"),
                                                        secrets.token_urlsafe(18), shot, results, lock)))
    for thread in late:
        thread.start()
    for thread in late:
        thread.join()
    return results, prices


# --- Checks --------------------------------------------------------------------------------

def verify(market: Market, package, prices: dict, results: list[Shot]) -> dict:
    from django_tenants.utils import schema_context

    from tenants.calloffs import sealing
    from tenants.calloffs.models import Bid, BidReceipt, Package
    from tenants.calloffs.tasks import package_close_task

    failures = []
    n = len(market.tokens)
    with schema_context(market.authority.schema_name):
        bids = list(Bid.objects.filter(package=package))
        receipts = BidReceipt.objects.filter(bid__package=package)
        if len(bids) != n or len({b.provider_id for b in bids}) != n:
            failures.append(f"{len(bids)} bids from {len({b.provider_id for b in bids})} providers, not {n}")
        if any(b.status != Bid.Status.SUBMITTED or b.version != 1 for b in bids):
            failures.append("a bid is not submitted once (a retry became a revision, or a late one got in)")
        if receipts.count() != len(bids):
            failures.append(f"{receipts.count()} receipts for {len(bids)} bids")
        if receipts.filter(received_at__gte=package.bid_deadline).exists():
            failures.append("a receipt is at or after the deadline")
        wrong = [b.provider_id for b in bids if sealing.unseal(b)["weekly_price"] != prices.get(b.provider_id)]
        if wrong:
            failures.append(f"{len(wrong)} sealed prices differ from what was sent")
        started = time.perf_counter()
        closed = package_close_task(package.pk, "deadline")
        closing = time.perf_counter() - started
        package.refresh_from_db()
        opened = list(Bid.objects.filter(package=package, opened_at__isnull=False))
        if not closed or package.status != Package.Status.CLOSED or len(opened) != n:
            failures.append(f"closing opened {len(opened)} of {n} bids (package {package.status})")
        if any(str(b.weekly_price) != prices[b.provider_id] for b in opened):
            failures.append("an opened price differs from what was sent")
        if package_close_task(package.pk, "sweep"):
            failures.append("the package closed twice")
    if any(s.kind == "read" for s in results):
        failures.append("a client could not read the package")
    late = [s for s in results if s.kind == "late"]
    if any(s.status != 409 for s in late):
        failures.append(f"late revisions answered {sorted({s.status for s in late})}, not 409")
    return {"failures": failures, "closing": closing, "bids": len(bids), "receipts": n}


# --- Reporting -----------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94] if len(values) > 1 else values[0]


def summarise(results: list[Shot]) -> dict:
    in_time = [s for s in results if s.kind not in ("late", "read")]
    ok = [s for s in in_time if s.status in (200, 201) and not s.error]
    latencies = [s.latency * 1000 for s in ok]
    first = [s for s in in_time if s.kind in ("first", "double")]
    created = sum(1 for s in first if s.status == 201)
    replays = sum(1 for s in ok if s.replayed)
    span = max(s.done for s in in_time) - min(s.sent for s in in_time)
    return {"requests": len(in_time), "errors": len(in_time) - len(ok), "created": created, "replays": replays,
            "median": statistics.median(latencies), "p95": p95(latencies), "max": max(latencies),
            "throughput": len(in_time) / span if span else float("nan"),
            "late_refused": sum(1 for s in results if s.kind == "late" and s.status == 409),
            "refusals": ", ".join(f"{n} x {status or 'no answer'}" for status, n in
                                  sorted(Counter(s.status for s in in_time if s not in ok).items()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--providers", type=int, nargs="+", default=[200],
                        help="how many providers bid; several counts are measured in turn in every run")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the bids are spread")
    parser.add_argument("--margin", type=float, default=5.0, help="seconds from the end of the window to the deadline")
    parser.add_argument("--lead", type=float, default=70.0, help="seconds from publication to the deadline")
    args = parser.parse_args()
    if args.lead < args.window + args.margin + 3:
        parser.error("--lead must exceed --window and --margin by at least 3 seconds (to publish)")
    database = os.environ["DATABASE_URL"].rsplit("/", 1)[-1]
    if "bench" not in database:
        raise SystemExit(f"refusing to run against {database}: the bid storm needs a bench database of its own")

    load = _setup.load()
    _setup.start()
    markets = {}
    for count in args.providers:
        print(f"Setting up {count} providers in {database} ...", flush=True)
        markets[count] = market_ensure(count, SLUG if count == 200 else f"{SLUG}-{count}")
    log_path = Path(tempfile.mkdtemp(prefix="bid-storm-")) / "server.log"
    server, port = server_start(log_path)
    rows = {count: [] for count in args.providers}
    try:
        for run in range(1, args.runs + 1):
            for count in args.providers:
                market = markets[count]
                package = package_publish(market, run, args.lead)
                results, prices = storm(port, market, package, run, args.window, args.margin)
                checks = verify(market, package, prices, results)
                row = summarise(results) | checks
                rows[count].append(row)
                status = ("all checks passed" if not checks["failures"]
                          else "FAILED: " + "; ".join(checks["failures"]))
                print(f"  run {run}, {count} providers: {row['requests']} requests ({row['created']} bids made, "
                      f"{row['replays']} retries answered with their receipt), {row['errors']} errors "
                      f"({row['refusals'] or 'none'}); median "
                      f"{row['median']:.0f} ms, p95 {row['p95']:.0f} ms, max {row['max']:.0f} ms; "
                      f"{row['throughput']:.1f} requests/s; {row['late_refused']}/{LATE_CLIENTS} late refused; "
                      f"closing opened {row['bids']} bids in {row['closing'] * 1000:.0f} ms; {status}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    failed = [row for runs in rows.values() for row in runs if row["failures"]]

    def median(count, name):
        return statistics.median(row[name] for row in rows[count])

    def spread(count, name, scale=1.0):
        values = [row[name] * scale for row in rows[count]]
        return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"

    workers = os.environ.get("WEB_CONCURRENCY", "3")
    threads = os.environ.get("WEB_THREADS", "2")
    print()
    print(f"Machine: {_setup.machine()}; commit {_setup.commit()}; load average (1/5/15 min) {load} when it "
          f"started, {_setup.load()} at the end.")
    print(f"gunicorn: {workers} workers x {threads} threads; window {args.window:.0f} s ending {args.margin:.0f} s "
          f"before the deadline, published {args.lead:.0f} s before it; {args.runs} runs; medians (range).")
    print()
    print("| Bids | Window | Requests | Errors | Median ms | p95 ms | Max ms | Throughput | Closing (opens all) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count in args.providers:
        print(f"| {count} | {args.window:.0f} s | {median(count, 'requests'):.0f} | {median(count, 'errors'):.0f} | "
              f"{spread(count, 'median')} | {spread(count, 'p95')} | {spread(count, 'max')} | "
              f"{median(count, 'throughput'):.1f}/s | {spread(count, 'closing', 1000)} ms |")
    if failed:
        raise SystemExit(f"{len(failed)} run(s) failed their checks (server log: {log_path})")


if __name__ == "__main__":
    main()
