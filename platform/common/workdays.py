"""Working days for regulatory clocks: Monday to Friday, less the bank
holidays of England and Wales (the `holidays` package, which follows the
published lists, including substitute days and one-off holidays)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # Wales keeps England's bank holidays; Scotland and Northern Ireland differ.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def bank_holiday_name(day: date) -> str:
    return holidays.country_holidays("GB", subdiv="ENG", years=day.year).get(day, "")


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start`. The day of `start` itself
    does not count, whatever it is: something received on a Saturday is first
    worked on the Monday, which is day 1."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while days:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative if `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))
