"""Building blocks for contract-management tests: a live agreement with
providers admitted, KPIs on it and their returns opened, made through the
services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenants.quality import services
from tenants.quality.models import KpiReturn
from tests import support
from tests.calloffs import support as stage2

# A financial year well in the past, so every due date has passed whatever today is.
YEAR_START = date(2025, 4, 1)
AFTER_TWO_QUARTERS = date(2025, 10, 15)


@dataclass
class Monitored:
    market: stage2.Market
    officer: object
    kpis: dict

    @property
    def schema(self) -> str:
        return self.market.authority.schema_name


def monitored(authority, providers: int = 2, **kpi_fields) -> Monitored:
    """A live agreement, `providers` admitted on lot 1, a quality officer,
    and Rotherham's first two home-care KPIs returned by every admitted provider."""
    market = stage2.live_market(authority, providers)
    officer = support.make_staff(authority, AuthorityRole.QUALITY_OFFICER, full_name="Quinn Officer")
    commissioner = market.setup.commissioner
    with schema_context(authority.schema_name):
        common = {"agreement": market.agreement, "covers": "admitted", "starts_on": YEAR_START} | kpi_fields
        kpis = {
            "technology": services.kpi_create(actor=commissioner, code="KPI 1", title="Utilising assistive technology",
                                              target=75, numerator_label="people reviewed and introduced to "
                                              "assistive technology", denominator_label="people reviewed", **common),
            "training": services.kpi_create(actor=commissioner, code="KPI 2", title="Strengths-based approaches "
                                            "training", target=100, numerator_label="care workers trained",
                                            denominator_label="care workers", **common),
        }
    return Monitored(market, officer, kpis)


def opened(m: Monitored, today: date = AFTER_TWO_QUARTERS) -> list[KpiReturn]:
    with schema_context(m.schema):
        services.returns_open_due(today=today)
        return list(KpiReturn.objects.select_related("kpi").order_by("period_start", "kpi__code", "provider_id"))


def submit(m: Monitored, kpi_return: KpiReturn, provider=None, **figures) -> KpiReturn:
    from tests.shared_catalogue import support as catalogue

    provider = provider or next(p for p in m.market.providers if p.pk == kpi_return.provider_id)
    with schema_context(m.schema):
        return services.return_submit(actor=catalogue.admin_of(provider), kpi_return=kpi_return, **figures)


def placed(m: Monitored, provider=None, *, live: bool = True):
    """A package awarded to `provider` (the first by default) and, if `live`,
    gone live today: the placement, made through the services."""
    from tenants.calloffs import services as calloffs
    from tenants.calloffs.models import Bid
    from tenants.placements import services as placements
    from tenants.placements.models import Placement

    market = m.market
    provider = provider or market.providers[0]
    package = stage2.package(market)
    stage2.submit(market, package, provider, price="400.00")
    with schema_context(m.schema):
        calloffs.package_close(package_id=package.pk, by="test",
                               now=package.bid_deadline + timedelta(minutes=1))
        bid = Bid.objects.get(package=package, provider=provider)
        calloffs.bid_evaluate(actor=market.broker, bid=bid, compliant=True, quality=70, outcomes=70, social_value=50)
        calloffs.award(actor=market.broker, package=package, bid=bid)
        placement = Placement.objects.get(package=package)
        if live:  # care began today
            placement = placements.placement_go_live(actor=market.broker, placement=placement, start_on=date.today())
    return placement


def self_assess(schema: str, assessment, provider, rating: str = "good", submit: bool = True):
    """The provider rates itself against every standard (and submits)."""
    from tenants.quality import assessments
    from tenants.quality.standards import STANDARDS
    from tests.shared_catalogue import support as catalogue

    admin = catalogue.admin_of(provider)
    with schema_context(schema):
        assessments.self_assessment_save(actor=admin, assessment=assessment, entries={
            s.key: {"self_rating": rating, "narrative": f"How we meet {s.title.lower()}: audited monthly."}
            for s in STANDARDS})
        if submit:
            assessments.self_assessment_submit(actor=admin, assessment=assessment)


def validate_all(schema: str, assessment, officer, rating: str | None = None):
    """The officer validates every standard: agreeing, or with `rating` of their own."""
    from tenants.quality import assessments
    from tenants.quality.standards import STANDARDS

    with schema_context(schema):
        for s in STANDARDS:
            assessments.standard_validate(actor=officer, assessment=assessment, standard=s.key, agree=rating is None,
                                          rating=rating or "", note="Seen on the visit." if rating else "")
