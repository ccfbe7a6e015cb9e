from django.apps import AppConfig


class AdmissionsConfig(AppConfig):
    name = "tenants.admissions"
    label = "admissions"
    verbose_name = "Applications and admissions"
