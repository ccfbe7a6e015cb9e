"""`manage.py migrate_all` over many authority schemas: applying a new
migration, and with nothing to apply, against 1, 10 and 200 schemas.

    .venv/bin/python bench/migrate_all.py [--runs 3] [--schemas 1 10 200] [--keep]

Each count has a database of its own (jointly_bench_migrate_<n>), made and
filled once with that many authorities (authority_create, cloning the
template; a fresh database session every ten, see docs/benchmarks.md). The
command runs with bench/migrate_settings.py: Jointly's settings plus a scratch
app among the authorities' apps, whose migrations live in a temporary folder.
Every run writes the scratch app's next migration (it creates a one-column
table), then for each count times, as separate processes and from start to
exit, as an operator runs it:

1. `manage.py migrate_all` that applies it to every authority's schema (and
   the template's), and checks that every schema has the new table;
2. `manage.py migrate_all` again, with nothing to apply.

Each timed command starts after a CHECKPOINT. The counts alternate within a
run, so the small ones are the anchor for the large, measured in the same
minutes. The databases are dropped at the end (unless --keep). Prints a
Markdown table for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _setup

SERVER = os.environ.get("BENCH_MIGRATE_SERVER", "postgres://postgres@127.0.0.1:5432")
MIGRATION = '''from django.db import migrations


class Migration(migrations.Migration):
    dependencies = {dependencies}
    operations = [
        migrations.RunSQL("CREATE TABLE bench_scratch_{number} (id integer PRIMARY KEY)",
                          "DROP TABLE bench_scratch_{number}"),
    ]
'''


def write_migration(folder: Path, number: int) -> None:
    dependencies = f'[("bench_scratch", "{number - 1:04d}_step")]' if number > 1 else "[]"
    (folder / f"{number:04d}_step.py").write_text(MIGRATION.format(dependencies=dependencies, number=number))


def environment(count: int, scratch: Path) -> dict:
    url = f"{SERVER}/jointly_bench_migrate_{count}"
    return dict(os.environ, DATABASE_URL=url, DATABASE_OWNER_URL=url, DJANGO_SETTINGS_MODULE="migrate_settings",
                PYTHONPATH=os.pathsep.join([str(_setup.ROOT / "bench"), str(scratch.parent)]),
                BENCH_SCRATCH_MIGRATIONS=scratch.name)


def fill(count: int) -> None:
    """In a child process (--fill): the database, migrated, holding `count` authorities."""
    _setup.start()
    from django.db import DatabaseError, connection

    from tenancy.models import Authority
    from tenancy.services import authority_create

    have = Authority.objects.exclude(schema_name="public").count()
    started = time.perf_counter()
    for n in range(have + 1, count + 1):
        if n % 10 == 0:
            connection.close()
        for attempt in range(1, 4):
            try:
                authority_create(actor=None, kind="council", name=f"Migrating Council {n}",
                                 slug=f"migrating-{n}", official_code=f"E0{7000000 + n}")
                break
            except DatabaseError as error:
                # "out of shared memory": the server's lock table (max_locks_per_transaction
                # x connections) is shared, and a clone takes a lock on every object it makes;
                # other sessions' big transactions can fill it (docs/operating.md).
                if "out of shared memory" not in str(error) or attempt == 3:
                    raise
                connection.close()
                time.sleep(10)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"  {count} authorities in jointly_bench_migrate_{count} ({count - have} made in "
          f"{time.perf_counter() - started:.0f} s)", flush=True)


def sql(count: int, statement: str, *, database: str | None = None) -> list:
    import psycopg2

    connection = psycopg2.connect(f"{SERVER}/{database or f'jointly_bench_migrate_{count}'}")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


def timed_migrate(count: int, scratch: Path) -> float:
    sql(count, "CHECKPOINT")
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate_all", "--verbosity", "0"], cwd=_setup.ROOT,
                   env=environment(count, scratch), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--schemas", type=int, nargs="+", default=[1, 10, 200])
    parser.add_argument("--keep", action="store_true", help="keep the databases (they are dropped otherwise)")
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill is not None:
        fill(args.fill)
        return

    load = _setup.load()
    scratch = Path(tempfile.mkdtemp(prefix="bench-migrate-")) / "bench_scratch_migrations"
    scratch.mkdir()
    (scratch / "__init__.py").write_text("")
    write_migration(scratch, 1)
    for count in args.schemas:
        subprocess.run([sys.executable, __file__, "--fill", str(count)], env=environment(count, scratch), check=True)

    times = {count: {"apply": [], "nothing": []} for count in args.schemas}
    try:
        for run in range(1, args.runs + 1):
            number = run + 1
            write_migration(scratch, number)
            for count in args.schemas:
                applying = timed_migrate(count, scratch)
                rows = sql(count, f"SELECT count(*) FROM pg_tables WHERE tablename = 'bench_scratch_{number}'")
                # every authority's schema, and the template's
                if rows[0][0] != count + 1:
                    raise SystemExit(f"{rows[0][0]} schemas have the new table, not {count + 1}")
                nothing = timed_migrate(count, scratch)
                times[count]["apply"].append(applying)
                times[count]["nothing"].append(nothing)
                print(f"  run {run}, {count} schemas: applying one migration {applying:.1f} s, "
                      f"nothing to apply {nothing:.1f} s", flush=True)
        end_load = _setup.load()
        os.environ.update(environment(args.schemas[0], scratch))
        import django

        django.setup()
        machine = _setup.machine()
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            for count in args.schemas:
                sql(count, f"DROP DATABASE IF EXISTS jointly_bench_migrate_{count} WITH (FORCE)", database="postgres")

    print()
    print(f"Machine: {machine}; commit {_setup.commit()}; load average (1/5/15 min) {load} at the start, "
          f"{end_load} at the end; {args.runs} runs; medians (fastest-slowest). Each figure is the whole "
          "command, as a separate process: start-up, the public schema, the template and every authority.")
    print()
    print("| Authority schemas | Applying one new migration | Nothing to apply | Each schema more than the fewest "
          "(applying, nothing) |")
    print("|---:|---:|---:|---:|")
    least = min(args.schemas)
    base = {kind: statistics.median(times[least][kind]) for kind in ("apply", "nothing")}
    for count in args.schemas:
        apply, nothing = times[count]["apply"], times[count]["nothing"]
        extra = (f"{(statistics.median(apply) - base['apply']) / (count - least) * 1000:.0f} ms, "
                 f"{(statistics.median(nothing) - base['nothing']) / (count - least) * 1000:.0f} ms"
                 if count != least else "(the anchor)")
        print(f"| {count} | {statistics.median(apply):.1f} s ({min(apply):.1f}-{max(apply):.1f}) | "
              f"{statistics.median(nothing):.1f} s ({min(nothing):.1f}-{max(nothing):.1f}) | {extra} |")


if __name__ == "__main__":
    main()
