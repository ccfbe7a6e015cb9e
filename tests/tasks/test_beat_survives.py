"""Celery beat survives a lost database connection: a real `celery beat`
against the test database, its connection terminated by the server, goes on
sending what is due."""

import secrets
import subprocess
import sys
import textwrap

import pytest
import redis
from django.conf import settings

from tests import support
from tests.tasks.conftest import ROOT

pytestmark = [pytest.mark.worker]


def _sends(log) -> int:
    log.seek(0)
    return log.read().count("Sending due task beat-survives")


def test_beat_goes_on_after_its_database_connection_is_terminated(committed_db, region, tmp_path):
    tag = secrets.token_hex(4)
    queue, app_name = f"jointly-test-beat-{tag}", f"jointly-beat-{tag}"
    # beat with one entry due every second, read from the authorities like the real ones
    (tmp_path / "beat_app.py").write_text(textwrap.dedent("""
        from config.celery import app

        app.conf.beat_schedule = {"beat-survives": {
            "task": "audit.verify_chain", "schedule": 1.0, "tenant_schemas": ["alpha"]}}
    """))
    env = support.process_env(CELERY_TASK_DEFAULT_QUEUE=queue, PGAPPNAME=app_name)
    env["PYTHONPATH"] = f"{tmp_path}:{env.get('PYTHONPATH', '')}"
    log = (tmp_path / "beat.log").open("w+")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "beat_app", "beat", "--loglevel", "INFO", "--max-interval", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        support.wait_for(lambda: _sends(log) >= 2, timeout=60, what="beat to send its first tasks")
        with support.superuser_connection() as su, su.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                           [app_name])
            assert cursor.fetchall(), "beat's database connection was not found"
        before = _sends(log)

        def sent_again():
            if beat.poll() is not None:
                log.seek(0)
                raise AssertionError(f"beat stopped:\n{log.read()}")
            return _sends(log) >= before + 2

        support.wait_for(sent_again, timeout=30, what="beat to send again after losing its connection")
        assert beat.poll() is None
        log.seek(0)
        assert "Beat lost its database connection sending beat-survives" in log.read()
    finally:
        beat.terminate()
        try:
            beat.wait(timeout=20)
        except subprocess.TimeoutExpired:
            beat.kill()
        log.close()
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)
