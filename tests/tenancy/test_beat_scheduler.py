"""Beat's scheduler skips an entry, and carries on, while the database cannot
be read (the real lost connection: tests/tasks/test_beat_survives.py)."""

import logging
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError

from config.celery import app
from tenancy.beat import ResilientTenantAwareScheduler

pytestmark = pytest.mark.committed


def test_with_the_database_down_an_entry_is_skipped_and_logged(committed_db, region, caplog):
    scheduler = ResilientTenantAwareScheduler(app=app, lazy=True)
    scheduler.merge_inplace(settings.CELERY_BEAT_SCHEDULE)
    entry = scheduler.schedule["calloffs.close_due@__all_tenants_only__"]
    down = mock.patch.object(ResilientTenantAwareScheduler, "get_queryset",
                             side_effect=OperationalError("server closed the connection unexpectedly"))
    with down as reads, mock.patch.object(scheduler, "apply_async") as sends, \
            caplog.at_level(logging.WARNING, logger="jointly.ops"):
        assert scheduler.apply_entry(entry) is None  # no exception: beat's loop goes on
    assert reads.call_count == 2 and not sends.called  # tried once more on a fresh connection, sent nothing
    logged = [r.getMessage() for r in caplog.records if r.name == "jointly.ops"]
    assert any("reconnecting" in m for m in logged) and any("skipped" in m for m in logged), logged

    # the database back: the next time it is due, it goes to every authority
    with mock.patch.object(scheduler, "apply_async") as sends:
        scheduler.apply_entry(entry)
    assert sends.call_count >= 2
