"""Token management needs a signed-in session with a recent second factor:
a stolen token cannot mint, list or revoke tokens, every token expires within
a year, and taking a role away revokes the person's tokens."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from audit.models import AuditEvent
from common.errors import Invalid
from tests import support

pytestmark = pytest.mark.django_db


def _token(user, days=1):
    return ApiToken.objects.create(user=user, name="stolen", expiry=timedelta(days=days))


def test_a_token_cannot_create_a_token(region):
    person = support.make_provider_person(mfa=True)
    _, plain = _token(person, days=1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    response = api.post("/api/v1/tokens/", {"name": "forever", "expires_in_days": None}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["type"] == "urn:jointly:problem:session-required"
    assert "signed in" in body["detail"]
    assert ApiToken.objects.filter(user=person).count() == 1
    response = api.post("/api/v1/tokens/", {"name": "a year", "expires_in_days": 365}, format="json")
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=person).count() == 1


def test_a_token_cannot_list_or_revoke_tokens(region):
    person = support.make_provider_person(mfa=True)
    first, plain = _token(person)
    other, _ = _token(person)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert api.get("/api/v1/tokens/").status_code == 403
    assert api.delete(f"/api/v1/tokens/{other.token_key}/").status_code == 403
    assert ApiToken.objects.filter(pk=other.pk).exists()


def test_a_session_needs_a_recent_second_factor_to_create_a_token(region):
    person = support.make_provider_person(mfa=True)
    api = APIClient()
    api.force_login(person)
    response = api.post("/api/v1/tokens/", {"name": "script"}, format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "urn:jointly:problem:recent-mfa-required"
    support.confirm_second_factor(api, person, seconds_ago=3600)
    assert api.post("/api/v1/tokens/", {"name": "script"}, format="json").status_code == 403
    assert not ApiToken.objects.filter(user=person).exists()
    support.confirm_second_factor(api, person)
    response = api.post("/api/v1/tokens/", {"name": "script"}, format="json")
    assert response.status_code == 201, response.content
    # listing and revoking need the session, not a fresh code
    support.confirm_second_factor(api, person, seconds_ago=3600)
    assert [t["name"] for t in api.get("/api/v1/tokens/").json()] == ["script"]
    assert api.delete(f"/api/v1/tokens/{response.json()['token_key']}/").status_code == 204


def test_someone_without_two_factor_cannot_create_a_token(region):
    person = support.make_provider_person(mfa=False)
    api = APIClient()
    api.force_login(person)
    response = api.post("/api/v1/tokens/", {"name": "script"}, format="json")
    assert response.status_code == 403 and "authenticator app" in response.json()["detail"]


def test_the_page_asks_for_the_code_again_and_then_creates_the_token(client, region):
    person = support.make_provider_person(mfa=True)
    client.force_login(person)
    response = client.post("/account/tokens/", {"name": "script", "expires_in_days": "30"})
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/")
    assert not ApiToken.objects.filter(user=person).exists()
    response = client.post(response.url, {"code": support.totp_code()})
    assert ApiToken.objects.filter(user=person, name="script").exists()


@pytest.mark.parametrize("payload", [
    {"name": "forever", "expires_in_days": None},
    {"name": "too long", "expires_in_days": 366},
    {"name": "too long", "expires_in_days": 10000},
])
def test_a_token_without_expiry_or_beyond_a_year_is_refused(region, payload):
    person = support.make_provider_person(mfa=True)
    api = APIClient()
    api.force_login(person)
    support.confirm_second_factor(api, person)
    response = api.post("/api/v1/tokens/", payload, format="json")
    assert response.status_code == 400
    assert "expires_in_days" in response.json()["errors"]
    assert not ApiToken.objects.filter(user=person).exists()


def test_the_service_and_the_database_refuse_a_token_without_expiry(region):
    person = support.make_provider_person(mfa=True)
    with pytest.raises(Invalid):
        services.api_token_create(actor=person, name="x", expires_in_days=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(user=person, name="raw", expiry=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(user=person, name="raw", expiry=timedelta(days=400))


def test_a_token_defaults_to_an_expiry(region):
    person = support.make_provider_person(mfa=True)
    token, _ = services.api_token_create(actor=person, name="script")
    assert timedelta(days=89) < token.expiry - timezone.now() <= timedelta(days=90)


def test_taking_a_staff_role_away_revokes_the_persons_tokens(region):
    admin = support.make_staff(region.alpha, "authority_admin")
    staff = support.make_staff(region.alpha, "broker")
    _, plain = _token(staff, days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert api.get("/api/v1/me/").status_code == 200
    membership = staff.authority_memberships.get()
    services.membership_revoke(actor=admin, membership=membership, reason="Left the team")
    assert not ApiToken.objects.filter(user=staff).exists()
    assert api.get("/api/v1/me/").status_code == 401
    event = AuditEvent.objects.filter(action="api_token.revoked").latest("pk")
    assert "role" in event.reason


def test_removing_someone_from_a_provider_revokes_their_tokens(region):
    from accounts.roles import ProviderRole
    from shared_catalogue.services import provider_person_remove

    provider = support.make_provider()
    admin = support.make_provider_person(provider, ProviderRole.PROVIDER_ADMIN)
    writer = support.make_provider_person(provider, ProviderRole.BID_WRITER)
    _, plain = _token(writer, days=30)
    provider_person_remove(actor=admin, membership=writer.provider_memberships.get(), reason="Left")
    assert not ApiToken.objects.filter(user=writer).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert api.get("/api/v1/me/").status_code == 401
