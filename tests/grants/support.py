"""An ICB granted call-off and co-funding rights on a council's FPS, and a
placement it called off, made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django_tenants.utils import schema_context

from tenants.agreements import grants
from tenants.calloffs import services
from tenants.calloffs.models import Bid
from tests import support
from tests.calloffs import support as stage2


@dataclass
class Granted:
    market: stage2.Market
    grant: object
    icb: object
    icb_broker: object


def granted(region, *, call_off=True, co_fund=True, names=("Brightday",)) -> Granted:
    """`names=None` names the provider uniquely, for tests whose data is committed."""
    market = stage2.live_market(region.alpha, providers=1, names=list(names) if names else None)
    with schema_context(region.alpha.schema_name):
        grant = grants.grant_create(actor=market.setup.commissioner, agreement=market.agreement, grantee=region.nhs,
                                    may_call_off=call_off, may_co_fund=co_fund, starts_on=date.today(),
                                    purchasing_agreement="NHS-N-IPA-2026-014",
                                    reason="Health and wellbeing board decision 14/2026")
    return Granted(market, grant, region.nhs, support.make_staff(region.nhs, "broker", full_name="Ife ICB Broker"))


def icb_calls_off(g: Granted, **fields):
    """The ICB's broker records the person and calls off in its own name."""
    market = g.market
    with schema_context(market.authority.schema_name):
        person = services.person_create(actor=g.icb_broker, first_name="Ann", last_name="Lee",
                                        nhs_number="9434765919")
    broker, market.broker = market.broker, g.icb_broker
    try:
        return stage2.package(market, people=[person], **fields)
    finally:
        market.broker = broker


def icb_awards(g: Granted, package):
    market = g.market
    stage2.submit(market, package, market.providers[0])
    with schema_context(market.authority.schema_name):
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
        bid = Bid.objects.get(package=package)
        services.bid_evaluate(actor=g.icb_broker, bid=bid, compliant=True, quality=70, outcomes=70,
                              social_value=70)
        return services.award(actor=g.icb_broker, package=package, bid=bid).package.placement
