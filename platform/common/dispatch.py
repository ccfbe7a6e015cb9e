"""Handing a task to the broker: fast, and never far ahead.

Services do not send tasks themselves: they record what must happen in the
outbox, in the transaction of their change (`outbox.services.outbox_add`),
and the outbox hands it to the broker through `dispatch` after the commit and
again from its periodic flush until it is done. So a broker outage delays an
e-mail or a closing but never loses it, and never fails the request.

`dispatch` fails fast when the broker is unreachable (see the CELERY_BROKER_*
settings: a 2-second connect timeout and one short retry) and raises one of
`UNREACHABLE`; the outbox records the error on its row and tries again later.

It refuses an ETA further ahead than `MAX_ETA` (`EtaTooFar`). Redis hands a
task that is still unacknowledged after its visibility timeout to another
worker, and a task waiting for its ETA is unacknowledged, so a task sent days
ahead would be delivered again every hour. What must happen at a later time
waits in the outbox (its `due_at`) and is handed over only shortly before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

# What an unreachable broker (or the Redis result store beside it) raises.
UNREACHABLE = (BrokerError, RedisError, ConnectionError, TimeoutError)


class EtaTooFar(ValueError):
    pass


def max_eta() -> timedelta:
    """How far ahead a task may be sent: the outbox's look-ahead, and never
    near the broker's visibility timeout."""
    return timedelta(seconds=min(settings.OUTBOX_LOOKAHEAD, settings.CELERY_VISIBILITY_TIMEOUT // 2))


def dispatch(task, *args, eta: datetime | None = None, **kwargs) -> None:
    """Send `task(*args, **kwargs)`, not before `eta`. Raises one of
    UNREACHABLE within a few seconds when the broker cannot be reached, and
    EtaTooFar for an ETA beyond `max_eta()` (a small allowance for the
    clock). No result is kept unless the task asks for one: sending then
    touches only the broker, not the result store beside it (whose own
    retries held a request for about 20 seconds when Redis was down)."""
    options = {}
    if eta is not None:
        if eta - timezone.now() > max_eta() + timedelta(seconds=5):
            raise EtaTooFar(f"{task.name} would wait until {eta.isoformat()}, beyond the broker's safe delay "
                            f"({max_eta()}): keep it in the outbox until it is nearly due.")
        options["eta"] = eta
    task.apply_async(args, kwargs or None, **options)
