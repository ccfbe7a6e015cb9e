"""Agreements through an authority's API (/a/<slug>/api/v1/agreements/...):
every member of staff reads them; commissioners set them up and run them.
The services decide; refusals are problem details (400 with the fields named,
409 for the wrong state, 403 for the wrong role, 404 for an unknown id)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilteredList
from api.v1.refs import RuleOut
from shared_catalogue.models import EvidenceType, ServiceType
from tenants.agreements import policy, selectors, services
from tenants.agreements.filters import AgreementFilters
from tenants.agreements.models import Agreement, Question, QuestionnaireVersion

# --- Output -------------------------------------------------------------------------


class RulesOut(serializers.Serializer):
    name = serializers.CharField()
    applications_any_time = serializers.BooleanField()
    applications = RuleOut()
    decision = RuleOut()
    initial_period = RuleOut(allow_null=True)
    membership = RuleOut()


class AgreementOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Agreement.Kind.choices)
    title = serializers.CharField()
    reference = serializers.CharField()
    service_area = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Agreement.Status.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    extension_options = serializers.CharField()
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    notice_references = serializers.ListField(child=serializers.CharField())
    initial_period_ends_on = serializers.DateField(allow_null=True)
    decision_working_days = serializers.IntegerField()
    decision_extended_working_days = serializers.IntegerField()
    membership_cap = serializers.IntegerField(allow_null=True)
    onboarding_checklist = serializers.ListField(child=serializers.CharField())
    call_off_authorities = serializers.SerializerMethodField(help_text="Slugs of the authorities that may call off.")
    opened_at = serializers.DateTimeField(allow_null=True)
    went_live_at = serializers.DateTimeField(allow_null=True)
    lot_count = serializers.IntegerField(default=None)
    admitted = serializers.IntegerField(default=None, help_text="Active admissions across its lots.")
    rules = RulesOut(source="regime")
    moves = serializers.SerializerMethodField(help_text="What a commissioner can do next: open, go_live, ...")

    def get_call_off_authorities(self, agreement) -> list[str]:
        return sorted(a.slug for a in agreement.call_off_authorities.all())

    def get_moves(self, agreement) -> list[str]:
        return services.moves_from(agreement.status)


class AdmissionBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    provider = serializers.CharField(source="provider.name")
    status = serializers.CharField()


class LotOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    service_type = serializers.CharField(source="service_type.code", default=None)
    tier = serializers.CharField()
    zone = serializers.CharField()
    added_at = serializers.DateTimeField()


class LotWithAdmissionsOut(LotOut):
    admissions = AdmissionBriefOut(many=True, source="admissions.all")


class RoundOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()


class ModificationOut(serializers.Serializer):
    what = serializers.CharField()
    reason = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()
    made_by = serializers.CharField(source="made_by.email")
    made_at = serializers.DateTimeField()


class VersionBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=QuestionnaireVersion.Status.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    question_count = serializers.IntegerField(default=None)


class WindowOut(serializers.Serializer):
    open = serializers.BooleanField()
    message = serializers.CharField()
    rule = RuleOut()
    next_opens_on = serializers.DateField(allow_null=True)


class AgreementDetailOut(AgreementOut):
    lots = LotWithAdmissionsOut(many=True, source="lots.all")
    rounds = RoundOut(many=True, source="rounds.all")
    questionnaire_versions = VersionBriefOut(many=True, source="questionnaires.all")
    modifications = ModificationOut(many=True, source="modifications.all")
    window = serializers.SerializerMethodField()

    @extend_schema_field(WindowOut)
    def get_window(self, agreement) -> dict:
        return WindowOut(selectors.application_window(agreement)).data


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    text = serializers.CharField()
    guidance = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    evidence_types = serializers.ListField(child=serializers.CharField())
    lot = serializers.CharField(source="lot.number", default=None, help_text="Only for this lot; null for every lot.")


class VersionOut(VersionBriefOut):
    pass_threshold = serializers.DecimalField(max_digits=5, decimal_places=2)
    scale_max = serializers.IntegerField()
    scale_guidance = serializers.CharField()
    questions = QuestionOut(many=True, source="questions.all")


# --- Input --------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class CallOffField(serializers.SlugRelatedField):
    """Authorities by slug, among those that may be named here (the authority,
    or a partnership's members): any other resolves to nothing."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", many=False, **kwargs)

    def get_queryset(self):
        return selectors.call_off_candidates()


class AgreementIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Agreement.Kind.choices)
    title = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=60)
    service_area = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    extension_options = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                               allow_null=True, default=None)
    notice_references = serializers.ListField(child=serializers.CharField(max_length=120), required=False,
                                              default=list)
    decision_working_days = serializers.IntegerField(min_value=1, max_value=120, required=False)
    decision_extended_working_days = serializers.IntegerField(min_value=1, max_value=120, required=False)
    membership_cap = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    onboarding_checklist = serializers.ListField(child=serializers.CharField(max_length=120), required=False)
    call_off_authorities = serializers.ListField(
        child=CallOffField(), required=False, allow_empty=False,
        help_text="Slugs; by default the authority, or for a partnership every member.")


