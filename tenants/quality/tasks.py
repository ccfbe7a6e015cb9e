"""Thin Celery wrappers around the quality services. Tasks run in the
schema they were sent from (tenant-schemas-celery)."""

from config.celery import app
from tenants.quality import services


@app.task(name="quality.returns_open_due")
def returns_open_due_task() -> int:
    """Daily, in every authority: open the returns of periods that have ended."""
    return services.returns_open_due()


@app.task(name="quality.returns_chase")
def returns_chase_task() -> int:
    """Daily, in every authority: remind providers of overdue returns."""
    return services.returns_chase()


@app.task(name="quality.provider_mail", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def provider_mail_task(provider_id: int, subject: str, body: str) -> int:
    return services.provider_mail(provider_id=provider_id, subject=subject, body=body)


@app.task(name="quality.risk_refresh")
def risk_refresh_task() -> int:
    """Hourly, in every authority: work out every provider's colour; tell
    the quality officers about each change."""
    from tenants.quality import risk

    changes = risk.refresh()
    if changes:
        risk.changes_mail(changes)
    return len(changes)
