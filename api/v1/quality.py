"""KPIs and performance returns through the API: /a/<slug>/api/v1/...

Staff: an agreement's KPIs (commissioners add them), its KPI table (each
KPI's latest figure across the lot, RAG against target, trend and each
provider's figure), the returns (filter by status, KPI, provider or only
the missing ones), and validating or querying a return (quality officers
and commissioners). Providers: their returns here, and submitting one. The
services decide; refusals are problem details (400, 403, 404, 409)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilteredList
from api.strict import StrictSerializer
from api.v1.refs import LotRefOut, NamedOut, ReferenceOut
from common.errors import require
from shared_catalogue.models import Provider
from tenants.agreements import selectors as agreement_selectors
from tenants.agreements.models import Lot
from tenants.quality import assessments as assessment_services
from tenants.quality import oversight, policy, risk, selectors, services
from tenants.quality.filters import (
    ActionFilters,
    AssessmentFilters,
    FeedbackFilters,
    FollowUpFilters,
    IntelligenceFilters,
    KpiTableFilters,
    ProviderActionFilters,
    ProviderAssessmentFilters,
    ProviderReturnFilters,
    RegionalRiskFilters,
    ReturnFilters,
    RiskFilters,
    SharedIntelligenceFilters,
)
from tenants.quality.models import (
    DOMAINS,
    RATINGS,
    SEVERITIES,
    Action,
    ActionReview,
    Assessment,
    Feedback,
    FeedbackLink,
    FollowUp,
    Intelligence,
    Kpi,
    KpiReturn,
    RiskRules,
)
from tenants.quality.periods import period_label
from tenants.quality.standards import BY_KEY, STANDARD_CHOICES, STANDARDS

READ_REFUSED = "Only staff read KPIs and returns."
REVIEW_REFUSED = "Only quality officers and commissioners review returns."

# --- Output -------------------------------------------------------------------------

RAG = [("green", "On target"), ("amber", "Close to target"), ("red", "Below target")]


class KpiOut(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = ReferenceOut()
    lot = LotRefOut(allow_null=True)
    code = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    measure = serializers.ChoiceField(choices=Kpi.Measure.choices)
    numerator_label = serializers.CharField()
    denominator_label = serializers.CharField()
    target = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    higher_is_better = serializers.BooleanField()
    amber_within = serializers.DecimalField(max_digits=12, decimal_places=2)
    period = serializers.ChoiceField(choices=Kpi.Period.choices)
    covers = serializers.ChoiceField(choices=Kpi.Covers.choices)
    due_days = serializers.IntegerField()
    starts_on = serializers.DateField()
    active = serializers.BooleanField()


class PartOut(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)


class FigureOut(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    label = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    breakdown = PartOut(many=True)
    returns = serializers.IntegerField(help_text="Returns submitted or validated for the period.")
    expected = serializers.IntegerField(help_text="Returns owed for the period.")
    validated = serializers.IntegerField()
    rag = serializers.ChoiceField(choices=RAG, allow_null=True)
    rag_words = serializers.CharField()


class TrendOut(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[("up", "Up"), ("down", "Down"), ("same", "No change"),
                                                 ("", "No earlier period")])
    change = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    words = serializers.CharField()


class ProviderFigureOut(serializers.Serializer):
    provider = NamedOut()
    figure = FigureOut()
    status = serializers.ChoiceField(choices=KpiReturn.Status.choices, source="kpi_return.status")
    return_id = serializers.IntegerField(source="kpi_return.pk")


class KpiRowOut(serializers.Serializer):
    kpi = KpiOut()
    latest = FigureOut(allow_null=True)
    history = FigureOut(many=True)
    trend = TrendOut()
    providers = ProviderFigureOut(many=True)


class ReturnOut(serializers.Serializer):
    id = serializers.IntegerField()
    kpi = KpiOut()
    provider = NamedOut()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    period = serializers.SerializerMethodField()
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=KpiReturn.Status.choices)
    missing = serializers.SerializerMethodField(help_text="Past its due date and not in (or a query unanswered).")
    late = serializers.BooleanField(source="was_late", help_text="Submitted after its due date.")
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    breakdown = PartOut(many=True)
    statement = serializers.CharField()
    comment = serializers.CharField()
    evidence = serializers.IntegerField(source="evidence_id", allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    query = serializers.CharField()
    chased_at = serializers.DateTimeField(allow_null=True)
    chase_count = serializers.IntegerField()

    def get_period(self, row) -> str:
        return period_label(row.kpi.period, row.period_start, row.period_end)

    def get_missing(self, row) -> bool:
        from django.utils import timezone

        return row.is_missing(timezone.localdate())


# --- Input --------------------------------------------------------------------------


class KpiIn(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    lot = serializers.IntegerField(required=False, allow_null=True, default=None,
                                   help_text="One lot of the agreement; leave it out for the whole agreement.")
    measure = serializers.ChoiceField(choices=Kpi.Measure.choices, default=Kpi.Measure.PERCENTAGE)
    numerator_label = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    denominator_label = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    target = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, default=None)
    higher_is_better = serializers.BooleanField(default=True)
    amber_within = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default="10")
    period = serializers.ChoiceField(choices=Kpi.Period.choices, default=Kpi.Period.QUARTERLY)
    covers = serializers.ChoiceField(choices=Kpi.Covers.choices, default=Kpi.Covers.PLACEMENTS)
    due_days = serializers.IntegerField(min_value=1, max_value=120, default=28)
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)


class PartIn(serializers.Serializer):
    label = serializers.CharField(max_length=120)
    count = serializers.IntegerField(min_value=0, max_value=2_000_000_000)


class ReturnIn(serializers.Serializer):
    numerator = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                         max_value=2_000_000_000, help_text="For a percentage: how many.")
    denominator = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0,
                                           max_value=2_000_000_000, help_text="For a percentage: out of how many.")
    value = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, default=None,
                                     help_text="A count, or a percentage (0 to 100) where only the rate is known.")
    answer = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="For a yes/no KPI.")
    statement = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    breakdown = PartIn(many=True, required=False, default=list, max_length=10)


class QueryIn(serializers.Serializer):
    query = serializers.CharField(max_length=5000)




# --- Staff --------------------------------------------------------------------------


class QualityAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def require_reader(self) -> None:
        require(policy.can_view_kpis(self.access), READ_REFUSED)

    def agreement(self, agreement_id):
        self.require_reader()
        found = agreement_selectors.agreement_for_staff(agreement_id)
        if found is None:
            raise Http404("No such agreement here.")
        return found

    def kpi_return(self, return_id) -> KpiReturn:
        self.require_reader()
        found = selectors.return_for_staff(return_id)
        if found is None:
            raise Http404("No such return here.")
        return found


class KpiListView(FilteredList, QualityAPI, APIView):
    @extend_schema(responses=KpiOut(many=True), summary="An agreement's KPIs")
    def get(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        self.list_filters()
        kpis = Kpi.objects.filter(agreement=agreement).select_related("agreement", "lot")
        return Response(KpiOut(kpis, many=True).data)

    @extend_schema(request=KpiIn, responses={201: KpiOut}, summary="Add a KPI to the agreement (commissioners)")
    def post(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        data = KpiIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        lot_id = fields.pop("lot")
        lot = None
        if lot_id is not None:
            lot = Lot.objects.filter(pk=lot_id, agreement=agreement).first()
            if lot is None:
                raise serializers.ValidationError({"lot": ["This agreement has no such lot."]})
        kpi = services.kpi_create(actor=request.user, agreement=agreement, lot=lot, **fields)
        return Response(KpiOut(kpi).data, status=201)


class KpiTableView(FilteredList, QualityAPI, APIView):
    filterset_class = KpiTableFilters

    @extend_schema(responses=KpiRowOut(many=True),
                   summary="The KPI table: each KPI's latest figure, RAG, trend and each provider's figure")
    def get(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        lot_id = self.list_filters().get("lot")
        lot = None
        if lot_id:
            lot = Lot.objects.filter(pk=lot_id, agreement=agreement).first()
            if lot is None:
                raise serializers.ValidationError({"lot": ["This agreement has no such lot."]})
        return Response(KpiRowOut(selectors.kpi_table(agreement, lot=lot), many=True).data)


class ReturnListView(FilteredList, QualityAPI, GenericAPIView):
    serializer_class = ReturnOut
    filterset_class = ReturnFilters

    @extend_schema(responses=ReturnOut(many=True),
                   summary="Performance returns, soonest due first")
    def get(self, request):
        self.require_reader()
        chosen = self.list_filters()
        rows = selectors.returns_for_staff(status=chosen.get("status", ""), kpi_id=chosen.get("kpi"),
                                           provider_id=chosen.get("provider"), missing=chosen.get("missing", False))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReturnOut(page, many=True).data)


class ReturnDetailView(QualityAPI, APIView):
    @extend_schema(responses=ReturnOut, summary="One performance return")
    def get(self, request, return_id):
        return Response(ReturnOut(self.kpi_return(return_id)).data)


class ReturnValidateView(QualityAPI, APIView):
    @extend_schema(request=None, responses=ReturnOut, summary="Validate a submitted return")
    def post(self, request, return_id):
        kpi_return = self.kpi_return(return_id)
        require(policy.can_review_returns(self.access), REVIEW_REFUSED)
        services.return_validate(actor=request.user, kpi_return=kpi_return)
        return Response(ReturnOut(selectors.return_for_staff(return_id)).data)


class ReturnQueryView(QualityAPI, APIView):
    @extend_schema(request=QueryIn, responses=ReturnOut,
                   summary="Query a submitted return: the provider is asked to correct or explain it")
    def post(self, request, return_id):
        kpi_return = self.kpi_return(return_id)
        require(policy.can_review_returns(self.access), REVIEW_REFUSED)
        data = QueryIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_query(actor=request.user, kpi_return=kpi_return, query=data.validated_data["query"])
        return Response(ReturnOut(selectors.return_for_staff(return_id)).data)


# --- Providers ----------------------------------------------------------------------


class ProviderReturnsAPI(TenantAPIMixin):
    audience = Audience.PROVIDER

    def kpi_return(self, return_id) -> KpiReturn:
        found = selectors.returns_for_provider(self.access.provider_ids).filter(pk=return_id).first()
        if found is None:
            raise Http404("Your organisations have no such return here.")
        return found


class ProviderReturnListView(ProviderReturnsAPI, GenericAPIView):
    serializer_class = ReturnOut
    filterset_class = ProviderReturnFilters

    @extend_schema(responses=ReturnOut(many=True), summary="Your organisations' performance returns here")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(selectors.returns_for_provider(self.access.provider_ids)))
        return self.get_paginated_response(ReturnOut(page, many=True).data)


class ProviderReturnDetailView(ProviderReturnsAPI, APIView):
    @extend_schema(responses=ReturnOut, summary="One of your performance returns")
    def get(self, request, return_id):
        return Response(ReturnOut(self.kpi_return(return_id)).data)


class ProviderReturnSubmitView(ProviderReturnsAPI, APIView):
    @extend_schema(request=ReturnIn, responses=ReturnOut,
                   summary="Submit (or, once queried, resubmit) a performance return")
    def post(self, request, return_id):
        kpi_return = self.kpi_return(return_id)
        data = ReturnIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.return_submit(actor=request.user, kpi_return=kpi_return, **data.validated_data)
        return Response(ReturnOut(self.kpi_return(return_id)).data)


# --- Intelligence, assessments, actions, the early warning ----------------------------

QUALITY_REFUSED = "Only quality officers and commissioners read intelligence, assessments and actions."
COLOURS = [("red", "Red"), ("amber", "Amber"), ("green", "Green")]


def _provider(provider_id) -> Provider:
    found = Provider.objects.filter(pk=provider_id).first()
    if found is None:
        raise serializers.ValidationError({"provider": ["No such provider."]})
    return found


class IntelligenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    provider = NamedOut()
    service = serializers.CharField()
    kind = serializers.ChoiceField(choices=Intelligence.Kind.choices)
    occurred_on = serializers.DateField()
    source = serializers.CharField()
    severity = serializers.ChoiceField(choices=SEVERITIES)
    summary = serializers.CharField()
    restricted_notes = serializers.CharField()
    share = serializers.ChoiceField(choices=Intelligence.Share.choices)
    closed_on = serializers.DateField(allow_null=True)
    recorded_at = serializers.DateTimeField()


class IntelligenceIn(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Intelligence.Kind.choices)
    occurred_on = serializers.DateField()
    source = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=SEVERITIES, default="medium")
    summary = serializers.CharField(max_length=5000, help_text="Never anything that identifies a person.")
    service = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    restricted_notes = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="",
                                             help_text="Kept with this authority's quality staff; never shared.")
    share = serializers.ChoiceField(choices=Intelligence.Share.choices, default=Intelligence.Share.PARTNERS)




class AssessmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    provider = NamedOut()
    service = serializers.CharField()
    visit_on = serializers.DateField()
    status = serializers.ChoiceField(choices=Assessment.Status.choices)
    domain_ratings = serializers.DictField(child=serializers.ChoiceField(choices=RATINGS))
    rating = serializers.CharField()
    findings = serializers.CharField()
    response_days = serializers.IntegerField()
    respond_by = serializers.DateField(allow_null=True)
    provider_response = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)
    finalised_at = serializers.DateTimeField(allow_null=True)
    self_assessment_due = serializers.DateField(allow_null=True,
                                                help_text="The date by which the provider submits its self-assessment.")
    self_assessment_submitted_at = serializers.DateTimeField(allow_null=True)


class AssessmentIn(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    service = serializers.CharField(max_length=200)
    visit_on = serializers.DateField()
    response_days = serializers.IntegerField(min_value=1, max_value=60, default=14)
    self_assessment_due = serializers.DateField(required=False, allow_null=True, default=None,
                                                help_text="By default a week before the visit (never before today).")


class DomainRatingsIn(serializers.Serializer):
    involvement = serializers.ChoiceField(choices=RATINGS)
    personalised = serializers.ChoiceField(choices=RATINGS)
    safeguarding = serializers.ChoiceField(choices=RATINGS)
    staffing = serializers.ChoiceField(choices=RATINGS)
    management = serializers.ChoiceField(choices=RATINGS)


class DraftIn(serializers.Serializer):
    domain_ratings = DomainRatingsIn(help_text=", ".join(label for _, label in DOMAINS))
    rating = serializers.ChoiceField(choices=RATINGS)
    findings = serializers.CharField(max_length=20000)


class ResponseIn(serializers.Serializer):
    response = serializers.CharField(max_length=10000)


class ActionReviewOut(serializers.Serializer):
    id = serializers.IntegerField()
    reviewed_on = serializers.DateField()
    outcome = serializers.ChoiceField(choices=ActionReview.Outcome.choices)
    notes = serializers.CharField(help_text="What the review found, as the provider reads it.")
    next_review_on = serializers.DateField(allow_null=True, help_text="Set when the action continues.")


class ActionOut(serializers.Serializer):
    id = serializers.IntegerField()
    provider = NamedOut()
    agreement = ReferenceOut(allow_null=True)
    kind = serializers.ChoiceField(choices=Action.Kind.choices)
    placement = serializers.IntegerField(source="placement_id", allow_null=True,
                                         help_text="The placement a termination of a placement ends.")
    grounds = serializers.CharField()
    starts_on = serializers.DateField()
    respond_by = serializers.DateField()
    review_on = serializers.DateField(allow_null=True)
    provider_response = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=Action.Status.choices)
    lifted_on = serializers.DateField(allow_null=True)
    lift_reason = serializers.CharField()
    reviews = ActionReviewOut(many=True, help_text="Every review of the action, oldest first.")


ACTION_ROWS = ("provider", "agreement")


def _action_out(action_id: int) -> dict:
    return ActionOut(Action.objects.select_related(*ACTION_ROWS).prefetch_related("reviews").get(pk=action_id)).data


class ActionIn(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Action.Kind.choices)
    grounds = serializers.CharField(max_length=10000)
    agreement = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                         help_text="One agreement; leave it out for every agreement here.")
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    respond_days = serializers.IntegerField(min_value=1, max_value=60, default=14)
    review_on = serializers.DateField(required=False, allow_null=True, default=None)


class TerminationIn(StrictSerializer):
    grounds = serializers.CharField(max_length=10000, help_text="The provider reads them: never anything that "
                                    "identifies a person, the person's own names included.")
    ends_on = serializers.DateField(help_text="The placement's last day (the end of the notice): today or later.")
    respond_days = serializers.IntegerField(min_value=1, max_value=60, default=14,
                                            help_text="Days the provider has to respond.")
    review_on = serializers.DateField(required=False, allow_null=True, default=None)


class PlacementEndedOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    ended_on = serializers.DateField()
    end_reason = serializers.CharField()


class TerminationOut(serializers.Serializer):
    action = ActionOut()
    placement = PlacementEndedOut()
    replacement = ReferenceOut(source="placement.replacement",
                               help_text="The draft package re-sourcing the person's care, for a broker to review "
                                         "and publish; the terminated provider is not invited while the "
                                         "termination stands.")


class LiftIn(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ActionReviewIn(StrictSerializer):
    outcome = serializers.ChoiceField(choices=ActionReview.Outcome.choices,
                                      help_text="continue: it stays in force until the next review; lift: it is "
                                                "lifted, with the notes as the reason.")
    notes = serializers.CharField(max_length=10000, help_text="What the review found. The provider reads them: "
                                  "never anything that identifies a person.")
    next_review_on = serializers.DateField(required=False, allow_null=True, default=None,
                                           help_text="After today; needed when the action continues, left out "
                                                     "when it is lifted.")


class RiskOut(serializers.Serializer):
    provider = NamedOut()
    colour = serializers.ChoiceField(choices=COLOURS, source="risk.colour")
    reasons = serializers.ListField(child=serializers.CharField(), source="risk.reasons")
    lots = LotRefOut(many=True)
    changed_at = serializers.DateTimeField(allow_null=True, help_text="When the colour last changed, if known.")
    previous = serializers.CharField(help_text="The colour before, if it changed.")
    trend = serializers.CharField()
    rating = serializers.CharField(help_text="The latest final quality rating here.")




class PartnerColourOut(serializers.Serializer):
    authority = serializers.CharField(help_text="The authority whose colour this is.")
    colour = serializers.ChoiceField(choices=COLOURS)
    previous = serializers.CharField(help_text="The colour before the last change; empty if it never changed.")
    trend = serializers.CharField()
    changed_at = serializers.DateTimeField(allow_null=True, help_text="When the colour last changed.")
    headlines = serializers.ListField(child=serializers.CharField(),
                                      help_text="The kinds of reason for the colour, never their details.")


class RegionalRiskOut(serializers.Serializer):
    provider = NamedOut()
    worst = serializers.ChoiceField(choices=COLOURS, help_text="The worst colour here or at any partner.")
    here = PartnerColourOut(allow_null=True, help_text="This authority's last recorded colour, if any.")
    partners = PartnerColourOut(many=True, help_text="Each partner in the region that uses the provider too.")


class RiskRulesOut(serializers.Serializer):
    version = serializers.IntegerField()
    rules = serializers.DictField()
    reason = serializers.CharField()


class RiskRulesIn(serializers.Serializer):
    rules = serializers.DictField(help_text="The rules to change; others keep their current values.")
    reason = serializers.CharField(max_length=2000)


class QualityStaffAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def require_quality(self) -> None:
        require(self.access.has_role(*oversight.QUALITY_ROLES), QUALITY_REFUSED)


class IntelligenceListView(QualityStaffAPI, GenericAPIView):
    serializer_class = IntelligenceOut
    filterset_class = IntelligenceFilters

    @extend_schema(responses=IntelligenceOut(many=True),
                   summary="Intelligence recorded here, newest first")
    def get(self, request):
        self.require_quality()
        rows = self.filter_queryset(Intelligence.objects.select_related("provider"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(IntelligenceOut(page, many=True).data)

    @extend_schema(request=IntelligenceIn, responses={201: IntelligenceOut}, summary="Record intelligence")
    def post(self, request):
        self.require_quality()
        data = IntelligenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        record = oversight.intelligence_record(actor=request.user, provider=_provider(fields.pop("provider")),
                                               **fields)
        return Response(IntelligenceOut(record).data, status=201)


class SharedIntelligenceOut(serializers.Serializer):
    authority = serializers.CharField(source="authority.name", help_text="The authority that shared it.")
    provider = NamedOut()
    kind = serializers.ChoiceField(choices=Intelligence.Kind.choices)
    kind_label = serializers.CharField()
    service = serializers.CharField()
    occurred_on = serializers.DateField()
    severity = serializers.ChoiceField(choices=SEVERITIES)
    summary = serializers.CharField()
    closed_on = serializers.DateField(allow_null=True)




class SharedIntelligenceListView(FilteredList, QualityStaffAPI, GenericAPIView):
    serializer_class = SharedIntelligenceOut
    filterset_class = SharedIntelligenceFilters

    @extend_schema(responses=SharedIntelligenceOut(many=True),
                   summary="Intelligence other authorities shared about providers admitted here")
    def get(self, request):
        self.require_quality()
        chosen = self.list_filters()
        rows = oversight.shared_with_here([chosen["provider"]] if chosen.get("provider") else None)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SharedIntelligenceOut(page, many=True).data)


class AssessmentListView(QualityStaffAPI, GenericAPIView):
    serializer_class = AssessmentOut
    filterset_class = AssessmentFilters

    @extend_schema(responses=AssessmentOut(many=True), summary="Quality assessments here")
    def get(self, request):
        self.require_quality()
        page = self.paginate_queryset(self.filter_queryset(Assessment.objects.select_related("provider")))
        return self.get_paginated_response(AssessmentOut(page, many=True).data)

    @extend_schema(request=AssessmentIn, responses={201: AssessmentOut}, summary="Schedule a quality assessment")
    def post(self, request):
        self.require_quality()
        data = AssessmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        made = oversight.assessment_schedule(actor=request.user, provider=_provider(fields.pop("provider")), **fields)
        return Response(AssessmentOut(made).data, status=201)


class AssessmentAPI(QualityStaffAPI):
    def assessment(self, assessment_id) -> Assessment:
        self.require_quality()
        found = Assessment.objects.select_related("provider").filter(pk=assessment_id).first()
        if found is None:
            raise Http404("No such assessment here.")
        return found


class AssessmentDetailView(AssessmentAPI, APIView):
    @extend_schema(responses=AssessmentOut, summary="One quality assessment")
    def get(self, request, assessment_id):
        return Response(AssessmentOut(self.assessment(assessment_id)).data)


class AssessmentDraftView(AssessmentAPI, APIView):
    @extend_schema(request=DraftIn, responses=AssessmentOut,
                   summary="Rate the domains and the whole, and send the draft report to the provider")
    def post(self, request, assessment_id):
        assessment = self.assessment(assessment_id)
        data = DraftIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = oversight.assessment_send_draft(actor=request.user, assessment=assessment, **data.validated_data)
        return Response(AssessmentOut(made).data)


class AssessmentFinaliseView(AssessmentAPI, APIView):
    @extend_schema(request=None, responses=AssessmentOut,
                   summary="Finalise the rating (after the provider responds or its window ends)")
    def post(self, request, assessment_id):
        made = oversight.assessment_finalise(actor=request.user, assessment=self.assessment(assessment_id))
        return Response(AssessmentOut(made).data)


class ActionListView(QualityStaffAPI, GenericAPIView):
    serializer_class = ActionOut
    filterset_class = ActionFilters

    @extend_schema(responses=ActionOut(many=True), summary="Contract actions here, newest first")
    def get(self, request):
        self.require_quality()
        page = self.paginate_queryset(self.filter_queryset(
            Action.objects.select_related(*ACTION_ROWS).prefetch_related("reviews")))
        return self.get_paginated_response(ActionOut(page, many=True).data)

    @extend_schema(request=ActionIn, responses={201: ActionOut},
                   summary="Take a contract action (an embargo or suspension stops new invitations)")
    def post(self, request):
        self.require_quality()
        data = ActionIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agreement_id = fields.pop("agreement")
        agreement = None
        if agreement_id is not None:
            agreement = agreement_selectors.agreement_for_staff(agreement_id)
            if agreement is None:
                raise serializers.ValidationError({"agreement": ["No such agreement here."]})
        made = oversight.action_take(actor=request.user, provider=_provider(fields.pop("provider")),
                                     agreement=agreement, **fields)
        return Response(ActionOut(made).data, status=201)


class ActionDetailView(QualityStaffAPI, APIView):
    @extend_schema(responses=ActionOut, summary="A contract action, with every review")
    def get(self, request, action_id):
        self.require_quality()
        if not Action.objects.filter(pk=action_id).exists():
            raise Http404("No such action here.")
        return Response(_action_out(action_id))


class ActionReviewView(QualityStaffAPI, APIView):
    @extend_schema(request=ActionReviewIn, responses={201: ActionOut},
                   summary="Record a review of an action in force: it continues until the next review, or is "
                           "lifted (409 once lifted); the provider is e-mailed the outcome")
    def post(self, request, action_id):
        self.require_quality()
        action = Action.objects.filter(pk=action_id).first()
        if action is None:
            raise Http404("No such action here.")
        data = ActionReviewIn(data=request.data)
        data.is_valid(raise_exception=True)
        oversight.action_review(actor=request.user, action=action, **data.validated_data)
        return Response(_action_out(action.pk), status=201)


class ActionLiftView(QualityStaffAPI, APIView):
    @extend_schema(request=LiftIn, responses=ActionOut, summary="Lift a contract action, with the reason")
    def post(self, request, action_id):
        self.require_quality()
        action = Action.objects.filter(pk=action_id).first()
        if action is None:
            raise Http404("No such action here.")
        data = LiftIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = oversight.action_lift(actor=request.user, action=action, reason=data.validated_data["reason"])
        return Response(_action_out(made.pk))


class PlacementTerminateView(QualityStaffAPI, APIView):
    @extend_schema(request=TerminationIn, responses={201: TerminationOut},
                   summary="Terminate one placement as a contract action, which starts re-sourcing the package")
    def post(self, request, placement_id):
        from tenants.placements.models import Placement

        self.require_quality()
        placement = Placement.objects.filter(pk=placement_id).first()
        if placement is None:
            raise Http404("No placement with that id here.")
        data = TerminationIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = oversight.placement_terminate(actor=request.user, placement=placement, **data.validated_data)
        made = Action.objects.select_related("provider", "agreement", "placement__replacement").get(pk=made.pk)
        return Response(TerminationOut({"action": made, "placement": made.placement}).data, status=201)


class RiskDashboardView(FilteredList, QualityStaffAPI, GenericAPIView):
    serializer_class = RiskOut
    filterset_class = RiskFilters

    @extend_schema(responses=RiskOut(many=True),
                   summary="The early warning: every provider here, riskiest first, with its reasons")
    def get(self, request):
        require(policy.can_view_kpis(self.access), READ_REFUSED)
        chosen = self.list_filters()
        service_type = chosen.get("service_type")
        code = service_type.code if service_type else ""
        _offered({name: value for name, value in (("lot", chosen.get("lot")), ("service_type", code)) if value})
        rows = risk.dashboard(lot_id=chosen.get("lot"), service_type=code,
                              colour=chosen.get("colour", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RiskOut(page, many=True).data)


def _offered(chosen: dict) -> None:
    """A lot or service type nobody here offers is a 400 naming what is
    offered, never an empty list that looks filtered (one query)."""
    if not ("lot" in chosen or "service_type" in chosen):
        return
    lots = list(Lot.objects.select_related("service_type").order_by("pk"))
    errors = {}
    if "lot" in chosen and chosen["lot"] not in {lot.pk for lot in lots}:
        errors["lot"] = [f"There is no lot {chosen['lot']} here. The lots here are: "
                         f"{', '.join(str(lot.pk) for lot in lots) or 'none yet'}."]
    codes = [code for code, _ in risk.service_types_of(lots)]
    if "service_type" in chosen and chosen["service_type"] not in codes:
        errors["service_type"] = [f"“{chosen['service_type']}” is not the service type of any lot here. The "
                                  f"service types here are: {', '.join(codes) or 'none yet'}."]
    if errors:
        raise serializers.ValidationError(errors)


class RegionalRiskView(FilteredList, QualityStaffAPI, GenericAPIView):
    serializer_class = RegionalRiskOut
    filterset_class = RegionalRiskFilters

    @extend_schema(responses=RegionalRiskOut(many=True),
                   summary="Provider risk across the region: the colours partner authorities give the providers "
                           "used here that they use too, worst first")
    def get(self, request):
        from tenants.quality import regional

        self.require_quality()
        chosen = self.list_filters()
        page = self.paginate_queryset(regional.regional_view(
            colour=chosen.get("colour", ""), provider_ids=[chosen["provider"]] if chosen.get("provider") else None))
        return self.get_paginated_response(RegionalRiskOut(page, many=True).data)


class RiskRulesView(QualityStaffAPI, APIView):
    @extend_schema(responses=RiskRulesOut, summary="The rules for the early-warning colours now in force")
    def get(self, request):
        require(policy.can_view_kpis(self.access), READ_REFUSED)
        version, rules = risk.current_rules()
        latest = RiskRules.objects.filter(version=version).first()
        return Response(RiskRulesOut({"version": version, "rules": rules,
                                      "reason": latest.reason if latest else "The defaults"}).data)

    @extend_schema(request=RiskRulesIn, responses={201: RiskRulesOut},
                   summary="Change the rules (a new version; commissioners)")
    def post(self, request):
        require(policy.can_define_kpis(self.access), "Only commissioners change the early-warning rules.")
        data = RiskRulesIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = risk.rules_change(actor=request.user, **data.validated_data)
        return Response(RiskRulesOut(made).data, status=201)


# --- Providers: assessments and actions about them ---------------------------------------

class ProviderQualityAPI(TenantAPIMixin):
    audience = Audience.PROVIDER


class ProviderAssessmentListView(ProviderQualityAPI, GenericAPIView):
    serializer_class = AssessmentOut
    filterset_class = ProviderAssessmentFilters

    @extend_schema(responses=AssessmentOut(many=True),
                   summary="Quality assessments of your organisations here: scheduled ones (to self-assess), "
                           "then the draft report once sent")
    def get(self, request):
        rows = Assessment.objects.filter(provider_id__in=self.access.provider_ids).select_related("provider")
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(AssessmentOut(page, many=True).data)


class ProviderAssessmentRespondView(ProviderQualityAPI, APIView):
    @extend_schema(request=ResponseIn, responses=AssessmentOut,
                   summary="Comment on a draft report's factual accuracy, within the window")
    def post(self, request, assessment_id):
        found = (Assessment.objects.filter(provider_id__in=self.access.provider_ids, pk=assessment_id)
                 .exclude(status=Assessment.Status.SCHEDULED).select_related("provider").first())
        if found is None:
            raise Http404("Your organisations have no such assessment here.")
        data = ResponseIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = oversight.assessment_respond(actor=request.user, assessment=found,
                                            response=data.validated_data["response"])
        return Response(AssessmentOut(made).data)


class ProviderActionListView(ProviderQualityAPI, GenericAPIView):
    serializer_class = ActionOut
    filterset_class = ProviderActionFilters

    @extend_schema(responses=ActionOut(many=True), summary="Contract actions about your organisations here")
    def get(self, request):
        rows = (Action.objects.filter(provider_id__in=self.access.provider_ids).select_related(*ACTION_ROWS)
                .prefetch_related("reviews"))
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(ActionOut(page, many=True).data)


class ProviderActionRespondView(ProviderQualityAPI, APIView):
    @extend_schema(request=ResponseIn, responses=ActionOut, summary="Respond to a contract action")
    def post(self, request, action_id):
        found = Action.objects.filter(provider_id__in=self.access.provider_ids, pk=action_id).first()
        if found is None:
            raise Http404("Your organisations have no such action here.")
        data = ResponseIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = oversight.action_respond(actor=request.user, action=found, response=data.validated_data["response"])
        return Response(_action_out(made.pk))




# --- Feedback ------------------------------------------------------------------------------

class FeedbackOut(serializers.Serializer):
    id = serializers.IntegerField()
    provider = NamedOut()
    relation = serializers.ChoiceField(choices=Feedback.Relation.choices)
    experience = serializers.ChoiceField(choices=[("good", "Good"), ("mixed", "Mixed"), ("poor", "Poor")])
    comments = serializers.CharField()
    contact = serializers.CharField()
    status = serializers.ChoiceField(choices=Feedback.Status.choices)
    intelligence = serializers.IntegerField(source="intelligence_id", allow_null=True)
    received_at = serializers.DateTimeField()


class FeedbackIn(serializers.Serializer):
    relation = serializers.ChoiceField(choices=Feedback.Relation.choices)
    experience = serializers.ChoiceField(choices=[("good", "Good"), ("mixed", "Mixed"), ("poor", "Poor")])
    comments = serializers.CharField(max_length=5000)
    contact = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FeedbackReceivedOut(serializers.Serializer):
    received = serializers.BooleanField()
    message = serializers.CharField()


class FeedbackModerateIn(serializers.Serializer):
    accept = serializers.BooleanField()
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                    help_text="Needed to accept; never anything that identifies a person.")
    severity = serializers.ChoiceField(choices=SEVERITIES, default="low")


class FeedbackLinkIn(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    label = serializers.CharField(max_length=120)


class FeedbackLinkOut(serializers.Serializer):
    id = serializers.IntegerField()
    provider = NamedOut()
    label = serializers.CharField()
    token = serializers.CharField(help_text="The form is at /a/<slug>/feedback/<token>/.")
    active = serializers.BooleanField()


class FeedbackListView(QualityStaffAPI, GenericAPIView):
    serializer_class = FeedbackOut
    filterset_class = FeedbackFilters

    @extend_schema(responses=FeedbackOut(many=True), summary="Feedback received here, newest first")
    def get(self, request):
        self.require_quality()
        page = self.paginate_queryset(self.filter_queryset(Feedback.objects.select_related("provider")))
        return self.get_paginated_response(FeedbackOut(page, many=True).data)


class FeedbackModerateView(QualityStaffAPI, APIView):
    @extend_schema(request=FeedbackModerateIn, responses=FeedbackOut,
                   summary="Accept feedback as intelligence (with a summary) or set it aside")
    def post(self, request, feedback_id):
        self.require_quality()
        found = Feedback.objects.filter(pk=feedback_id).first()
        if found is None:
            raise Http404("No such feedback here.")
        data = FeedbackModerateIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = oversight.feedback_moderate(actor=request.user, feedback=found, **data.validated_data)
        return Response(FeedbackOut(Feedback.objects.select_related("provider").get(pk=made.pk)).data)


class FeedbackLinkListView(QualityStaffAPI, APIView):
    @extend_schema(request=FeedbackLinkIn, responses={201: FeedbackLinkOut},
                   summary="Make a link for people who use a provider's service to give feedback")
    def post(self, request):
        self.require_quality()
        data = FeedbackLinkIn(data=request.data)
        data.is_valid(raise_exception=True)
        link = oversight.feedback_link_create(actor=request.user, provider=_provider(data.validated_data["provider"]),
                                              label=data.validated_data["label"])
        return Response(FeedbackLinkOut(link).data, status=201)


class PublicFeedbackView(TenantAPIMixin, APIView):
    """Anyone with the link, signed in or not."""

    audience = Audience.PUBLIC
    permission_classes = [AllowAny]
    authentication_classes = []  # anyone with the link; nothing about who sends it is kept

    @extend_schema(request=FeedbackIn, auth=[], responses={201: FeedbackReceivedOut},
                   summary="Give feedback about a provider through the authority's link (no sign-in)")
    def post(self, request, token):
        if not FeedbackLink.objects.filter(token=token, active=True).exists():
            raise Http404("This feedback link is not in use.")
        data = FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        oversight.feedback_submit(token=token, **data.validated_data)
        return Response({"received": True, "message": "Thank you. The council will read it; the provider is never "
                                                      "told who you are."}, status=201)


# --- An assessment's standards, the provider's self-assessment, follow-up actions ----------


class StandardInfoOut(serializers.Serializer):
    key = serializers.ChoiceField(choices=STANDARD_CHOICES)
    domain = serializers.ChoiceField(choices=DOMAINS)
    title = serializers.CharField()
    expects = serializers.CharField(help_text="What a provider meeting it shows.")
    source = serializers.CharField(help_text="Where the standard comes from.")


class StandardOut(serializers.Serializer):
    standard = serializers.ChoiceField(choices=STANDARD_CHOICES)
    title = serializers.SerializerMethodField()
    domain = serializers.SerializerMethodField()
    self_rating = serializers.CharField(help_text="The provider's: excellent, good, requires_improvement, poor, "
                                                  "or empty while not rated.")
    narrative = serializers.CharField(help_text="How the provider meets it.")
    evidence = serializers.IntegerField(source="evidence_id", allow_null=True,
                                        help_text="A document in the provider's locker (shared catalogue).")
    updated_at = serializers.DateTimeField(allow_null=True)
    agreed = serializers.BooleanField(allow_null=True, help_text="The officer agreed with the self-rating.")
    officer_rating = serializers.CharField(help_text="Empty until validated.")
    officer_note = serializers.CharField()
    validated_at = serializers.DateTimeField(allow_null=True)

    def get_title(self, row) -> str:
        return BY_KEY[row.standard].title

    def get_domain(self, row) -> str:
        return BY_KEY[row.standard].domain


class StandardsOut(serializers.Serializer):
    assessment = serializers.IntegerField()
    self_assessment_due = serializers.DateField(allow_null=True)
    self_assessment_submitted_at = serializers.DateTimeField(allow_null=True)
    outstanding = serializers.IntegerField(help_text="Standards not yet validated by the officer.")
    suggested_domain_ratings = serializers.DictField(
        child=serializers.CharField(), help_text="From the validated standards, once all are; the officer decides.")
    suggested_rating = serializers.CharField()
    standards = StandardOut(many=True)


def _standards_out(assessment, *, officer_view: bool) -> dict:
    rows = list(assessment.standards.all())
    order = {s.key: i for i, s in enumerate(STANDARDS)}
    rows.sort(key=lambda r: order.get(r.standard, 99))
    outstanding = sum(1 for r in rows if not r.validated_at)
    domains, overall = assessment_services.suggestions(rows) if officer_view and not outstanding else ({}, "")
    if not officer_view:  # the provider reads the officer's validation with the draft report
        for row in rows:
            row.agreed, row.officer_rating, row.officer_note, row.validated_at = None, "", "", None
    return {"assessment": assessment.pk, "self_assessment_due": assessment.self_assessment_due,
            "self_assessment_submitted_at": assessment.self_assessment_submitted_at,
            "outstanding": outstanding if officer_view else 0, "suggested_domain_ratings": domains,
            "suggested_rating": overall, "standards": rows}


class ValidateIn(StrictSerializer):
    agree = serializers.BooleanField(help_text="Agree with the provider's self-rating.")
    rating = serializers.ChoiceField(choices=RATINGS, required=False, allow_blank=True, default="",
                                     help_text="Your own rating, when you do not agree.")
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                 help_text="Why, when you do not agree. The provider reads it with the draft report.")


class SelfRatingIn(StrictSerializer):
    standard = serializers.ChoiceField(choices=STANDARD_CHOICES)
    self_rating = serializers.ChoiceField(choices=RATINGS, required=False, allow_blank=True, default="")
    narrative = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    evidence = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                        help_text="A document in your organisation's locker.")


class SelfAssessmentIn(StrictSerializer):
    standards = SelfRatingIn(many=True, min_length=1, max_length=len(STANDARDS),
                             help_text="Some or all standards; each replaces what was saved for it.")


class DueIn(StrictSerializer):
    due_on = serializers.DateField()
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FollowUpOut(serializers.Serializer):
    id = serializers.IntegerField()
    assessment = serializers.IntegerField(source="assessment_id")
    provider = NamedOut()
    what = serializers.CharField()
    domain = serializers.ChoiceField(choices=DOMAINS)
    standard = serializers.CharField(help_text="Empty when it comes from a domain as a whole.")
    owner_side = serializers.ChoiceField(choices=FollowUp.Owner.choices)
    owner = serializers.SerializerMethodField()
    due_on = serializers.DateField()
    status = serializers.ChoiceField(choices=FollowUp.Status.choices)
    overdue = serializers.SerializerMethodField()
    done_note = serializers.CharField()
    done_evidence = serializers.IntegerField(source="done_evidence_id", allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    reopened_reason = serializers.CharField()

    def get_owner(self, row) -> str:
        return row.owner.full_name or row.owner.email

    def get_overdue(self, row) -> bool:
        from django.utils import timezone

        return row.is_overdue(timezone.localdate())


class FollowUpIn(StrictSerializer):
    what = serializers.CharField(max_length=5000)
    standard = serializers.ChoiceField(choices=STANDARD_CHOICES, required=False, allow_blank=True, default="")
    domain = serializers.ChoiceField(choices=DOMAINS, required=False, allow_blank=True, default="",
                                     help_text="When it comes from a domain as a whole rather than one standard.")
    owner_side = serializers.ChoiceField(choices=FollowUp.Owner.choices)
    owner = serializers.IntegerField(min_value=1, help_text="A person at the provider, or a member of staff here.")
    due_on = serializers.DateField()


class FollowUpDoneIn(StrictSerializer):
    note = serializers.CharField(max_length=5000)
    evidence = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class ReopenIn(StrictSerializer):
    reason = serializers.CharField(max_length=5000)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


def _user(user_id):
    from accounts.models import User

    return User.objects.filter(pk=user_id).first()


def _document(evidence_id):
    if evidence_id is None:
        return None
    from shared_catalogue.models import Evidence

    found = Evidence.objects.filter(pk=evidence_id).first()
    if found is None:
        raise serializers.ValidationError({"evidence": ["No such document."]})
    return found


class StandardListView(FilteredList, TenantAPIMixin, APIView):
    audience = Audience.MEMBER

    @extend_schema(responses=StandardInfoOut(many=True), summary="The sixteen standards of a quality assessment")
    def get(self, request):
        self.list_filters()  # none offered: an unknown one is a 400
        return Response(StandardInfoOut([s.__dict__ for s in STANDARDS], many=True).data)


class AssessmentStandardsView(AssessmentAPI, APIView):
    @extend_schema(responses=StandardsOut, summary="An assessment's standards: self-assessment and validation")
    def get(self, request, assessment_id):
        return Response(StandardsOut(_standards_out(self.assessment(assessment_id), officer_view=True)).data)


class StandardValidateView(AssessmentAPI, APIView):
    @extend_schema(request=ValidateIn, responses=StandardsOut,
                   summary="Validate one standard: agree with the provider's rating or give your own")
    def post(self, request, assessment_id, standard):
        assessment = self.assessment(assessment_id)
        if standard not in BY_KEY:
            raise Http404("No such standard.")
        data = ValidateIn(data=request.data)
        data.is_valid(raise_exception=True)
        assessment_services.standard_validate(actor=request.user, assessment=assessment, standard=standard,
                                              **data.validated_data)
        return Response(StandardsOut(_standards_out(assessment, officer_view=True)).data)


class SelfAssessmentDueView(AssessmentAPI, APIView):
    @extend_schema(request=DueIn, responses=AssessmentOut,
                   summary="Give the provider a new date for its self-assessment (until it is submitted)")
    def post(self, request, assessment_id):
        assessment = self.assessment(assessment_id)
        data = DueIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = assessment_services.self_assessment_due_change(actor=request.user, assessment=assessment,
                                                              **data.validated_data)
        return Response(AssessmentOut(made).data)


class AssessmentFollowUpsView(AssessmentAPI, GenericAPIView):
    serializer_class = FollowUpOut
    filterset_class = FollowUpFilters
    pagination_class = None  # an assessment's actions are few: all of them at once

    @extend_schema(responses=FollowUpOut(many=True), summary="The actions from an assessment")
    def get(self, request, assessment_id):
        rows = self.filter_queryset(FollowUp.objects.select_related("provider", "owner"))  # filters first
        return Response(FollowUpOut(rows.filter(assessment=self.assessment(assessment_id)), many=True).data)

    @extend_schema(request=FollowUpIn, responses={201: FollowUpOut},
                   summary="Add an action: what, from which standard or domain, its owner and due date")
    def post(self, request, assessment_id):
        assessment = self.assessment(assessment_id)
        data = FollowUpIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        made = assessment_services.follow_up_add(actor=request.user, assessment=assessment,
                                                 owner=_user(fields.pop("owner")), **fields)
        return Response(FollowUpOut(FollowUp.objects.select_related("provider", "owner").get(pk=made.pk)).data,
                        status=201)


class FollowUpAPI(QualityStaffAPI):
    def follow_up(self, follow_up_id) -> FollowUp:
        self.require_quality()
        found = FollowUp.objects.select_related("provider", "owner").filter(pk=follow_up_id).first()
        if found is None:
            raise Http404("No such action here.")
        return found


class FollowUpVerifyView(FollowUpAPI, APIView):
    @extend_schema(request=None, responses=FollowUpOut, summary="Verify an action its owner marked done")
    def post(self, request, follow_up_id):
        made = assessment_services.follow_up_verify(actor=request.user, follow_up=self.follow_up(follow_up_id))
        return Response(FollowUpOut(FollowUp.objects.select_related("provider", "owner").get(pk=made.pk)).data)


class FollowUpDoneView(QualityStaffAPI, APIView):
    @extend_schema(request=FollowUpDoneIn, responses=FollowUpOut,
                   summary="Mark done an action owned by an officer here (its owner or a quality officer)")
    def post(self, request, follow_up_id):
        found = FollowUp.objects.filter(pk=follow_up_id, owner_side=FollowUp.Owner.AUTHORITY).first()
        if found is None:
            raise Http404("No such action owned here.")
        data = FollowUpDoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["evidence"] is not None:
            raise serializers.ValidationError({"evidence": ["Evidence comes from the provider's locker; describe "
                                                            "what was done in the note."]})
        made = assessment_services.follow_up_done(actor=request.user, follow_up=found,
                                                  note=data.validated_data["note"])
        return Response(FollowUpOut(FollowUp.objects.select_related("provider", "owner").get(pk=made.pk)).data)


class FollowUpReopenView(FollowUpAPI, APIView):
    @extend_schema(request=ReopenIn, responses=FollowUpOut,
                   summary="Reopen an action marked done, saying what is still to do (and a new date)")
    def post(self, request, follow_up_id):
        follow_up = self.follow_up(follow_up_id)
        data = ReopenIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = assessment_services.follow_up_reopen(actor=request.user, follow_up=follow_up, **data.validated_data)
        return Response(FollowUpOut(FollowUp.objects.select_related("provider", "owner").get(pk=made.pk)).data)


class ProviderAssessmentAPI(ProviderQualityAPI):
    def assessment(self, assessment_id) -> Assessment:
        found = (Assessment.objects.filter(provider_id__in=self.access.provider_ids, pk=assessment_id)
                 .select_related("provider").first())
        if found is None:
            raise Http404("Your organisations have no such assessment here.")
        return found

    def standards(self, assessment) -> Response:
        assessment.refresh_from_db()
        shown = assessment.status != Assessment.Status.SCHEDULED
        return Response(StandardsOut(_standards_out(assessment, officer_view=shown)).data)


class ProviderSelfAssessmentView(ProviderAssessmentAPI, APIView):
    @extend_schema(responses=StandardsOut,
                   summary="Your self-assessment of each standard (and the officer's validation once the draft "
                           "report is sent)")
    def get(self, request, assessment_id):
        return self.standards(self.assessment(assessment_id))

    @extend_schema(request=SelfAssessmentIn, responses=StandardsOut,
                   summary="Save some or all standards as a draft (until you submit)")
    def post(self, request, assessment_id):
        assessment = self.assessment(assessment_id)
        data = SelfAssessmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        entries = {}
        for entry in data.validated_data["standards"]:
            entry = dict(entry)
            entry["evidence"] = _document(entry["evidence"])
            entries[entry.pop("standard")] = entry
        assessment_services.self_assessment_save(actor=request.user, assessment=assessment, entries=entries)
        return self.standards(assessment)


class ProviderSelfAssessmentSubmitView(ProviderAssessmentAPI, APIView):
    @extend_schema(request=None, responses=StandardsOut,
                   summary="Submit the whole self-assessment (every standard rated and explained); final")
    def post(self, request, assessment_id):
        assessment = self.assessment(assessment_id)
        assessment_services.self_assessment_submit(actor=request.user, assessment=assessment)
        return self.standards(assessment)


class ProviderFollowUpListView(ProviderQualityAPI, GenericAPIView):
    serializer_class = FollowUpOut
    filterset_class = FollowUpFilters

    @extend_schema(responses=FollowUpOut(many=True), summary="Actions from quality assessments of your organisations")
    def get(self, request):
        rows = (FollowUp.objects.filter(provider_id__in=self.access.provider_ids)
                .select_related("provider", "owner").order_by("due_on", "pk"))
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(FollowUpOut(page, many=True).data)


class ProviderFollowUpDoneView(ProviderQualityAPI, APIView):
    @extend_schema(request=FollowUpDoneIn, responses=FollowUpOut, summary="Mark one of your actions done, with a note")
    def post(self, request, follow_up_id):
        found = (FollowUp.objects.filter(provider_id__in=self.access.provider_ids, pk=follow_up_id,
                                         owner_side=FollowUp.Owner.PROVIDER).first())
        if found is None:
            raise Http404("Your organisations have no such action here.")
        data = FollowUpDoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        made = assessment_services.follow_up_done(actor=request.user, follow_up=found,
                                                  note=data.validated_data["note"],
                                                  evidence=_document(data.validated_data["evidence"]))
        return Response(FollowUpOut(FollowUp.objects.select_related("provider", "owner").get(pk=made.pk)).data)
