from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "tenants.agreements"
    label = "agreements"
    verbose_name = "Agreements and lots"
