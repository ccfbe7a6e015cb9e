"""Reading KPIs and returns: the KPI table of an agreement (each KPI's
figure for the latest period, its RAG against target and its trend, across
the lot and per provider), and the lists of returns for staff and providers.

Everything is read in a fixed number of queries whatever the number of
KPIs, providers and periods, and worked out here in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.utils import timezone

from tenants.quality.models import Kpi, KpiReturn
from tenants.quality.periods import period_label

HUNDRED = Decimal("100")
COUNTED = (KpiReturn.Status.SUBMITTED, KpiReturn.Status.VALIDATED)
RAG_WORDS = {"green": "On target", "amber": "Close to target", "red": "Below target", None: "Not rated"}


def rag(kpi: Kpi, value: Decimal | None) -> str | None:
    """Green at or beyond the target, amber within the KPI's amber band of
    it, red beyond that; a statement, or a period with no figure, is not rated."""
    if value is None or kpi.target is None or kpi.measure == Kpi.Measure.STATEMENT:
        return None
    short = (kpi.target - value) if kpi.higher_is_better else (value - kpi.target)
    if short <= 0:
        return "green"
    if kpi.measure != Kpi.Measure.YES_NO and short <= kpi.amber_within:
        return "amber"
    return "red"


@dataclass
class Figure:
    """One KPI's figure for one period, for one provider or the whole lot."""

    period_start: date
    period_end: date
    label: str
    value: Decimal | None
    numerator: int | None = None
    denominator: int | None = None
    breakdown: list = field(default_factory=list)
    returns: int = 0
    expected: int = 0
    validated: int = 0
    rag: str | None = None

    @property
    def rag_words(self) -> str:
        return RAG_WORDS[self.rag]


@dataclass
class Trend:
    direction: str  # "up", "down", "same" or "" (no earlier figure)
    change: Decimal | None

    @property
    def words(self) -> str:
        if not self.direction:
            return "No earlier period"
        if self.direction == "same":
            return "No change"
        return f"{'Up' if self.direction == 'up' else 'Down'} {abs(self.change)}"


@dataclass
class ProviderFigure:
    provider: object
    figure: Figure
    kpi_return: KpiReturn


@dataclass
class KpiRow:
    kpi: Kpi
    latest: Figure | None
    history: list[Figure]
    trend: Trend
    providers: list[ProviderFigure]


def _combine(kpi: Kpi, start: date, end: date, rows: list[KpiReturn]) -> Figure:
    counted = [r for r in rows if r.status in COUNTED]
    figure = Figure(start, end, period_label(kpi.period, start, end), None, returns=len(counted),
                    expected=len(rows), validated=sum(r.status == KpiReturn.Status.VALIDATED for r in rows))
    if not counted:
        return figure
    if kpi.measure == Kpi.Measure.PERCENTAGE and all(r.denominator for r in counted):
        figure.numerator = sum(r.numerator for r in counted)
        figure.denominator = sum(r.denominator for r in counted)
        figure.value = (Decimal(figure.numerator) * HUNDRED / figure.denominator).quantize(Decimal("0.01"),
                                                                                              ROUND_HALF_UP)
        parts: dict[str, int] = defaultdict(int)
        for r in counted:
            for part in r.breakdown or []:
                parts[part["label"]] += part["count"]
        figure.breakdown = [{"label": label, "count": count,
                             "percent": (Decimal(count) * HUNDRED / figure.denominator).quantize(Decimal("0.01"),
                                                                                                  ROUND_HALF_UP)}
                            for label, count in parts.items()]
    elif kpi.measure == Kpi.Measure.COUNT:
        figure.value = sum(r.value for r in counted if r.value is not None)
    elif kpi.measure == Kpi.Measure.STATEMENT:
        figure.value = None
    else:  # a rate alone, or yes/no: the mean across providers
        values = [r.value for r in counted if r.value is not None]
        figure.value = (sum(values) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP) if values else None
    figure.rag = rag(kpi, figure.value)
    return figure


def _trend(history: list[Figure]) -> Trend:
    rated = [f for f in history if f.value is not None]
    if len(rated) < 2:
        return Trend("", None)
    change = rated[-1].value - rated[-2].value
    return Trend("same" if change == 0 else ("up" if change > 0 else "down"), change)


