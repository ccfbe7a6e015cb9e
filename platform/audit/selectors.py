from django_tenants.utils import get_public_schema_name, schema_context

from audit.chain import ChainReport, verify_chain
from audit.models import AuditEvent


def audit_chain_verify(*, schema: str) -> ChainReport:
    """Check the whole chain of one schema, streaming its events in id order."""
    with schema_context(schema):
        events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
        return verify_chain(schema, events)


def audit_chains_verify() -> list[ChainReport]:
    """Check the public chain and every authority's."""
    from tenancy.models import Authority

    schemas = [get_public_schema_name()] + list(
        Authority.objects.exclude(schema_name=get_public_schema_name())
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
    return [audit_chain_verify(schema=schema) for schema in schemas]


def audit_events_for(*, obj=None, action_prefix: str = ""):
    events = AuditEvent.objects.order_by("-id")
    if obj is not None:
        events = events.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    if action_prefix:
        events = events.filter(action__startswith=action_prefix)
    return events
