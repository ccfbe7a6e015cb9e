"""The settings the migration benchmark runs `manage.py migrate_all` with:
Jointly's own, plus the benchmark's scratch app among the authorities' apps,
whose migrations live in a temporary folder (BENCH_SCRATCH_MIGRATIONS names
the module) so that each run has a new one to apply. Never used elsewhere."""

import os

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, MIGRATION_MODULES, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "bench_scratch"]
INSTALLED_APPS = [*INSTALLED_APPS, "bench_scratch"]
MIGRATION_MODULES = {**MIGRATION_MODULES,
                     "bench_scratch": os.environ.get("BENCH_SCRATCH_MIGRATIONS", "bench_scratch_migrations")}
