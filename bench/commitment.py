"""The commitment report for 2,000 live placements across 10 authorities.

    .venv/bin/python bench/commitment.py [--runs 9] [--authorities 10] [--placements 2000]

Fills its own database (jointly_bench_commitment; BENCH_COMMITMENT_DATABASE_URL
to change it) once: ten councils, each with an agreement of three lots, twenty
providers and its share of the placements (bulk inserts, not the award flow):
live placements started over the last two years (and a tenth as many again
that have ended), one in
five co-funded 60/40 with the next council, one in three varied (half of
those backdated, half with a unit rate) and every one uplifted from this
April. Then times `commitment.commitment()` (the service: one SQL statement
and three look-ups) for each authority and for all ten one after another,
and the page as a finance viewer for one authority, reporting medians of
`--runs` timed calls after warming up and the queries each took (which do not
depend on the numbers: the anchor is an authority with one placement).
Prints Markdown for docs/benchmarks.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal

os.environ["DATABASE_URL"] = os.environ.get("BENCH_COMMITMENT_DATABASE_URL",
                                            "postgres://postgres@127.0.0.1:5432/jointly_bench_commitment")
if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[-1]:
    sys.exit("Refusing to fill a database whose name does not say bench.")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import _setup  # noqa: E402

PREFIX = "bench-commit"
TOTP_SECRET = "JOINTLYBENCHSECRETJOINTLYBENCH23"


def _slug(n: int) -> str:
    return f"{PREFIX}-{n}"


def _fill(n: int, placements: int, cofunder=None):
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
    from tenants.agreements import services as agreements
    from tenants.calloffs.models import Bid, Package
    from tenants.placements.models import CostLine, Funder, Placement

    slug = _slug(n)
    found = Authority.objects.filter(slug=slug).first()
    if found:
        return found
    print(f"Filling {slug}: {placements} placements", file=sys.stderr)
    region, _ = Region.objects.get_or_create(ons_code="E12000002", defaults={"name": "North West"})
    authority = authority_create(actor=None, kind=Authority.Kind.COUNCIL, name=f"Bench council {n}", slug=slug,
                                 official_code=f"E06009{n:03d}", region=region)
    officer = User.objects.create_user(email=f"officer@{slug}.bench", password=None, full_name="Bench Officer")
    TOTP.activate(officer, TOTP_SECRET)  # staff roles count only with a second factor
    membership_grant(actor=None, authority=authority, user=officer, role=AuthorityRole.COMMISSIONER)
    finance = User.objects.create_user(email=f"finance@{slug}.bench", password=None, full_name="Bench Finance")
    TOTP.activate(finance, TOTP_SECRET)
    membership_grant(actor=None, authority=authority, user=finance, role=AuthorityRole.FINANCE_VIEWER)
    providers = Provider.objects.bulk_create([Provider(legal_name=f"Bench {slug} {i} Ltd", name=f"Care {slug} {i}")
                                              for i in range(20)])
    rng = random.Random(n)
    today = timezone.localdate()
    april = today.replace(month=4, day=1) if today.month >= 4 else today.replace(year=today.year - 1, month=4,
                                                                                   day=1)
    now = timezone.now()
    with schema_context(authority.schema_name), transaction.atomic():
        agreement = agreements.agreement_create(actor=officer, kind="dps", reference=f"BENCH-{slug}",
                                                title="Care and support DPS", service_area="Care",
                                                starts_on=today - timedelta(days=800),
                                                ends_on=today + timedelta(days=1000))
        service_type = ServiceType.objects.get(code="home-care")
        lots = [agreements.lot_add(actor=officer, agreement=agreement, number=str(i), title=f"Lot {i}",
                                   service_type=service_type) for i in (1, 2, 3)]
        total = placements + placements // 10  # the live ones, and ended ones beside them
        starts = [today - timedelta(days=rng.randrange(730)) for _ in range(total)]
        packages = Package.objects.bulk_create([
            Package(reference=f"{slug}-{i}", agreement=agreement, lot=lots[i % 3], called_off_by=authority,
                    status="awarded", title="Care", outcomes="Bench.", support_needed="Bench.", start_on=start,
                    locality="Bench", budget_weekly=Decimal("900"), clarification_deadline=now - timedelta(days=900),
                    bid_deadline=now - timedelta(days=899), created_by=officer)
            for i, start in enumerate(starts)], batch_size=1000)
        prices = [Decimal(rng.randrange(30000, 150000)) / 100 for _ in packages]
        bids = Bid.objects.bulk_create([
            Bid(package=p, provider=providers[i % 20], status="submitted", sealed=b"", updated_by=officer,
                weekly_price=prices[i]) for i, p in enumerate(packages)], batch_size=1000)
        made = Placement.objects.bulk_create([
            Placement(package=p, bid=bids[i], provider=providers[i % 20], payer_id=p.called_off_by_id,
                      status="ended" if i >= placements else "live",
                      start_on=starts[i], weekly_cost=prices[i], went_live_at=now,
                      ended_on=min(today, starts[i] + timedelta(days=rng.randrange(30, 400)))
                      if i >= placements else None, end_reason="Bench." if i >= placements else "")
            for i, p in enumerate(packages)], batch_size=1000)
        funders = []
        for i, p in enumerate(made):
            if cofunder is not None and i % 5 == 0:
                funders += [Funder(placement=p, authority=authority, share=Decimal("60")),
                            Funder(placement=p, authority=cofunder, share=Decimal("40"))]
            else:
                funders.append(Funder(placement=p, authority=authority, share=Decimal("100")))
        Funder.objects.bulk_create(funders, batch_size=2000)
        lines = []
        for i, p in enumerate(made):
            lines.append(CostLine(placement=p, effective_from=p.start_on, rate=prices[i], weekly_amount=prices[i],
                                  source="award", made_by=officer, made_at=now - timedelta(days=800)))
            if i % 3 == 0:
                varied_from = p.start_on + timedelta(days=rng.randrange(1, 200))
                rate = Decimal(rng.randrange(1800, 3000)) / 100
                lines.append(CostLine(placement=p, effective_from=varied_from, unit="hour", rate=rate,
                                      quantity=Decimal("20"), weekly_amount=rate * 20, source="variation",
                                      reason="Bench.", made_by=officer,
                                      made_at=now - timedelta(days=rng.randrange(0, 30))))
            if p.start_on <= april:
                lines.append(CostLine(placement=p, effective_from=april, rate=prices[i] * Decimal("1.04"),
                                      weekly_amount=(prices[i] * Decimal("1.04")).quantize(Decimal("0.01")),
                                      source="uplift", reason="Bench.", made_by=officer, made_at=now))
        CostLine.objects.bulk_create(lines, batch_size=2000)
    return authority


def _time(fn, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        fn()
    return statistics.median(times), len(queries)


def fill_region(authorities: int, placements: int):
    """`authorities` filled with `placements` between them, each co-funding
    the one before, and an anchor authority of one placement; then ANALYZE."""
    from django.db import connection

    each = placements // authorities
    made = []
    for n in range(authorities):
        made.append(_fill(n, each, cofunder=made[-1] if made else None))
    anchor = _fill(99, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return made, anchor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--authorities", type=int, default=10)
    parser.add_argument("--placements", type=int, default=2000)
    args = parser.parse_args()
    _setup.start()
    from django.test import Client
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import User
    from tenants.placements import commitment
    from tenants.placements.models import CostLine, Placement

    made, anchor = fill_region(args.authorities, args.placements)
    today = timezone.localdate()
    year = commitment.financial_year_of(today)

    def report(authority):
        with schema_context(authority.schema_name):
            return commitment.commitment(year=year, today=today)

    rows = []
    for authority in [anchor, *made]:
        with schema_context(authority.schema_name):
            counts = (Placement.objects.filter(status="live").count(), CostLine.objects.count())
        rows.append((authority.name, counts, *_time(lambda a=authority: report(a), args.runs)))
    across = _time(lambda: [report(a) for a in made], max(3, args.runs // 3))
    client = Client(HTTP_HOST="testserver")
    client.force_login(User.objects.get(email=f"finance@{made[0].slug}.bench"))

    def page():
        response = client.get(f"/a/{made[0].slug}/staff/placements/commitment/")
        assert response.status_code == 200, response.status_code

    shown = _time(page, args.runs)
    print(f"Measured {today:%-d %B %Y} on {_setup.machine()}; commit {_setup.commit()}; median of {args.runs} "
          f"timed runs after 2 to warm up; load average {os.getloadavg()[0]:.2f}.\n")
    print("| Authority | Live placements | Cost lines | Service median | Queries |")
    print("|---|---:|---:|---:|---:|")
    for name, (placements, lines), median, queries in rows:
        print(f"| {name} | {placements} | {lines} | {median:.0f} ms | {queries} |")
    total = sum(r[1][0] for r in rows[1:])
    print(f"| all {len(made)} one after another | {total} | {sum(r[1][1] for r in rows[1:])} | {across[0]:.0f} ms "
          f"| {across[1]} |")
    print(f"\nThe page (/a/{made[0].slug}/staff/placements/commitment/, finance viewer): median {shown[0]:.0f} ms, "
          f"{shown[1]} queries.")
    # The number of queries does not depend on how many placements an authority has: the anchor (one
    # placement), every council and all of them one after another must agree, or the bench fails.
    per_report = {r[3] for r in rows}
    assert len(per_report) == 1 and across[1] == per_report.copy().pop() * len(made), (per_report, across[1])
    print(f"Queries constant (asserted): {per_report.pop()} per authority's report, the anchor included.")


if __name__ == "__main__":
    main()
