"""On the regional site, a provider's open opportunities in every authority:
one list, linked into each authority's package page, costing the same number
of queries for three authorities as for more packages in four."""

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.calloffs import services
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

# The page, once the regional site's route is cached: SET search_path, the
# session, the user and the one query on the projection.
PAGE_QUERIES = 4
# The API: SET search_path, the page count and the page of rows.
API_QUERIES = 3


@pytest.fixture
def everywhere(region):
    """One provider admitted and invited in Alpha, Beta and NHS North."""
    provider = stage2.stage1.provider_with_evidence(region.alpha, "Everywhere Care")
    markets = {}
    for authority in (region.alpha, region.beta, region.nhs):
        markets[authority.slug] = stage2.live_market(authority, providers=0)
        stage2.admit(markets[authority.slug], provider=provider)
        stage2.package(markets[authority.slug], title=f"Support in {authority.name}")
    return provider, markets


def test_the_page_lists_every_authority_with_constant_queries(client, region, everywhere,
                                                              django_assert_num_queries):
    provider, markets = everywhere
    client.force_login(catalogue.admin_of(provider))
    client.get("/providers/opportunities/")                      # the route cache warms up
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get("/providers/opportunities/")
    content = page.content.decode()
    assert page.status_code == 200 and content.count("Everywhere Care") == 3
    for name, slug in (("Alpha Council", "alpha"), ("Beta Council", "beta"), ("NHS North ICB", "nhs-north")):
        with schema_context(markets[slug].authority.schema_name):
            package = markets[slug].agreement.packages.get()
        assert f'href="/a/{slug}/provider/calloffs/{package.pk}/">Support in {name}</a>' in content
        assert f"<td class=\"govuk-table__cell\">{name}</td>" in content
    assert "Lot 1: Building Based Services" in content and "Crewe" in content

    # more packages, and a fourth authority (the Alpha and NHS partnership)
    stage2.package(markets["beta"], title="Another in Beta")
    stage2.package(markets["alpha"], title="Another in Alpha")
    partnership = stage2.live_market(region.partners, providers=0)
    stage2.admit(partnership, provider=provider)
    stage2.package(partnership, called_off_by=region.alpha, title="Jointly funded")
    with django_assert_num_queries(PAGE_QUERIES):
        content = client.get("/providers/opportunities/").content.decode()
    assert content.count("Everywhere Care") == 6 and "Alpha and NHS Partnership" in content

    # a closed package leaves the list; the provider pages link here
    with schema_context("beta"):
        closed = markets["beta"].agreement.packages.get(title="Another in Beta")
        services.package_close(package_id=closed.pk, by="deadline", now=closed.bid_deadline)
    assert "Another in Beta" not in client.get("/providers/opportunities/").content.decode()
    assert 'href="/providers/opportunities/"' in client.get("/providers/").content.decode()
    assert 'href="/providers/opportunities/"' in client.get("/a/alpha/provider/").content.decode()


def test_the_api_lists_every_authority_with_constant_queries(region, everywhere, django_assert_num_queries):
    provider, markets = everywhere
    api = APIClient()
    api.force_authenticate(catalogue.admin_of(provider))
    api.get("/api/v1/opportunities/")
    with django_assert_num_queries(API_QUERIES):
        body = api.get("/api/v1/opportunities/").json()
    assert body["count"] == 3
    assert {row["authority"]["slug"] for row in body["results"]} == {"alpha", "beta", "nhs-north"}
    row = next(r for r in body["results"] if r["authority"]["slug"] == "beta")
    assert row["page_url"] == f"/a/beta/provider/calloffs/{row['package_id']}/"
    assert row["api_url"] == f"/a/beta/api/v1/provider/calloffs/{row['package_id']}/"
    assert (row["status"], row["lot_number"], row["provider"]["name"]) == ("open", "1", "Everywhere Care")
    # the link works with the same sign-in
    assert api.get(row["api_url"]).json()["title"] == "Support in Beta Council"

    for market in markets.values():
        stage2.package(market)
    with django_assert_num_queries(API_QUERIES):
        assert api.get("/api/v1/opportunities/").json()["count"] == 6


def test_only_the_persons_own_organisations_are_listed(client, region, everywhere):
    client.force_login(catalogue.register(name="Rival Care").memberships.get().user)
    page = client.get("/providers/opportunities/").content.decode()
    assert "Everywhere Care" not in page and 'data-testid="no-opportunities"' in page
    assert client.get("/api/v1/opportunities/").json()["results"] == []
    client.logout()
    assert client.get("/providers/opportunities/").status_code == 302
    assert client.get("/api/v1/opportunities/").status_code == 401
