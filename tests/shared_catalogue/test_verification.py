"""Verification reused across authorities: one officer's check counts for
every authority, which sees who checked what, where and when."""

import pytest

from audit.models import AuditEvent
from shared_catalogue.models import Evidence, EvidenceDecision
from tests import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence(region):
    return catalogue.upload(catalogue.register(), evidence_type="safeguarding_policy")


def test_a_quality_officer_verifies_through_the_page_and_another_authority_relies_on_it(client, region, evidence):
    officer = support.make_staff(region.alpha, "quality_officer", full_name="Qadira Officer")
    client.force_login(officer)
    provider = evidence.provider
    page = client.get(f"/a/alpha/staff/catalogue/{provider.pk}/").content.decode()
    assert "Record decision" in page and "Awaiting verification" in page
    response = client.post(f"/a/alpha/staff/catalogue/{provider.pk}/evidence/{evidence.pk}/decision/",
                           {f"evidence-{evidence.pk}-decision": "verified"})
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.verification == "verified"
    decision = EvidenceDecision.objects.get(evidence=evidence)
    assert (decision.authority, decision.decided_by) == (region.alpha, officer)

    # Beta's broker sees the check, who made it and where, without checking again
    client.force_login(support.make_staff(region.beta, "broker"))
    page = client.get(f"/a/beta/staff/catalogue/{provider.pk}/").content.decode()
    assert "Verified by Qadira Officer, Alpha Council" in page
    api = client.get(f"/a/beta/api/v1/catalogue/providers/{provider.pk}/").json()
    [item] = api["evidence"]
    assert item["verification"] == "verified" and item["usable"] is True
    assert item["decisions"][0]["authority"] == "Alpha Council"
    assert item["decisions"][0]["decided_by"] == "Qadira Officer"
    # and so does the provider
    client.force_login(catalogue.admin_of(provider))
    mine = client.get(f"/api/v1/providers/{provider.pk}/evidence/{evidence.pk}/").json()
    assert mine["verification"] == "verified" and mine["decisions"][0]["authority"] == "Alpha Council"

    # the decision is in Alpha's own audit chain
    from django_tenants.utils import schema_context

    with schema_context(region.alpha.schema_name):
        assert AuditEvent.objects.filter(action="evidence.verified", object_id=str(evidence.pk),
                                         actor=officer).exists()


def test_a_rejection_needs_a_reason(client, region, evidence):
    client.force_login(support.make_staff(region.beta, "quality_officer"))
    url = f"/a/beta/api/v1/catalogue/evidence/{evidence.pk}/decision/"
    refused = client.post(url, {"decision": "rejected"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["reason"] == ["Say why the evidence is rejected, so the provider can put it right."]
    evidence.refresh_from_db()
    assert evidence.verification == "pending" and not evidence.decisions.exists()
    done = client.post(url, {"decision": "rejected", "reason": "The policy is unsigned."},
                       content_type="application/json")
    assert done.status_code == 201 and done.json()["reason"] == "The policy is unsigned."
    evidence.refresh_from_db()
    assert evidence.verification == "rejected"


def test_a_broker_and_a_provider_cannot_decide(client, region, evidence):
    client.force_login(support.make_staff(region.alpha, "broker"))
    page = client.post(f"/a/alpha/staff/catalogue/{evidence.provider_id}/evidence/{evidence.pk}/decision/",
                       {"decision": "verified"})
    assert page.status_code == 403
    api = client.post(f"/a/alpha/api/v1/catalogue/evidence/{evidence.pk}/decision/", {"decision": "verified"},
                      content_type="application/json")
    assert api.status_code == 403 and "quality officers and commissioners" in api.json()["detail"]
    client.force_login(catalogue.admin_of(evidence.provider))
    api = client.post(f"/a/alpha/api/v1/catalogue/evidence/{evidence.pk}/decision/", {"decision": "verified"},
                      content_type="application/json")
    assert api.status_code == 403
    evidence.refresh_from_db()
    assert evidence.verification == "pending" and not evidence.decisions.exists()


def test_a_replaced_document_cannot_be_decided(client, region, evidence):
    catalogue.upload(evidence.provider, evidence_type=evidence.evidence_type, replaces=evidence)
    client.force_login(support.make_staff(region.alpha, "quality_officer"))
    response = client.post(f"/a/alpha/api/v1/catalogue/evidence/{evidence.pk}/decision/",
                           {"decision": "verified"}, content_type="application/json")
    assert response.status_code == 409 and "newer version" in response.json()["detail"]
    assert Evidence.objects.get(pk=evidence.pk).verification == "pending"


def test_an_unknown_document_is_a_clear_404(client, region):
    client.force_login(support.make_staff(region.alpha, "quality_officer"))
    response = client.post("/a/alpha/api/v1/catalogue/evidence/999999999/decision/", {"decision": "verified"},
                           content_type="application/json")
    assert response.status_code == 404 and response.json()["detail"] == "No such document."


def test_a_rejection_reason_naming_someones_nhs_number_is_refused(client, region, evidence):
    """The provider reads the reason: it is about the document, never a person."""
    client.force_login(support.make_staff(region.beta, "quality_officer"))
    url = f"/a/beta/api/v1/catalogue/evidence/{evidence.pk}/decision/"
    refused = client.post(url, {"decision": "rejected", "reason": "Names a client, NHS 943\u2009476\u20095919."},
                          content_type="application/json")
    assert refused.status_code == 400
    assert "943\u2009476\u20095919" in refused.json()["errors"]["reason"][0]
    evidence.refresh_from_db()
    assert evidence.verification == "pending" and not evidence.decisions.exists()
