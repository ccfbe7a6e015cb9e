"""The early-warning dashboard for a large authority: 2,000 providers
admitted, 50,000 intelligence records, quality ratings, missing returns and
contract actions.

    .venv/bin/python bench/risk_dashboard.py [--runs 15] [--providers 2000] [--records 50000]

Fills its own database (jointly_bench_risk; BENCH_RISK_DATABASE_URL to change
it) once: one council, one agreement with a lot, the providers admitted to
it (bulk inserts, not the application flow), intelligence spread over two
years with every kind and severity, a final rating for a fifth of them, some
missing returns and some actions. Then times `risk.dashboard()` (the
service) and the page /a/bench-risk/staff/quality/risk/ as a quality officer
through Django's test client, DEBUG off, and reports the median and 95th
percentile of `--runs` timed calls after warming up, the queries each took
(which do not depend on the numbers), and the colours found. The anchor is
the same page with one provider and ten records, measured in the same run.
Prints Markdown for docs/benchmarks.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta

os.environ["DATABASE_URL"] = os.environ.get("BENCH_RISK_DATABASE_URL",
                                            "postgres://postgres@127.0.0.1:5432/jointly_bench_risk")
if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[-1]:
    sys.exit("Refusing to fill a database whose name does not say bench.")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import _setup  # noqa: E402

SLUGS = {"large": "bench-risk", "anchor": "bench-risk-small"}
CODES = {"bench-risk": "E06000901", "bench-risk-small": "E06000902"}  # made up, in the ONS code's shape
TOTP_SECRET = "JOINTLYBENCHSECRETJOINTLYBENCH23"


def _fill(slug: str, providers: int, records: int) -> None:
    from allauth.mfa.totp.internal.auth import TOTP
    from django.db import transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import User
    from accounts.roles import AuthorityRole
    from accounts.services import membership_grant
    from shared_catalogue.models import Provider, ServiceType
    from tenancy.models import Authority, Region
    from tenancy.services import authority_create
    from tenants.admissions.models import Admission, Application
    from tenants.agreements import services as agreements
    from tenants.quality.models import SEVERITIES, Action, Assessment, Intelligence, KpiReturn
    from tenants.quality.services import kpi_create

    if Authority.objects.filter(slug=slug).exists():
        return
    print(f"Filling {slug}: {providers} providers, {records} records", file=sys.stderr)
    region, _ = Region.objects.get_or_create(ons_code="E12000002", defaults={"name": "North West"})
    authority = authority_create(actor=None, kind=Authority.Kind.COUNCIL, name=f"Bench {slug}", slug=slug,
                                 official_code=CODES[slug], region=region)
    officer = User.objects.create_user(email=f"officer@{slug}.bench", password=None, full_name="Bench Officer")
    TOTP.activate(officer, TOTP_SECRET)
    for role in (AuthorityRole.QUALITY_OFFICER, AuthorityRole.COMMISSIONER):
        membership_grant(actor=None, authority=authority, user=officer, role=role)
    made = Provider.objects.bulk_create([Provider(legal_name=f"Bench risk {slug} {n} Ltd", name=f"Care {slug} {n}")
                                         for n in range(providers)], batch_size=1000)
    rng = random.Random(7)
    today = timezone.localdate()
    with schema_context(authority.schema_name), transaction.atomic():
        agreement = agreements.agreement_create(actor=officer, kind="dps", reference=f"BENCH-{slug}",
                                                title="Home care DPS", service_area="Home care",
                                                starts_on=today - timedelta(days=400),
                                                ends_on=today + timedelta(days=1000))
        lot = agreements.lot_add(actor=officer, agreement=agreement, number="1", title="Home care",
                                 service_type=ServiceType.objects.get(code="home-care"))
        version = agreements.questionnaire_draft(actor=officer, agreement=agreement)
        applications = Application.objects.bulk_create([
            Application(agreement=agreement, provider=p, version=version, status="decided", created_by=officer)
            for p in made], batch_size=1000)
        admissions = Admission.objects.bulk_create([
            Admission(agreement=agreement, lot=lot, provider=a.provider, application=a, status="active",
                      reference=f"{slug}-{a.provider_id}") for a in applications], batch_size=1000)
        kinds, severities = Intelligence.Kind.values, [s for s, _ in SEVERITIES]
        Intelligence.objects.bulk_create([
            Intelligence(provider=rng.choice(made), kind=rng.choice(kinds), occurred_on=today - timedelta(
                days=rng.randrange(730)), source="Bench", severity=rng.choice(severities),
                summary="A bench record.", share="here", recorded_by=officer) for _ in range(records)],
            batch_size=2000)
        Assessment.objects.bulk_create([
            Assessment(provider=p, service="Home care", officer=officer, visit_on=today - timedelta(days=60),
                       status="final", rating=rng.choice(["excellent", "good", "requires_improvement", "poor"]),
                       finalised_at=timezone.now() - timedelta(days=rng.randrange(300)))
            for p in made[: providers // 5]], batch_size=1000)
        kpi = kpi_create(actor=officer, agreement=agreement, code="KPI 1", title="Bench", target=75,
                         covers="admitted", starts_on=today - timedelta(days=300))
        KpiReturn.objects.bulk_create([
            KpiReturn(kpi=kpi, admission=a, provider_id=a.provider_id, period_start=today - timedelta(days=200),
                      period_end=today - timedelta(days=110), due_on=today - timedelta(days=80))
            for a in admissions[: providers // 4]], batch_size=1000)
        Action.objects.bulk_create([
            Action(provider=p, kind=rng.choice(Action.Kind.values), grounds="Bench.", starts_on=today
                   - timedelta(days=10), respond_by=today, created_by=officer) for p in made[: providers // 50]])
    with _connection().cursor() as cursor:
        cursor.execute("ANALYZE")


def _connection():
    from django.db import connection

    return connection


def _time(fn, runs: int) -> tuple[float, float, int]:
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(_connection()) as queries:
        fn()
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--providers", type=int, default=2000)
    parser.add_argument("--records", type=int, default=50000)
    args = parser.parse_args()
    _setup.start()
    _fill(SLUGS["large"], args.providers, args.records)
    _fill(SLUGS["anchor"], 1, 10)

    from collections import Counter

    from django.test import Client
    from django_tenants.utils import schema_context

    from accounts.models import User
    from tenancy.models import Authority
    from tenants.quality import risk

    rows = []
    for label, slug in (("anchor", SLUGS["anchor"]), ("large", SLUGS["large"])):
        authority = Authority.objects.get(slug=slug)
        with schema_context(authority.schema_name):
            from tenants.quality.models import Intelligence

            counts = (len(risk.dashboard()), Intelligence.objects.count())
            colours = Counter(row.risk.colour for row in risk.dashboard())
            service = _time(risk.dashboard, args.runs)
        client = Client(HTTP_HOST="testserver")
        client.force_login(User.objects.get(email=f"officer@{slug}.bench"))
        url = f"/a/{slug}/staff/quality/risk/"

        def page(client=client, url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        shown = _time(page, args.runs)
        rows.append((label, counts, dict(colours), service, shown))
    print(f"Measured {date.today():%-d %B %Y} on {_setup.machine()}; {args.runs} timed runs each after 3 to warm up; "
          f"load average {os.getloadavg()[0]:.2f}.\n")
    print("| Authority | Providers | Intelligence records | Colours (red/amber/green) | Service median (p95) "
          "| Queries | Page median (p95) | Queries |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for label, (providers, records), colours, service, shown in rows:
        spread = "/".join(str(colours.get(c, 0)) for c in ("red", "amber", "green"))
        print(f"| {'anchor: ' if label == 'anchor' else ''}{providers} provider{'s' if providers != 1 else ''} "
              f"| {providers} | {records} | {spread} "
              f"| {service[0]:.0f} ms ({service[1]:.0f}) | {service[2]} | {shown[0]:.0f} ms ({shown[1]:.0f}) "
              f"| {shown[2]} |")


if __name__ == "__main__":
    main()
