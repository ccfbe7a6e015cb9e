from django.conf import settings
from django.db import connection
from django.http import Http404
from django.urls import set_urlconf
from django_tenants.middleware.subfolder import TenantSubfolderMiddleware

from tenancy.routing import find_authority_by_route, find_public_authority, urlconf_for


class AuthoritySubfolderMiddleware(TenantSubfolderMiddleware):
    """Selects the authority from /a/<slug>/ with a cached look-up.

    Unlike the parent it neither queries the database for the route on every
    request nor clears Django's URL caches: each authority's URLconf is built
    once per process (tenancy.routing.urlconf_for), so reversing and
    resolving stay cached. With TENANT_LIMIT_SET_CALLS this leaves one
    `SET search_path` per request.
    """

    prefix = f"/{settings.TENANT_SUBFOLDER_PREFIX}/"

    def process_request(self, request):
        if hasattr(request, "tenant"):
            return None
        connection.set_schema_to_public()
        if request.path.startswith(self.prefix):
            slug = request.path[len(self.prefix):].split("/", 1)[0]
            authority = find_authority_by_route(slug)
            if authority is None:
                raise Http404(f"No authority is served at /a/{slug}/.")
            authority.domain_subfolder = slug
            request.urlconf = urlconf_for(slug)
        else:
            authority = find_public_authority()
            if authority is None:
                raise Http404("The regional site has not been set up: run `manage.py migrate_all`.")
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        authority.domain_url = self.hostname_from_request(request)
        request.tenant = authority
        connection.set_tenant(authority)
        set_urlconf(request.urlconf)
        return None
