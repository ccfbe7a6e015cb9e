"""Thin Celery wrappers around the catalogue's services. A task sent by the
outbox is given the message's id (outbox.services)."""

from functools import partial

from config.celery import app
from outbox.services import outbox_run
from shared_catalogue import services


@app.task(name="catalogue.provider_person_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def provider_person_notify_task(membership_id: int, outbox_id: int | None = None) -> bool | None:
    """One e-mail and no row of its own to mark: exclusive, so it goes once."""
    return outbox_run(outbox_id, partial(services.provider_person_notify, membership_id=membership_id),
                      exclusive=True)


@app.task(name="catalogue.evidence_reminders", soft_time_limit=900, time_limit=960)
def evidence_reminders_task() -> dict:
    return services.evidence_reminders_send()
