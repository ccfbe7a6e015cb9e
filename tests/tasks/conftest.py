import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests import support

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(suffix: str, mail_dir: Path, log_path: Path):
    """A worker on every queue (the default one, deadlines, mail and
    maintenance), each with this module's suffix: started without --queues,
    it consumes every queue its settings name."""
    log = log_path.open("w+")
    env = support.process_env(
        CELERY_TASK_DEFAULT_QUEUE=f"jointly{suffix}",
        CELERY_QUEUE_SUFFIX=suffix,
        EMAIL_BACKEND="common.mail.EmlFileBackend",  # one file a message: two workers never share one
        EMAIL_FILE_PATH=mail_dir,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "config", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle",
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


def _route(app, suffix: str) -> None:
    """Send this process's tasks to the queues with `suffix`, as the worker's
    settings do (CELERY_TASK_ROUTES is built from TASK_QUEUES)."""
    from django.conf import settings

    app.conf.task_default_queue = f"jointly{suffix}"
    app.conf.task_routes = {task: {"queue": f"{queue}{suffix}"} for task, queue in settings.TASK_QUEUES.items()}
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)  # built from the routes once, then kept


@pytest.fixture(scope="module")
def celery_workers(request, django_db_setup, tmp_path_factory):
    """Real Celery worker processes (one by default; a module may ask for
    another number with `workers = n`) on queues of their own, against Redis
    and the test database. Yields (default queue, mail folder)."""
    from django.conf import settings

    from config.celery import app

    count = getattr(request.module, "workers", 1)
    suffix = f"-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path_factory.mktemp("mail")
    logs = tmp_path_factory.mktemp("worker")
    started = [_start_worker(suffix, mail_dir, logs / f"worker{n}.log") for n in range(count)]
    _route(app, suffix)
    yield f"jointly{suffix}", mail_dir
    _route(app, settings.CELERY_QUEUE_SUFFIX)
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    for worker, log in started:
        _stop_worker(worker, log)


@pytest.fixture
def live_tasks(celery_workers):
    """Send tasks to the worker instead of running them in this process."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield celery_workers
    app.conf.task_always_eager = True
