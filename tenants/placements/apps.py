from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "tenants.placements"
    label = "placements"
    verbose_name = "Placements"
