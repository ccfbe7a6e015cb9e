"""Evidence in an S3-compatible bucket (moto's server, over HTTP): uploaded
through the locker, kept private in the bucket, read back only through the
permission-checked download, as from local disk."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from shared_catalogue.models import Evidence
from tests import support
from tests.shared_catalogue import support as catalogue
from tests.storage.conftest import s3_client

pytestmark = pytest.mark.django_db

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def test_an_upload_goes_to_the_bucket_privately_and_is_served_only_through_the_checked_view(
        client, region, evidence_bucket, s3_endpoint):
    provider = catalogue.register()
    client.force_login(catalogue.admin_of(provider))
    response = client.post(f"/providers/{provider.pk}/evidence/", {
        "evidence_type": "safeguarding_policy", "title": "Safeguarding adults policy",
        "file": catalogue.pdf("safeguarding.pdf")})
    assert response.status_code == 302
    evidence = Evidence.objects.get(provider=provider)

    s3 = s3_client(s3_endpoint)
    key = f"jointly/{evidence.file.name}"
    stored = s3.get_object(Bucket=evidence_bucket, Key=key)
    assert stored["Body"].read() == catalogue.PDF
    assert provider.name not in key  # an opaque name in the bucket too
    grants = s3.get_object_acl(Bucket=evidence_bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the bucket's owner, nobody else
    assert not {grant["Grantee"].get("URI") for grant in grants} & {ALL_USERS, AUTHENTICATED_USERS}
    with pytest.raises(ValueError, match="never served by URL"):
        evidence.file.url  # noqa: B018  no address, plain or pre-signed, is ever made

    download = client.get(f"/providers/{provider.pk}/evidence/{evidence.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == catalogue.PDF
    assert download["Content-Disposition"].startswith("attachment;")
    staff = support.make_staff(region.beta, "broker")
    client.force_login(staff)
    download = client.get(f"/a/beta/staff/catalogue/{provider.pk}/evidence/{evidence.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == catalogue.PDF


def test_another_provider_or_someone_signed_out_cannot_fetch_it(client, region, evidence_bucket, s3_endpoint):
    provider, other = catalogue.register(), catalogue.register()
    secret = catalogue.upload(provider, evidence_type="accounts")
    client.force_login(catalogue.admin_of(other))
    for path in (f"/providers/{provider.pk}/evidence/{secret.pk}/download/",
                 f"/providers/{other.pk}/evidence/{secret.pk}/download/",
                 f"/api/v1/providers/{provider.pk}/evidence/{secret.pk}/file/",
                 f"/api/v1/providers/{other.pk}/evidence/{secret.pk}/file/",
                 f"/a/alpha/staff/catalogue/{provider.pk}/evidence/{secret.pk}/download/",
                 f"/a/alpha/api/v1/catalogue/evidence/{secret.pk}/file/"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert catalogue.PDF not in b"".join(getattr(response, "streaming_content", [response.content]))
    client.logout()
    assert client.get(f"/providers/{provider.pk}/evidence/{secret.pk}/download/").status_code == 302
    # Straight to the bucket without its keys: refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_endpoint}/{evidence_bucket}/jointly/{secret.file.name}")
    assert refused.value.code == 403


def test_an_object_missing_from_the_bucket_is_a_404_not_an_error(
        client, region, evidence_bucket, s3_endpoint):
    provider = catalogue.register()
    evidence = catalogue.upload(provider)
    s3 = s3_client(s3_endpoint)
    s3.delete_object(Bucket=evidence_bucket, Key=f"jointly/{evidence.file.name}")
    client.force_login(catalogue.admin_of(provider))
    assert client.get(f"/providers/{provider.pk}/evidence/{evidence.pk}/download/").status_code == 404
