"""An authority's API: /a/<slug>/api/v1/..."""

from django.urls import path

from api.v1 import accounts, audit, authorities

urlpatterns = [
    path("", authorities.AuthorityHereView.as_view(), name="here"),
    path("team/", accounts.TeamView.as_view(), name="team"),
    path("team/<int:membership_id>/", accounts.TeamMemberView.as_view(), name="team-member"),
    path("audit-events/", audit.AuditEventListView.as_view(), name="audit-events"),
]
