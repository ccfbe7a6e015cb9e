"""A small market made directly in the tables, with the real dates a year
report needs (the services stamp today's): an FPS with three lots and two
rounds, providers' applications and admissions, published sourcing requests
(one published again) and placements gone live with their cost lines."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenancy.models import Authority
from tenants.admissions.models import Admission, Application
from tenants.agreements.models import ApplicationRound, QuestionnaireVersion
from tenants.calloffs.models import Bid, Package
from tenants.placements.models import CostLine, Funder, Placement
from tests import support
from tests.admissions import support as stage1

LONDON = ZoneInfo("Europe/London")
_seq = itertools.count(1)
FROM, TO = date(2022, 8, 1), date(2023, 8, 31)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LONDON)


@dataclass
class Year:
    authority: Authority
    setup: stage1.Setup
    rounds: list
    broker: object
    providers: dict = field(default_factory=dict)
    packages: dict = field(default_factory=dict)

    @property
    def agreement(self):
        return self.setup.agreement

    def lot(self, number: str):
        return self.setup.lots[number]


def year(authority: Authority) -> Year:
    setup = stage1.agreement(authority, starts_on=date(2022, 4, 1), evaluators=0)
    broker = support.make_staff(authority, AuthorityRole.BROKER)
    with schema_context(authority.schema_name):
        rounds = [ApplicationRound.objects.create(agreement=setup.agreement, number=1, opens_on=date(2022, 4, 1),
                                                  closes_on=date(2022, 6, 30)),
                  ApplicationRound.objects.create(agreement=setup.agreement, number=2, opens_on=date(2023, 1, 9),
                                                  closes_on=date(2023, 2, 28)),
                  ApplicationRound.objects.create(agreement=setup.agreement, number=3, opens_on=date(2024, 1, 8),
                                                  closes_on=date(2024, 2, 28))]
        type(setup.agreement).objects.filter(pk=setup.agreement.pk).update(status="live",
                                                                          went_live_at=at(date(2022, 8, 1)))
        setup.agreement.refresh_from_db()
    return Year(authority, setup, rounds, broker)


def admit(market: Year, name: str, *, round_number: int, lots, status="active", admitted=None, activated=None,
          changed=None, new=False):
    """A provider's decided application in round `round_number` and its admissions on `lots`."""
    provider = market.providers.get(name) or support.make_provider(name)
    market.providers[name] = provider
    with schema_context(market.authority.schema_name):
        application = Application.objects.create(
            agreement=market.agreement, provider=provider, round=market.rounds[round_number - 1],
            version=QuestionnaireVersion.objects.filter(agreement=market.agreement).first(),
            status=Application.Status.DECIDED, created_by=market.setup.commissioner)
        for number in lots:
            Admission.objects.create(
                agreement=market.agreement, lot=market.lot(number), provider=provider, application=application,
                reference=f"ADM-{next(_seq)}-{support.unique('r')}", status=status,
                admitted_at=at(admitted or date(2022, 7, 15)), activated_at=at(activated) if activated else None,
                changed_at=at(changed or activated or admitted or date(2022, 7, 15)), new_to_authority=new)
    return provider


def package(market: Year, key: str, *, lot="1", published=None, need=None, original=None, before=None,
            status=Package.Status.PUBLISHED) -> Package:
    with schema_context(market.authority.schema_name):
        made = Package.objects.create(
            reference=f"PKG-{next(_seq)}-{support.unique('p')}", agreement=market.agreement, lot=market.lot(lot),
            called_off_by=market.authority, status=status, title="Day opportunities, two days a week",
            primary_need=need, outcomes="Confidence to travel.", support_needed="Two days a week.",
            start_on=published or date(2022, 8, 1), locality="Crewe", budget_weekly=Decimal("900"),
            clarification_deadline=at(published or date(2022, 8, 1), 9),
            bid_deadline=at(published or date(2022, 8, 1), 17), created_by=market.broker,
            published_at=at(published) if published else None,
            original=original, republished_from=before)
    market.packages[key] = made
    return made


