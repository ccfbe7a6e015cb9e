"""Nobody's details are taken for a package that cannot be made: with no
live agreement (a DPS still in its initial period) the call-off pages say
why in plain words before asking for anything, and the service and the API
refuse to record the person, so no orphan record is left."""

from datetime import date

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from tenants.calloffs import selectors, services
from tenants.calloffs.models import Person
from tests import support
from tests.admissions import support as stage1
from tests.calloffs import staff_support as ss

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_only(region):
    """Beta's agreement is taking its first applications; nothing is live."""
    setup = stage1.open_agreement(region.beta)
    broker = support.make_staff(region.beta, AuthorityRole.BROKER)
    return setup, broker


def test_the_reason_is_given_in_plain_words(open_only):
    setup, _ = open_only
    with schema_context("beta"):
        reason = selectors.calloff_unavailable()
    assert setup.agreement.title in reason and "still taking its first applications" in reason
    assert "Public Contracts Regulations 2015, regulation 34" in reason


def test_the_page_explains_before_asking_for_personal_details(client, open_only):
    setup, broker = open_only
    client.force_login(broker)
    page = client.get("/a/beta/staff/calloffs/new/person/").content.decode()
    assert 'data-testid="calloff-unavailable"' in page and setup.agreement.title in page
    assert "NHS number" not in page and "Date of birth" not in page
    refused = client.post("/a/beta/staff/calloffs/new/person/", ss.person_data())
    assert refused.status_code == 409
    with schema_context("beta"):
        assert not Person.objects.exists()


def test_the_service_and_the_api_refuse_and_record_nobody(open_only):
    _, broker = open_only
    with schema_context("beta"):
        with pytest.raises(services.Conflict):
            services.person_create(actor=broker, first_name="Margaret", last_name="Okoro",
                                   nhs_number="9434765919", date_of_birth=date(1961, 3, 3),
                                   address="4 Mill Lane, Crewe", postcode="CW1 2AB")
    api = APIClient()
    api.force_authenticate(broker)
    response = api.post("/a/beta/api/v1/calloffs/people/", {
        "first_name": "Margaret", "last_name": "Okoro", "nhs_number": "9434765919", "date_of_birth": "1961-03-03",
        "address": "4 Mill Lane, Crewe", "postcode": "CW1 2AB"}, format="json")
    assert response.status_code == 409 and "no package can be called off yet" in response.json()["detail"]
    with schema_context("beta"):
        assert not Person.objects.exists()
