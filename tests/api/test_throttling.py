"""Throttles: bid submission, every token-authenticated request and the
public directory answer 429 with Retry-After and a problem document once their
rate is used up; a cache outage lets requests through rather than failing."""

from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.roles import ProviderRole
from tests import support
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def _throttled(response):
    assert response.status_code == 429, (response.status_code, response.content[:300])
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 429 and body["type"] == "urn:jointly:problem:throttled"
    assert "seconds" in body["detail"]
    return body


@override_settings(API_THROTTLE_RATES={"token": "3/minute"})
def test_token_requests_are_throttled_per_person(region):
    person = support.make_provider_person()
    _, plain = ApiToken.objects.create(user=person, name="script", expiry=timedelta(days=1))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    for _ in range(3):
        assert api.get("/api/v1/me/").status_code == 200
    _throttled(api.get("/api/v1/me/"))
    _throttled(api.get("/a/alpha/api/v1/provider/calloffs/"))  # everywhere the token goes
    session = APIClient()
    session.force_login(person)  # the person's own browser session is not a token
    assert session.get("/api/v1/me/").status_code == 200


@override_settings(API_THROTTLE_RATES={"bid_submit": "2/minute"})
def test_bid_submission_is_throttled(region):
    market = stage2.live_market(region.alpha, providers=1, names=["Brightday"])
    package = stage2.package(market)
    writer = catalogue.add_person(market.providers[0], ProviderRole.BID_WRITER)
    api = APIClient()
    api.force_authenticate(writer)
    url = f"/a/alpha/api/v1/provider/calloffs/{package.pk}/bid/submit/"
    for n in range(2):
        response = api.post(url, stage2.bid_content(), format="json", HTTP_IDEMPOTENCY_KEY=f"key-{n}")
        assert response.status_code in (200, 201), response.content
    _throttled(api.post(url, stage2.bid_content(), format="json", HTTP_IDEMPOTENCY_KEY="key-3"))
    # reading is not submitting
    assert api.get(f"/a/alpha/api/v1/provider/calloffs/{package.pk}/bid/").status_code == 200


@override_settings(API_THROTTLE_RATES={"directory": "3/minute"})
def test_the_public_directory_api_is_throttled_per_client(region):
    stranger = APIClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert stranger.get("/api/v1/directory/").status_code == 200
    _throttled(stranger.get("/api/v1/directory/"))
    _throttled(stranger.get("/api/v1/directory/1/"))
    assert APIClient(REMOTE_ADDR="198.51.100.7").get("/api/v1/directory/").status_code == 200


@override_settings(API_THROTTLE_RATES={"directory": "3/minute"}, ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_directory_throttle_keys_on_the_real_client(region):
    stranger = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(3):
        stranger.get("/api/v1/directory/")
    _throttled(stranger.get("/api/v1/directory/"))
    neighbour = APIClient(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert neighbour.get("/api/v1/directory/").status_code == 200


@override_settings(API_THROTTLE_RATES={"directory": "1/minute", "token": "1/minute"})
def test_a_cache_outage_lets_requests_through(region, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    from api import throttling

    down = RedisCache("redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    monkeypatch.setattr(throttling.CacheFailsOpen, "cache", down)
    for _ in range(3):
        assert APIClient().get("/api/v1/directory/").status_code == 200
    person = support.make_provider_person()
    _, plain = ApiToken.objects.create(user=person, name="script", expiry=timedelta(days=1))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    for _ in range(3):
        assert api.get("/api/v1/me/").status_code == 200
