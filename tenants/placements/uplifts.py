"""What an uplift does to each placement it covers: one computation, used by
the preview (before anyone applies it) and by applying it, so the two cannot
disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch

from tenants.placements.models import CostLine, CostLineShare, Placement, RateSchedule

HUNDRED = Decimal("100")
PENCE = Decimal("0.01")


@dataclass
class UpliftRow:
    placement: Placement
    line: CostLine          # the line in force on the schedule's date: the basis of the uplift
    rate_after: Decimal
    weekly_after: Decimal
    skipped: str = ""       # why the placement keeps its rate (already at or above a new rate, another unit)

    @property
    def rate_before(self) -> Decimal:
        return self.line.rate

    @property
    def weekly_before(self) -> Decimal:
        return self.line.weekly_amount

    @property
    def changes(self) -> bool:
        return not self.skipped

    @property
    def describe(self) -> str:
        schedule = self.schedule
        if schedule.uplift_percent is not None:
            return f"Uplift of {schedule.uplift_percent.normalize():f}% from {schedule.effective_from:%-d %B %Y}."
        return (f"Uplift to the new rate of £{schedule.new_rate} {schedule.get_new_rate_unit_display()} from "
                f"{schedule.effective_from:%-d %B %Y}.")

    schedule: RateSchedule | None = None


def effective(line: CostLine, start: date) -> date:
    """A line's date: the award's line runs from the placement's start
    (going live may have moved it), the others from their own date."""
    return start if line.source in (CostLine.Source.AWARD, CostLine.Source.RECORDED) else line.effective_from


def line_in_force(lines, day: date, start: date) -> CostLine | None:
    """Of a placement's lines (any order), the one in force on `day`: the
    latest date on or before it, ties going to the latest made."""
    eligible = [line for line in lines if effective(line, start) <= day]
    return max(eligible, key=lambda line: (effective(line, start), line.made_at, line.pk), default=None)


def covered(schedule: RateSchedule):
    """Placements the schedule covers and has not yet uplifted: live, under
    its agreement (or lot), started on or before its date."""
    placements = (Placement.objects.filter(status=Placement.Status.LIVE, package__agreement=schedule.agreement_id,
                                           start_on__lte=schedule.effective_from)
                  .exclude(uplifts__schedule=schedule))
    if schedule.lot_id:
        placements = placements.filter(package__lot=schedule.lot_id)
    return placements


def uplift_rows(schedule: RateSchedule, *, lock: bool = False) -> list[UpliftRow]:
    """Before and after for each placement covered, in a constant number of
    queries. With `lock`, the placements are locked (inside a transaction)."""
    placements = covered(schedule).select_related("provider", "package").order_by("pk")
    if lock:
        placements = placements.select_for_update(of=("self",))
    placements = placements.prefetch_related(Prefetch(
        "cost_lines", queryset=CostLine.objects.prefetch_related(
            Prefetch("shares", queryset=CostLineShare.objects.select_related("authority")))))
    rows = []
    for placement in placements:
        line = line_in_force(placement.cost_lines.all(), schedule.effective_from, placement.start_on)
        if line is None:
            continue
        rate_after, skipped = line.rate, ""
        if schedule.uplift_percent is not None:
            rate_after = (line.rate * (HUNDRED + schedule.uplift_percent) / HUNDRED).quantize(PENCE, ROUND_HALF_UP)
        elif line.unit != schedule.new_rate_unit:
            skipped = f"Paid {line.get_unit_display()}, not {schedule.get_new_rate_unit_display()}."
        elif line.rate >= schedule.new_rate:
            skipped = "Already paid at or above the new rate."
        else:
            rate_after = schedule.new_rate
        weekly_after = (rate_after * line.quantity).quantize(PENCE, ROUND_HALF_UP)
        rows.append(UpliftRow(placement=placement, line=line, rate_after=rate_after, weekly_after=weekly_after,
                              skipped=skipped, schedule=schedule))
    return rows


def uplift_preview(schedule: RateSchedule) -> dict:
    """What applying the uplift would do: each placement before and after,
    and the weekly totals."""
    rows = uplift_rows(schedule)
    changing = [r for r in rows if r.changes]
    before = sum((r.weekly_before for r in changing), Decimal(0))
    after = sum((r.weekly_after for r in changing), Decimal(0))
    return {"schedule": schedule, "rows": rows, "placements": len(changing), "weekly_before": before,
            "weekly_after": after, "weekly_difference": after - before}
