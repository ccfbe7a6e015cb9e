"""Importing an authority's history, for its staff: /a/<slug>/staff/history/..."""

from django.urls import path

from tenants.history import staff_views as views

app_name = "history-staff"

urlpatterns = [
    path("", views.HistoryHomeView.as_view(), name="home"),
    path("apply/", views.HistoryApplyView.as_view(), name="apply"),
    path("<int:import_id>/", views.HistoryImportView.as_view(), name="import"),
]
