"""Thin Celery wrappers around the reports' services. Beat runs the first in
every authority; the second is sent through the outbox."""

from config.celery import app
from outbox.services import outbox_run
from tenants.reports import services


@app.task(name="reports.outcome_exports_due", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def outcome_exports_due_task() -> int | None:
    """Each morning, in every authority: the call-off outcome export of the period just ended, made once."""
    export = services.outcome_exports_due()
    return export.pk if export else None


@app.task(name="reports.outcome_export_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=240, time_limit=270)
def outcome_export_send_task(export_id: int, outbox_id: int | None = None) -> int | None:
    """One period's export, e-mailed to the finance and monitoring officers once."""
    return outbox_run(outbox_id, lambda: services.outcome_export_send(export_id), exclusive=True)
