"""What the lists of applications and admissions filter by, for the API and the pages."""

from __future__ import annotations

from common.filters import (
    BooleanFilter,
    ChoiceFilter,
    IdFilter,
    NumberIdFilter,
    StrictFilterSet,
    after,
    before,
)
from tenants.admissions.models import Admission, Application
from tenants.agreements.models import Agreement, ApplicationRound, Lot


class ApplicationFilters(StrictFilterSet):
    status = ChoiceFilter(choices=Application.Status.choices, help_text="Only applications in this state.")
    agreement = IdFilter(queryset=Agreement.objects.all(), noun="agreement",
                         help_text="Only applications to this agreement (its id).")
    lot = IdFilter(field_name="lots__lot", queryset=Lot.objects.all(), noun="lot",
                   help_text="Only applications for this lot (its id).")
    round = IdFilter(queryset=ApplicationRound.objects.all(), noun="application round",
                     help_text="Only applications made in this application round (its id).")
    provider = NumberIdFilter(field_name="provider_id", help_text="Only this provider's applications (its id).")
    submitted_after = after("submitted_at", "submitted")
    submitted_before = before("submitted_at", "submitted")
    decided_after = after("decided_at", "decided")
    decided_before = before("decided_at", "decided")


class AdmissionFilters(StrictFilterSet):
    status = ChoiceFilter(choices=Admission.Status.choices, help_text="Only admissions in this state.")
    agreement = IdFilter(queryset=Agreement.objects.all(), noun="agreement",
                         help_text="Only admissions to this agreement (its id).")
    lot = IdFilter(queryset=Lot.objects.all(), noun="lot", help_text="Only admissions to this lot (its id).")
    round = IdFilter(field_name="application__round", queryset=ApplicationRound.objects.all(),
                     noun="application round", help_text="Only admissions from this application round (its id).")
    provider = NumberIdFilter(field_name="provider_id", help_text="Only this provider's admissions (its id).")
    new_to_authority = BooleanFilter(help_text="Only providers new to this authority when admitted (true), "
                                               "or only those it already knew (false).")
    admitted_after = after("admitted_at", "admitted")
    admitted_before = before("admitted_at", "admitted")


class ProviderApplicationFilters(StrictFilterSet):
    """A provider's own applications here."""

    status = ChoiceFilter(choices=Application.Status.choices, help_text="Only applications in this state.")
    # an id, not checked against the agreements here: a provider may not learn which drafts exist
    agreement = NumberIdFilter(field_name="agreement_id", help_text="Only applications to this agreement (its id).")
    provider = NumberIdFilter(field_name="provider_id", help_text="Only this organisation's applications (its id).")
