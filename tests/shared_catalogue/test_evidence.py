"""The evidence locker: uploads are checked by content and size before
anything is stored, documents stay private to their organisation and to
authority staff, and a replaced document gives way to the new one."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from audit.models import AuditEvent
from shared_catalogue.models import Evidence
from tests import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def stored_files() -> set[str]:
    root = Path(settings.EVIDENCE_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def provider(region):
    return catalogue.register()


def test_a_provider_admin_uploads_a_policy_through_the_page(client, provider):
    client.force_login(catalogue.admin_of(provider))
    response = client.post(f"/providers/{provider.pk}/evidence/", {
        "evidence_type": "safeguarding_policy", "title": "Safeguarding adults policy 2026",
        "file": catalogue.pdf("safeguarding.pdf")})
    assert response.status_code == 302
    evidence = Evidence.objects.get(provider=provider)
    assert evidence.content_type == "application/pdf" and evidence.verification == "pending"
    assert evidence.file.name in stored_files()
    assert provider.name not in evidence.file.name  # an opaque name on disk
    page = client.get(f"/providers/{provider.pk}/evidence/").content.decode()
    assert "Safeguarding policy" in page and "Awaiting verification" in page
    download = client.get(f"/providers/{provider.pk}/evidence/{evidence.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == catalogue.PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="evidence.uploaded", object_id=str(evidence.pk)).exists()


def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_stored(client, provider):
    client.force_login(catalogue.admin_of(provider))
    before = stored_files()
    disguised = SimpleUploadedFile("policy.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    response = client.post(f"/providers/{provider.pk}/evidence/", {
        "evidence_type": "safeguarding_policy", "file": disguised})
    assert response.status_code == 400
    assert "The file must be a PDF, Word (.docx)" in response.content.decode()
    assert not Evidence.objects.filter(provider=provider).exists()
    assert stored_files() == before

    text = SimpleUploadedFile("policy.pdf", b"just some words, not a PDF", content_type="application/pdf")
    api = client.post(f"/api/v1/providers/{provider.pk}/evidence/", {
        "evidence_type": "safeguarding_policy", "file": text})
    assert api.status_code == 400
    assert "must be a PDF" in api.json()["errors"]["file"][0]
    assert not Evidence.objects.filter(provider=provider).exists()
    assert stored_files() == before


@override_settings(EVIDENCE_MAX_BYTES=1024 * 1024)
def test_an_oversized_file_is_refused_and_nothing_is_stored(client, provider):
    client.force_login(catalogue.admin_of(provider))
    before = stored_files()
    big = catalogue.pdf("accounts.pdf", catalogue.PDF + b"0" * (1024 * 1024 + 1))
    response = client.post(f"/providers/{provider.pk}/evidence/", {"evidence_type": "accounts", "file": big})
    assert response.status_code == 400
    assert "it must be 1 MB or smaller" in response.content.decode()
    big.seek(0)
    api = client.post(f"/api/v1/providers/{provider.pk}/evidence/", {"evidence_type": "accounts", "file": big})
    assert api.status_code == 400 and "1 MB or smaller" in api.json()["errors"]["file"][0]
    assert not Evidence.objects.filter(provider=provider).exists()
    assert stored_files() == before


def test_insurance_needs_its_cover_and_expiry(client, provider):
    client.force_login(catalogue.admin_of(provider))
    before = stored_files()
    response = client.post(f"/api/v1/providers/{provider.pk}/evidence/", {
        "evidence_type": "public_liability", "file": catalogue.pdf("insurance.pdf")})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["cover_amount"] == ["Give the amount of cover, in pounds."]
    assert errors["expires_on"] == ["Insurance needs its expiry date."]
    assert stored_files() == before
    response = client.post(f"/api/v1/providers/{provider.pk}/evidence/", {
        "evidence_type": "public_liability", "file": catalogue.pdf("insurance.pdf"), "cover_amount": "10000000",
        "issued_on": (date.today() - timedelta(days=10)).isoformat(),
        "expires_on": (date.today() + timedelta(days=355)).isoformat()})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["cover_amount"] == "10000000.00" and body["expiry"] == "current" and body["usable"] is False


def test_an_expiry_before_the_issue_date_is_refused(client, provider):
    client.force_login(catalogue.admin_of(provider))
    response = client.post(f"/providers/{provider.pk}/evidence/", {
        "evidence_type": "accounts", "file": catalogue.pdf(),
        "issued_on_0": "1", "issued_on_1": "4", "issued_on_2": "2026",
        "expires_on_0": "1", "expires_on_1": "3", "expires_on_2": "2026"})
    assert response.status_code == 400
    assert "The expiry date must be after the issue date." in response.content.decode()
    assert not Evidence.objects.filter(provider=provider).exists()


def test_an_office_document_is_recognised_by_its_contents(provider):
    docx = SimpleUploadedFile("plan.docx", catalogue.docx_bytes(), content_type="application/octet-stream")
    evidence = catalogue.upload(provider, evidence_type="business_continuity", file=docx)
    assert evidence.content_type.endswith("wordprocessingml.document")
    assert evidence.storage_key.endswith(".docx")


def test_a_replacement_supersedes_the_old_document(client, provider):
    old = catalogue.upload(provider, evidence_type="employers_liability")
    new = catalogue.upload(provider, evidence_type="employers_liability", replaces=old,
                           expires_on=date.today() + timedelta(days=400))
    old.refresh_from_db()
    assert not old.is_current and new.replaces == old
    client.force_login(catalogue.admin_of(provider))
    listed = client.get(f"/api/v1/providers/{provider.pk}/evidence/").json()
    assert [item["id"] for item in listed] == [new.pk]
    again = client.post(f"/api/v1/providers/{provider.pk}/evidence/", {
        "evidence_type": "employers_liability", "file": catalogue.pdf(), "replaces": old.pk,
        "cover_amount": "5000000", "expires_on": (date.today() + timedelta(days=30)).isoformat()})
    assert again.status_code == 400
    assert again.json()["errors"]["replaces"] == ["Only a current document of this organisation can be replaced."]


def test_a_viewer_can_read_but_not_upload(client, provider):
    viewer = catalogue.add_person(provider, "viewer")
    evidence = catalogue.upload(provider)
    client.force_login(viewer)
    assert client.get(f"/providers/{provider.pk}/evidence/{evidence.pk}/download/").status_code == 200
    refused = client.post(f"/providers/{provider.pk}/evidence/", {"evidence_type": "accounts",
                                                                   "file": catalogue.pdf()})
    assert refused.status_code == 403
    api = client.post(f"/api/v1/providers/{provider.pk}/evidence/", {"evidence_type": "accounts",
                                                                      "file": catalogue.pdf()})
    assert api.status_code == 403 and "provider admins and bid writers" in api.json()["detail"]
    assert Evidence.objects.filter(provider=provider).count() == 1


def test_a_provider_never_reaches_another_providers_documents(client, provider):
    other = catalogue.register()
    secret = catalogue.upload(other, evidence_type="accounts")
    client.force_login(catalogue.admin_of(provider))
    own_locker = f"/providers/{provider.pk}/evidence/{secret.pk}"
    theirs = f"/providers/{other.pk}/evidence/{secret.pk}"
    # pages: their locker, and their document addressed through our own locker
    for path in (f"/providers/{other.pk}/evidence/", f"{theirs}/", f"{theirs}/download/",
                 f"{own_locker}/", f"{own_locker}/download/"):
        assert client.get(path).status_code in (403, 404), path
    # API: the same, plus the authority catalogue, which is for staff only
    for path in (f"/api/v1/providers/{other.pk}/evidence/", f"/api/v1/providers/{other.pk}/evidence/{secret.pk}/",
                 f"/api/v1/providers/{other.pk}/evidence/{secret.pk}/file/",
                 f"/api/v1/providers/{provider.pk}/evidence/{secret.pk}/file/",
                 f"/a/alpha/api/v1/catalogue/evidence/{secret.pk}/file/"):
        assert client.get(path).status_code in (403, 404), path
    assert client.get(f"/a/alpha/staff/catalogue/{other.pk}/evidence/{secret.pk}/download/").status_code == 403
    # the file itself: no address serves it, whatever one guesses
    for path in (f"/{secret.file.name}", f"/media/{secret.file.name}", f"/static/{secret.file.name}",
                 f"/evidence/{secret.storage_key}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert catalogue.PDF not in b"".join(getattr(response, "streaming_content", [response.content]))
    with pytest.raises(ValueError, match="never served by URL"):
        secret.file.url  # noqa: B018


def test_someone_signed_out_reaches_no_document(client, provider):
    evidence = catalogue.upload(provider)
    page = client.get(f"/providers/{provider.pk}/evidence/{evidence.pk}/download/")
    assert page.status_code == 302 and page.url.startswith("/accounts/login/")
    assert client.get(f"/api/v1/providers/{provider.pk}/evidence/{evidence.pk}/file/").status_code in (401, 403)


def test_authority_staff_see_evidence_status_and_download(client, provider, region):
    catalogue.upload(provider, evidence_type="public_liability", expires_on=date.today() + timedelta(days=12))
    accounts = catalogue.upload(provider, evidence_type="accounts")
    client.force_login(support.make_staff(region.beta, "broker"))
    page = client.get(f"/a/beta/staff/catalogue/{provider.pk}/").content.decode()
    assert "Public liability insurance" in page and "Expires in 12 days" in page
    assert "Awaiting verification" in page
    assert "Record decision" not in page  # a broker reads, but does not decide
    api = client.get(f"/a/beta/api/v1/catalogue/providers/{provider.pk}/").json()
    by_type = {item["evidence_type"]: item for item in api["evidence"]}
    assert by_type["public_liability"]["expiry"] == "expiring"
    assert by_type["public_liability"]["days_to_expiry"] == 12
    assert by_type["accounts"]["verification"] == "pending"
    download = client.get(f"/a/beta/staff/catalogue/{provider.pk}/evidence/{accounts.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == catalogue.PDF
    api_file = client.get(f"/a/beta/api/v1/catalogue/evidence/{accounts.pk}/file/")
    assert api_file.status_code == 200
