from django.apps import AppConfig


class SharedCatalogueConfig(AppConfig):
    name = "shared_catalogue"
    verbose_name = "Regional provider catalogue"
