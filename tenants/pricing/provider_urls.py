"""Pricing for providers: /a/<slug>/provider/pricing/..."""

from django.urls import path

from tenants.pricing import provider_views as views

app_name = "provider-pricing"

urlpatterns = [
    path("", views.SchedulesView.as_view(), name="schedules"),
    path("price-checks/<int:check_id>/", views.ExplainView.as_view(), name="explain"),
]
