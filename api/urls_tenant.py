"""An authority's API: /a/<slug>/api/v1/..."""

from django.urls import path

from api.v1 import accounts, audit, authorities, catalogue

urlpatterns = [
    path("", authorities.AuthorityHereView.as_view(), name="here"),
    path("team/", accounts.TeamView.as_view(), name="team"),
    path("team/<int:membership_id>/", accounts.TeamMemberView.as_view(), name="team-member"),
    path("audit-events/", audit.AuditEventListView.as_view(), name="audit-events"),
    path("catalogue/providers/", catalogue.CatalogueListView.as_view(), name="catalogue"),
    path("catalogue/providers/<int:provider_id>/", catalogue.CatalogueProviderView.as_view(),
         name="catalogue-provider"),
    path("catalogue/evidence/<int:evidence_id>/decision/", catalogue.EvidenceDecisionView.as_view(),
         name="catalogue-decision"),
    path("catalogue/evidence/<int:evidence_id>/file/", catalogue.CatalogueEvidenceFileView.as_view(),
         name="catalogue-evidence-file"),
]
