"""Thin Celery wrappers around the call-off services: ids in, safe to run
twice. Tasks run in the schema they were sent from (tenant-schemas-celery)."""

from config.celery import app
from tenants.calloffs import services


@app.task(name="calloffs.invitations_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def invitations_notify_task(package_id: int) -> int:
    return services.invitations_notify(package_id=package_id)


@app.task(name="calloffs.deadline_moved_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deadline_moved_notify_task(package_id: int, reason: str, which: str = "bid") -> int:
    return services.deadline_moved_notify(package_id=package_id, reason=reason, which=which)


@app.task(name="calloffs.package_close", autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600,
          max_retries=10)
def package_close_task(package_id: int, by: str = "deadline") -> bool:
    """Scheduled for the deadline; a moved deadline leaves it nothing to do.
    A failure (recorded on the package, alerted) is retried with backoff, and
    the sweep tries again too. Returns only whether it closed: nothing of the
    bids is in a task result."""
    return services.package_close(package_id=package_id, by=by)


@app.task(name="calloffs.packages_close_due")
def packages_close_due_task() -> int:
    """The periodic safety net, in every authority: each package closes on its
    own, so one failure never holds up the others. Returns how many closed."""
    return services.packages_close_due()


@app.task(name="calloffs.bid_letter_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def bid_letter_send_task(letter_id: int) -> bool:
    return services.bid_letter_send(letter_id=letter_id)


@app.task(name="calloffs.clarification_published_notify", autoretry_for=(OSError,), retry_backoff=True,
          max_retries=5)
def clarification_published_notify_task(clarification_id: int) -> int:
    return services.clarification_published_notify(clarification_id=clarification_id)
