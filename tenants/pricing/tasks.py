"""Thin Celery wrappers around the pricing services: ids in, safe to run twice."""

from functools import partial

from config.celery import app
from outbox.services import outbox_run
from tenants.pricing import services


@app.task(name="pricing.schedule_published_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=300, time_limit=330)
def schedule_published_notify_task(schedule_id: int, outbox_id: int | None = None) -> int | None:
    """The schedule is marked once its e-mails have gone: exclusive, so they go once."""
    return outbox_run(outbox_id, partial(services.schedule_published_notify, schedule_id=schedule_id),
                      exclusive=True)


@app.task(name="pricing.explanation_requested_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=120, time_limit=150)
def explanation_requested_notify_task(check_id: int, outbox_id: int | None = None) -> int | None:
    """One e-mail and no row of its own to mark: exclusive, so it goes once."""
    return outbox_run(outbox_id, partial(services.explanation_requested_notify, check_id=check_id), exclusive=True)
