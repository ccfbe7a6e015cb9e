import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests import support

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(queue: str, mail_dir: Path, log_path: Path):
    log = log_path.open("w+")
    env = support.process_env(
        CELERY_TASK_DEFAULT_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=mail_dir,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "config", "worker", "--pool", "solo",
         "--queues", queue, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
         "--hostname", f"{log_path.stem}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def ready():
        if worker.poll() is not None:
            log.seek(0)
            raise AssertionError(f"the worker stopped:\n{log.read()}")
        log.seek(0)
        return "ready." in log.read()

    support.wait_for(ready, timeout=60, what="the Celery worker to start")
    return worker, log


def _stop_worker(worker, log) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()


@pytest.fixture(scope="module")
def celery_workers(request, django_db_setup, tmp_path_factory):
    """Real Celery worker processes (one by default; a module may ask for
    another number with `workers = n`) on a queue of their own, against Redis
    and the test database. Yields (queue, mail folder)."""
    count = getattr(request.module, "workers", 1)
    queue = f"jointly-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path_factory.mktemp("mail")
    logs = tmp_path_factory.mktemp("worker")
    started = [_start_worker(queue, mail_dir, logs / f"worker{n}.log") for n in range(count)]
    from config.celery import app

    default_queue, app.conf.task_default_queue = app.conf.task_default_queue, queue
    yield queue, mail_dir
    app.conf.task_default_queue = default_queue
    for worker, log in started:
        _stop_worker(worker, log)


@pytest.fixture
def live_tasks(celery_workers):
    """Send tasks to the worker instead of running them in this process."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield celery_workers
    app.conf.task_always_eager = True
