"""The outbox: record a side effect with its change, hand it to the broker
after the commit and again until it is done, and do it once.

- `outbox_add(task, *args, due_at=...)`, inside the change's transaction,
  records one message in the current schema. After the commit it is handed to
  the broker at once if it is due within the look-ahead (best effort: an
  unreachable broker fails in a few seconds, is logged, and leaves the message
  to the flush). A rolled-back change leaves no message and sends nothing.
- `outbox_flush()`, on beat in every schema, hands over what is due and not
  yet handed over, or handed over long enough ago without being done (a lost
  queue, a crashed worker): under a row lock that other flushes skip, so two
  flushes never hand over the same message at once.
- `outbox_run(outbox_id, work)`, in the task, does the work unless the
  message is already sent, then marks it sent. A task given the same id twice
  (the after-commit hand-over and a flush racing, a redelivery) does the work
  once: work that is not idempotent by itself runs `exclusive`, holding the
  message's row lock until it is marked sent; work that marks rows of its own
  (a letter's sent_at, an invitation's notified_at) is idempotent already.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from common.dispatch import UNREACHABLE, dispatch, max_eta
from outbox.models import Message

log = logging.getLogger("jointly.ops")
T = TypeVar("T")
FLUSH_BATCH = 500
BROKER_RETRY_AFTER = 30.0  # seconds
_broker_down_until = 0.0  # this process found the broker unreachable; until then, leave it to the flush


def outbox_add(task, *args, due_at=None) -> Message:
    """Record that `task(*args)` must run, not before `due_at` (default now),
    in the transaction of the change that causes it; `args` are ids and short
    text (JSON). The task must accept `outbox_id` and call `outbox_run`."""
    message = Message.objects.create(task=task.name, args=list(args), due_at=due_at or timezone.now())
    transaction.on_commit(partial(_after_commit, message.pk, connection.schema_name), robust=True)
    return message


def _after_commit(message_id: int, schema: str) -> None:
    """Hand the message over at once; the connection may have moved to
    another schema since the change, so go back to the message's. Not while
    the broker was found unreachable in the last BROKER_RETRY_AFTER seconds:
    a change with many messages (an award's letters) then waits for one
    failure, not one per message, and the flush sends them."""
    if time.monotonic() < _broker_down_until:
        return
    with schema_context(schema):
        _hand_over(Message.objects.filter(pk=message_id, sent_at__isnull=True, dispatched_at__isnull=True),
                   now=timezone.now())


def outbox_flush(*, now=None) -> int:
    """Hand the broker, in this schema, every message due within the
    look-ahead that was never handed over, or was handed over more than
    OUTBOX_REDISPATCH_AFTER ago and is still not done. Returns how many;
    also forgets sent messages older than OUTBOX_KEEP_DAYS."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER)
    pending = Message.objects.filter(sent_at__isnull=True, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=stale))
    handed = _hand_over(pending, now=now, limit=FLUSH_BATCH)
    _forget_sent(now)
    return handed


def _hand_over(messages: QuerySet, *, now, limit: int | None = None) -> int:
    """Dispatch each message due within the look-ahead (with its ETA if it is
    due later). Each is locked, handed over and marked in a transaction of
    its own, so a lock is held only while one message is sent; a message
    another flush holds is skipped. The first unreachable-broker error ends
    the batch: the rest waits for the next flush."""
    from config.celery import app

    due = messages.filter(due_at__lte=now + max_eta()).order_by("due_at", "pk").values_list("pk", flat=True)
    handed = 0
    for pk in list(due[:limit] if limit else due):
        with transaction.atomic():
            message = messages.filter(pk=pk).select_for_update(skip_locked=True).first()
            if message is None:
                continue  # another flush has it, or it was done meanwhile
            task = _task(app, message.task)
            if task is None:
                _dispatch_failed(message, f"No task is called {message.task}.")
                continue
            try:
                dispatch(task, *message.args, eta=message.due_at if message.due_at > now else None,
                         outbox_id=message.pk)
            except UNREACHABLE as error:
                _broker_unreachable()
                _dispatch_failed(message, f"Broker unreachable: {error}"[:500])
                break
            except Exception as error:  # a far ETA, arguments the broker cannot carry; its kind only
                _dispatch_failed(message, f"{_kind(error)} while handing it over")
                continue
            Message.objects.filter(pk=message.pk).update(dispatched_at=now, attempts=F("attempts") + 1)
            handed += 1
    return handed


def _broker_unreachable() -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER


def broker_reachable_again() -> None:
    """Forget that the broker was unreachable (tests that bring it back)."""
    global _broker_down_until
    _broker_down_until = 0.0


def _task(app, name: str):
    task = app.tasks.get(name)
    if task is None:  # a process that has not imported every app's tasks yet
        app.loader.import_default_modules()
        task = app.tasks.get(name)
    return task


def _dispatch_failed(message: Message, error: str) -> None:
    Message.objects.filter(pk=message.pk).update(attempts=F("attempts") + 1, last_error=error)
    attempts = message.attempts + 1
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        log.error("Outbox message %s in %s was not sent after %s attempts and is left for a person: %s",
                  message, connection.schema_name, attempts, error)
    else:
        log.warning("Outbox message %s in %s was not handed to the broker (%s); the outbox flush tries again.",
                    message, connection.schema_name, error)


def outbox_run(outbox_id: int | None, work: Callable[[], T], *, exclusive: bool = False) -> T | None:
    """Do `work` for outbox message `outbox_id`, unless it is already sent
    (then None), and mark it sent. `exclusive` holds the message's row lock
    while the work runs, for work not idempotent by itself (an e-mail with no
    row of its own to mark): a second run finds it locked or sent and does
    nothing. Without an id (a call by hand), just do the work. A failure is
    recorded on the message (its kind only: a message could quote sealed
    content) and raised again, for the task's own retries."""
    if outbox_id is None:
        return work()
    unsent = Message.objects.filter(pk=outbox_id, sent_at__isnull=True)
    try:
        if exclusive:
            with transaction.atomic():
                # Waits for whoever holds the row (a flush handing it over,
                # another run of it), then reads it again: sent, it is skipped.
                if unsent.select_for_update().first() is None:
                    return None
                result = work()
                unsent.update(sent_at=timezone.now())
            return result
        if not unsent.exists():
            return None
        result = work()
        unsent.update(sent_at=timezone.now())
        return result
    except Exception as error:
        _run_failed(outbox_id, error)
        raise


def _kind(error: Exception) -> str:
    """The kind of an error: Celery's Retry carries the error that caused it."""
    return type(getattr(error, "exc", None) or error).__name__


def _run_failed(outbox_id: int, error: Exception) -> None:
    try:
        with transaction.atomic():
            Message.objects.filter(pk=outbox_id, sent_at__isnull=True).update(
                last_error=f"{_kind(error)} while running"[:500])
            message = Message.objects.filter(pk=outbox_id).first()
    except DatabaseError:
        return  # the error being raised says more than this one
    if message is not None and message.sent_at is None and message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        log.error("Outbox message %s in %s failed on its last attempt (%s) and is left for a person.",
                  message, connection.schema_name, _kind(error))


def _forget_sent(now) -> int:
    old = Message.objects.filter(sent_at__lt=now - timedelta(days=settings.OUTBOX_KEEP_DAYS))
    deleted, _ = Message.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:1000])).delete()
    return deleted
