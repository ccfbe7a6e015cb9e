"""Payment schedules for 2,000 live placements across 10 authorities.

    .venv/bin/python bench/payments.py [--runs 3] [--authorities 10] [--placements 2000]

Fills its own database (jointly_bench_payments; BENCH_PAYMENTS_DATABASE_URL
to change it) once, the way bench/commitment.py fills its own (the same
filler: ten councils, three lots, twenty providers each, placements started
over two years, a tenth as many ended, one in five co-funded, one in three
varied, every one uplifted from April). Then, for last month's period in
each authority, times `payments.services.schedules_generate()` (the
service: the cost of every placement from its cost lines in one SQL
statement; the drafts are made again on each run) and the CSV export of the
period's schedules, reporting medians of `--runs` timed calls after one to
warm up and the queries each took (which do not depend on the numbers: the
anchor is an authority with one placement). Prints Markdown for
docs/benchmarks.md.
"""

import argparse
import os
import sys
from datetime import timedelta

DATABASE = os.environ.get("BENCH_PAYMENTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointly_bench_payments")
# The commitment bench's filler reads its database from BENCH_COMMITMENT_DATABASE_URL: point it at ours.
for name in ("BENCH_COMMITMENT_DATABASE_URL", "DATABASE_URL", "DATABASE_OWNER_URL"):
    os.environ[name] = DATABASE

import _setup  # noqa: E402
from commitment import _time, fill_region  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--authorities", type=int, default=10)
    parser.add_argument("--placements", type=int, default=2000)
    args = parser.parse_args()
    _setup.start()
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from accounts.models import User
    from tenants.payments import exports
    from tenants.payments import services as payments
    from tenants.payments.models import Line, Schedule

    made, anchor = fill_region(args.authorities, args.placements)
    day = timezone.localdate().replace(day=1) - timedelta(days=1)  # last month

    rows = []
    for authority in [anchor, *made]:
        finance = User.objects.get(email=f"finance@{authority.slug}.bench")
        with schema_context(authority.schema_name):
            period = payments.period_open(actor=finance, day=day)

            def generate(period=period, finance=finance):
                return payments.schedules_generate(actor=finance, period=period)

            timed = _time(generate, args.runs)
            schedules = list(Schedule.objects.filter(period=period))
            lines = Line.objects.filter(schedule__period=period).count()
            exported = _time(lambda s=schedules: exports.export_csv(s), args.runs)
        rows.append((authority.name, len(schedules), lines, timed, exported))
    print(f"Measured {timezone.localdate():%-d %B %Y} on {_setup.machine()}; commit {_setup.commit()}; median of "
          f"{args.runs} timed runs after 1 to warm up; load average {_setup.load()}.\n")
    print("| Authority | Schedules | Lines | Generate median | Queries | CSV export median | Queries |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, schedules, lines, (g_ms, g_q), (e_ms, e_q) in rows:
        print(f"| {name} | {schedules} | {lines} | {g_ms:.0f} ms | {g_q} | {e_ms:.0f} ms | {e_q} |")
    print(f"\nPeriod: {period.label}; {sum(r[2] for r in rows[1:])} lines across {len(made)} authorities.",
          file=sys.stdout)
    # The number of queries does not depend on how many placements an authority has: the anchor (one
    # placement) and every council of 200 must cost the same, or the bench fails.
    generating, exporting = {r[3][1] for r in rows}, {r[4][1] for r in rows}
    assert len(generating) == 1 and len(exporting) == 1, (generating, exporting)
    print(f"Queries constant (asserted): {generating.pop()} to generate and {exporting.pop()} to export in every "
          "authority, the anchor included.")


if __name__ == "__main__":
    main()
