"""Anchors: each chain's head (event count, last id, its seal), recorded from
time to time where the application's database role cannot rewrite it.

Two stores, checked together by verification:

- the table jointly_audit.chain_anchor (migration 0005): owned by the owner
  role, append-only by a trigger the application's role can neither drop nor
  disable; the application may only SELECT and INSERT;
- optionally a file outside the database (settings.AUDIT_ANCHOR_LOG), one JSON
  line per anchor, opened for appending only: ship it to write-once storage
  or a log service, and a database superuser cannot reach it either.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from audit.chain import Anchor, ChainReport

TABLE = "jointly_audit.chain_anchor"
log = logging.getLogger("jointly.security")


def anchors_for(*, chain: str) -> list[Anchor]:
    """Every anchor of one chain, from the table and from the log file."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT chain, events, last_id, last_hash, recorded_at FROM {TABLE} "
                       "WHERE chain = %s ORDER BY id", [chain])
        anchors = [Anchor(*row) for row in cursor.fetchall()]
    return anchors + _logged_anchors(chain)


def anchor_latest(*, chain: str) -> tuple[int, int | None, str] | None:
    """(events, last id, last seal) of the chain's latest anchor in the table."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT events, last_id, last_hash FROM {TABLE} WHERE chain = %s "
                       "ORDER BY id DESC LIMIT 1", [chain])
        return cursor.fetchone()


def _logged_anchors(chain: str) -> list[Anchor]:
    path = settings.AUDIT_ANCHOR_LOG
    if not path:
        return []
    found = []
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("chain") != chain:
                    continue
                found.append(Anchor(chain, int(entry["events"]), entry.get("last_id"), entry.get("last_hash", ""),
                                    datetime.fromisoformat(entry["recorded_at"]), where="anchor log"))
    except FileNotFoundError:
        return []
    return found


def anchor_record(*, report: ChainReport, source: str) -> None:
    """Record the head of a chain that has just been verified intact."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (chain, events, last_id, last_hash, key_id, source) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING recorded_at",
            [report.schema, report.events, report.last_id, report.last_hash, report.last_key_id, source],
        )
        (recorded_at,) = cursor.fetchone()
    path = settings.AUDIT_ANCHOR_LOG
    if path:
        entry = {"chain": report.schema, "events": report.events, "last_id": report.last_id,
                 "last_hash": report.last_hash, "key_id": report.last_key_id, "source": source,
                 "recorded_at": recorded_at.isoformat()}
        transaction.on_commit(lambda: _append(path, entry))


def _append(path: str, entry: dict) -> None:
    try:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, sort_keys=True) + "\n")
    except OSError as error:
        log.error("audit anchor of %s not written to %s: %s", entry["chain"], path, error)
