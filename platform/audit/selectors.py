from django_tenants.utils import get_public_schema_name, schema_context

from audit.anchors import anchors_for
from audit.chain import ChainReport, verify_chain
from audit.models import AuditEvent


def audit_schemas() -> list[str]:
    """The public chain and every authority's."""
    from tenancy.models import Authority

    return [get_public_schema_name()] + list(
        Authority.objects.exclude(schema_name=get_public_schema_name())
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )


def audit_chain_verify(*, schema: str) -> ChainReport:
    """Check the whole chain of one schema, streaming its events in id order,
    against its key(s) and every anchor recorded for it."""
    anchors = anchors_for(chain=schema)
    with schema_context(schema):
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
        return verify_chain(schema, events, anchors)


def audit_chains_verify() -> list[ChainReport]:
    """Check the public chain and every authority's."""
    return [audit_chain_verify(schema=schema) for schema in audit_schemas()]


def audit_events_for(*, obj=None, action_prefix: str = ""):
    events = AuditEvent.objects.order_by("-id")
    if obj is not None:
        events = events.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    if action_prefix:
        events = events.filter(action__startswith=action_prefix)
    return events