class LotIn(serializers.Serializer):
    number = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    service_type = serializers.SlugRelatedField(slug_field="code", queryset=ServiceType.objects.all(),
                                                required=False, allow_null=True, default=None)
    tier = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    zone = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
    reason = serializers.CharField(required=False, default="", allow_blank=True,
                                   help_text="Needed once the agreement is live: the lot is a modification.")


class RoundIn(serializers.Serializer):
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()


class CallOffIn(serializers.Serializer):
    authorities = serializers.ListField(child=CallOffField())
    reason = serializers.CharField(required=False, default="", allow_blank=True,
                                   help_text="Needed once the agreement has gone live: a recorded modification.")


class OpenIn(serializers.Serializer):
    initial_period_ends_on = serializers.DateField(required=False, allow_null=True, default=None,
                                                   help_text="A DPS: the end of the initial period (30 days at least).")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class EmptyIn(serializers.Serializer):
    pass


class SettingsIn(serializers.Serializer):
    pass_threshold = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    scale_max = serializers.IntegerField(required=False)
    scale_guidance = serializers.CharField(required=False, allow_blank=True)


class QuestionIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    text = serializers.CharField()
    guidance = serializers.CharField(required=False, default="", allow_blank=True)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, default=0)
    evidence_types = serializers.ListField(child=serializers.ChoiceField(choices=EvidenceType.choices),
                                           required=False, default=list)
    lot = serializers.CharField(required=False, allow_null=True, default=None, help_text="A lot number.")


# --- Views --------------------------------------------------------------------------


class StaffAPIView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    def require_reader(self):
        if not policy.can_view_agreements(self.access):
            self.permission_denied(self.request, "Only staff read agreements.")

    def require_manager(self):
        if not policy.can_manage_agreements(self.access):
            self.permission_denied(self.request, "Only commissioners set up and change agreements.")

    def agreement(self, agreement_id) -> Agreement:
        found = selectors.agreement_for_staff(agreement_id)
        if found is None:
            raise Http404("No such agreement here.")
        return found

    def detail(self, agreement: Agreement, status_code=status.HTTP_200_OK) -> Response:
        """The agreement as it stands now, with everything about it."""
        return Response(AgreementDetailOut(selectors.agreement_detail(agreement.pk)).data, status=status_code)


