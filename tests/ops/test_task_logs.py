"""A task's log lines carry its id, its name and the authority it ran for:
a real Celery worker, logging JSON as in production."""

from __future__ import annotations

import json
import uuid

import pytest
from django_tenants.utils import schema_context

from ops import heartbeat
from ops.tasks import beat_heartbeat_task
from tests import support
from tests.tasks.conftest import _route, _start_worker, _stop_worker

pytestmark = pytest.mark.worker


@pytest.fixture
def json_worker(committed_db, region, tmp_path, monkeypatch):
    """A worker of its own logging JSON, on every queue with a suffix of its
    own; this process sends its tasks there."""
    from django.conf import settings

    from config.celery import app

    monkeypatch.setenv("LOG_FORMAT", "json")
    suffix = f"-test-ops-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    worker, log = _start_worker(suffix, tmp_path, log_path)
    _route(app, suffix)
    app.conf.task_always_eager = False
    yield log_path
    app.conf.task_always_eager = True
    _route(app, settings.CELERY_QUEUE_SUFFIX)
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    _stop_worker(worker, log)


def _json_lines(path):
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_tasks_lines_carry_its_id_name_and_authority(json_worker, region):
    before = heartbeat.heartbeat_age()
    with schema_context(region.alpha.schema_name):
        result = beat_heartbeat_task.apply_async()

    def done():
        return any(line.get("task_id") == result.id for line in _json_lines(json_worker))

    support.wait_for(done, timeout=30, what="the worker to log the task")
    lines = [line for line in _json_lines(json_worker) if line.get("task_id") == result.id]
    for line in lines:
        assert line["task_name"] == "ops.beat_heartbeat"
        assert line["schema"] == region.alpha.schema_name
        assert line["authority"] == region.alpha.schema_name
        assert line["time"] and line["level"] and line["logger"]
    assert any("succeeded" in line["message"] for line in lines), lines
    # and the heartbeat it records is fresh
    age = heartbeat.heartbeat_age()
    assert age is not None and age < 30 and (before is None or age <= before)
