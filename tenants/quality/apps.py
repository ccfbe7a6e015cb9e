from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "tenants.quality"
    label = "quality"
    verbose_name = "Contract management and market quality"
