"""Shared start-up for the benchmark scripts: Django against a database of
their own (default jointly_bench), created and migrated if needed."""

import os
import platform as stdlib_platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT / "platform", ROOT):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointly_bench")
# Benchmarks own their databases and run as one role (the superuser: they drop
# schemas and take checkpoints), so owner and application are the same here.
os.environ.setdefault("DATABASE_OWNER_URL", os.environ["DATABASE_URL"])
os.environ.setdefault("AUDIT_CHAIN_KEY", "bench-only-audit-chain-key-not-a-secret")
os.environ.setdefault("CACHE_KEY_PREFIX", "jointly-bench")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Benchmarks run on a developer's machine: known local keys (DEBUG follows DJANGO_DEBUG).
os.environ.setdefault("JOINTLY_ENV", "development")


def start() -> None:
    subprocess.run([sys.executable, str(ROOT / "deploy" / "ensure_database.py")], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_all", verbosity=0)


def machine() -> str:
    cpu, ram = "unknown CPU", "unknown RAM"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                break
    except OSError:
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return (f"{os.cpu_count()} cores ({cpu}), {ram}, Python {stdlib_platform.python_version()}, "
            f"PostgreSQL {pg}, {stdlib_platform.system()} {stdlib_platform.release()}")


def commit() -> str:
    """The commit measured (with "+changes" when the work tree differs from it)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return head + (" +changes" if dirty else "")


def load() -> str:
    """The load averages (1, 5, 15 minutes): the machine is shared, so say how busy it was."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())