class AgreementListView(StaffAPIView, GenericAPIView):
    serializer_class = AgreementOut
    filterset_class = AgreementFilters

    @extend_schema(responses=AgreementOut(many=True), summary="This authority's agreements")
    def get(self, request):
        self.require_reader()
        page = self.paginate_queryset(self.filter_queryset(selectors.agreements_for_staff()))
        return self.get_paginated_response(AgreementOut(page, many=True).data)

    @extend_schema(request=AgreementIn, responses={201: AgreementDetailOut}, summary="Set up an agreement (draft)")
    def post(self, request):
        self.require_manager()
        data = AgreementIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        authorities = fields.pop("call_off_authorities", None)
        agreement = services.agreement_create(actor=request.user, call_off_authorities=authorities, **fields)
        return self.detail(agreement, status.HTTP_201_CREATED)


class AgreementDetailView(StaffAPIView):
    @extend_schema(responses=AgreementDetailOut, summary="One agreement: lots, rounds, questionnaire, modifications")
    def get(self, request, agreement_id):
        self.require_reader()
        agreement = selectors.agreement_detail(agreement_id)
        if agreement is None:
            raise Http404("No such agreement here.")
        return Response(AgreementDetailOut(agreement).data)


class LotListView(StaffAPIView):
    @extend_schema(request=LotIn, responses={201: LotOut}, summary="Add a lot (a modification once live)")
    def post(self, request, agreement_id):
        self.require_manager()
        agreement = self.agreement(agreement_id)
        data = LotIn(data=request.data)
        data.is_valid(raise_exception=True)
        lot = services.lot_add(actor=request.user, agreement=agreement, **data.validated_data)
        return Response(LotOut(lot).data, status=status.HTTP_201_CREATED)


class RoundListView(StaffAPIView):
    @extend_schema(request=RoundIn, responses={201: RoundOut}, summary="Add an application round (FPS)")
    def post(self, request, agreement_id):
        self.require_manager()
        agreement = self.agreement(agreement_id)
        data = RoundIn(data=request.data)
        data.is_valid(raise_exception=True)
        application_round = services.round_add(actor=request.user, agreement=agreement, **data.validated_data)
        return Response(RoundOut(application_round).data, status=status.HTTP_201_CREATED)


class CallOffView(StaffAPIView):
    @extend_schema(request=CallOffIn, responses=AgreementDetailOut,
                   summary="Who may call off (a recorded modification once live)")
    def put(self, request, agreement_id):
        self.require_manager()
        agreement = self.agreement(agreement_id)
        data = CallOffIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.agreement_set_call_off_authorities(actor=request.user, agreement=agreement,
                                                    **data.validated_data)
        return self.detail(agreement)


class MoveView(StaffAPIView):
    """One of the agreement's moves. Subclasses name it and its input."""

    input_class = EmptyIn

    def call(self, agreement, data):
        raise NotImplementedError

    def move(self, request, agreement_id):
        self.require_manager()
        agreement = self.agreement(agreement_id)
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        self.call(agreement, data.validated_data)
        return self.detail(agreement)


class OpenView(MoveView):
    input_class = OpenIn

    def call(self, agreement, data):
        services.agreement_open(actor=self.request.user, agreement=agreement, **data)

    @extend_schema(request=OpenIn, responses=AgreementDetailOut, summary="Open for applications")
    def post(self, request, agreement_id):
        return self.move(request, agreement_id)


class GoLiveView(MoveView):
    def call(self, agreement, data):
        services.agreement_go_live(actor=self.request.user, agreement=agreement)

    @extend_schema(request=None, responses=AgreementDetailOut, summary="Go live: call-offs may start")
    def post(self, request, agreement_id):
        return self.move(request, agreement_id)


class SuspendView(MoveView):
    input_class = ReasonIn

    def call(self, agreement, data):
        services.agreement_suspend(actor=self.request.user, agreement=agreement, reason=data["reason"])

    @extend_schema(request=ReasonIn, responses=AgreementDetailOut, summary="Suspend (a reason is needed)")
    def post(self, request, agreement_id):
        return self.move(request, agreement_id)


