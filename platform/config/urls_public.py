"""The regional site: /, /directory/, /accounts/ (sign-in), /account/, /providers/, /admin/, /api/v1/."""

from csp.constants import NONCE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from tenants.admissions.regional_views import AdmittedEverywhereView
from tenants.calloffs.regional_views import OpportunitiesView

# Swagger UI and ReDoc (local assets from drf-spectacular-sidecar) style their
# pages at run time with inline styles, and ReDoc searches in a worker made from
# a blob: URL. Their scripts still need the nonce.
API_DOCS_POLICY = csp_replace({
    "script-src": [SELF, NONCE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "worker-src": [SELF, "blob:"],
})

urlpatterns = [
    path("", include("web.urls")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("providers/admissions/", AdmittedEverywhereView.as_view(), name="admitted-everywhere"),
    path("directory/", include("shared_catalogue.directory_urls")),
    path("agreements/", include("shared_catalogue.open_agreement_urls")),
    path("providers/opportunities/", OpportunitiesView.as_view(), name="opportunities"),
    path("providers/", include("shared_catalogue.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("api.urls_public", "api"))),
    path("api/v1/schema/", SpectacularAPIView.as_view(urlconf="api.urls_openapi"), name="api-schema"),
    path("api/v1/docs/", API_DOCS_POLICY(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/v1/redoc/", API_DOCS_POLICY(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
]

handler400 = "web.views.bad_request"
handler403 = "web.views.permission_denied"
handler404 = "web.views.page_not_found"
handler500 = "web.views.server_error"
