"""Provisioning an authority: cloning the template schema vs replaying every
migration, with 1 and with 100 authorities already present.

    .venv/bin/python bench/provisioning.py [--runs 7] [--present 1 100 200]

Times authority_create (the service behind the command and the admin) in
this process, so start-up is not counted. The counts are measured in the order
given (`--present 200 1` fills to 200, measures, removes all but one and
measures again). Each measured authority is removed again (untimed), so the
number present stays at 1 or 100; the two ways are
interleaved so both meet the same conditions, and each creation starts after
a CHECKPOINT in a fresh database session. Uses its own database
(jointly_bench). Prints a Markdown table for docs/benchmarks.md.
"""

import argparse
import statistics
import time

import _setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--present", type=int, nargs="+", default=[1, 100])
    args = parser.parse_args()
    started_load = _setup.load()
    _setup.start()

    from django.db import connection

    from tenancy.models import Authority
    from tenancy.services import authority_create

    def existing():
        return Authority.objects.exclude(schema_name="public")

    def drop(authority):
        """Its schema, its chain's anchors and every public row pointing at it,
        in SQL: the ORM's delete would look for its rows in tenant tables
        (agreements name who may call off) from the public schema. The
        service has no delete; nor does the admin."""
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")  # the anchors are append-only
            cursor.execute(f'DROP SCHEMA IF EXISTS "{authority.schema_name}" CASCADE')
            cursor.execute("SELECT to_regclass('jointly_audit.chain_anchor') IS NOT NULL")
            if cursor.fetchone()[0]:
                cursor.execute("DELETE FROM jointly_audit.chain_anchor WHERE chain = %s", [authority.schema_name])
            cursor.execute("SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
                           "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                           "WHERE c.contype = 'f' AND c.confrelid = 'public.tenancy_authority'::regclass")
            for table, column in cursor.fetchall():
                cursor.execute(f'DELETE FROM {table} WHERE "{column}" = %s', [authority.pk])
            cursor.execute("DELETE FROM tenancy_authority WHERE id = %s", [authority.pk])
            cursor.execute("SET session_replication_role = DEFAULT")

    # Authorities a previous (interrupted) invocation made are kept, and numbered on from.
    numbers = [int(slug.rsplit("-", 1)[1]) for slug in existing().values_list("slug", flat=True)
               if slug.rsplit("-", 1)[-1].isdigit()]
    made = max(numbers, default=0)

    def fill_to(n):
        nonlocal made
        extra = list(existing().order_by("-pk")[:max(0, existing().count() - n)])
        for authority in extra:  # fewer than before: remove the newest
            drop(authority)
        while existing().count() < n:
            made += 1
            if made % 10 == 0:
                # A session that has made many schemas slows each further one
                # (see docs/benchmarks.md): a new one every ten, as a script should.
                connection.close()
            authority_create(actor=None, kind="council", name=f"Bench Council {made}",
                             slug=f"bench-{made}", official_code=f"E0{7000000 + made}")
        with connection.cursor() as cursor:
            # What autovacuum does soon after a burst of new schemas: fresh
            # catalogue statistics (see docs/benchmarks.md).
            cursor.execute("VACUUM ANALYZE")

    def create_one(by_migrating):
        nonlocal made
        made += 1
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        # A fresh database session, as a command or a recycled web connection
        # has: a session that has itself just created 100 schemas carries
        # catalogue caches that make each new one 3-5 times slower.
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        started = time.perf_counter()
        authority = authority_create(actor=None, kind="council", name=f"Measured {made}",
                                     slug=f"measured-{made}", official_code=f"E0{8000000 + made}",
                                     by_migrating=by_migrating)
        elapsed = time.perf_counter() - started
        drop(authority)
        return elapsed

    rows = []
    for present in args.present:
        fill_to(present)
        times = {False: [], True: []}
        for _ in range(args.runs):
            for by_migrating in (False, True):
                times[by_migrating].append(create_one(by_migrating))
        for label, by_migrating in (("cloning the template", False), ("replaying migrations", True)):
            runs = times[by_migrating]
            rows.append((present, label, statistics.median(runs) * 1000, min(runs) * 1000, max(runs) * 1000))
            print(f"  {present:>3} present, {label}: median {rows[-1][2]:.0f} ms", flush=True)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'tenant_template'")
        tables = cursor.fetchone()[0]
    print()
    print(f"Machine: {_setup.machine()}; commit {_setup.commit()}; {tables} tables per authority schema; "
          f"{args.runs} runs each; load average (1/5/15 min) {started_load} at the start, {_setup.load()} at the end.")
    print()
    print("| Authorities present | Provisioned by | Median | Fastest | Slowest |")
    print("|---:|---|---:|---:|---:|")
    for present, label, median, low, high in rows:
        print(f"| {present} | {label} | {median:.0f} ms | {low:.0f} ms | {high:.0f} ms |")
    for stale in existing():
        drop(stale)


if __name__ == "__main__":
    main()
