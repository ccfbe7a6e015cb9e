"""An authority's team pages (tenant URLconf)."""

from django.urls import path

from accounts import views

app_name = "team"

urlpatterns = [
    path("", views.TeamView.as_view(), name="list"),
    path("<int:membership_id>/revoke/", views.MembershipRevokeView.as_view(), name="revoke"),
]
