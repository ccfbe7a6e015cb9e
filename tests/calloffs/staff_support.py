"""The staff side of stage 2 in tests: form data as the pages post it, and
packages taken to the point a test needs (published, closed with bids,
awarded), through the services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.calloffs import services
from tenants.calloffs.models import Bid
from tests.calloffs import support as stage2


def date_parts(name: str, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def person_data(**overrides) -> dict:
    return {"first_name": "Margaret", "last_name": "Okoro", "preferred_name": "", "nhs_number": "943 476 5919",
            **date_parts("date_of_birth", date(1961, 3, 3)), "address": "4 Mill Lane, Crewe",
            "postcode": "cw1 2ab", "social_worker": "Sam Reid"} | overrides


def package_data(market: stage2.Market | None = None, *, bid_day: date | None = None, **overrides) -> dict:
    """A complete sourcing request, deadlines in UK time."""
    bid_day = bid_day or timezone.localdate() + timedelta(days=14)
    data = {
        "title": "Day opportunities, two days a week",
        "outcomes": "Build confidence to travel independently; make friends outside the family home.",
        "support_needed": "Two days a week of building-based day opportunities with support for personal care.",
        "hours_per_week": "", "sessions_per_week": "2", "pattern": "Weekdays",
        **date_parts("start_on", timezone.localdate() + timedelta(days=30)), "duration_weeks": "52",
        "locality": "Crewe", "postcode_district": "cw1", "skills": "", "language": "", "staff_gender": "any",
        "transport": "", "other_requirements": "", "budget_weekly": "450.00", "weight_quality": "40",
        "weight_price": "20", "weight_outcomes": "30", "weight_social_value": "10",
        **date_parts("clarification_deadline", bid_day - timedelta(days=3)), "clarification_deadline_time": "12:00",
        **date_parts("bid_deadline", bid_day), "bid_deadline_time": "17:00", "urgent_reason": "",
    }
    if market is not None:
        data["lot"] = str(market.lot.pk)
    return data | overrides


def closed_with_bids(market: stage2.Market, prices, budget="450.00", **fields):
    """A published package with a bid from each provider at these prices,
    closed at its deadline (bids opened)."""
    package = stage2.package(market, budget_weekly=Decimal(budget), **fields)
    for provider, price in zip(market.providers, prices, strict=False):
        stage2.submit(market, package, provider, price=price)
    with schema_context(market.authority.schema_name):
        assert services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
        package.refresh_from_db()
    return package


def bids_by_name(market: stage2.Market, package) -> dict:
    with schema_context(market.authority.schema_name):
        return {b.provider.name: b for b in Bid.objects.filter(package=package).select_related("provider")}


def awarded(market: stage2.Market, **fields):
    """A package awarded to the first provider's bid (the only candidate)."""
    package = closed_with_bids(market, ["420.00"], **fields)
    with schema_context(market.authority.schema_name):
        bid = Bid.objects.get(package=package)
        services.bid_evaluate(actor=market.setup.commissioner, bid=bid, compliant=True, quality=70, outcomes=70,
                              social_value=70)
        return services.award(actor=market.broker, package=package, bid=bid)
