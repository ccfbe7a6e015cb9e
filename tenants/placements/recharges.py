"""Recharges between funders, per period. The placement's payer (the
authority that called off, unless the funders agreed another of them pays)
pays the provider in full; each other funder owes it its share of what the
placement cost in the period: the sum over the period's days of the cost
line in force that day / 7 (a start or an end part-way through counts only
its days; tenants/placements/costs.py), times the funder's share. Without a pooled
budget each funder stays accountable for its own individual purchasing
agreement (NHS Act 2006 s 75), cited on every line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from common.errors import Invalid
from tenants.placements.costs import cost_in_span, costs_in_ranges
from tenants.placements.models import Placement

HUNDRED = Decimal("100")
PENCE = Decimal("0.01")
KINDS = {"monthly": "Monthly", "four_weekly": "Four-weekly"}


@dataclass(frozen=True)
class Period:
    kind: str
    starts_on: date
    ends_on: date

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    @property
    def label(self) -> str:
        return f"{self.starts_on:%-d %B %Y} to {self.ends_on:%-d %B %Y}"


def period_for(*, kind: str, starts_on: date) -> Period:
    """A calendar month (starting on its first day) or four weeks from any day."""
    if kind not in KINDS:
        raise Invalid({"period": "Choose monthly or four_weekly."})
    if kind == "four_weekly":
        return Period(kind, starts_on, starts_on + timedelta(days=27))
    if starts_on.day != 1:
        raise Invalid({"starts_on": "A monthly period starts on the first day of a month."})
    following = date(starts_on.year + starts_on.month // 12, starts_on.month % 12 + 1, 1)
    return Period(kind, starts_on, following - timedelta(days=1))


def care_days(placement: Placement, period: Period) -> int:
    """Days of care in the period: from the later of the start and the period's
    first day to the earlier of the end (inclusive) and the period's last."""
    first = max(placement.start_on, period.starts_on)
    last = min(placement.ended_on or period.ends_on, period.ends_on)
    return max((last - first).days + 1, 0)


def placement_cost_in_period(placement: Placement, period: Period) -> Decimal:
    """What the placement cost in the period, unrounded: each day at the cost
    line in force that day / 7 (costs.py, the one definition shared with the
    commitment report and the payment schedules)."""
    return cost_in_span(placement.pk, period.starts_on, period.ends_on).unrounded


def placements_cost_in_period(placements, period: Period) -> dict[int, Decimal]:
    """The same for many placements in one query: unrounded cost by placement id."""
    found = costs_in_ranges((p.pk, p.pk, period.starts_on, period.ends_on) for p in placements)
    return {key: span.unrounded for key, span in found.items()}


@dataclass(frozen=True)
class RechargeLine:
    placement: Placement
    payer: object          # placement.payer: pays the provider, recovers the shares
    funder: object         # the funder that owes it
    share: Decimal
    purchasing_agreement: str
    days: int
    cost: Decimal          # the placement's whole cost in the period
    owed: Decimal


def recharges(*, period: Period, authority_ids: frozenset[int] | None = None) -> list[RechargeLine]:
    """Every funder's share, for the period, of placements another authority
    paid; only lines where `authority_ids` pays or owes, when given (the
    granted body sees its own). Placements pending go-live are not counted."""
    rows = (Placement.objects.exclude(status=Placement.Status.PENDING)
            .filter(start_on__lte=period.ends_on)
            .exclude(ended_on__lt=period.starts_on)
            .select_related("payer", "package__agreement", "provider")
            .prefetch_related("funders__authority").order_by("package__reference"))
    rows = list(rows)
    costs = placements_cost_in_period(rows, period)
    lines = []
    for placement in rows:
        payer = placement.payer  # who pays the provider, stored on the placement
        days = care_days(placement, period)
        if not days:
            continue
        cost = costs.get(placement.pk, Decimal(0))
        for funder in placement.funders.all():
            if funder.authority_id == payer.pk:
                continue
            if authority_ids is not None and not {payer.pk, funder.authority_id} & authority_ids:
                continue
            lines.append(RechargeLine(
                placement=placement, payer=payer, funder=funder.authority, share=funder.share,
                purchasing_agreement=funder.purchasing_agreement, days=days,
                cost=cost.quantize(PENCE, ROUND_HALF_UP),
                owed=(cost * funder.share / HUNDRED).quantize(PENCE, ROUND_HALF_UP)))
    return lines


def recharge_totals(lines: list[RechargeLine]) -> list[tuple[object, object, Decimal]]:
    """(funder, payer, total owed) for each pair, largest first."""
    totals: dict[tuple[int, int], list] = {}
    for line in lines:
        entry = totals.setdefault((line.funder.pk, line.payer.pk), [line.funder, line.payer, Decimal(0)])
        entry[2] += line.owed
    return sorted((tuple(t) for t in totals.values()), key=lambda t: (-t[2], t[0].name))
