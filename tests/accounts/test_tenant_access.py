"""Who reaches what inside an authority. Every endpoint the tenant URLconf
serves, page or API, is tried with every kind of person who should be
refused; new endpoints are covered as soon as they are added."""

import pytest

from accounts.policy import Audience
from accounts.roles import ProviderRole
from tests import support

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _call(client, method, path):
    kwargs = {"content_type": "application/json", "data": "{}"} if method != "get" else {}
    return getattr(client, method)(path, **kwargs)


@pytest.fixture
def endpoints(region):
    found = support.tenant_endpoints("alpha")
    # the walk must see pages and API endpoints alike, or the tests below prove nothing
    assert len(found) >= 8
    assert any(e.is_api for e in found) and any(not e.is_api for e in found)
    assert {e.audience for e in found} >= {Audience.STAFF, Audience.PROVIDER, Audience.MEMBER}
    # pages for anyone (feedback through an authority's link) are tried in their own test below
    return [e for e in found if e.audience is not Audience.PUBLIC]


def test_the_only_public_endpoints_are_feedback_through_a_link_and_a_bad_link_is_a_404(client, region):
    public = [e for e in support.tenant_endpoints("alpha") if e.audience is Audience.PUBLIC]
    assert sorted(e.name for e in public) == ["quality-public:feedback", "tenant-api:feedback-public"]
    for endpoint in public:
        response = client.get(endpoint.path) if not endpoint.is_api else client.post(
            endpoint.path, data="{}", content_type="application/json")
        assert response.status_code == 404, (endpoint.path, response.status_code)


def test_every_endpoint_declares_an_audience(endpoints):
    undeclared = [e.path for e in endpoints if not isinstance(e.audience, Audience)]
    assert undeclared == []


def test_staff_of_another_authority_are_refused_everywhere(client, region, endpoints):
    """Beta's staff, with every role and MFA, get nothing from Alpha: page or API."""
    client.force_login(support.make_staff(region.beta, *support.ALL_STAFF_ROLES))
    for endpoint in endpoints:
        for method in METHODS:
            response = _call(client, method, endpoint.path)
            assert response.status_code == 403, (method, endpoint.path, response.status_code)
            if endpoint.is_api:
                assert response["Content-Type"] == "application/problem+json"


def test_someone_with_no_role_anywhere_is_refused_everywhere(client, region, endpoints):
    client.force_login(support.make_user(mfa=True))
    for endpoint in endpoints:
        for method in METHODS:
            response = _call(client, method, endpoint.path)
            assert response.status_code == 403, (method, endpoint.path, response.status_code)


def test_provider_people_are_refused_on_every_staff_endpoint(client, region, endpoints):
    person = support.make_provider_person(None, ProviderRole.PROVIDER_ADMIN, mfa=True)
    client.force_login(person)
    staff_only = [e for e in endpoints if e.audience is Audience.STAFF]
    assert any(e.is_api for e in staff_only) and any(not e.is_api for e in staff_only)
    for endpoint in staff_only:
        for method in METHODS:
            response = _call(client, method, endpoint.path)
            assert response.status_code == 403, (method, endpoint.path, response.status_code)


def test_provider_people_get_an_answer_not_an_error_from_every_provider_endpoint(client, region, endpoints):
    """With sample ids that are nobody's, every method on every provider
    endpoint answers: found, not found, not allowed or bad input; never a 500."""
    client.force_login(support.make_provider_person(None, ProviderRole.BID_WRITER))
    provider_side = [e for e in endpoints if e.audience is Audience.PROVIDER]
    assert any(e.is_api for e in provider_side) and len(provider_side) >= 10
    for endpoint in provider_side:
        for method in METHODS:
            response = _call(client, method, endpoint.path)
            assert response.status_code in (200, 302, 400, 403, 404, 405), (method, endpoint.path, response.status_code)


def test_provider_people_reach_the_provider_side_of_every_authority(client, region):
    client.force_login(support.make_provider_person())
    for authority in (region.alpha, region.beta, region.nhs, region.partners):
        assert client.get(f"/a/{authority.slug}/").url == f"/a/{authority.slug}/provider/"
        page = client.get(f"/a/{authority.slug}/provider/")
        assert page.status_code == 200 and authority.name in page.content.decode()
        here = client.get(f"/a/{authority.slug}/api/v1/").json()
        assert here["staff_roles"] == [] and len(here["acting_for_providers"]) == 1


def test_anonymous_people_are_sent_to_sign_in_and_the_api_answers_401(client, region, endpoints):
    for endpoint in endpoints:
        response = client.get(endpoint.path)
        if endpoint.is_api:
            assert response.status_code == 401, endpoint.path
            assert response["WWW-Authenticate"] == "Token"
        else:
            assert response.status_code == 302, endpoint.path
            assert response.url.startswith("/accounts/login/?next=")


def test_staff_reach_their_own_authority(client, region):
    client.force_login(support.make_staff(region.alpha))
    assert client.get("/a/alpha/").url == "/a/alpha/staff/"
    assert client.get("/a/alpha/staff/").status_code == 200
    assert client.get("/a/alpha/staff/team/").status_code == 200
    assert client.get("/a/alpha/api/v1/team/").status_code == 200


def test_partner_staff_reach_the_partnership_but_others_do_not(client, region):
    """Alpha is a member of the Alpha-NHS partnership; Beta is not."""
    client.force_login(support.make_staff(region.alpha, "broker"))
    page = client.get("/a/alpha-nhs/staff/")
    assert page.status_code == 200 and "Broker" in page.content.decode()
    client.force_login(support.make_staff(region.beta, *support.ALL_STAFF_ROLES))
    assert client.get("/a/alpha-nhs/staff/").status_code == 403
    assert client.get("/a/alpha-nhs/api/v1/team/").status_code == 403


def test_a_revoked_role_stops_working_at_once(client, region):
    from accounts.models import AuthorityMembership
    from accounts.services import membership_revoke

    staff = support.make_staff(region.alpha)
    client.force_login(staff)
    assert client.get("/a/alpha/staff/").status_code == 200
    membership_revoke(actor=None, membership=AuthorityMembership.objects.get(user=staff), reason="left")
    assert client.get("/a/alpha/staff/").status_code == 403


def test_a_deactivated_account_is_signed_out_everywhere(client, region):
    from accounts.services import user_deactivate

    staff = support.make_staff(region.alpha)
    client.force_login(staff)
    user_deactivate(actor=None, user=staff, reason="left the council")
    assert client.get("/a/alpha/staff/").status_code == 302
    assert client.get("/a/alpha/api/v1/team/").status_code == 401
