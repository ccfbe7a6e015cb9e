"""Payments tests' building blocks: a council with a live placement made
through the services, its finance officer, and periods in the past."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenants.payments import services as payments
from tenants.placements.models import Placement
from tests import support
from tests.calloffs import support as stage2
from tests.placements.support import live_placement
from tests.shared_catalogue import support as catalogue


def month_start(months_back: int) -> date:
    """The first day of the month `months_back` before this one."""
    first = timezone.localdate().replace(day=1)
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass
class Payments:
    market: stage2.Market
    finance: object        # a finance officer (the finance viewer role)
    placement: Placement
    provider_admin: object

    @property
    def provider(self):
        return self.market.providers[0]

    @property
    def broker(self):
        return self.market.broker


def payments_market(authority, *, started: date) -> Payments:
    market = stage2.live_market(authority, providers=1, names=["Brightday"])
    placement = live_placement(market, started=started)
    finance = support.make_staff(authority, AuthorityRole.FINANCE_VIEWER, full_name="Fran Finance")
    return Payments(market, finance, placement, catalogue.admin_of(market.providers[0]))


def period_of(pay: Payments, first: date):
    with schema_context(pay.market.authority.schema_name):
        return payments.period_open(actor=pay.finance, day=first)


def approved(pay: Payments, period):
    """The period's schedule for the provider, generated, issued and approved."""
    with schema_context(pay.market.authority.schema_name):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        return payments.schedule_approve(actor=pay.finance, schedule=schedule)
