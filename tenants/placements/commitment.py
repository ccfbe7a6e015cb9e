"""What an authority has committed, computed from placements' cost lines:
per week of the financial year (April to March), per funder, per lot, per
provider, split into what has run to date and the forecast to the year's
end (live placements continuing at their latest line).

One SQL statement computes every breakdown (GROUPING SETS), and three more
name the funders, lots and providers it found: a constant number of queries
however many placements there are.

- A day's cost is the weekly amount of the line in force that day / 7; which
  line is in force is defined once, in tenants/placements/costs.py (its SQL
  is shared with the recharges and the payment schedules).
- Placements count from their start once they have gone live (pending ones
  are awarded but not yet care) until their end date; a live placement with
  no end runs to the year's end (the forecast).
- A line's funder shares are its own when it has them, otherwise the
  placement's funders.
- Weeks are weeks of the financial year: week 1 starts on 1 April, the last
  is short (1 or 2 days)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

from common import csvsafe
from shared_catalogue.models import Provider
from tenancy.models import Authority
from tenants.agreements.models import Lot
from tenants.calloffs.models import Package
from tenants.placements.costs import in_force_sql
from tenants.placements.models import CostLine, CostLineShare, Funder, Placement

ZERO = Decimal("0.00")


def financial_year_of(day: date) -> int:
    """The financial year a day falls in, named by the year it starts (2026 is April 2026 to March 2027)."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year(year: int) -> tuple[date, date]:
    return date(year, 4, 1), date(year + 1, 3, 31)


_SQL = """
WITH {in_force}, segments AS (
    SELECT o.line_id, o.weekly_amount, p.provider_id, pk.lot_id,
           GREATEST(o.eff, p.start_on, %(start)s::date) AS s,
           LEAST(COALESCE(o.next_from - 1, %(end)s::date), COALESCE(p.ended_on, %(end)s::date), %(end)s::date) AS e
    FROM ordered o
    JOIN {placement} p ON p.id = o.placement_id
    JOIN {package} pk ON pk.id = p.package_id
    {only_agreement}
), shares AS (
    SELECT ls.line_id, ls.authority_id, ls.share FROM {share} ls
    UNION ALL
    SELECT l.id, f.authority_id, f.share
    FROM {line} l JOIN {funder} f ON f.placement_id = l.placement_id
    WHERE NOT EXISTS (SELECT 1 FROM {share} x WHERE x.line_id = l.id)
), pieces AS (
    SELECT seg.line_id, seg.weekly_amount, seg.provider_id, seg.lot_id, w.n AS week,
           GREATEST(seg.s, %(start)s::date + %(bucket)s * w.n) AS ps,
           LEAST(seg.e, %(start)s::date + %(bucket)s * w.n + %(bucket)s - 1) AS pe
    FROM segments seg
    JOIN generate_series(0, %(weeks)s - 1) AS w(n)
      ON %(start)s::date + %(bucket)s * w.n <= seg.e AND %(start)s::date + %(bucket)s * w.n + %(bucket)s - 1 >= seg.s
    WHERE seg.s <= seg.e
), money AS (
    SELECT pc.week, pc.provider_id, pc.lot_id, sh.authority_id,
           pc.weekly_amount * sh.share / 100 / 7
               * GREATEST(0, LEAST(pc.pe, %(today)s::date) - pc.ps + 1) AS to_date,
           pc.weekly_amount * sh.share / 100 / 7
               * GREATEST(0, pc.pe - GREATEST(pc.ps, %(today)s::date + 1) + 1) AS forecast
    FROM pieces pc JOIN shares sh ON sh.line_id = pc.line_id
)
SELECT GROUPING(week) AS g_week, GROUPING(authority_id) AS g_funder, GROUPING(lot_id) AS g_lot,
       GROUPING(provider_id) AS g_provider, week, authority_id, lot_id, provider_id,
       ROUND(SUM(to_date), 2), ROUND(SUM(forecast), 2)
FROM money
GROUP BY GROUPING SETS ((week), (authority_id), (lot_id), (provider_id), ())
"""


@dataclass
class Row:
    label: str
    to_date: Decimal
    forecast: Decimal
    key: object = None
    starts_on: date | None = None
    ends_on: date | None = None

    @property
    def total(self) -> Decimal:
        return self.to_date + self.forecast


