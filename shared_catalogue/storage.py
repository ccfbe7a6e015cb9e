"""Where evidence documents live: a private folder that no URL serves.

The folder is read from ``settings.EVIDENCE_ROOT`` each time, not fixed when
the model is imported, so a changed setting (a test run's own folder, say)
takes effect at once. A deployment that keeps documents in object storage
points ``STORAGES["evidence"]`` at a bucket (``EVIDENCE_S3_BUCKET``, see
shared_catalogue.storage_s3); the download views only ever ``open()`` the file.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class EvidenceStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.EVIDENCE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Evidence is never served by URL; use the permission-checked download view.")

