"""Staff roles are unusable until the person has set up an authenticator app."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from tests import support

pytestmark = pytest.mark.django_db


def test_staff_pages_send_someone_without_mfa_to_set_it_up(client, region):
    staff = support.make_staff(region.alpha, "authority_admin", mfa=False)
    client.force_login(staff)
    for path in ("/a/alpha/", "/a/alpha/staff/", "/a/alpha/staff/team/", "/a/alpha/staff/audit/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == "/accounts/2fa/totp/activate/"
    assert client.session["jointly_after_mfa"] == "/a/alpha/staff/audit/"


def test_staff_api_refuses_someone_without_mfa_with_a_reason(client, region):
    client.force_login(support.make_staff(region.alpha, mfa=False))
    response = client.get("/a/alpha/api/v1/team/")
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "urn:jointly:problem:mfa-required"
    assert "authenticator app" in body["detail"]


def test_staff_role_works_once_mfa_is_set_up(client, region):
    staff = support.make_staff(region.alpha, mfa=False)
    client.force_login(staff)
    assert client.get("/a/alpha/staff/").status_code == 302
    TOTP.activate(staff, support.TOTP_SECRET)
    assert client.get("/a/alpha/staff/").status_code == 200
    Authenticator.objects.filter(user=staff).delete()  # switching MFA off takes the role away again
    assert client.get("/a/alpha/staff/").status_code == 302


def test_provider_people_do_not_need_mfa(client, region):
    client.force_login(support.make_provider_person(mfa=False))
    assert client.get("/a/alpha/provider/").status_code == 200


def test_sign_in_asks_staff_for_their_code(client, region):
    staff = support.make_staff(region.alpha)
    response = client.post("/accounts/login/", {"login": staff.email, "password": "a-long-test-password"})
    assert response.status_code == 302 and response.url == "/accounts/2fa/authenticate/"
    # not signed in yet: the staff page still wants a sign-in
    assert client.get("/a/alpha/staff/").url.startswith("/accounts/login/")
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    client.post("/accounts/2fa/authenticate/", {"code": support.totp_code()})
    assert client.get("/a/alpha/staff/").status_code == 200


def test_the_admin_needs_mfa_and_allauth_sign_in(client, region):
    operator = support.make_user(mfa=False)
    operator.is_platform_operator = True
    operator.save()
    assert client.get("/admin/login/").url.startswith("/accounts/login/")
    client.force_login(operator)
    assert client.get("/admin/").status_code == 302
    TOTP.activate(operator, support.TOTP_SECRET)
    assert client.get("/admin/").status_code == 200
