"""Pricing schedules for an authority's staff: /a/<slug>/staff/pricing/..."""

from django.urls import path

from tenants.pricing import staff_views as views

app_name = "pricing-staff"

urlpatterns = [
    path("", views.ScheduleListView.as_view(), name="schedules"),
    path("<int:schedule_id>/", views.ScheduleDetailView.as_view(), name="schedule"),
    path("price-checks/<int:check_id>/", views.CheckView.as_view(), name="check"),
    path("packages/<int:package_id>/award-at-rate/", views.AwardAtRateView.as_view(), name="award-at-rate"),
]
