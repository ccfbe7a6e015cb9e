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
from api.v1.refs import LotRefOut, NamedOut, ReferenceOut
from common.errors import require
from shared_catalogue.models import Provider
from tenants.agreements import selectors as agreement_selectors
from tenants.agreements.models import Lot
from tenants.quality import oversight, policy, risk, selectors, services
from tenants.quality.filters import (
    ActionFilters,
    AssessmentFilters,
    FeedbackFilters,
    IntelligenceFilters,
    KpiTableFilters,
    ProviderActionFilters,
    ProviderAssessmentFilters,
    ProviderReturnFilters,
    ReturnFilters,
    RiskFilters,
    SharedIntelligenceFilters,
)
from tenants.quality.models import (
    DOMAINS,
    RATINGS,
    SEVERITIES,
    Action,
    Assessment,
    Feedback,
    FeedbackLink,
    Intelligence,
    Kpi,
    KpiReturn,
    RiskRules,
)
from tenants.quality.periods import period_label

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


class AssessmentIn(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    service = serializers.CharField(max_length=200)
    visit_on = serializers.DateField()
    response_days = serializers.IntegerField(min_value=1, max_value=60, default=14)


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


class ActionOut(serializers.Serializer):
    id = serializers.IntegerField()
    provider = NamedOut()
    agreement = ReferenceOut(allow_null=True)
    kind = serializers.ChoiceField(choices=Action.Kind.choices)
    grounds = serializers.CharField()
    starts_on = serializers.DateField()
    respond_by = serializers.DateField()
    review_on = serializers.DateField(allow_null=True)
    provider_response = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=Action.Status.choices)
    lifted_on = serializers.DateField(allow_null=True)
    lift_reason = serializers.CharField()


class ActionIn(serializers.Serializer):
    provider = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Action.Kind.choices)
    grounds = serializers.CharField(max_length=10000)
    agreement = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                         help_text="One agreement; leave it out for every agreement here.")
    starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    respond_days = serializers.IntegerField(min_value=1, max_value=60, default=14)
    review_on = serializers.DateField(required=False, allow_null=True, default=None)


class LiftIn(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class RiskOut(serializers.Serializer):
    provider = NamedOut()
    colour = serializers.ChoiceField(choices=COLOURS, source="risk.colour")
    reasons = serializers.ListField(child=serializers.CharField(), source="risk.reasons")
    lots = LotRefOut(many=True)
    changed_at = serializers.DateTimeField(allow_null=True, help_text="When the colour last changed, if known.")
    previous = serializers.CharField(help_text="The colour before, if it changed.")
    trend = serializers.CharField()
    rating = serializers.CharField(help_text="The latest final quality rating here.")




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
        page = self.paginate_queryset(self.filter_queryset(Action.objects.select_related("provider", "agreement")))
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
        return Response(ActionOut(Action.objects.select_related("provider", "agreement").get(pk=made.pk)).data)


class RiskDashboardView(FilteredList, QualityStaffAPI, GenericAPIView):
    serializer_class = RiskOut
    filterset_class = RiskFilters

    @extend_schema(responses=RiskOut(many=True),
                   summary="The early warning: every provider here, riskiest first, with its reasons")
    def get(self, request):
        require(policy.can_view_kpis(self.access), READ_REFUSED)
        chosen = self.list_filters()
        service_type = chosen.get("service_type")
        rows = risk.dashboard(lot_id=chosen.get("lot"), service_type=service_type.code if service_type else "",
                              colour=chosen.get("colour", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RiskOut(page, many=True).data)


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
                   summary="Quality assessments of your organisations here (draft reports once sent)")
    def get(self, request):
        rows = (Assessment.objects.filter(provider_id__in=self.access.provider_ids)
                .exclude(status=Assessment.Status.SCHEDULED).select_related("provider"))
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
        rows = Action.objects.filter(provider_id__in=self.access.provider_ids).select_related("provider",
                                                                                              "agreement")
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
        return Response(ActionOut(Action.objects.select_related("provider", "agreement").get(pk=made.pk)).data)




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
