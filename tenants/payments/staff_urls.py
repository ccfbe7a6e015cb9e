"""Payments for an authority's staff: /a/<slug>/staff/payments/..."""

from django.urls import path

from tenants.payments import staff_views as views

app_name = "payments-staff"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("periods/", views.PeriodView.as_view(), name="periods"),
    path("periods/<int:period_id>/generate/", views.GenerateView.as_view(), name="generate"),
    path("export/", views.ExportView.as_view(), name="export"),
    path("<int:schedule_id>/", views.ScheduleView.as_view(), name="schedule"),
    path("<int:schedule_id>/<str:action>/", views.ScheduleActionView.as_view(), name="action"),
    path("<int:schedule_id>/lines/<int:line_id>/adjust/", views.AdjustView.as_view(), name="adjust"),
    path("<int:schedule_id>/queries/<int:query_id>/answer/", views.AnswerView.as_view(), name="answer"),
]