def kpi_table(agreement, *, lot=None, periods: int = 4) -> list[KpiRow]:
    """Every KPI of `agreement` (or of one lot, with the agreement-wide
    ones), with the last `periods` periods' figures across the lot and each
    provider's latest: two queries."""
    kpis = list(Kpi.objects.filter(agreement=agreement).select_related("lot").order_by("code", "pk"))
    if lot is not None:
        kpis = [k for k in kpis if k.lot_id in (None, lot.pk)]
    returns = list(KpiReturn.objects.filter(kpi__in=kpis).select_related("provider")
                   .order_by("period_start", "provider__name"))
    by_kpi: dict[int, dict[date, list[KpiReturn]]] = defaultdict(lambda: defaultdict(list))
    for r in returns:
        by_kpi[r.kpi_id][r.period_start].append(r)
    table = []
    for kpi in kpis:
        periods_seen = sorted(by_kpi[kpi.pk].items())[-periods:]
        history = [_combine(kpi, start, rows[0].period_end, rows) for start, rows in periods_seen]
        latest = next((f for f in reversed(history) if f.returns), history[-1] if history else None)
        providers = []
        if latest is not None:
            for r in by_kpi[kpi.pk][latest.period_start]:
                providers.append(ProviderFigure(r.provider, _combine(kpi, r.period_start, r.period_end, [r]), r))
        table.append(KpiRow(kpi, latest, history, _trend(history), providers))
    return table


def returns_for_staff(*, status: str = "", kpi_id: int | None = None, provider_id: int | None = None,
                      missing: bool = False, today: date | None = None) -> QuerySet[KpiReturn]:
    today = today or timezone.localdate()
    rows = KpiReturn.objects.select_related("kpi", "kpi__agreement", "provider").order_by("due_on", "kpi__code",
                                                                                           "provider__name")
    if status:
        rows = rows.filter(status=status)
    if kpi_id:
        rows = rows.filter(kpi_id=kpi_id)
    if provider_id:
        rows = rows.filter(provider_id=provider_id)
    if missing:
        rows = rows.filter(status__in=(KpiReturn.Status.DUE, KpiReturn.Status.QUERIED), due_on__lt=today)
    return rows


def returns_for_provider(provider_ids) -> QuerySet[KpiReturn]:
    """A provider's returns here: what is owed first, then the rest, newest first."""
    return (KpiReturn.objects.filter(provider_id__in=provider_ids)
            .select_related("kpi", "kpi__agreement", "provider").order_by("status", "due_on", "kpi__code"))


def return_for_staff(return_id) -> KpiReturn | None:
    return (KpiReturn.objects.select_related("kpi", "kpi__agreement", "provider", "evidence", "submitted_by",
                                             "reviewed_by").filter(pk=return_id).first())


# --- An assessment's standards and follow-up actions ----------------------------------------

def assessment_standards(assessment) -> list:
    """The assessment's standards in the order of STANDARDS, each with its
    `info` (title, domain, source) and its evidence: one query."""
    from tenants.quality.standards import BY_KEY, STANDARDS

    order = {s.key: i for i, s in enumerate(STANDARDS)}
    rows = sorted(assessment.standards.select_related("evidence"), key=lambda r: order.get(r.standard, 99))
    for row in rows:
        row.info = BY_KEY[row.standard]
    return rows


def assessment_follow_ups(assessment, today=None) -> list:
    from django.utils import timezone

    from tenants.quality.standards import BY_KEY

    today = today or timezone.localdate()
    rows = list(assessment.follow_ups.select_related("owner", "done_evidence"))
    for row in rows:
        row.overdue = row.is_overdue(today)
        row.source_label = BY_KEY[row.standard].title if row.standard in BY_KEY else row.get_domain_display()
    return rows


def follow_ups_for_provider(provider_ids, today=None) -> list:
    """Open (or reopened) actions of these providers here, soonest due first."""
    from django.utils import timezone

    from tenants.quality.models import FollowUp

    today = today or timezone.localdate()
    rows = list(FollowUp.objects.filter(provider_id__in=list(provider_ids), status=FollowUp.Status.OPEN)
                .select_related("assessment", "provider", "owner").order_by("due_on", "pk"))
    for row in rows:
        row.overdue = row.is_overdue(today)
    return rows


def owner_choices(assessment) -> list[tuple[str, str]]:
    """Who may own an action: the provider's people, and this authority's staff."""
    from accounts.models import AuthorityMembership, ProviderMembership
    from tenancy.selectors import authority_current
    from tenants.quality.oversight import QUALITY_ROLES

    people = {m.user_id: m.user for m in ProviderMembership.objects.filter(
        provider_id=assessment.provider_id, revoked_at__isnull=True).select_related("user")}
    staff = {m.user_id: m.user for m in AuthorityMembership.objects.filter(
        authority=authority_current(), role__in=QUALITY_ROLES, revoked_at__isnull=True).select_related("user")}
    label = lambda u: f"{u.get_full_name() or u.email} ({u.email})"  # noqa: E731
    return ([(f"provider:{pk}", f"{label(u)}, {assessment.provider.name}") for pk, u in people.items()]
            + [(f"authority:{pk}", f"{label(u)}, officer here") for pk, u in staff.items()])
