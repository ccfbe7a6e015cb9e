"""What the call-off outcomes list filters by (read by the report itself:
it gathers awards, no awards and withdrawals, not one queryset)."""

from __future__ import annotations

from django.db.models import Q

from common.filters import ChoiceFilter, DateFilter, StrictFilterSet
from tenants.reports.models import OutcomeExport


class OutcomeFilters(StrictFilterSet):
    start = DateFilter(help_text="Outcomes recorded on or after this date (first of this month if left out).")
    end = DateFilter(help_text="Outcomes recorded on or before this date (today if left out).")

    def check_together(self, values: dict) -> dict[str, list[str]]:
        if values.get("start") and values.get("end") and values["start"] > values["end"]:
            return {"end": ["The end of the range must be on or after its start."]}
        return {}


class OutcomeExportFilters(StrictFilterSet):
    state = ChoiceFilter(choices=OutcomeExport.State.choices, method="by_state",
                         help_text="Only exports in this state: sent, nobody (not sent: nobody to send to) or "
                                   "waiting.")

    def by_state(self, queryset, name, value):
        return queryset.filter({
            OutcomeExport.State.SENT: Q(sent_at__isnull=False),
            OutcomeExport.State.NOBODY: Q(sent_at__isnull=True, nobody_at__isnull=False),
            OutcomeExport.State.WAITING: Q(sent_at__isnull=True, nobody_at__isnull=True),
        }[value])
