"""What the list of agreements filters by, for the API and the pages."""

from __future__ import annotations

from common.filters import ChoiceFilter, StrictFilterSet, after, before
from tenants.agreements.models import Agreement


class AgreementFilters(StrictFilterSet):
    status = ChoiceFilter(choices=Agreement.Status.choices, help_text="Only agreements in this state.")
    kind = ChoiceFilter(choices=Agreement.Kind.choices, help_text="Only agreements of this kind.")
    starts_after = after("starts_on", "starting")
    starts_before = before("starts_on", "starting")
    ends_after = after("ends_on", "ending")
    ends_before = before("ends_on", "ending")
