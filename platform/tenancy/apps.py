from django.apps import AppConfig
from django.core.signals import request_finished


def _back_to_public(**kwargs):
    """No tenant outlives its request: whatever runs next in this thread
    (another request, a test, a shell) starts in the public schema."""
    from django.db import connection

    connection.set_schema_to_public()


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Authorities and regions"

    def ready(self):
        request_finished.connect(_back_to_public, dispatch_uid="tenancy.back_to_public")
