"""Pricing building blocks for tests: a live market with a published
schedule, and a package closed with bids at given prices."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django_tenants.utils import schema_context

from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Bid
from tenants.pricing import services
from tests.calloffs import support as stage2


def schedule(market, *, publish=True, rates=(("session", "210.00"),), **fields):
    """This year's schedule for the market's agreement, with rates for lot 1."""
    today = date.today()
    values = {"year": today.year, "effective_from": today - timedelta(days=10),
              "effective_to": today + timedelta(days=355)} | fields
    with schema_context(market.authority.schema_name):
        lead = market.setup.commissioner
        made = services.schedule_create(actor=lead, agreement=market.agreement, **values)
        for unit, amount in rates:
            services.rate_add(actor=lead, schedule=made, lot=market.lot, unit=unit, amount=Decimal(amount),
                              fair_cost=Decimal(amount) + 5, fair_cost_note="Cost of care exercise 2025")
        if publish:
            made = services.schedule_publish(actor=lead, schedule=made)
    return made


def closed_with_bids(market, prices, budget="650.00", **package):
    """A package (two sessions a week) closed with one bid per provider at `prices`."""
    made = stage2.package(market, budget_weekly=Decimal(budget), **package)
    for provider, price in zip(market.providers, prices, strict=True):
        stage2.submit(market, made, provider, price=price)
    with schema_context(market.authority.schema_name):
        assert calloffs.package_close(package_id=made.pk, by="deadline",
                                      now=made.bid_deadline + timedelta(seconds=1))
        made.refresh_from_db()
        bids = {b.provider_id: b for b in Bid.objects.filter(package=made)}
    return made, [bids[p.pk] for p in market.providers]
