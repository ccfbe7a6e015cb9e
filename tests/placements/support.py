"""Placements for cost tests: one made through the services (award, go
live), and copies of it bulk-created for tests that need many."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.calloffs.models import Bid, Package
from tenants.placements import services as placements
from tenants.placements.models import CostLine, Funder, Placement
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2


def live_placement(market: stage2.Market, *, started: date, **fields) -> Placement:
    """Awarded at £420 a week and live from `started` (in the past or today)."""
    award = ss.awarded(market, **fields)
    with schema_context(market.authority.schema_name):
        return placements.placement_go_live(actor=market.broker, placement=award.package.placement,
                                            start_on=started)


def copies(placement: Placement, n: int) -> list[Placement]:
    """`n` more live placements like `placement` (package, bid, funders and
    first line copied), bulk-created: for counting queries, not for rules.
    Call inside the placement's schema."""
    package = Package.objects.get(pk=placement.package_id)
    bid = Bid.objects.get(pk=placement.bid_id)
    made = []
    for i in range(n):
        package.pk, package.reference = None, f"{package.reference[:30]}-c{i}"
        package.save(force_insert=True)
        bid.pk, bid.package = None, package
        bid.save(force_insert=True)
        made.append(Placement(package=package, bid=bid, provider_id=placement.provider_id, payer_id=placement.payer_id,
                              status=Placement.Status.LIVE, start_on=placement.start_on,
                              weekly_cost=placement.weekly_cost, went_live_at=timezone.now()))
    made = Placement.objects.bulk_create(made)
    Funder.objects.bulk_create([Funder(placement=p, authority_id=f.authority_id, share=f.share)
                                for p in made for f in placement.funders.all()])
    CostLine.objects.bulk_create([CostLine(placement=p, effective_from=p.start_on, unit="week", rate=p.weekly_cost,
                                           weekly_amount=p.weekly_cost, source="award") for p in made])
    return made


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)
