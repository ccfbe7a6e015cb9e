"""A colleague's invitation leads straight to choosing a password (not to
"reset your password"); sign-up asks for a name; the home page leads to both
signing in and creating an account."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests import support

pytestmark = pytest.mark.django_db
PASSWORD = "Correct-horse-battery-2026"


def test_an_invitation_leads_to_choosing_a_password(client, region, django_capture_on_commit_callbacks):
    admin = support.make_staff(region.alpha, "authority_admin")
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/a/alpha/staff/team/", {"email": "ola.broker@example.org", "full_name": "Ola Broker",
                                             "role": "broker"})
    [email] = mail.outbox
    assert "choose your password" in email.body and "reset" not in email.body.lower().replace(
        "/password/reset/", "")
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", email.body).group(0)
    client.logout()
    path = re.sub(r"^https?://[^/]+", "", link)
    page = client.get(path, follow=True)
    text = page.content.decode()
    assert page.status_code == 200 and "Choose a password" in text and "Change Password" not in text
    done = client.post(page.redirect_chain[-1][0] if page.redirect_chain else path,
                       {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(email="ola.broker@example.org").check_password(PASSWORD)


def test_sign_up_asks_for_a_name(client, region):
    page = client.get("/accounts/signup/").content.decode()
    assert "Full name" in page
    email = f"{support.unique()}@example.org"
    missing = client.post("/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    assert missing.status_code == 200 and "Enter your full name." in missing.content.decode()
    made = client.post("/accounts/signup/", {"full_name": "  Sam   Okafor ", "email": email,
                                             "password1": PASSWORD, "password2": PASSWORD})
    assert made.status_code == 302
    assert User.objects.get(email=email).full_name == "Sam Okafor"


def test_the_home_page_leads_to_signing_in_and_creating_an_account(client, region):
    page = client.get("/").content.decode()
    assert 'href="/accounts/login/"' in page and 'href="/accounts/signup/"' in page
