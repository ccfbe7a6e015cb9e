"""Checking an uploaded document before anything is stored: its size, and
its type by what the file contains (not by its name or what the browser said)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings

from common.errors import Invalid

ALLOWED = {
    "application/pdf": ("pdf", "PDF"),
    "image/png": ("png", "PNG image"),
    "image/jpeg": ("jpg", "JPEG image"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx", "Word document"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx", "Excel spreadsheet"),
    "application/vnd.oasis.opendocument.text": ("odt", "OpenDocument text"),
}
ALLOWED_DESCRIPTION = "PDF, Word (.docx), OpenDocument text (.odt), Excel (.xlsx), PNG or JPEG"


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size: int
    sha256: str


def check_upload(upload, *, field: str = "file") -> CheckedUpload:
    """Raise Invalid, naming `field`, unless the upload is an allowed type within the size limit."""
    if upload is None:
        raise Invalid({field: "Choose a file to upload."})
    limit = settings.EVIDENCE_MAX_BYTES
    size = upload.size
    if size == 0:
        raise Invalid({field: "The file is empty."})
    if size > limit:
        raise Invalid({field: f"The file is {size / 1_048_576:.1f} MB; it must be {limit // 1_048_576} MB or smaller."})
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head) or filetype.guess(_whole(upload))
    if kind is None or kind.mime not in ALLOWED:
        found = f" (it looks like {kind.mime})" if kind else ""
        raise Invalid({field: f"The file must be a {ALLOWED_DESCRIPTION}{found}."})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(kind.mime, ALLOWED[kind.mime][0], size, digest.hexdigest())


def _whole(upload) -> bytes:
    """Office files are zip archives: telling them apart needs more than the head."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data
