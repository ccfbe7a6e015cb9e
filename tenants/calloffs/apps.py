from django.apps import AppConfig


class CalloffsConfig(AppConfig):
    name = "tenants.calloffs"
    label = "calloffs"
    verbose_name = "Call-offs and bids"
