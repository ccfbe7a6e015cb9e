"""Key journeys in a real browser against the running server."""

import re

import pytest

from accounts.roles import ProviderRole
from tests import support

pytestmark = [pytest.mark.browser]

PASSWORD = "a-long-test-password"


def _sign_in(page, server, email, next_path=""):
    page.goto(f"{server}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_a_provider_signs_in_once_and_reaches_two_authorities(committed_db, region, server, page):
    provider = support.make_provider(support.unique("Sunrise Care "))
    person = support.make_provider_person(provider, ProviderRole.BID_WRITER,
                                          email=f"{support.unique('bidder')}@example.org")

    # going to Alpha first sends them to sign in, and back
    page.goto(f"{server}/a/alpha/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{server}/a/alpha/provider/")
    assert page.get_by_test_id("current-authority").inner_text() == "Alpha Council"
    assert provider.name in page.get_by_test_id("acting-for").inner_text()

    # then Beta: no second sign-in
    page.goto(f"{server}/a/beta/")
    page.wait_for_url(f"{server}/a/beta/provider/")
    assert page.get_by_test_id("current-authority").inner_text() == "Beta Council"

    # and the account page switches between them
    page.goto(f"{server}/account/")
    page.get_by_test_id("provider-authorities").get_by_role("link", name="NHS North ICB").click()
    page.wait_for_url(f"{server}/a/nhs-north/provider/")

    # staff pages stay shut to them
    response = page.goto(f"{server}/a/beta/staff/")
    assert response.status == 403
    assert "for its staff only" in page.get_by_test_id("refusal-reason").inner_text()


def test_staff_sign_in_with_their_code_and_sign_out_everywhere(committed_db, region, server, page):
    staff = support.make_staff(region.beta, "authority_admin", email=f"{support.unique('admin')}@example.org")
    _sign_in(page, server, staff.email, next_path="/a/beta/staff/")
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/.*"))
    page.get_by_label("Code").fill(support.totp_code())
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(f"{server}/a/beta/staff/")
    assert "Authority admin" in page.get_by_test_id("your-roles").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/a/beta/staff/")
    assert "/accounts/login/" in page.url


def test_a_new_staff_member_must_set_up_mfa_before_using_their_role(committed_db, region, server, page):
    staff = support.make_staff(region.alpha, "broker", mfa=False, email=f"{support.unique('new')}@example.org")
    _sign_in(page, server, staff.email, next_path="/a/alpha/staff/")
    # allauth asks for the password again before a security change
    page.wait_for_url(re.compile(r".*/accounts/reauthenticate/.*"))
    assert "Set up an authenticator app before you use a staff role" in page.content()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    page.get_by_label("Authenticator code").fill(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    page.get_by_role("button", name="Activate").click()
    page.goto(f"{server}/a/alpha/staff/")
    assert page.get_by_test_id("your-roles").inner_text().startswith("Your roles here: Broker")
