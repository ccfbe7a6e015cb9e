"""What the lists of pricing schedules filter by, for the API."""

from __future__ import annotations

from common.filters import ChoiceFilter, IdFilter, StrictFilterSet
from tenants.agreements.models import Agreement
from tenants.pricing.models import PricingSchedule


class ScheduleFilters(StrictFilterSet):
    agreement = IdFilter(queryset=Agreement.objects.all(), noun="agreement",
                         help_text="Only this agreement's schedules (its id).")
    status = ChoiceFilter(choices=PricingSchedule.Status.choices, help_text="Only schedules in this state.")
