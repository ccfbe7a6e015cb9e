"""What the list of applied history imports filters by, for the API and the page."""

from __future__ import annotations

from common.filters import ChoiceFilter, StrictFilterSet, after, before
from tenants.history.models import Kind


class HistoryImportFilters(StrictFilterSet):
    kind = ChoiceFilter(choices=Kind.choices, help_text="Only imports of this kind of record.")
    applied_after = after("applied_at", "applied")
    applied_before = before("applied_at", "applied")
