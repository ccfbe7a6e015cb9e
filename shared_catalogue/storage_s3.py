"""Evidence in an S3-compatible bucket (django-storages), when
EVIDENCE_S3_BUCKET is set (settings.STORAGES["evidence"]).

Every object is written private (no public ACL) and no URL to one is ever
made, plain or pre-signed: the permission-checked download view reads the
object and streams it, as it does a file on disk. A module of its own, so
boto3 is imported only where a bucket is used.
"""

from storages.backends.s3 import S3Storage


class EvidenceS3Storage(S3Storage):
    def get_default_settings(self):
        settings = super().get_default_settings()
        # An opaque new name for every upload: never replace an object.
        settings.update(default_acl="private", file_overwrite=False, querystring_auth=True,
                        object_parameters={"CacheControl": "private, no-store"})
        return settings

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("Evidence is never served by URL; use the permission-checked download view.")
