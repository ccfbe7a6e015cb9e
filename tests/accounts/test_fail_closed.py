"""Failing closed: a view inside an authority that forgets to declare who it
is for is refused, an API view cannot switch the access check off, and
production settings refuse to start without their own keys."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from rest_framework.generics import GenericAPIView
from rest_framework.views import APIView

from accounts.middleware import TenantAccessMiddleware
from accounts.policy import Audience
from api.base import TenantAPIMixin

pytestmark = pytest.mark.django_db


def _request(authority, user):
    request = RequestFactory().get(f"/a/{authority.slug}/somewhere/")
    request.tenant = authority
    request.user = user
    return request


def test_a_page_without_an_audience_is_refused(region):
    from tests import support

    def undeclared(request):
        raise AssertionError("must not run")

    middleware = TenantAccessMiddleware(lambda r: None)
    staff = support.make_staff(region.alpha)
    with pytest.raises(PermissionDenied):
        middleware.process_view(_request(region.alpha, staff), undeclared, (), {})


def test_an_api_view_outside_the_tenant_base_is_refused(region):
    from tests import support

    class Rogue(APIView):
        permission_classes = []

    middleware = TenantAccessMiddleware(lambda r: None)
    staff = support.make_staff(region.alpha)
    with pytest.raises(PermissionDenied):
        middleware.process_view(_request(region.alpha, staff), Rogue.as_view(), (), {})


def test_an_api_view_cannot_override_the_access_check():
    with pytest.raises(TypeError, match="may not override get_permissions"):
        class Sneaky(TenantAPIMixin, GenericAPIView):  # noqa: F841
            audience = Audience.STAFF

            def get_permissions(self):
                return []


# --- Production settings fail closed ----------------------------------------------

def _settings_in(env: dict):
    """Import the settings in a fresh interpreter with only `env` set (the
    worktree's .env cannot fill in what a test leaves empty)."""
    base = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    blank = {name: "" for name in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "MFA_ENCRYPTION_KEY",
                                   "MFA_ENCRYPTION_KEY_FALLBACKS", "BID_SEALING_KEY",
                                   "AUDIT_CHAIN_KEY", "JOINTLY_ENV")}
    code = ("import json; from config import settings as s; "
            "print(json.dumps({'DEBUG': s.DEBUG, 'SECRET_KEY_FALLBACKS': s.SECRET_KEY_FALLBACKS, "
            "'MFA': s.MFA_ENCRYPTION_KEY, 'MFA_FALLBACKS': s.MFA_ENCRYPTION_KEY_FALLBACKS}))")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = {"PYTHONPATH": os.pathsep.join([os.path.join(root, "platform"), root])}  # this checkout's settings
    result = subprocess.run([sys.executable, "-c", code], env=base | blank | path | {"JOINTLY_TESTING": "0"} | env,
                            capture_output=True, text=True, cwd=root, timeout=60)
    result.values = json.loads(result.stdout) if result.returncode == 0 else None
    return result


PRODUCTION_KEYS = {"SECRET_KEY": "s" * 50, "MFA_ENCRYPTION_KEY": "m" * 50, "BID_SEALING_KEY": "b" * 50,
                   "AUDIT_CHAIN_KEY": "a" * 50}


def test_debug_is_off_unless_development_is_asked_for():
    assert _settings_in(PRODUCTION_KEYS).values["DEBUG"] is False
    assert _settings_in({"JOINTLY_ENV": "development"}).values["DEBUG"] is True


@pytest.mark.parametrize("missing", sorted(PRODUCTION_KEYS))
def test_each_key_is_required_in_production(missing):
    result = _settings_in({**PRODUCTION_KEYS, missing: ""})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


def test_no_key_defaults_to_another_in_production_even_with_debug():
    result = _settings_in({"DJANGO_DEBUG": "true", "SECRET_KEY": "s" * 50})
    assert result.returncode != 0 and "MFA_ENCRYPTION_KEY" in result.stderr


@pytest.mark.parametrize("same", ["MFA_ENCRYPTION_KEY", "BID_SEALING_KEY", "AUDIT_CHAIN_KEY"])
def test_keys_must_differ(same):
    result = _settings_in({**PRODUCTION_KEYS, same: PRODUCTION_KEYS["SECRET_KEY"]})
    assert result.returncode != 0 and "must differ" in result.stderr and same in result.stderr


def test_old_keys_are_read_from_the_environment():
    values = _settings_in({**PRODUCTION_KEYS, "SECRET_KEY_FALLBACKS": "old-secret-1,old-secret-2",
                           "MFA_ENCRYPTION_KEY_FALLBACKS": "old-mfa"}).values
    assert values["SECRET_KEY_FALLBACKS"] == ["old-secret-1", "old-secret-2"]
    assert values["MFA_FALLBACKS"] == ["old-mfa"]


def test_a_totp_secret_encrypted_under_the_old_mfa_key_still_verifies(settings, region):
    from allauth.mfa.models import Authenticator

    from tests import support

    settings.MFA_ENCRYPTION_KEY = "the-old-mfa-key"
    settings.MFA_ENCRYPTION_KEY_FALLBACKS = []
    user = support.make_user(mfa=True)
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]

    settings.MFA_ENCRYPTION_KEY = "the-new-mfa-key"
    settings.MFA_ENCRYPTION_KEY_FALLBACKS = ["the-old-mfa-key"]
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert authenticator.wrap().validate_code(support.totp_code())

    from django.core.management import call_command

    call_command("mfa_rotate_key")
    rotated = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    assert rotated != stored
    settings.MFA_ENCRYPTION_KEY_FALLBACKS = []  # the old key can now be dropped
    from allauth.mfa.adapter import get_adapter

    assert get_adapter().decrypt(rotated) == support.TOTP_SECRET


def test_signing_under_an_old_secret_key_still_holds_after_rotation(settings, client, region):
    from django.core import signing

    from tests import support

    settings.SECRET_KEY = "the-old-secret-key-" + "x" * 40
    signed = signing.dumps({"who": "me"})
    client.force_login(support.make_provider_person())
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    settings.SECRET_KEY = "the-new-secret-key-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-" + "x" * 40]
    assert signing.loads(signed) == {"who": "me"}
    client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
    assert client.get("/account/").status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(signing.BadSignature):
        signing.loads(signed)
