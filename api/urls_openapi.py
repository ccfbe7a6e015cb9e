"""Both APIs in one document: the regional site's under /api/v1/ and every
authority's under /a/{authority}/api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include(("api.urls_public", "api"))),
    path("a/<slug:authority>/api/v1/", include(("api.urls_tenant", "tenant-api"))),
]
