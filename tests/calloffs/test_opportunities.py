"""A provider sees its open opportunities in every authority in one list,
and the utilisation report counts the work by lot and month."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.calloffs import selectors, services
from tenants.calloffs.models import Bid
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def test_a_provider_admitted_in_three_authorities_sees_every_open_opportunity_with_constant_queries(region):
    provider = stage2.stage1.provider_with_evidence(region.alpha, "Everywhere Care")
    markets = []
    for authority in (region.alpha, region.beta, region.nhs):
        market = stage2.live_market(authority, providers=0)
        stage2.admit(market, provider=provider)
        markets.append(market)
    person = catalogue.admin_of(provider)

    def listed():
        with CaptureQueriesContext(connection) as queries:
            rows = [(row.authority.name, row.reference, row.provider.name)
                    for row in selectors.opportunities_for(person)]
        return rows, sum(q["sql"].startswith("SELECT") for q in queries.captured_queries)

    for market in markets:
        stage2.package(market)
    rows, three = listed()
    assert sorted(name for name, *_ in rows) == ["Alpha Council", "Beta Council", "NHS North ICB"]
    for market in markets:
        stage2.package(market)
    rows, six = listed()
    assert len(rows) == 6 and six == three == 1  # one query, however many authorities and packages
    # a closed package leaves the open list
    first = markets[0]
    with schema_context(first.authority.schema_name):
        package = first.agreement.packages.first()
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
    assert len(listed()[0]) == 5


def test_utilisation_counts_by_lot_and_month_and_keeps_bid_counts_sealed(region):
    market = stage2.live_market(region.alpha, providers=2)
    package = stage2.package(market)
    stage2.package(market, publish=False)
    for provider in market.providers:
        stage2.submit(market, package, provider)
    month = timezone.localdate().replace(day=1)
    with schema_context("alpha"):
        [row] = selectors.utilisation()
        assert (row["lot"].number, row["month"], row["requests"], row["published"], row["bids"]) == (
            "1", month, 2, 1, 0)  # bids not counted while sealed
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline + timedelta(0))
        bids = list(Bid.objects.filter(package=package))
        for bid in bids:
            services.bid_evaluate(actor=market.broker, bid=bid, compliant=True, quality=60, outcomes=60,
                                  social_value=60)
        services.award(actor=market.broker, package=package, bid=bids[0], expressed_by="The person")
        [row] = selectors.utilisation()
        assert (row["bids"], row["awards"], row["live"]) == (2, 1, 0)


def test_the_opportunity_projection_rebuilds_from_the_schemas(region):
    import io

    from django.core.management import call_command

    from shared_catalogue.models import OpportunityProjection

    market = stage2.live_market(region.beta, providers=1)
    package = stage2.package(market)
    rows = OpportunityProjection.objects.filter(authority=region.beta)
    rows.update(title="wrong", status="closed")
    OpportunityProjection.objects.create(authority=region.beta, provider=market.providers[0], package_id=999_999,
                                         reference="GHOST", title="Ghost", agreement_title="x", lot_number="1",
                                         lot_title="x", locality="x", bid_deadline=package.bid_deadline,
                                         status="open", invited_at=package.published_at)
    out = io.StringIO()
    call_command("calloffs_rebuild_opportunities", "beta", stdout=out)
    assert "beta: 1 opportunities" in out.getvalue()
    assert [(r.title, r.status) for r in OpportunityProjection.objects.filter(authority=region.beta)] == [
        (package.title, "open")]
