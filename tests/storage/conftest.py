"""An S3-compatible server for the storage tests: moto in server mode, on a
free local port, started once per session. The application talks to it over
HTTP through django-storages and boto3, as it would to a real bucket."""

from __future__ import annotations

import secrets
import socket

import pytest

ACCESS_KEY, SECRET_KEY, REGION = "jointly-test", "jointly-test-secret", "eu-west-2"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY)


@pytest.fixture
def evidence_bucket(s3_endpoint):
    """Evidence stored in a fresh private bucket (STORAGES["evidence"] as
    settings builds it from EVIDENCE_S3_*), for the length of one test."""
    from django.conf import settings
    from django.core.files.storage import storages
    from django.test import override_settings

    from shared_catalogue.models import Evidence

    bucket = f"evidence-{secrets.token_hex(4)}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    evidence_storage = {"BACKEND": "shared_catalogue.storage_s3.EvidenceS3Storage", "OPTIONS": {
        "bucket_name": bucket, "endpoint_url": s3_endpoint, "region_name": REGION,
        "access_key": ACCESS_KEY, "secret_key": SECRET_KEY, "location": "jointly"}}
    field = Evidence._meta.get_field("file")
    before = field.storage
    with override_settings(STORAGES={**settings.STORAGES, "evidence": evidence_storage}):
        field.storage = storages["evidence"]  # the field resolved its storage when the model was imported
        try:
            yield bucket
        finally:
            field.storage = before
