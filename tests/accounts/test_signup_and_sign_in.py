"""Sign-up does not tell whether an address has an account, sign-in rate
limits key on the real client behind the proxy, and a stranger's wrong
passwords do not lock the owner out."""

import pytest
from django.contrib.auth.hashers import get_hasher
from django.core import mail
from django.test import override_settings

from accounts.models import User
from tests import support

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-battery-2026"


def _sign_up(client, email, monkeypatch):
    hasher = type(get_hasher())
    calls = []
    original = hasher.encode
    monkeypatch.setattr(hasher, "encode", lambda self, *a, **k: calls.append(a) or original(self, *a, **k))
    mail.outbox = []
    response = client.post("/accounts/signup/", {"full_name": "Sam Okafor", "email": email, "password1": PASSWORD,
                                                 "password2": PASSWORD})
    monkeypatch.setattr(hasher, "encode", original)
    return response, len(calls), [m.subject for m in mail.outbox]


def test_sign_up_does_the_same_work_for_a_known_and_a_new_address(client, region, monkeypatch):
    known = support.make_user()
    new_response, new_hashes, new_mails = _sign_up(client, f"{support.unique()}@example.org", monkeypatch)
    known_response, known_hashes, known_mails = _sign_up(client, known.email, monkeypatch)
    assert new_hashes == known_hashes == 1  # the password is hashed on both paths
    assert len(new_mails) == len(known_mails) == 1  # one e-mail each, by the same mechanism
    assert new_response.status_code == known_response.status_code == 302
    assert new_response.url == known_response.url
    assert User.objects.filter(email__iexact=known.email).count() == 1


LIMITS = {"login_failed": "10/m/ip,5/5m/key"}


def _sign_in(client, email, password, **headers):
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS)
def test_a_stranger_cannot_lock_the_owner_out_with_wrong_passwords(client, region):
    from django.test import Client

    owner = support.make_provider_person()
    stranger = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(7):
        _sign_in(stranger, owner.email, "not-the-password")
    refused = _sign_in(stranger, owner.email, "a-long-test-password")
    assert refused.status_code == 200 and "Too many" in refused.content.decode()  # the stranger is held back
    response = _sign_in(Client(REMOTE_ADDR="198.51.100.7"), owner.email, "a-long-test-password")
    assert response.status_code == 302, response.content.decode()[:500]


@override_settings(ACCOUNT_RATE_LIMITS=LIMITS, ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_limits_key_on_the_real_client(region):
    from django.test import Client

    owner = support.make_provider_person()
    proxy = "10.0.0.2"  # every request reaches us from the load balancer
    stranger = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(12):
        _sign_in(stranger, owner.email, "not-the-password")
    owner_client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _sign_in(owner_client, owner.email, "a-long-test-password").status_code == 302
