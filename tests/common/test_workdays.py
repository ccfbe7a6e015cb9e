"""Regulatory clocks count working days in England and Wales."""

from datetime import date

import pytest

from common.workdays import add_working_days, bank_holiday_name, is_working_day, working_days_between


@pytest.mark.parametrize("received, days, due", [
    (date(2025, 3, 3), 10, date(2025, 3, 17)),    # Monday: two plain weeks
    (date(2025, 8, 23), 10, date(2025, 9, 8)),    # Saturday before the August bank holiday
    (date(2025, 8, 22), 1, date(2025, 8, 26)),    # Friday: the Monday is a bank holiday
    (date(2025, 4, 17), 2, date(2025, 4, 23)),    # Easter: Good Friday and Easter Monday skipped
    (date(2025, 12, 24), 3, date(2025, 12, 31)),  # Christmas and Boxing Day
    (date(2026, 12, 24), 1, date(2026, 12, 29)),  # Boxing Day 2026 is a Saturday: substitute Monday 28th
])
def test_working_days_skip_weekends_and_bank_holidays(received, days, due):
    assert add_working_days(received, days) == due
    assert working_days_between(received, due) == days


def test_holidays_are_named_and_not_working_days():
    assert not is_working_day(date(2025, 8, 25))
    assert bank_holiday_name(date(2025, 8, 25)) == "Late Summer Bank Holiday"
    assert is_working_day(date(2025, 8, 26))
    assert working_days_between(date(2025, 9, 8), date(2025, 9, 1)) == -5
