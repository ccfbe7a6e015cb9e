"""URL building and tenant look-up for path-routed authorities.

Authorities are served under /a/<slug>/. django-tenants builds a URLconf per
tenant with every tenant pattern under that prefix; we build each one once per
process and keep it, so that Django's resolver cache (keyed by URLconf) works
and `reverse()` gives the same answer inside a request, in an e-mail and in a
Celery task (django-tenants issues #1030 and #1161).
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django_tenants.urlresolvers import get_subfolder_urlconf
from django_tenants.utils import get_public_schema_name, schema_context

ROUTE_CACHE_SECONDS = 300


class _Subfolder:
    """Just enough of a tenant for django-tenants to build its URLconf."""

    def __init__(self, slug: str) -> None:
        self.domain_subfolder = slug


@lru_cache(maxsize=4096)
def urlconf_for(slug: str) -> ModuleType:
    return get_subfolder_urlconf(_Subfolder(slug))


def tenant_reverse(authority, viewname: str, *, args=None, kwargs=None, absolute: bool = False) -> str:
    """Reverse a tenant URL for `authority` (an Authority or its slug), anywhere."""
    slug = authority if isinstance(authority, str) else authority.slug
    path = reverse(viewname, urlconf=urlconf_for(slug), args=args, kwargs=kwargs)
    return f"{settings.SITE_URL}{path}" if absolute else path


def public_reverse(viewname: str, *, args=None, kwargs=None, absolute: bool = False) -> str:
    """Reverse a URL of the regional site, whichever URLconf is active."""
    path = reverse(viewname, urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=args, kwargs=kwargs)
    return f"{settings.SITE_URL}{path}" if absolute else path


def _route_key(slug: str) -> str:
    return f"tenancy:route:{slug}"


def find_authority_by_route(slug: str):
    """The active authority served at /a/<slug>/, or None. Cached.

    The cache key is written under the public schema, so it is the same for
    every request whatever tenant was active before.
    """
    from tenancy.models import Route

    with schema_context(get_public_schema_name()):
        key = _route_key(slug)
        authority = cache.get(key)
        if authority is None:
            route = (
                Route.objects.select_related("tenant")
                .filter(domain=slug, tenant__is_active=True)
                .exclude(tenant__schema_name=get_public_schema_name())
                .first()
            )
            authority = route.tenant if route else False
            cache.set(key, authority, ROUTE_CACHE_SECONDS)
        return authority or None


def find_public_authority():
    from tenancy.models import Authority

    with schema_context(get_public_schema_name()):
        key = "tenancy:public"
        authority = cache.get(key)
        if authority is None:
            authority = Authority.objects.filter(schema_name=get_public_schema_name()).first()
            if authority is not None:
                cache.set(key, authority, ROUTE_CACHE_SECONDS)
        return authority


def forget_routes(*slugs: str) -> None:
    """Drop cached look-ups after an authority or its routes change."""
    with schema_context(get_public_schema_name()):
        cache.delete_many([_route_key(slug) for slug in slugs] + ["tenancy:public"])
