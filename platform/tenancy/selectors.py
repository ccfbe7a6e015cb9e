from django.db.models import Prefetch
from django_tenants.utils import get_public_schema_name

from tenancy.models import Authority


def authorities_for_directory():
    """Active authorities and partnerships, with their members, for the regional site."""
    return (
        Authority.objects.filter(is_active=True)
        .exclude(schema_name=get_public_schema_name())
        .select_related("region")
        .prefetch_related(Prefetch("members", queryset=Authority.objects.order_by("name")))
        .order_by("kind", "name")
    )


def authority_get_by_slug(slug: str) -> Authority | None:
    return Authority.objects.filter(slug=slug).exclude(schema_name=get_public_schema_name()).first()


def authority_current() -> Authority:
    """The authority whose schema the connection is in: the request's tenant,
    or, in a task or a test under schema_context, the one with that schema."""
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Authority) and tenant.schema_name == connection.schema_name:
        return tenant
    return Authority.objects.get(schema_name=connection.schema_name)
