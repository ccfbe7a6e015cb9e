"""Thin Celery wrappers around the admissions services. Tasks run in the
schema they were sent from (tenant-schemas-celery); a task sent by the outbox
is given the message's id (outbox.services)."""

from functools import partial

from config.celery import app
from outbox.services import outbox_run
from tenants.admissions import services


@app.task(name="admissions.decision_letter_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def decision_letter_send_task(letter_id: int, outbox_id: int | None = None) -> bool | None:
    return outbox_run(outbox_id, partial(services.decision_letter_send, letter_id=letter_id))


@app.task(name="admissions.suspensions_end_due", soft_time_limit=300, time_limit=330)
def suspensions_end_due_task() -> int:
    """Daily, in every authority: suspensions whose end date has passed end."""
    return services.suspensions_end_due()
