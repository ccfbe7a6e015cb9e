from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "Pages and layout"
    default = True


class JointlyAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "web.admin_site.JointlyAdminSite"
