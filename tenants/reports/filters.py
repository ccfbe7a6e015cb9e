"""What the call-off outcomes list filters by (read by the report itself:
it gathers awards, no awards and withdrawals, not one queryset)."""

from __future__ import annotations

from common.filters import DateFilter, StrictFilterSet


class OutcomeFilters(StrictFilterSet):
    start = DateFilter(help_text="Outcomes recorded on or after this date (first of this month if left out).")
    end = DateFilter(help_text="Outcomes recorded on or before this date (today if left out).")

    def check_together(self, values: dict) -> dict[str, list[str]]:
        if values.get("start") and values.get("end") and values["start"] > values["end"]:
            return {"end": ["The end of the range must be on or after its start."]}
        return {}
