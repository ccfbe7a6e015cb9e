"""Thin Celery wrappers around accounts' services: ids in, safe to run twice."""

from accounts import services
from config.celery import app


@app.task(name="accounts.membership_notify", bind=True, autoretry_for=(OSError,),
          retry_backoff=True, max_retries=5)
def membership_notify_task(self, membership_id: int) -> bool:
    return services.membership_notify(membership_id=membership_id)


@app.task(name="accounts.purge_expired_tokens")
def purge_expired_tokens_task() -> int:
    return services.api_tokens_purge_expired()
