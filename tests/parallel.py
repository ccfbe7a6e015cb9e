"""The suite in parallel (pytest-xdist, `make test`): what each worker
process keeps to itself. Loaded with `-p tests.parallel` (pyproject.toml)
before pytest-django reads the settings.

- PostgreSQL: a test database each; pytest-django adds the worker's id to
  its name (test_jointly_gw0, test_jointly_gw1), the regional site and the
  session's authorities are built in each.
- Redis: databases of its own for the broker and the cache, because tests
  clear the cache (a FLUSHDB) and count what waits on a queue. Worker n uses
  the configured database numbers minus 2n (15 and 14 by default: gw1 uses
  13 and 12). They are set here in the environment, so the Celery workers,
  beat and web servers the tests start (tests.support.process_env) inherit them.
- Files (private evidence, mail written by workers and servers) go to
  folders under the worker's own temporary directory (tmp_path_factory), and
  servers listen on ports the system hands out.

Serially (`-n0`, or no xdist) nothing here changes anything.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# The settings' test defaults (config.settings), which a .env file or the
# environment may change.
_DEFAULTS = {"REDIS_URL": "redis://127.0.0.1:6379/15", "CACHE_URL": "redis://127.0.0.1:6379/14"}
_REDIS_VARIABLES = ("REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def _redis_db(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def worker_number() -> int | None:
    """0 for gw0, 1 for gw1..., None when the suite runs in one process."""
    found = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(found.group(1)) if found else None


def _separate_redis(number: int, workers: int) -> None:
    import environ

    environ.Env.read_env(Path(__file__).resolve().parents[1] / ".env", overwrite=False)  # as the settings do
    urls = {name: os.environ.get(name) or _DEFAULTS.get(name) for name in _REDIS_VARIABLES}
    urls = {name: url for name, url in urls.items() if url}
    bases = {_redis_db(url) for url in urls.values()}
    taken = {base - 2 * n for base in bases for n in range(workers)}
    if min(taken) < 2 or len(taken) != len(bases) * workers:  # 0 and 1 are `make run`'s
        raise pytest.UsageError(
            f"{workers} test workers need Redis databases of their own: the configured ones "
            f"({', '.join(map(str, sorted(bases)))}) minus 2 for each worker overlap or reach 0 and 1 (`make run`'s). "
            "Run fewer workers (-n 2) or give the broker and cache high database numbers (15 and 14).")
    for name, url in urls.items():
        os.environ[name] = _with_db(url, _redis_db(url) - 2 * number)


_number = worker_number()
if _number is not None:
    _separate_redis(_number, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook has named each grouped test
def pytest_collection_modifyitems(config, items):
    """Keep `xdist_group` marks working under pytest 9.2. With
    `--dist loadgroup`, pytest-xdist 3.8 puts a test in its group by setting
    `item._nodeid` to "<nodeid>@<group>", which pytest 9.2 no longer reads
    (the node id is `item._id`, a NodeId): the groups were ignored and a
    module marked as one group (a web server, a Celery worker, the demo seed)
    could be split across workers. Carry xdist's name over to the node id."""
    if _number is None or not config.getvalue("loadgroup"):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # an older pytest reads `_nodeid` itself
        return
    for item in items:
        renamed = item.__dict__.get("_nodeid")
        if isinstance(renamed, str) and "@" in renamed and item.nodeid != renamed:
            item._id = NodeId.parse(renamed)
