"""Thin Celery wrappers around the catalogue's services."""

from config.celery import app
from shared_catalogue import services


@app.task(name="catalogue.provider_person_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def provider_person_notify_task(membership_id: int) -> bool:
    return services.provider_person_notify(membership_id=membership_id)


@app.task(name="catalogue.evidence_reminders")
def evidence_reminders_task() -> dict:
    return services.evidence_reminders_send()
