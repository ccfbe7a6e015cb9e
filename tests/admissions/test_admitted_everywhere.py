"""Where a provider is admitted, across every authority: one query on the
public projection, however many authorities and admissions there are."""

import pytest

from tenants.admissions import selectors
from tests.admissions import provider_support as ps
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

SCORES = {"outcomes": 4, "workforce": 4, "employment": 4}
# The page, once the regional site's route is cached: the session, the user and
# the one query on the projection (and django-tenants' SET search_path).
PAGE_QUERIES = 4
# The API: SET search_path, the page count and the page of rows.
API_QUERIES = 3


def admit(setup, provider, lots):
    application = stage1.apply(setup, provider, lots)
    stage1.evaluate(setup, application, SCORES)


@pytest.fixture
def admitted(region, time_machine):
    """A provider admitted to lot 1 in Alpha, Beta and NHS North (schemas
    alpha, beta and nhs_north), through the real flow."""
    time_machine.move_to(ps.at(ps.TODAY), tick=False)
    provider = stage1.provider_with_evidence(region.alpha, "Brightday")
    setups = {}
    for authority in (region.alpha, region.beta, region.nhs):
        setups[authority.slug] = ps.open_fps(authority)
        admit(setups[authority.slug], provider, ["1"])
    return provider, setups


def test_admissions_everywhere_are_read_in_one_query(region, admitted, django_assert_num_queries):
    provider, _ = admitted
    admin = catalogue.admin_of(provider)
    with django_assert_num_queries(1):
        rows = list(selectors.admitted_everywhere(admin))
        seen = {(row.authority.name, row.provider.name, row.lot_number, row.service_type.code) for row in rows}
    assert {name for name, *_ in seen} == {"Alpha Council", "Beta Council", "NHS North ICB"}
    assert {row.authority.schema_name for row in rows} == {"alpha", "beta", "nhs_north"}


def test_the_page_costs_the_same_for_three_admissions_or_six(client, region, admitted, django_assert_num_queries):
    provider, setups = admitted
    client.force_login(catalogue.admin_of(provider))
    client.get("/providers/admissions/")                     # the route cache warms up
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get("/providers/admissions/")
    content = page.content.decode()
    assert page.status_code == 200
    assert content.count("Pending onboarding") == 3
    for name, slug in (("Alpha Council", "alpha"), ("Beta Council", "beta"), ("NHS North ICB", "nhs-north")):
        assert f'href="/a/{slug}/provider/applications/">{name}</a>' in content

    # three more admissions, one of them in a fourth authority (the Alpha and NHS partnership)
    admit(setups["beta"], provider, ["2"])
    admit(ps.open_fps(region.partners), provider, ["1", "2"])
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get("/providers/admissions/")
    content = page.content.decode()
    assert content.count("Pending onboarding") == 6 and "Alpha and NHS Partnership" in content


def test_the_api_costs_the_same_for_three_admissions_or_six(region, admitted, django_assert_num_queries):
    from rest_framework.test import APIClient

    provider, setups = admitted
    api = APIClient()
    api.force_authenticate(catalogue.admin_of(provider))
    api.get("/api/v1/admissions/")
    with django_assert_num_queries(API_QUERIES):
        body = api.get("/api/v1/admissions/").json()
    assert body["count"] == 3
    assert {row["authority"]["slug"] for row in body["results"]} == {"alpha", "beta", "nhs-north"}
    assert {(row["lot_number"], row["status"], row["service_type"]) for row in body["results"]} == {
        ("1", "pending_onboarding", "day-opportunities-building-based")}

    admit(setups["beta"], provider, ["2"])
    admit(ps.open_fps(region.partners), provider, ["1", "2"])
    with django_assert_num_queries(API_QUERIES):
        body = api.get("/api/v1/admissions/").json()
    assert body["count"] == 6 and len({row["authority"]["slug"] for row in body["results"]}) == 4


def test_only_the_persons_own_organisations_are_listed(client, region, admitted):
    provider, _ = admitted
    client.force_login(catalogue.register(name="Rival Care").memberships.get().user)
    page = client.get("/providers/admissions/").content.decode()
    assert "Brightday" not in page and 'data-testid="no-admissions"' in page
    assert client.get("/providers/admissions/").status_code == 200
    assert client.get("/api/v1/admissions/").json()["results"] == []
    client.logout()
    assert client.get("/providers/admissions/").status_code == 302
    assert client.get("/api/v1/admissions/").status_code == 401
