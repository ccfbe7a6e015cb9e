"""What the lists of packages (sourcing requests) and the utilisation report filter by."""

from __future__ import annotations

from common.filters import (
    ChoiceFilter,
    CodeFilter,
    DateFilter,
    IdFilter,
    NumberIdFilter,
    StrictFilterSet,
    after,
    before,
)
from shared_catalogue.models import ClientGroup
from tenants.agreements.models import Agreement, Lot
from tenants.calloffs.models import Package


class PackageFilters(StrictFilterSet):
    status = ChoiceFilter(choices=Package.Status.choices, help_text="Only packages in this state.")
    agreement = IdFilter(queryset=Agreement.objects.all(), noun="agreement",
                         help_text="Only packages called off under this agreement (its id).")
    lot = IdFilter(queryset=Lot.objects.all(), noun="lot", help_text="Only packages in this lot (its id).")
    client_group = CodeFilter(queryset=ClientGroup.objects.all(),
                              help_text="Only packages for this client group (a catalogue code).")
    primary_need = ChoiceFilter(choices=Package.PrimaryNeed.choices, help_text="Only packages with this primary need.")
    created_after = after("created_at", "created")
    created_before = before("created_at", "created")
    published_after = after("published_at", "published")
    published_before = before("published_at", "published")
    starts_after = after("start_on", "starting")
    starts_before = before("start_on", "starting")


class UtilisationFilters(StrictFilterSet):
    """Read by the report itself (it counts several kinds of rows), not applied to one queryset."""

    start = DateFilter(help_text="Count from this date.")
    end = DateFilter(help_text="Count up to this date.")

    def check_together(self, values: dict) -> dict[str, list[str]]:
        if values.get("start") and values.get("end") and values["start"] > values["end"]:
            return {"end": ["The end of the range must be on or after its start."]}
        return {}


class InvitationFilters(StrictFilterSet):
    """Packages here a provider's organisations are invited to."""

    provider = NumberIdFilter(field_name="provider_id", help_text="Only this organisation's invitations (its id).")
    deadline_after = after("package__bid_deadline", "whose bids are due")
    deadline_before = before("package__bid_deadline", "whose bids are due")
