"""What the contract-monitoring lists filter by, for the API and the pages."""

from __future__ import annotations

from common.filters import (
    BooleanFilter,
    ChoiceFilter,
    CodeFilter,
    IdFilter,
    NumberIdFilter,
    StrictFilterSet,
    after,
    before,
)
from shared_catalogue.models import ServiceType
from tenants.agreements.models import Agreement
from tenants.quality.models import Action, Assessment, Feedback, FollowUp, Intelligence, KpiReturn

COLOURS = [("red", "Red"), ("amber", "Amber"), ("green", "Green")]


def _provider(what: str) -> NumberIdFilter:
    return NumberIdFilter(field_name="provider_id", help_text=f"Only {what} about this provider (its id).")


class KpiTableFilters(StrictFilterSet):
    """Read by the table itself; the lot is checked against the agreement in the URL."""

    lot = NumberIdFilter(help_text="One lot (with agreement-wide KPIs), by its id.")


class ReturnFilters(StrictFilterSet):
    """Read by the returns selector (missing returns are worked out, not stored)."""

    status = ChoiceFilter(choices=KpiReturn.Status.choices, help_text="Only returns in this state.")
    kpi = NumberIdFilter(help_text="Only returns for this KPI (its id).")
    provider = NumberIdFilter(help_text="Only this provider's returns (its id).")
    missing = BooleanFilter(help_text="Only returns past their due date and not in (true).")


class ProviderReturnFilters(StrictFilterSet):
    status = ChoiceFilter(choices=KpiReturn.Status.choices, help_text="Only returns in this state.")
    provider = _provider("returns")


class IntelligenceFilters(StrictFilterSet):
    provider = _provider("intelligence")
    kind = ChoiceFilter(choices=Intelligence.Kind.choices, help_text="Only intelligence of this kind.")
    occurred_after = after("occurred_on", "that happened")
    occurred_before = before("occurred_on", "that happened")


class SharedIntelligenceFilters(StrictFilterSet):
    """Read by the projection of what other authorities shared."""

    provider = NumberIdFilter(help_text="Only intelligence about this provider (its id).")


class AssessmentFilters(StrictFilterSet):
    provider = _provider("assessments")
    status = ChoiceFilter(choices=Assessment.Status.choices, help_text="Only assessments in this state.")
    visit_after = after("visit_on", "visited")
    visit_before = before("visit_on", "visited")


class ActionFilters(StrictFilterSet):
    provider = _provider("actions")
    agreement = IdFilter(queryset=Agreement.objects.all(), noun="agreement",
                         help_text="Only actions under this agreement (its id).")
    kind = ChoiceFilter(choices=Action.Kind.choices, help_text="Only actions of this kind.")
    status = ChoiceFilter(choices=Action.Status.choices, help_text="Only actions in this state.")
    starts_after = after("starts_on", "starting")
    starts_before = before("starts_on", "starting")


class ProviderActionFilters(StrictFilterSet):
    provider = _provider("actions")
    status = ChoiceFilter(choices=Action.Status.choices, help_text="Only actions in this state.")


class FeedbackFilters(StrictFilterSet):
    provider = _provider("feedback")
    status = ChoiceFilter(choices=Feedback.Status.choices, help_text="Only feedback in this state.")
    received_after = after("received_at", "received")
    received_before = before("received_at", "received")


class RiskFilters(StrictFilterSet):
    """Read by the early-warning dashboard (colours are worked out, not stored)."""

    lot = NumberIdFilter(help_text="Only providers admitted to this lot (its id).")
    service_type = CodeFilter(queryset=ServiceType.objects.all(), help_text="A service type code.")
    colour = ChoiceFilter(choices=COLOURS, help_text="Only providers of this colour.")


class RegionalRiskFilters(StrictFilterSet):
    """Read by the regional view (partners' colours, from the public projection)."""

    colour = ChoiceFilter(choices=COLOURS, help_text="Only providers whose worst colour is this.")
    provider = NumberIdFilter(help_text="Only this provider (its id).")


class ProviderAssessmentFilters(StrictFilterSet):
    provider = _provider("assessments")
    status = ChoiceFilter(choices=Assessment.Status.choices, help_text="Only assessments in this state.")


class FollowUpFilters(StrictFilterSet):
    """Actions from quality assessments."""

    status = ChoiceFilter(choices=FollowUp.Status.choices, help_text="Only actions in this state.")
    due_after = after("due_on", "due")
    due_before = before("due_on", "due")
