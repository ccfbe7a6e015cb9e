"""Working under grants: /a/<slug>/staff/grants/..."""

from django.urls import path

from tenants.agreements import grant_views as views

app_name = "grants"

urlpatterns = [
    path("", views.GrantsHomeView.as_view(), name="home"),
    path("recharges/", views.RechargesView.as_view(), name="recharges"),
]
