"""Thin Celery wrappers around the call-off services: ids in, safe to run
twice. Tasks run in the schema they were sent from (tenant-schemas-celery);
a task sent by the outbox is given the message's id (outbox.services)."""

from functools import partial

from config.celery import app
from outbox.services import outbox_run
from tenants.calloffs import services


@app.task(name="calloffs.invitations_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=300, time_limit=330)
def invitations_notify_task(package_id: int, outbox_id: int | None = None) -> int | None:
    """Each invitation is marked when its e-mail goes: idempotent by itself."""
    return outbox_run(outbox_id, partial(services.invitations_notify, package_id=package_id))


@app.task(name="calloffs.deadline_moved_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deadline_moved_notify_task(package_id: int, reason: str, which: str = "bid",
                               outbox_id: int | None = None) -> int | None:
    """One e-mail and no row of its own to mark: exclusive, so it goes once."""
    return outbox_run(outbox_id, partial(services.deadline_moved_notify, package_id=package_id, reason=reason,
                                         which=which), exclusive=True)


@app.task(name="calloffs.package_close", autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600,
          max_retries=10, soft_time_limit=120, time_limit=150)
def package_close_task(package_id: int, by: str = "deadline", outbox_id: int | None = None) -> bool | None:
    """Sent by the outbox shortly before the deadline, with that ETA; a moved
    deadline leaves it nothing to do. A failure (recorded on the package,
    alerted) is retried with backoff, and the sweep tries again too. Returns
    only whether it closed: nothing of the bids is in a task result."""
    return outbox_run(outbox_id, partial(services.package_close, package_id=package_id, by=by))


@app.task(name="calloffs.packages_close_due", soft_time_limit=300, time_limit=330)
def packages_close_due_task() -> int:
    """The periodic safety net, in every authority: each package closes on its
    own, so one failure never holds up the others. Returns how many closed."""
    return services.packages_close_due()


@app.task(name="calloffs.bid_letter_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def bid_letter_send_task(letter_id: int, outbox_id: int | None = None) -> bool | None:
    return outbox_run(outbox_id, partial(services.bid_letter_send, letter_id=letter_id))


@app.task(name="calloffs.clarification_published_notify", autoretry_for=(OSError,), retry_backoff=True,
          max_retries=5)
def clarification_published_notify_task(clarification_id: int, outbox_id: int | None = None) -> int | None:
    # The clarification records when its invitees were told: sent once however often it runs.
    return outbox_run(outbox_id, partial(services.clarification_published_notify, clarification_id=clarification_id))


@app.task(name="calloffs.withdrawal_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5,
          soft_time_limit=300, time_limit=330)
def withdrawal_notify_task(withdrawal_id: int, outbox_id: int | None = None) -> int | None:
    # The withdrawal records which invitees were told: each is sent once however often it runs.
    return outbox_run(outbox_id, partial(services.withdrawal_notify, withdrawal_id=withdrawal_id))
