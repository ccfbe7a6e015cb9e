from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "tenants.payments"
    label = "payments"
    verbose_name = "Payments to providers"
