"""Stage-2 building blocks for tests: a live agreement with providers
admitted and active on a lot, people and packages, made through the services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenancy.models import Authority
from tenants.admissions import services as admissions
from tenants.admissions.models import Admission
from tenants.agreements import services as agreements
from tenants.calloffs import services
from tenants.calloffs.models import Package
from tests import support
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

_keys = itertools.count(1)


@dataclass
class Market:
    authority: Authority
    setup: stage1.Setup
    broker: object
    providers: list = field(default_factory=list)

    @property
    def lot(self):
        return self.setup.lots["1"]

    @property
    def agreement(self):
        return self.setup.agreement


def live_market(authority: Authority, providers: int = 2, *, names=None, lot=None, **agreement) -> Market:
    """A live FPS (or another `kind`) on `authority` with providers active on
    lot 1 (admitted through the real stage-1 flow); `lot` is lot 1's
    (number, title, service type code), building-based day opportunities
    unless given."""
    today = date.today()
    rounds = [] if agreement.get("kind", "fps") != "fps" else [(today, today + timedelta(days=60))]
    setup = stage1.agreement(authority, rounds=rounds, starts_on=today, ends_on=today + timedelta(days=1500),
                             lots=[lot or stage1.DAY_OPPORTUNITY_LOTS[0]], **agreement)
    with schema_context(authority.schema_name):
        agreements.agreement_open(actor=setup.commissioner, agreement=setup.agreement)
    market = Market(authority, setup, support.make_staff(authority, AuthorityRole.BROKER, full_name="Priya Broker"))
    for n in range(providers):
        market.providers.append(admit(market, (names or [None] * providers)[n]))
    with schema_context(authority.schema_name):
        agreements.agreement_go_live(actor=setup.commissioner, agreement=setup.agreement)
        setup.agreement.refresh_from_db()
    return market


def admit(market: Market, name=None, provider=None):
    """A provider admitted and onboarded on lot 1."""
    provider = provider or stage1.provider_with_evidence(market.authority, name)
    application = stage1.apply(market.setup, provider, ["1"])
    stage1.evaluate(market.setup, application, {"outcomes": 4, "workforce": 4})
    with schema_context(market.authority.schema_name):
        admission = Admission.objects.get(application=application)
        for item in admission.onboarding.all():
            admissions.onboarding_complete(actor=market.setup.commissioner, item=item)
        admissions.admission_activate(actor=market.setup.commissioner, admission=admission)
    return provider


def person(market: Market, **fields):
    details = {"first_name": "Margaret", "last_name": "Okoro", "nhs_number": "9434765919",
               "date_of_birth": date(1961, 3, 3), "address": "4 Mill Lane, Crewe", "postcode": "CW1 2AB",
               "social_worker": "Sam Reid"} | fields
    with schema_context(market.authority.schema_name):
        return services.person_create(actor=market.broker, **details)


def package(market: Market, *, people=None, publish=True, deadline=None, **fields) -> Package:
    now = timezone.now()
    deadline = deadline or now + timedelta(days=14)
    details = {
        "title": "Day opportunities, two days a week", "outcomes": "Build confidence to travel independently; "
        "make friends outside the family home.", "support_needed": "Two days a week of building-based day "
        "opportunities with support for personal care.", "sessions_per_week": 2, "pattern": "Weekdays",
        "start_on": date.today() + timedelta(days=30), "duration_weeks": 52, "locality": "Crewe",
        "postcode_district": "CW1", "budget_weekly": Decimal("450.00"),
        "clarification_deadline": deadline - timedelta(days=3), "bid_deadline": deadline,
    } | fields
    with schema_context(market.authority.schema_name):
        made = services.package_create(actor=market.broker, agreement=market.agreement, lot=market.lot,
                                       people=people or [person(market)], **details)
        if publish:
            made = services.package_publish(actor=market.broker, package=made)
    return made


def bid_content(price="420.00", **fields) -> dict:
    return {"weekly_price": price, "hourly_rate": "21.00", "hours_per_week": "20", "breakdown": "20 hours at £21",
            "outcomes_response": "Travel training with a named worker; a weekly social group.",
            "start_available_on": (date.today() + timedelta(days=30)).isoformat(), "social_value": "Local staff"} \
        | fields


def submit(market: Market, package: Package, provider, price="420.00", now=None, key=None, **fields):
    with schema_context(market.authority.schema_name):
        return services.bid_submit(actor=catalogue.admin_of(provider), package=package, provider=provider,
                                   content=bid_content(price, **fields), idempotency_key=key or f"k{next(_keys)}",
                                   now=now)
