"""Reporting periods. Quarters and years follow the financial year (April to
March), as councils report."""

from __future__ import annotations

from datetime import date, timedelta


def _month_start(year: int, month: int) -> date:
    while month > 12:
        year, month = year + 1, month - 12
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def period_of(kind: str, day: date) -> tuple[date, date]:
    """The period of `kind` ("monthly", "quarterly", "annually") containing `day`."""
    if kind == "monthly":
        start = date(day.year, day.month, 1)
        months = 1
    elif kind == "quarterly":
        # Quarters start in April, July, October and January.
        first = ((day.month - 4) % 12) // 3 * 3 + 4
        start = _month_start(day.year - (1 if first > day.month else 0), first)
        months = 3
    elif kind == "annually":
        start = date(day.year if day.month >= 4 else day.year - 1, 4, 1)
        months = 12
    else:
        raise ValueError(f"unknown period {kind!r}")
    end = _month_start(start.year, start.month + months) - timedelta(days=1)
    return start, end


def periods_ended(kind: str, since: date, today: date) -> list[tuple[date, date]]:
    """Every period from the one containing `since` that ended before `today`."""
    found = []
    start, end = period_of(kind, since)
    while end < today:
        found.append((start, end))
        start, end = period_of(kind, end + timedelta(days=1))
    return found


def period_label(kind: str, start: date, end: date) -> str:
    if kind == "monthly":
        return f"{start:%B %Y}"
    if kind == "annually":
        return f"{start.year} to {end.year}"
    return f"{start:%B} to {end:%B %Y}"
