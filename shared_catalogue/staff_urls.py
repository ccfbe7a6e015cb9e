"""The catalogue inside an authority (tenant URLconf): /a/<slug>/staff/catalogue/..."""

from django.urls import path

from shared_catalogue import staff_views

app_name = "catalogue-staff"

urlpatterns = [
    path("", staff_views.CatalogueListView.as_view(), name="list"),
    path("<int:provider_id>/", staff_views.CatalogueProviderView.as_view(), name="provider"),
    path("<int:provider_id>/evidence/<int:evidence_id>/decision/", staff_views.EvidenceDecisionView.as_view(),
         name="decide"),
    path("<int:provider_id>/evidence/<int:evidence_id>/download/", staff_views.EvidenceDownloadView.as_view(),
         name="download"),
]
