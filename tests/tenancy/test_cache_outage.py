"""The cache is an optimisation: with Redis unreachable, pages, sign-in and
the API still answer (routing falls back to the database), and the outage is
logged for the operators."""

import logging

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from tests import support

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every cache operation fails to connect.
DEAD = {name: {**config, "LOCATION": "redis://127.0.0.1:1/0"} for name, config in settings.CACHES.items()}


def test_with_the_cache_down_pages_sign_in_and_the_api_still_work(client, region, caplog):
    staff = support.make_staff(region.alpha, AuthorityRole.BROKER)
    person = support.make_user(password="a-long-test-password")
    with override_settings(CACHES=DEAD, ACCOUNT_RATE_LIMITS={"login_failed": "10/m/ip,5/5m/key"}), \
            caplog.at_level(logging.WARNING, logger="jointly.ops"):
        from django.core.cache import cache

        assert cache.get("anything") is None and cache.add("code", 1) is True  # an empty cache, not an error

        assert client.get("/").status_code == 200
        assert client.get("/directory/").status_code == 200
        assert client.get("/api/v1/directory/").status_code == 200  # throttled by the cache: let through
        assert client.get("/a/alpha/").status_code in (200, 302)  # the route read from the database
        assert client.get("/a/no-such-authority/").status_code == 404

        signed_in = client.post("/accounts/login/", {"login": person.email, "password": "a-long-test-password"})
        assert signed_in.status_code == 302  # rate limits read the cache: let through
        client.force_login(staff)
        page = client.get("/a/alpha/staff/")
        assert page.status_code == 200 and 'href="/a/alpha/staff/team/"' in page.content.decode()

        api = APIClient()
        api.force_authenticate(staff)
        assert api.get("/a/alpha/api/v1/calloffs/packages/").status_code == 200
    assert any("Cache unavailable" in record.getMessage() for record in caplog.records)


def _answers(client, endpoints):
    """Every GET answers without a server error (the test client would raise
    one); the status codes seen, for the assertions below."""
    seen = {}
    for endpoint in endpoints:
        response = client.get(endpoint.path)
        assert response.status_code < 500, (endpoint.path, response.status_code)
        seen[endpoint.path] = response.status_code
    return seen


def test_with_the_cache_down_no_page_or_api_endpoint_fails(client, region):
    """Every URL the regional site and an authority serve, page or API, as
    someone signed out, as staff holding every role and as a provider's
    person: with the cache unreachable none answers a server error."""
    public = support.public_endpoints()
    tenant = support.tenant_endpoints("alpha")
    assert len(public) >= 10 and len(tenant) >= 30  # the walk found the service, or this proves nothing
    staff = support.make_staff(region.alpha, *support.ALL_STAFF_ROLES)
    provider_person = support.make_provider_person(None, mfa=True)
    with override_settings(CACHES=DEAD):
        signed_out = _answers(client, public)
        assert signed_out["/"] == 200 and signed_out["/directory/"] == 200
        client.force_login(staff)
        as_staff = _answers(client, tenant + public)
        assert as_staff["/a/alpha/staff/"] == 200
        assert as_staff["/a/alpha/api/v1/calloffs/packages/"] == 200
        client.force_login(provider_person)
        as_provider = _answers(client, tenant + public)
        assert as_provider["/a/alpha/provider/"] == 200
