"""Thin Celery wrappers around accounts' services: ids in, safe to run twice.
A task sent by the outbox is given the message's id (outbox.services)."""

from functools import partial

from accounts import services
from config.celery import app
from outbox.services import outbox_run


@app.task(name="accounts.membership_notify", bind=True, autoretry_for=(OSError,),
          retry_backoff=True, max_retries=5)
def membership_notify_task(self, membership_id: int, outbox_id: int | None = None) -> bool | None:
    return outbox_run(outbox_id, partial(services.membership_notify, membership_id=membership_id))


@app.task(name="accounts.purge_expired_tokens")
def purge_expired_tokens_task() -> int:
    return services.api_tokens_purge_expired()
