"""Beat's heartbeat: a periodic task that records when it last ran.

Beat sends `ops.beat_heartbeat` every BEAT_HEARTBEAT_SECONDS; a worker runs it
and writes the time to Redis. The heartbeat is stale when older than three
periods: beat has stopped, the broker is down, or no worker takes the task.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from ops import redis as ops_redis

log = logging.getLogger("jointly.ops")
KEY = "beat:heartbeat"


def heartbeat_record(*, now: float | None = None) -> None:
    ops_redis.client().set(ops_redis.key(KEY), repr(now if now is not None else time.time()),
                           ex=int(settings.BEAT_HEARTBEAT_SECONDS * 100))


def heartbeat_age(*, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat; None if there is none. Raises
    ops.redis.ERRORS when Redis cannot be read."""
    value = ops_redis.client().get(ops_redis.key(KEY))
    if value is None:
        return None
    return max(0.0, (now if now is not None else time.time()) - float(value))


def stale_after() -> float:
    return 3 * settings.BEAT_HEARTBEAT_SECONDS
