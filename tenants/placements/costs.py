"""The one definition of what a placement costs over a span of days, from
its cost lines, in SQL: the commitment report, the recharges between funders
and the payment schedules all use it.

- The line in force on a day is the one with the latest `effective_from` on
  or before that day (ties: the latest made), until the next line's date or
  the placement's end. The award's line (and a line recorded from the
  placement as it stood) is dated by the placement's start, whatever its own
  date: going live may bring the start earlier than the award planned.
- Only placements that have gone live cost anything (pending ones are
  awarded but not yet care); they cost from their start to their end date.
- A day costs the line's weekly amount / 7; a span's cost is the sum over
  its days, rounded to the penny once, at the end.

`IN_FORCE` is the common table expressions `dated` and `ordered` (each line
with the date it runs from, `eff`, and the next line's, `next_from`) for
other statements to build on; `costs_in_ranges` answers many (placement,
first day, last day) spans in one query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from tenants.placements.models import CostLine, Placement

PENCE = Decimal("0.01")
ZERO = Decimal("0.00")

# `{line}` and `{placement}` are the tables; `{where}` narrows the lines
# (for example "AND l.placement_id = ANY(%(placements)s)"), or is empty.
IN_FORCE = """
dated AS (
    SELECT l.id AS line_id, l.placement_id, l.made_at, l.weekly_amount,
           CASE WHEN l.source IN ('award', 'recorded') THEN p.start_on ELSE l.effective_from END AS eff
    FROM {line} l JOIN {placement} p ON p.id = l.placement_id
    WHERE p.status IN ('live', 'ended') AND p.went_live_at IS NOT NULL {where}
), ordered AS (
    SELECT d.*, LEAD(d.eff) OVER (PARTITION BY d.placement_id ORDER BY d.eff, d.made_at, d.line_id) AS next_from
    FROM dated d
)"""


def in_force_sql(where: str = "") -> str:
    """The `dated` and `ordered` expressions, tables filled in."""
    return IN_FORCE.format(line=CostLine._meta.db_table, placement=Placement._meta.db_table, where=where)


_RANGES_SQL = """
WITH {in_force}, asked AS (
    SELECT * FROM unnest(%(keys)s::int[], %(placements)s::int[], %(starts)s::date[], %(ends)s::date[])
        AS a(k, placement_id, s, e)
), pieces AS (
    SELECT a.k, o.line_id, o.weekly_amount,
           GREATEST(o.eff, p.start_on, a.s) AS ps,
           LEAST(COALESCE(o.next_from - 1, a.e), COALESCE(p.ended_on, a.e), a.e) AS pe
    FROM asked a
    JOIN ordered o ON o.placement_id = a.placement_id
    JOIN {placement} p ON p.id = a.placement_id
)
SELECT k, line_id, weekly_amount, ps, pe, pe - ps + 1 AS days, weekly_amount * (pe - ps + 1) / 7 AS amount
FROM pieces WHERE ps <= pe ORDER BY k, ps, line_id
"""


@dataclass
class Piece:
    """Part of a span paid at one cost line."""

    line_id: int
    weekly_amount: Decimal
    starts_on: date
    ends_on: date
    days: int
    amount: Decimal         # unrounded

    def as_dict(self) -> dict:
        return {"cost_line": self.line_id, "weekly_amount": str(self.weekly_amount),
                "from": self.starts_on.isoformat(), "to": self.ends_on.isoformat(), "days": self.days,
                "amount": str(self.amount.quantize(PENCE, ROUND_HALF_UP))}


@dataclass
class SpanCost:
    days: int = 0
    pieces: list[Piece] = field(default_factory=list)
    unrounded: Decimal = Decimal(0)

    @property
    def amount(self) -> Decimal:
        return self.unrounded.quantize(PENCE, ROUND_HALF_UP)

    @property
    def starts_on(self) -> date | None:
        return self.pieces[0].starts_on if self.pieces else None

    @property
    def ends_on(self) -> date | None:
        return self.pieces[-1].ends_on if self.pieces else None


def costs_in_ranges(ranges) -> dict:
    """What each span cost: `ranges` is (key, placement id, first day, last
    day) with whole-number keys; the answer maps each key that had days of
    care to its SpanCost (days, the pieces at each cost line, the amount).
    One query, however many spans."""
    ranges = list(ranges)
    if not ranges:
        return {}
    sql = _RANGES_SQL.format(in_force=in_force_sql("AND l.placement_id = ANY(%(placements)s)"),
                             placement=Placement._meta.db_table)
    keys, placements, starts, ends = (list(column) for column in zip(*ranges, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"keys": keys, "placements": placements, "starts": starts, "ends": ends})
        found = cursor.fetchall()
    answer: dict = {}
    for key, line_id, weekly, first, last, days, amount in found:
        span = answer.setdefault(key, SpanCost())
        span.pieces.append(Piece(line_id, weekly, first, last, days, amount))
        span.days += days
        span.unrounded += amount
    return answer


def cost_in_span(placement_id: int, first: date, last: date) -> SpanCost:
    """One placement's cost from `first` to `last` (inclusive)."""
    return costs_in_ranges([(0, placement_id, first, last)]).get(0, SpanCost())