class ResumeView(MoveView):
    input_class = ReasonIn

    def call(self, agreement, data):
        services.agreement_resume(actor=self.request.user, agreement=agreement, reason=data["reason"])

    @extend_schema(request=ReasonIn, responses=AgreementDetailOut, summary="Resume after a suspension")
    def post(self, request, agreement_id):
        return self.move(request, agreement_id)


class EndView(MoveView):
    input_class = ReasonIn

    def call(self, agreement, data):
        services.agreement_end(actor=self.request.user, agreement=agreement, reason=data["reason"])

    @extend_schema(request=ReasonIn, responses=AgreementDetailOut, summary="End the agreement (a reason is needed)")
    def post(self, request, agreement_id):
        return self.move(request, agreement_id)


# --- The questionnaire --------------------------------------------------------------


class QuestionnaireView(StaffAPIView):
    @extend_schema(responses=VersionOut, summary="The published questionnaire, with its questions")
    def get(self, request, agreement_id):
        self.require_reader()
        current = selectors.published_questionnaire(self.agreement(agreement_id))
        if current is None:
            raise Http404("No questionnaire has been published for this agreement yet.")
        return Response(VersionOut(current).data)


class VersionListView(FilteredList, StaffAPIView):
    @extend_schema(responses=VersionOut(many=True), summary="Every version of the questionnaire, newest first")
    def get(self, request, agreement_id):
        self.require_reader()
        self.list_filters()
        versions = selectors.questionnaire_versions(self.agreement(agreement_id)).prefetch_related("questions__lot")
        return Response(VersionOut(versions, many=True).data)

    @extend_schema(request=None, responses={201: VersionOut},
                   summary="The draft to work on: the existing one, or a copy of the published one")
    def post(self, request, agreement_id):
        self.require_manager()
        draft = services.questionnaire_draft(actor=request.user, agreement=self.agreement(agreement_id))
        return Response(VersionOut(draft).data, status=status.HTTP_201_CREATED)


class VersionMixin:
    def version(self, agreement_id, version_id) -> tuple[Agreement, QuestionnaireVersion]:
        agreement = self.agreement(agreement_id)
        version = selectors.questionnaire_version_get(agreement, version_id)
        if version is None:
            raise Http404("No such questionnaire version.")
        return agreement, version


class VersionDetailView(VersionMixin, StaffAPIView):
    @extend_schema(responses=VersionOut, summary="One version, with its questions")
    def get(self, request, agreement_id, version_id):
        self.require_reader()
        return Response(VersionOut(self.version(agreement_id, version_id)[1]).data)

    @extend_schema(request=SettingsIn, responses=VersionOut, summary="Change a draft's scoring settings")
    def patch(self, request, agreement_id, version_id):
        self.require_manager()
        _, version = self.version(agreement_id, version_id)
        data = SettingsIn(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.questionnaire_settings(actor=request.user, version=version, **data.validated_data)
        return Response(VersionOut(version).data)


class QuestionListView(VersionMixin, StaffAPIView):
    @extend_schema(request=QuestionIn, responses={201: QuestionOut}, summary="Add a question to a draft")
    def post(self, request, agreement_id, version_id):
        self.require_manager()
        agreement, version = self.version(agreement_id, version_id)
        data = QuestionIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        number = fields.pop("lot")
        lot = agreement.lots.filter(number=number).first() if number else None
        if number and lot is None:
            raise serializers.ValidationError({"lot": f"This agreement has no lot {number}."})
        question = services.question_add(actor=request.user, version=version, lot=lot, **fields)
        return Response(QuestionOut(question).data, status=status.HTTP_201_CREATED)


class VersionPublishView(VersionMixin, StaffAPIView):
    @extend_schema(request=None, responses=VersionOut, summary="Publish a draft; the version it replaces retires")
    def post(self, request, agreement_id, version_id):
        self.require_manager()
        _, version = self.version(agreement_id, version_id)
        version = services.questionnaire_publish(actor=request.user, version=version)
        return Response(VersionOut(selectors.questionnaire_version_get(version.agreement, version.pk)).data)