def placement(market: Year, key: str, provider_name: str, *, lot="1", need=None, live_on: date,
              weekly="700.00", funders=None, ended_on=None) -> Placement:
    """A package published and placed with `provider_name`, live from `live_on`."""
    made = package(market, key, lot=lot, published=live_on.replace(day=1), need=need,
                   status=Package.Status.AWARDED)
    provider = market.providers[provider_name]
    with schema_context(market.authority.schema_name):
        bid = Bid.objects.create(package=made, provider=provider, status=Bid.Status.SUBMITTED, sealed=b"x",
                                 updated_by=market.broker, weekly_price=Decimal(weekly))
        placed = Placement.objects.create(
            package=made, bid=bid, provider=provider, payer_id=made.called_off_by_id,
            status=Placement.Status.ENDED if ended_on else
            Placement.Status.LIVE, start_on=live_on, weekly_cost=Decimal(weekly), went_live_at=at(live_on),
            ended_on=ended_on)
        for authority, share in (funders or [(market.authority, Decimal("100"))]):
            Funder.objects.create(placement=placed, authority=authority, share=share)
        CostLine.objects.create(placement=placed, effective_from=live_on, rate=Decimal(weekly),
                                weekly_amount=Decimal(weekly), source=CostLine.Source.AWARD)
    return placed


def seeded(authority: Authority, nhs: Authority) -> Year:
    """The small year: 4 providers contracted (2 in each round), 2 awaiting
    onboarding, 2 new to the area; 5 sourcing requests; 4 packages live."""
    m = year(authority)
    admit(m, "Brightday", round_number=1, lots=["1", "2"], activated=date(2022, 10, 1), new=True)
    admit(m, "Cheshire Care", round_number=1, lots=["1"], activated=date(2022, 10, 5))
    admit(m, "Step Forward", round_number=2, lots=["3"], status="suspended", admitted=date(2023, 3, 1),
          activated=date(2023, 4, 1), new=True)
    admit(m, "Waiting One", round_number=2, lots=["1"], status="pending_onboarding", admitted=date(2023, 4, 10))
    admit(m, "Late Starter", round_number=2, lots=["2"], admitted=date(2023, 4, 10), activated=date(2023, 9, 15))
    admit(m, "Gone Away", round_number=1, lots=["1"], status="removed", activated=date(2022, 10, 1),
          changed=date(2023, 1, 1), new=True)
    admit(m, "Two Lots", round_number=2, lots=["1"], admitted=date(2023, 3, 1), activated=date(2023, 5, 1))
    admit(m, "Two Lots", round_number=2, lots=["2"], status="pending_onboarding", admitted=date(2023, 3, 1))
    # sourcing requests: a request published twice counts once; before, after and drafts do not count
    first = package(m, "A", published=date(2022, 9, 1), status=Package.Status.NO_AWARD)
    package(m, "A2", published=date(2022, 10, 1), original=first, before=first)
    package(m, "B", published=date(2023, 1, 10))
    package(m, "C", published=date(2023, 9, 10))
    package(m, "D", published=None, status=Package.Status.DRAFT)
    early = package(m, "E", published=date(2022, 7, 1), status=Package.Status.WITHDRAWN)
    package(m, "E2", published=date(2022, 8, 15), original=early, before=early)
    # placements (each a request published the month it went live): 3 in the period in lot 1, 1 in lot 3
    placement(m, "L1", "Brightday", need="dementia", live_on=date(2022, 11, 1), weekly="700.00",
              funders=[(authority, Decimal("60")), (nhs, Decimal("40"))])
    placement(m, "L2", "Cheshire Care", need="dementia", live_on=date(2023, 2, 1), weekly="350.00",
              ended_on=date(2023, 2, 28))
    placement(m, "L3", "Two Lots", need="learning_disability", live_on=date(2023, 6, 1), weekly="0.01")
    placement(m, "L4", "Step Forward", lot="3", live_on=date(2023, 6, 1), weekly="0.01")
    placement(m, "L5", "Brightday", lot="2", need="autism", live_on=date(2023, 10, 1), weekly="0.01")
    return m
