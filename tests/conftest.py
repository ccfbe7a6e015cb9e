"""Test set-up: a real PostgreSQL test database with real schemas, the
regional site and a small region of authorities created once per session
(cloned from the template, as in production), and real Redis.

Most tests run inside a transaction that is rolled back. Tests marked
`worker` or `browser` talk to other processes (a Celery worker, a web
server), which can only see committed data: they use `committed_db`, create
their own uniquely named data, and run last.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests import support


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks added here
def pytest_collection_modifyitems(config, items):
    """Run the tests that commit data after the ones that roll back. The
    fuzzing group runs only when asked for by marker (-m fuzz, make fuzz).

    In parallel (tests.parallel) every worker has its own database, and
    `--dist loadgroup --no-loadscope-reorder` hands each worker its tests in
    this order, so there too the committing tests run after the others. The
    tests of a module that starts a web server or a Celery worker are marked
    as an xdist_group of the module, to stay on one worker that starts it once.
    (pytest-xdist 3.8 names a grouped test through an attribute pytest 9.2 no
    longer reads; tests.parallel carries the name over, after xdist's hook.)"""
    if "fuzz" not in (config.getoption("markexpr") or ""):
        skip = pytest.mark.skip(reason="schemathesis runs only with -m fuzz (make fuzz)")
        for item in items:
            if item.get_closest_marker("fuzz"):
                item.add_marker(skip)
    commits = ("committed", "worker", "browser", "fuzz")
    last = [item for item in items if any(item.get_closest_marker(m) for m in commits)]
    first = [item for item in items if item not in last]
    items[:] = first + last
    for item in last:
        if item.get_closest_marker("browser") or item.get_closest_marker("worker"):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session", autouse=True)
def _private_files(tmp_path_factory):
    """Evidence files go to a folder of this test run, not the project's var/."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("private")
    with override_settings(EVIDENCE_ROOT=str(root)):
        yield root


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb,
                    django_db_createdb, django_db_modify_db_settings):
    """The test database, always (pytest-django would skip it when only
    committing tests are selected), then the template schema, the regional
    site and the session's authorities.

    As in production, the database is created and migrated by the owner role
    and the tests run as the application's role, which owns nothing
    (tenancy.roles); tests that tamper use support.superuser_connection()."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from tenancy.roles import as_owner, grants_ensure
    from tenancy.services import platform_ensure, template_schema_ensure

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        support.database_roles_ensure()
        with as_owner():
            db_cfg = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                     aliases={"default"}, serialized_aliases=set(), keepdb=keepdb)
            assert connection.settings_dict["NAME"].startswith("test_"), "refusing to test a real database"
            cache.clear()
            template_schema_ensure()
            grants_ensure()
            platform_ensure()
        if not keepdb or not support.region_exists():
            support.build_region()
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            with connection.cursor() as cursor:  # servers and workers that are still letting go
                cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                               "AND usename = current_user")
            with as_owner():
                teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _public_schema():
    """Every test starts in the public schema, as every request does."""
    from django.db import connection

    connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Route look-ups, rate limits and used two-factor codes start empty:
    the cache is not rolled back with the database."""
    cache.clear()


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process unless a test starts a real worker."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _broker_not_known_down():
    """A test that found the broker unreachable must not make the next ones
    leave their messages to the flush (outbox.services keeps that per process)."""
    from outbox.services import broker_reachable_again

    broker_reachable_again()
    yield
    broker_reachable_again()


@pytest.fixture
def region(django_db_setup) -> support.Region:
    return support.region()


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Database access outside a transaction: what is written is committed,
    so other processes see it. Use unique names; nothing is rolled back."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(autouse=True)
def _mail_goes_to_the_outbox(settings):
    """Every test starts with e-mail going to Django's test outbox, whatever
    an earlier test left behind."""
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend", (
        f"an earlier test left EMAIL_BACKEND set to {settings.EMAIL_BACKEND}")
