"""Personal API tokens: stored only as hashes, revocable, expiring."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from audit.models import AuditEvent
from tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def _create_token(client, name="script", **extra):
    response = client.post("/api/v1/tokens/", {"name": name, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_token_is_shown_once_and_stored_only_as_a_hash(api, region):
    person = support.make_provider_person(mfa=True)
    support.confirm_second_factor(api, person)
    created = _create_token(api, expires_in_days=30)
    plain = created["token"]
    assert plain.startswith("jly_")
    stored = ApiToken.objects.get(user=person)
    assert plain not in (stored.digest, stored.token_key) and len(stored.digest) == 128
    assert stored.expiry - timezone.now() > timedelta(days=29)
    listed = api.get("/api/v1/tokens/").json()
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]


def test_a_token_authenticates_in_the_regional_site_and_in_an_authority(api, region):
    staff = support.make_staff(region.alpha, "authority_admin")
    support.confirm_second_factor(api, staff)
    plain = _create_token(api)["token"]
    api.logout()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert api.get("/api/v1/me/").json()["email"] == staff.email
    assert api.get("/a/alpha/api/v1/team/").status_code == 200
    assert api.get("/a/beta/api/v1/team/").status_code == 403  # a token carries the person, not more
    assert ApiToken.objects.get(user=staff).last_used_at is not None


def test_a_revoked_token_is_refused(api, region):
    person = support.make_provider_person(mfa=True)
    support.confirm_second_factor(api, person)
    created = _create_token(api)
    assert api.delete(f"/api/v1/tokens/{created['token_key']}/").status_code == 204
    api.logout()
    api.credentials(HTTP_AUTHORIZATION=f"Token {created['token']}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=created["token_key"]).exists()


def test_an_expired_token_is_refused(api, region):
    person = support.make_provider_person()
    token, plain = ApiToken.objects.create(user=person, name="old", expiry=timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert api.get("/api/v1/me/").status_code == 401


def test_someone_cannot_revoke_another_persons_token(api, region):
    owner = support.make_provider_person(mfa=True)
    support.confirm_second_factor(api, owner)
    created = _create_token(api)
    support.confirm_second_factor(api, support.make_provider_person(mfa=True))
    assert api.delete(f"/api/v1/tokens/{created['token_key']}/").status_code == 404
    assert ApiToken.objects.filter(user=owner).exists()


def test_staff_need_mfa_to_create_tokens(api, region):
    api.force_login(support.make_staff(region.alpha, mfa=False))
    response = api.post("/api/v1/tokens/", {"name": "script"}, format="json")
    assert response.status_code == 403 and "authenticator app" in response.json()["detail"]


@pytest.mark.parametrize("payload, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "ok", "expires_in_days": 0}, "expires_in_days"),
    ({"name": "ok", "expires_in_days": "soon"}, "expires_in_days"),
])
def test_bad_token_requests_are_400_with_the_field_named(api, region, payload, field):
    support.confirm_second_factor(api, support.make_provider_person(mfa=True))
    response = api.post("/api/v1/tokens/", payload, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_session_api_calls_need_the_csrf_token(region):
    person = support.make_provider_person()
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(person)
    response = api.post("/api/v1/tokens/", {"name": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_expired_tokens_are_purged_and_recorded(region):
    from accounts.tasks import purge_expired_tokens_task

    person = support.make_provider_person()
    token, _ = ApiToken.objects.create(user=person, name="old", expiry=timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(minutes=1))
    assert purge_expired_tokens_task.delay().get() >= 1
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert AuditEvent.objects.filter(action="api_token.expired", object_id=token.token_key).exists()
