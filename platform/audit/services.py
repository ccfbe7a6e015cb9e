"""Recording audit events. Every write service in Jointly calls audit_record
inside its own transaction, so the event and the change commit together."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from audit.chain import GENESIS, canonical, event_hash
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
        )
        event.hash = event_hash(
            prev_hash=prev_hash, id=event_id, occurred_at=occurred_at,
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
    """Verify a schema's chain and keep the result; a broken chain is logged
    as an error for the operators' alerting."""
    import logging

    from audit.models import ChainCheck
    from audit.selectors import audit_chain_verify

    schema = schema or connection.schema_name
    report = audit_chain_verify(schema=schema)
    intact, problem = report.ok, report.problem
    with schema_context(schema):
        previous = ChainCheck.objects.filter(intact=True).first()
        if intact and previous is not None and report.events < previous.events:
            # The chain cannot show a removed tail by itself; the last count can.
            intact = False
            problem = (f"{previous.events - report.events} event(s) removed from the end since the "
                       f"check of {previous.checked_at:%d %b %Y %H:%M}")
        check = ChainCheck.objects.create(events=report.events, intact=intact,
                                          broken_at=report.broken_at, problem=problem)
    if not intact:
        logging.getLogger("jointly.security").error("audit chain of %s broken: %s", schema, problem)
    return check
