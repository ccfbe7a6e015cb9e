"""Thin Celery wrappers around the workspace services. Tasks run in the
schema they were sent from, or in every authority from beat
(tenant-schemas-celery)."""

from config.celery import app
from outbox.services import outbox_run
from tenants.workspace import services


@app.task(name="workspace.tasks_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=240, time_limit=270)
def tasks_notify_task(outbox_id: int | None = None) -> int | None:
    """New tasks, e-mailed straight away to those who asked (and always for
    some); each task once per person, however often it runs."""
    return outbox_run(outbox_id, services.tasks_notify)


@app.task(name="workspace.digest_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=600, time_limit=660)
def digest_send_task() -> int:
    """Daily, in every authority: each person's digest of what is waiting."""
    return services.digest_send()
