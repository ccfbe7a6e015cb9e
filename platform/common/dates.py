"""Dates people type, checked for sense before they are stored.

A date of birth of 9999-12-31, or a certificate issued in year 1, is a slip
(or a probe), never a fact: each is refused with a message that says what
range is expected. Services call these, so forms and the API agree.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

EARLIEST = date(1900, 1, 1)
# Nothing the service records (insurance, registrations, policies) runs for longer than this.
FURTHEST_YEARS_AHEAD = 50


def _years_ahead(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def date_of_birth_problem(value: date | None) -> str | None:
    if value is None:
        return None
    if value > timezone.localdate():
        return "The date of birth must be in the past."
    if value < EARLIEST:
        return f"Enter a date of birth after {EARLIEST:%-d %B %Y}."
    return None


def past_date_problem(value: date | None, *, what: str) -> str | None:
    """A date that has happened: not in the future, not before 1900."""
    if value is None:
        return None
    if value > timezone.localdate():
        return f"The {what} cannot be in the future."
    if value < EARLIEST:
        return f"Enter a {what} after {EARLIEST:%-d %B %Y}."
    return None


def future_date_problem(value: date | None, *, what: str) -> str | None:
    """A date still to come, within reason: not before 1900, not more than 50 years ahead."""
    if value is None:
        return None
    if value < EARLIEST:
        return f"Enter an {what} after {EARLIEST:%-d %B %Y}."
    if value > _years_ahead(timezone.localdate(), FURTHEST_YEARS_AHEAD):
        return f"Enter an {what} within the next {FURTHEST_YEARS_AHEAD} years."
    return None
