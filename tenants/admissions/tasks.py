"""Thin Celery wrappers around the admissions services. Tasks run in the
schema they were sent from (tenant-schemas-celery)."""

from config.celery import app
from tenants.admissions import services


@app.task(name="admissions.decision_letter_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def decision_letter_send_task(letter_id: int) -> bool:
    return services.decision_letter_send(letter_id=letter_id)


@app.task(name="admissions.suspensions_end_due")
def suspensions_end_due_task() -> int:
    """Daily, in every authority: suspensions whose end date has passed end."""
    return services.suspensions_end_due()