def commitment_sums(*, start: date, end: date, today: date, agreement_id: int | None = None,
                    by_week: bool = True) -> dict:
    """The raw sums behind a commitment report from `start` to `end` as it
    stands on `today` (one query): {"week": {n: (to_date, forecast)},
    "funder": {...}, "lot": {...}, "provider": {...}, "total": (to_date,
    forecast)}, weeks counted from `start`; only `agreement_id`'s packages
    when given. Without `by_week` the whole period is one "week" (0): the
    same sums, without cutting every line into weeks (a long period stays
    cheap)."""
    bucket = 7 if by_week else (end - start).days + 1
    weeks = (end - start).days // bucket + 1
    sql = _SQL.format(in_force=in_force_sql(), line=CostLine._meta.db_table, placement=Placement._meta.db_table,
                      package=Package._meta.db_table, share=CostLineShare._meta.db_table,
                      funder=Funder._meta.db_table,
                      only_agreement="WHERE pk.agreement_id = %(agreement)s" if agreement_id is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"start": start, "end": end, "today": today, "weeks": weeks, "bucket": bucket,
                             "agreement": agreement_id})
        found = cursor.fetchall()
    by = {"week": {}, "funder": {}, "lot": {}, "provider": {}, "total": (ZERO, ZERO)}
    for g_week, g_funder, g_lot, g_provider, week, funder, lot, provider, to_date, forecast in found:
        amounts = (to_date or ZERO, forecast or ZERO)
        if not g_week:
            by["week"][week] = amounts
        elif not g_funder:
            by["funder"][funder] = amounts
        elif not g_lot:
            by["lot"][lot] = amounts
        elif not g_provider:
            by["provider"][provider] = amounts
        else:
            by["total"] = amounts
    return by


def commitment(*, year: int, today: date) -> dict:
    """The commitment report for this authority's financial year `year`,
    as it stands on `today`."""
    start, end = financial_year(year)
    weeks = (end - start).days // 7 + 1
    by = commitment_sums(start=start, end=end, today=today)
    total = Row("Total", *by["total"])
    authorities = Authority.objects.in_bulk(list(by["funder"]))
    lots = Lot.objects.select_related("agreement").in_bulk(list(by["lot"]))
    providers = Provider.objects.in_bulk(list(by["provider"]))

    def rows(kind, label) -> list[Row]:
        made = [Row(label(key), *amounts, key=key) for key, amounts in by[kind].items()]
        return sorted(made, key=lambda row: (-row.total, row.label))

    week_rows = []
    for n in range(weeks):
        first = start + timedelta(days=7 * n)
        to_date, forecast = by["week"].get(n, (ZERO, ZERO))
        week_rows.append(Row(f"{first:%-d %b %Y}", to_date, forecast, key=n, starts_on=first,
                             ends_on=min(first + timedelta(days=6), end)))
    return {
        "year": year, "start": start, "end": end, "today": today, "total": total, "weeks": week_rows,
        "funders": rows("funder", lambda pk: authorities[pk].name),
        "lots": rows("lot", lambda pk: f"{lots[pk].agreement.reference} Lot {lots[pk].number}: {lots[pk].title}"),
        "providers": rows("provider", lambda pk: providers[pk].name),
    }


CSV_HEADER = ["Financial year", "Breakdown", "Item", "Week from", "Week to", "To date", "Forecast", "Total"]


def commitment_csv(report: dict) -> str:
    """The report as CSV: one row per week, funder, lot and provider, and the total."""
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(CSV_HEADER)
    year = f"{report['year']}-{str(report['year'] + 1)[-2:]}"
    for row in report["weeks"]:
        writer.writerow([year, "Week", row.label, row.starts_on.isoformat(), row.ends_on.isoformat(), row.to_date,
                         row.forecast, row.total])
    for kind, name in (("funders", "Funder"), ("lots", "Lot"), ("providers", "Provider")):
        for row in report[kind]:
            writer.writerow([year, name, row.label, "", "", row.to_date, row.forecast, row.total])
    total = report["total"]
    writer.writerow([year, "Total", "All placements", "", "", total.to_date, total.forecast, total.total])
    return out.getvalue()
