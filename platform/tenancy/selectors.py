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
