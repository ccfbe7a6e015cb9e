"""Payments for providers: /a/<slug>/provider/payments/..."""

from django.urls import path

from tenants.payments import provider_views as views

app_name = "provider-payments"

urlpatterns = [
    path("", views.SchedulesView.as_view(), name="schedules"),
    path("<int:schedule_id>/", views.ScheduleView.as_view(), name="schedule"),
    path("invoices/<int:invoice_id>/file/", views.InvoiceFileView.as_view(), name="invoice-file"),
]
