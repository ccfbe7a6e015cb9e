"""Thin Celery wrappers around the workspace services. Tasks run in the
schema they were sent from, or in every authority from beat
(tenant-schemas-celery)."""

from config.celery import app
from tenants.workspace import services


@app.task(name="workspace.tasks_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def tasks_notify_task() -> int:
    """New tasks, e-mailed straight away to those who asked (and always for some)."""
    return services.tasks_notify()


@app.task(name="workspace.digest_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def digest_send_task() -> int:
    """Daily, in every authority: each person's digest of what is waiting."""
    return services.digest_send()
