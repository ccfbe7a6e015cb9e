"""The chain: how an event's seal is computed and how a chain is checked.

Each event is sealed with HMAC-SHA256 under a key the database does not hold
(settings.AUDIT_CHAIN_KEY; older keys in AUDIT_CHAIN_KEY_FALLBACKS), over the
event's content, the seal of the event before it and the id of the key. So
nobody with only database rights can alter an event and re-seal those after
it. The key id is stored on the event, so events sealed before a rotation
still verify. Chains start keyed: an event without a key id (a plain
SHA-256, as before keys were introduced) is reported as a break, since
anybody could have computed it (docs/decisions.md).

A chain cannot show by itself that its last events were cut off; its head is
therefore anchored outside the application's reach (audit.anchors), and
verify_chain checks every anchor it is given.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

GENESIS = "0" * 64


def canonical(value):
    """A value as it will read back from a jsonb column: plain JSON types only."""
    return json.loads(json.dumps(value, default=str))


@cache
def key_id_of(key: str) -> str:
    """A short, stable name for a key, derived from it (not a secret)."""
    return hmac.new(key.encode(), b"jointly audit chain key id", hashlib.sha256).hexdigest()[:8]


def keyring(current: str, fallbacks: Iterable[str] = ()) -> dict[str, str]:
    """{key id: key} for the current key and every older one still kept."""
    keys = {key_id_of(current): current}
    for key in fallbacks:
        keys.setdefault(key_id_of(key), key)
    return keys


def current_key() -> tuple[str, str]:
    from django.conf import settings

    return key_id_of(settings.AUDIT_CHAIN_KEY), settings.AUDIT_CHAIN_KEY


def known_keys() -> dict[str, str]:
    from django.conf import settings

    return keyring(settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_KEY_FALLBACKS)


def _payload(*, prev_hash, id, occurred_at, actor_id, actor_label, action, object_type, object_id,
             object_label, reason, before, after, context, key_id) -> bytes:
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
    body["key"] = key_id
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(*, key_id: str, key: str, prev_hash: str, id: int, occurred_at: datetime,
               actor_id, actor_label: str, action: str, object_type: str, object_id: str,
               object_label: str, reason: str, before, after, context) -> str:
    """The seal of one event: HMAC-SHA256 under `key`."""
    payload = _payload(prev_hash=prev_hash, id=id, occurred_at=occurred_at, actor_id=actor_id,
                       actor_label=actor_label, action=action, object_type=object_type,
                       object_id=object_id, object_label=object_label, reason=reason, before=before,
                       after=after, context=context, key_id=key_id)
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def hash_of(event, keys: dict[str, str] | None = None) -> str | None:
    """The seal `event` should carry, or None when its key is not known here."""
    key_id = event.key_id
    key = (keys if keys is not None else known_keys()).get(key_id)
    if key is None:
        return None
    return event_hash(
        key_id=key_id, key=key, prev_hash=event.prev_hash, id=event.id,
        occurred_at=event.occurred_at.astimezone(UTC), actor_id=event.actor_id,
        actor_label=event.actor_label, action=event.action, object_type=event.object_type,
        object_id=event.object_id, object_label=event.object_label, reason=event.reason,
        before=event.before, after=event.after, context=event.context,
    )


@dataclass(frozen=True)
class Anchor:
    """A chain's head as recorded at one time, outside the chain's schema."""

    chain: str
    events: int
    last_id: int | None
    last_hash: str
    recorded_at: datetime
    where: str = "anchor table"

    @property
    def label(self) -> str:
        return f"the anchor of {self.recorded_at.astimezone(UTC):%d %b %Y %H:%M:%S} UTC ({self.where})"


@dataclass(frozen=True)
class ChainReport:
    schema: str
    events: int
    broken_at: int | None = None
    problem: str = ""
    anchors_checked: int = 0
    last_id: int | None = None
    last_hash: str = ""
    last_key_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_chain(schema: str, events, anchors: Iterable[Anchor] = (),
                 keys: dict[str, str] | None = None) -> ChainReport:
    """Walk `events` (ordered by id) and name the first link that does not
    hold, checking the chain against every anchor of it on the way."""
    keys = known_keys() if keys is None else keys
    pending: dict[int, list[Anchor]] = {}
    checked = 0
    for anchor in anchors:
        if anchor.last_id is None:
            checked += 1  # the chain was empty then: nothing to hold it to
        else:
            pending.setdefault(anchor.last_id, []).append(anchor)
    expected_prev = GENESIS
    count = 0
    last_id, last_hash, last_key_id = None, "", ""

    def broken(event_id, problem):
        return ChainReport(schema, count, event_id, problem, checked, last_id, last_hash, last_key_id)

    # Anchored heads in id order, met in step with the events (one pass).
    anchored_ids = sorted(pending)
    next_anchor = 0
    for event in events:
        if next_anchor < len(anchored_ids) and anchored_ids[next_anchor] < event.id:
            anchored_id = anchored_ids[next_anchor]  # never met: that event is gone
            return broken(anchored_id, f"event #{anchored_id}, the head of "
                                       f"{pending[anchored_id][0].label}, is missing: "
                                       "events were removed or renumbered")
        count += 1
        if event.prev_hash != expected_prev:
            return broken(event.id, f"event #{event.id} does not follow the event before it "
                                    "(an event was removed, inserted or reordered)")
        if not event.key_id:
            return broken(event.id, f"event #{event.id} is not sealed with a key: it was re-sealed "
                                    "without the chain's key, or recorded before chains were keyed")
        if event.key_id not in keys:
            return broken(event.id, f"event #{event.id} is sealed with key {event.key_id}, which this "
                                    "installation does not hold: it was re-sealed with another key, "
                                    "or a retired key is missing from AUDIT_CHAIN_KEY_FALLBACKS")
        if hash_of(event, keys) != event.hash:
            return broken(event.id, f"event #{event.id} ({event.action}) was altered after it was recorded")
        expected_prev = event.hash
        last_id, last_hash, last_key_id = event.id, event.hash, event.key_id
        if next_anchor < len(anchored_ids) and anchored_ids[next_anchor] == event.id:
            next_anchor += 1
            for anchor in pending.pop(event.id):
                checked += 1
                if anchor.last_hash != event.hash:
                    return broken(event.id, f"event #{event.id} differs from {anchor.label}: "
                                            "the history was rewritten")
                if count != anchor.events:
                    return broken(event.id, f"the chain up to event #{event.id} holds {count} events "
                                            f"where {anchor.label} counted {anchor.events}: "
                                            "the history was rewritten")
    if pending:
        anchored_id = max(pending)
        anchor = pending[anchored_id][0]
        missing = anchor.events - count
        removed = f"{missing} event(s) removed from the end: " if missing > 0 else "events removed: "
        return broken(anchored_id, f"{removed}event #{anchored_id}, the head of {anchor.label} "
                                   f"with {anchor.events} events, is missing (the chain now ends at "
                                   f"event #{last_id or 0} with {count} events)")
    return ChainReport(schema, count, None, "", checked, last_id, last_hash, last_key_id)
