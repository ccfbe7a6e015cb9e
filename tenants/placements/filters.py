"""What the lists of placements and rate schedules filter by, for the API and the pages."""

from __future__ import annotations

from common.filters import ChoiceFilter, IdFilter, NumberIdFilter, StrictFilterSet, after, before
from tenants.agreements.models import Agreement, Lot
from tenants.placements.models import Placement


class PlacementFilters(StrictFilterSet):
    status = ChoiceFilter(choices=Placement.Status.choices, help_text="Only placements in this state.")
    agreement = IdFilter(field_name="package__agreement", queryset=Agreement.objects.all(), noun="agreement",
                         help_text="Only placements called off under this agreement (its id).")
    lot = IdFilter(field_name="package__lot", queryset=Lot.objects.all(), noun="lot",
                   help_text="Only placements in this lot (its id).")
    provider = NumberIdFilter(field_name="provider_id", help_text="Only this provider's placements (its id).")
    starts_after = after("start_on", "starting")
    starts_before = before("start_on", "starting")
    ended_after = after("ended_on", "ended")
    ended_before = before("ended_on", "ended")


class RateScheduleFilters(StrictFilterSet):
    agreement = IdFilter(queryset=Agreement.objects.all(), noun="agreement",
                         help_text="Only this agreement's rate schedules (its id).")
    lot = IdFilter(queryset=Lot.objects.all(), noun="lot", help_text="Only rate schedules for this lot (its id).")
    effective_after = after("effective_from", "taking effect")
    effective_before = before("effective_from", "taking effect")
