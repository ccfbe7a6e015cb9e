"""The Celery app: Redis broker, tasks run in the schema they were sent from
(tenant-schemas-celery), beat through its tenant-aware scheduler."""

import os

from tenant_schemas_celery.app import CeleryApp

import ops.celery_context  # noqa: F401  (our log format and a task's id on its lines; docs/operating.md)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("jointly")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
