"""The hash chain: how an event's hash is computed and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64


def canonical(value):
    """A value as it will read back from a jsonb column: plain JSON types only."""
    return json.loads(json.dumps(value, default=str))


def event_hash(*, prev_hash: str, id: int, occurred_at: datetime, actor_id, actor_label: str,
               action: str, object_type: str, object_id: str, object_label: str, reason: str,
               before, after, context) -> str:
    body = {
        "prev": prev_hash,
        "id": id,
        "at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object": [object_type, object_id, object_label],
        "reason": reason,
        "before": before,
        "after": after,
        "context": context,
    }
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def hash_of(event) -> str:
    return event_hash(
        prev_hash=event.prev_hash,
        id=event.id,
        occurred_at=event.occurred_at.astimezone(UTC),
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        object_label=event.object_label,
        reason=event.reason,
        before=event.before,
        after=event.after,
        context=event.context,
    )


@dataclass(frozen=True)
class ChainReport:
    schema: str
    events: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(schema: str, events) -> ChainReport:
    """Walk `events` (ordered by id) and name the first link that does not hold."""
    expected_prev = GENESIS
    count = 0
    for event in events:
        count += 1
        if event.prev_hash != expected_prev:
            return ChainReport(schema, count, event.id,
                               f"event #{event.id} does not follow the event before it "
                               "(an event was removed, inserted or reordered)")
        if hash_of(event) != event.hash:
            return ChainReport(schema, count, event.id,
                               f"event #{event.id} ({event.action}) was altered after it was recorded")
        expected_prev = event.hash
    return ChainReport(schema, count)
