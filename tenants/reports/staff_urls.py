from django.urls import path

from tenants.reports import staff_views as views

app_name = "reports-staff"

urlpatterns = [
    path("", views.ReportsHomeView.as_view(), name="home"),
    path("agreements/<int:agreement_id>/", views.YearReportView.as_view(), name="year"),
    path("agreements/<int:agreement_id>/pack.xlsx", views.YearReportXLSXView.as_view(), name="year-xlsx"),
    path("agreements/<int:agreement_id>/pack.pdf", views.YearReportPDFView.as_view(), name="year-pdf"),
    path("calloff-outcomes/", views.OutcomesView.as_view(), name="outcomes"),
    path("calloff-outcomes.csv", views.OutcomesCSVView.as_view(), name="outcomes-csv"),
    path("calloff-outcomes/export/", views.ExportSettingsView.as_view(), name="export-settings"),
    path("calloff-outcomes/exports/<int:export_id>/send/", views.ExportSendView.as_view(), name="export-send"),
]
