import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests import support

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, tmp_path_factory):
    """A real Celery worker process on a queue of its own, against Redis and
    the test database. Yields (queue, mail folder)."""
    queue = f"jointly-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path_factory.mktemp("mail")
    log = (tmp_path_factory.mktemp("worker") / "worker.log").open("w+")
    env = support.process_env(
        CELERY_TASK_DEFAULT_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=mail_dir,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "config", "worker", "--pool", "solo",
         "--queues", queue, "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def ready():
        if worker.poll() is not None:
            log.seek(0)
            raise AssertionError(f"the worker stopped:\n{log.read()}")
        log.seek(0)
        return "ready." in log.read()

    support.wait_for(ready, timeout=60, what="the Celery worker to start")
    from config.celery import app

    default_queue, app.conf.task_default_queue = app.conf.task_default_queue, queue
    yield queue, mail_dir
    app.conf.task_default_queue = default_queue
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()


@pytest.fixture
def live_tasks(celery_worker):
    """Send tasks to the worker instead of running them in this process."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield celery_worker
    app.conf.task_always_eager = True
