"""What the lists of payment periods and schedules filter by, for the API and the pages."""

from __future__ import annotations

from common.filters import ChoiceFilter, NumberIdFilter, StrictFilterSet, after, before
from tenants.payments.models import Schedule


class PeriodFilters(StrictFilterSet):
    starts_after = after("starts_on", "starting")
    starts_before = before("starts_on", "starting")


class ScheduleFilters(StrictFilterSet):
    period = NumberIdFilter(field_name="period_id", help_text="Only schedules for this payment period (its id).")
    provider = NumberIdFilter(field_name="provider_id", help_text="Only this provider's schedules (its id).")
    status = ChoiceFilter(choices=Schedule.Status.choices, help_text="Only schedules in this state.")
    period_starts_after = after("period__starts_on", "whose period starts")
    period_starts_before = before("period__starts_on", "whose period starts")


class ProviderScheduleFilters(StrictFilterSet):
    period = NumberIdFilter(field_name="period_id", help_text="Only schedules for this payment period (its id).")
    status = ChoiceFilter(choices=[c for c in Schedule.Status.choices if c[0] != "draft"],
                          help_text="Only schedules in this state.")
