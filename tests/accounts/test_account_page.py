"""The account page lists where a person works and switches between them."""

import pytest

from accounts.roles import ProviderRole
from tests import support

pytestmark = pytest.mark.django_db


def test_account_page_lists_authorities_partnerships_and_providers(client, region):
    from accounts.services import membership_grant, provider_membership_grant

    person = support.make_staff(region.alpha, "broker", "evaluator")

    membership_grant(actor=None, authority=region.nhs, user=person, role="finance_viewer")
    provider = support.make_provider("Kindly Care")
    provider_membership_grant(actor=None, provider=provider, user=person, role=ProviderRole.BID_WRITER)
    client.force_login(person)
    page = client.get("/account/").content.decode()
    assert "Broker, Evaluator" in page
    assert 'href="/a/alpha/"' in page and 'href="/a/nhs-north/"' in page
    # the partnership of Alpha and the NHS body, reached through both
    assert "Alpha and NHS Partnership" in page and 'href="/a/alpha-nhs/"' in page
    assert "Kindly Care" in page and "Bid writer" in page
    assert 'href="/a/beta/provider/"' in page  # as a provider, Beta's opportunities are open too


def test_account_page_query_count_does_not_grow_with_memberships(client, region, django_assert_num_queries):
    from accounts.services import membership_grant

    person = support.make_staff(region.alpha, "broker")
    client.force_login(person)
    client.get("/account/")
    with django_assert_num_queries(9) as first:
        client.get("/account/")
    for authority in (region.beta, region.nhs):
        for role in ("commissioner", "evaluator"):
            membership_grant(actor=None, authority=authority, user=person, role=role)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get("/account/")


def test_the_account_page_needs_sign_in(client):
    assert client.get("/account/").url.startswith("/accounts/login/")
