"""Recording audit events. Every write service in Jointly calls audit_record
inside its own transaction, so the event and the change commit together."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from audit.chain import GENESIS, ChainReport, canonical, current_key, event_hash
from audit.models import AuditEvent

# The chain is serialised per schema with a transaction-scoped advisory lock,
# so two writers can never both append after the same event.
_LOCK_CLASS = 7_413_001


def _object_ref(obj) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):
        object_type, object_id, *label = obj
        return object_type, str(object_id), (label[0] if label else "")
    return obj._meta.label_lower, str(obj.pk), str(obj)[:300]


def audit_record(*, actor, action: str, obj=None, reason: str = "", before=None, after=None,
                 context: dict | None = None, schema: str | None = None) -> AuditEvent:
    """Append one event to the chain of `schema` (default: the active schema).

    `obj` is a model instance or a (type, id[, label]) tuple. `actor` is a
    user, or None for the system.
    """
    if schema is not None and schema != connection.schema_name:
        with schema_context(schema):
            return audit_record(actor=actor, action=action, obj=obj, reason=reason,
                                before=before, after=after, context=context)

    object_type, object_id, object_label = _object_ref(obj)
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "email", "") or "system"
    before, after, context = canonical(before), canonical(after), canonical(context or {})

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [_LOCK_CLASS]
            )
            cursor.execute(
                f'SELECT hash FROM {AuditEvent._meta.db_table} ORDER BY id DESC LIMIT 1'
            )
            row = cursor.fetchone()
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))",
                           [AuditEvent._meta.db_table])
            (event_id,) = cursor.fetchone()
        prev_hash = row[0] if row else GENESIS
        occurred_at = timezone.now()
        key_id, key = current_key()
        event = AuditEvent(
            id=event_id,
            occurred_at=occurred_at,
            actor_id=actor_id,
            actor_label=actor_label,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            reason=reason,
            before=before,
            after=after,
            context=context,
            prev_hash=prev_hash,
            key_id=key_id,
        )
        event.hash = event_hash(
            key_id=key_id, key=key, prev_hash=prev_hash, id=event_id, occurred_at=occurred_at,
            actor_id=actor_id, actor_label=actor_label, action=action, object_type=object_type,
            object_id=object_id, object_label=object_label, reason=reason, before=before,
            after=after, context=context,
        )
        event.save(force_insert=True)
    return event


def changes(instance, fields) -> dict:
    """The named fields of an instance, as JSON-ready values, for before/after."""
    return canonical({name: getattr(instance, name) for name in fields})


def audit_chain_check_record(*, schema: str | None = None):
    """Verify a schema's chain against its key(s) and anchors and keep the
    result; an intact chain's head is anchored, a broken one is logged as an
    error for the operators' alerting."""
    from audit.anchors import anchor_record
    from audit.models import ChainCheck
    from audit.selectors import audit_chain_verify

    schema = schema or connection.schema_name
    report = audit_chain_verify(schema=schema)
    with schema_context(schema):
        check = ChainCheck.objects.create(events=report.events, intact=report.ok,
                                          broken_at=report.broken_at, problem=report.problem)
    if report.ok:
        anchor_record(report=report, source="nightly check")
    else:
        logging.getLogger("jointly.security").error("audit chain of %s broken: %s", schema, report.problem)
    return check


def audit_chain_anchor(*, schema: str | None = None, source: str = "periodic") -> ChainReport:
    """Anchor a chain's current head (count, last id, seal) without walking
    it: cheap enough to run often, so a cut-off tail shows at the next check.
    Taken under the chain's writer lock, so the count and the head agree."""
    from audit.anchors import anchor_latest, anchor_record

    schema = schema or connection.schema_name
    with schema_context(schema), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [_LOCK_CLASS])
        table = AuditEvent._meta.db_table
        cursor.execute(f"SELECT (SELECT count(*) FROM {table}), id, hash, key_id FROM {table} "
                       "ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        events, last_id, last_hash, key_id = row if row else (0, None, "", "")
        head = ChainReport(schema, events, last_id=last_id, last_hash=last_hash, last_key_id=key_id)
        if anchor_latest(chain=schema) != (events, last_id, last_hash):  # nothing new: no new row
            anchor_record(report=head, source=source)
    return head
