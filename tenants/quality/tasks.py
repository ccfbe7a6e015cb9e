"""Thin Celery wrappers around the quality services. Tasks run in the
schema they were sent from (tenant-schemas-celery); a task sent by the outbox
is given the message's id (outbox.services)."""

from functools import partial

from config.celery import app
from outbox.services import outbox_run
from tenants.quality import services


@app.task(name="quality.returns_open_due", soft_time_limit=300, time_limit=330)
def returns_open_due_task() -> int:
    """Daily, in every authority: open the returns of periods that have ended."""
    return services.returns_open_due()


@app.task(name="quality.returns_chase", soft_time_limit=300, time_limit=330)
def returns_chase_task() -> int:
    """Daily, in every authority: remind providers of overdue returns."""
    return services.returns_chase()


@app.task(name="quality.provider_mail", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def provider_mail_task(provider_id: int, subject: str, body: str, outbox_id: int | None = None) -> int | None:
    # An e-mail has no row of its own to mark: held exclusively, so it goes once.
    return outbox_run(outbox_id, partial(services.provider_mail, provider_id=provider_id, subject=subject, body=body),
                      exclusive=True)


@app.task(name="quality.risk_refresh", soft_time_limit=300, time_limit=330)
def risk_refresh_task() -> int:
    """Hourly, in every authority: work out every provider's colour; tell
    the quality officers about each change."""
    from tenants.quality import risk

    changes = risk.refresh()
    if changes:
        risk.changes_mail(changes)
    return len(changes)


@app.task(name="quality.cqc_ratings_record", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=300, time_limit=330)
def cqc_ratings_record_task(rating_ids: list[int], outbox_id: int | None = None) -> int | None:
    """In one authority: record the CQC ratings import_cqc found new, for
    providers used here, as intelligence (once each: a record per rating)."""
    from tenants.quality import oversight

    return outbox_run(outbox_id, partial(oversight.cqc_ratings_record, rating_ids=rating_ids), exclusive=True)
