"""Sending a task after a change never fails the change.

Every task sent from a service after its transaction commits goes through
`dispatch`. Publishing to the broker fails fast (see the CELERY_BROKER_*
settings), and when the broker cannot be reached the error is logged on
`jointly.ops` at ERROR, naming the task and its arguments, and the caller
carries on: the change is committed and the request answers success.

A task lost this way is not sent again by itself, unless a periodic sweep
re-does its work (`redo` says which, in the log line). A full outbox, which
records each dispatch with the change and re-sends what is left, is still
to come.
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

log = logging.getLogger("jointly.ops")

# What an unreachable broker (or the Redis result store beside it) raises.
UNREACHABLE = (BrokerError, RedisError, ConnectionError, TimeoutError)


def dispatch(task, *args, redo: str = "", **options) -> bool:
    """Send `task` with `args` (apply_async `options`, e.g. eta); True if the
    broker took it. Never raises for an unreachable broker. Nobody waits for
    the result of a task sent after a change, so none is kept: sending then
    touches only the broker, not the result store beside it (whose own
    retries held a request for about 20 seconds when Redis was down)."""
    options.setdefault("ignore_result", True)
    try:
        task.apply_async(args, **options)
    except UNREACHABLE as error:
        log.error("Broker unreachable: task %s%r was not sent (%s). %s", task.name, tuple(args), error,
                  redo or "Nothing re-sends it: send it again once the broker is back.")
        return False
    return True
