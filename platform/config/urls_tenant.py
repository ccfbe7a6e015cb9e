"""Inside an authority: every path here is served under /a/<slug>/.

Every page declares its audience (staff, provider, member); the access
middleware refuses a request that does not fit, and any page that declares
none.
"""

from django.urls import include, path

from tenants.admissions import staff_urls as admissions_staff

urlpatterns = [
    path("", include("tenants.workspace.urls")),
    path("provider/", include("tenants.admissions.provider_urls")),
    path("provider/calloffs/", include("tenants.calloffs.provider_urls")),
    path("provider/quality/", include("tenants.quality.provider_urls")),
    path("provider/pricing/", include("tenants.pricing.provider_urls")),
    path("provider/payments/", include("tenants.payments.provider_urls")),
    path("staff/team/", include("accounts.team_urls")),
    path("staff/audit/", include("audit.urls")),
    path("staff/catalogue/", include("shared_catalogue.staff_urls")),
    path("staff/agreements/", include("tenants.agreements.staff_urls")),
    path("staff/applications/", include(admissions_staff.application_patterns)),
    path("staff/admissions/", include(admissions_staff.admission_patterns)),
    path("staff/calloffs/", include("tenants.calloffs.staff_urls")),
    path("staff/placements/", include("tenants.placements.staff_urls")),
    path("staff/pricing/", include("tenants.pricing.staff_urls")),
    path("staff/history/", include("tenants.history.staff_urls")),
    path("staff/payments/", include("tenants.payments.staff_urls")),
    path("staff/grants/", include("tenants.agreements.grant_urls")),
    path("staff/quality/", include("tenants.quality.staff_urls")),
    path("staff/reports/", include("tenants.reports.staff_urls")),
    path("feedback/", include("tenants.quality.public_urls")),
    path("api/v1/", include(("api.urls_tenant", "tenant-api"))),
]

handler400 = "web.views.bad_request"
handler403 = "web.views.permission_denied"
handler404 = "web.views.page_not_found"
handler500 = "web.views.server_error"
