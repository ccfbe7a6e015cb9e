"""A provider's first visit, in a real browser: create an account, confirm
the e-mail address, register the organisation, put the first document in
its evidence locker."""

import re

import pytest

from shared_catalogue.models import Evidence, Provider
from tests import support
from tests.browser.conftest import read_mail
from tests.shared_catalogue.support import PDF

pytestmark = [pytest.mark.browser]


def test_a_provider_registers_and_uploads_its_first_evidence(committed_db, region, server, outbox, page, tmp_path):
    email = f"{support.unique('owner')}@meadowfarm.example"
    name = support.unique("Meadow Farm ")

    page.goto(f"{server}/accounts/signup/")
    page.get_by_label("Full name").fill("Mo Farmer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("grazing-cows-in-spring")
    page.get_by_label("Password (again)").fill("grazing-cows-in-spring")
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    page.wait_for_url(re.compile(r".*/accounts/confirm-email/.*"))

    # the confirmation link arrives by e-mail
    message = read_mail(outbox, email)
    link = re.search(r"http://\S+/accounts/confirm-email/\S+", message).group(0)
    page.goto(link)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()

    page.goto(f"{server}/providers/register/")
    page.get_by_label("Legal name").fill(f"{name} Day Services Limited")
    page.get_by_label("Trading name").fill(name)
    page.get_by_label("Company", exact=True).check()
    page.get_by_label("Companies House number").fill("09876543")
    page.get_by_label("Postcode").fill("CW5 6AA")
    page.get_by_label("Contact email").fill(email)
    # a mistake first: the page says what is wrong, and keeps what was typed
    page.get_by_label("Website").fill("not a web address")
    page.get_by_role("button", name="Register organisation").click()
    assert "Enter a valid URL" in page.locator(".govuk-error-summary").inner_text()
    assert page.get_by_label("Trading name").input_value() == name
    page.get_by_label("Website").fill("meadowfarm.example")
    page.get_by_role("button", name="Register organisation").click()
    page.wait_for_url(re.compile(rf"{server}/providers/\d+/$"))
    assert f"{name} is registered" in page.locator(".govuk-notification-banner").inner_text()

    provider = Provider.objects.get(name=name)
    assert provider.website == "https://meadowfarm.example"
    assert provider.memberships.get().user.email == email

    page.goto(f"{server}/providers/{provider.pk}/evidence/")
    page.get_by_label("What is it?").select_option(label="Safeguarding policy")
    page.get_by_label("Title (optional)").fill("Safeguarding adults policy, March 2026")
    document = tmp_path / "safeguarding.pdf"
    document.write_bytes(PDF)
    page.get_by_label("The document").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(f"{server}/providers/{provider.pk}/evidence/")
    assert "Safeguarding policy added" in page.locator(".govuk-notification-banner").inner_text()
    assert "Awaiting verification" in page.locator("table").inner_text()

    evidence = Evidence.objects.get(provider=provider)
    assert evidence.sha256 and evidence.content_type == "application/pdf"
    with evidence.file.open("rb") as stored:
        assert stored.read() == PDF
