from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "tenants.history"
    label = "history"
    verbose_name = "Historic records imported"
