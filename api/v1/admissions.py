"""Applications and admissions through an authority's API, for its staff
(/a/<slug>/api/v1/applications/... and /admissions/...).

Who sees what comes from the selectors, as on the pages: commissioners and
quality officers read every submitted application; an evaluator reads only
what is given to them, and its answers only after declaring no conflict;
nobody sees another evaluator's scores before moderation."""

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
from api.v1.agreements import ReasonIn, RoundOut
from api.v1.refs import ClockOut, NamedOut, ReferenceOut
from common.errors import Conflict
from tenants.admissions import policy, selectors, services
from tenants.admissions.filters import AdmissionFilters, ApplicationFilters
from tenants.admissions.models import Admission, Application, ApplicationLot, DecisionLetter

# --- Output -------------------------------------------------------------------------


class ApplicationLotOut(serializers.Serializer):
    number = serializers.CharField(source="lot.number")
    title = serializers.CharField(source="lot.title")
    outcome = serializers.ChoiceField(choices=ApplicationLot.Outcome.choices)
    quality_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    failed_compliance = serializers.ListField(child=serializers.IntegerField())


class ApplicationOut(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = ReferenceOut()
    provider = NamedOut()
    round = RoundOut(allow_null=True, help_text="The application round it was made in (an FPS's); none for a DPS.")
    lots = ApplicationLotOut(many=True, source="lots.all")
    status = serializers.ChoiceField(choices=Application.Status.choices)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decision_due_on = serializers.DateField(allow_null=True)
    decision_extended_reason = serializers.CharField()
    lead = serializers.EmailField(source="lead.email", default=None)
    clock = serializers.SerializerMethodField()

    @extend_schema_field(ClockOut)
    def get_clock(self, application) -> dict:
        return ClockOut(selectors.decision_clock(application)).data


class EvidenceRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    evidence_type = serializers.CharField()
    verification = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)


class ModeratedOut(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    score = serializers.IntegerField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    rationale = serializers.CharField()
    moderated_by = serializers.EmailField(source="moderated_by.email")
    moderated_at = serializers.DateTimeField()


class AnswerOut(serializers.Serializer):
    question = serializers.IntegerField(source="question.pk")
    position = serializers.IntegerField(source="question.position")
    kind = serializers.CharField(source="question.kind")
    text = serializers.CharField(source="question.text")
    lot = serializers.CharField(source="question.lot.number", default=None)
    response = serializers.CharField(source="answer.response", default="")
    complies = serializers.BooleanField(source="answer.complies", default=None, allow_null=True)
    evidence = EvidenceRefOut(source="answer.evidence", default=None, allow_null=True)


class ProgressOut(serializers.Serializer):
    evaluator = serializers.CharField()
    declared = serializers.BooleanField()
    conflicted = serializers.BooleanField()
    submitted = serializers.BooleanField()


class AssignmentOut(serializers.Serializer):
    declared_at = serializers.DateTimeField(allow_null=True)
    conflicted = serializers.BooleanField(allow_null=True)
    conflict_details = serializers.CharField()
    scores_submitted_at = serializers.DateTimeField(allow_null=True)


class ApplicationDetailOut(ApplicationOut):
    """What the viewer may see of one application; the view works it out
    with the selectors and passes it in the context."""

    questionnaire_version = serializers.IntegerField(source="version.number")
    pass_threshold = serializers.DecimalField(source="version.pass_threshold", max_digits=5, decimal_places=2)
    scale_max = serializers.IntegerField(source="version.scale_max")
    answers = serializers.SerializerMethodField(
        help_text="Null for an evaluator until they have declared no conflict of interest.")
    answers_hidden_because = serializers.SerializerMethodField()
    moderated = serializers.SerializerMethodField(help_text="Readers only, once moderation has opened.")
    progress = serializers.SerializerMethodField(help_text="Who has declared and submitted (readers only).")
    my_assignment = serializers.SerializerMethodField(help_text="Yours, if you were given it to evaluate.")

    def _many(self, name, serializer_class):
        rows = self.context.get(name)
        return None if rows is None else serializer_class(rows, many=True).data

    @extend_schema_field(AnswerOut(many=True, allow_null=True))
    def get_answers(self, application):
        return self._many("answers", AnswerOut)

    def get_answers_hidden_because(self, application) -> str | None:
        return self.context.get("answers_hidden_because")

    @extend_schema_field(ModeratedOut(many=True, allow_null=True))
    def get_moderated(self, application):
        return self._many("moderated", ModeratedOut)

    @extend_schema_field(ProgressOut(many=True, allow_null=True))
    def get_progress(self, application):
        return self._many("progress", ProgressOut)

    @extend_schema_field(AssignmentOut(allow_null=True))
    def get_my_assignment(self, application):
        assignment = self.context.get("my_assignment")
        return None if assignment is None else AssignmentOut(assignment).data


class ScoreOut(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    position = serializers.IntegerField(source="question.position")
    evaluator = serializers.EmailField(source="assignment.evaluator.email")
    score = serializers.IntegerField()
    comment = serializers.CharField()
    scored_at = serializers.DateTimeField()


class OutcomeOut(serializers.Serializer):
    lot = serializers.CharField(source="lot.number")
    lot_title = serializers.CharField(source="lot.title")
    passed = serializers.BooleanField()
    quality_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    failed_compliance = serializers.ListField(child=serializers.IntegerField())
    missing = serializers.ListField(child=serializers.IntegerField(),
                                    help_text="Quality questions still to moderate.")


class OutcomesOut(serializers.Serializer):
    pass_threshold = serializers.DecimalField(max_digits=5, decimal_places=2)
    outcomes = OutcomeOut(many=True)


class LetterOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DecisionLetter.Kind.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    sent_to = serializers.ListField(child=serializers.EmailField())


class OnboardingItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    name = serializers.CharField()
    done_at = serializers.DateTimeField(allow_null=True)
    done_by = serializers.EmailField(source="done_by.email", default=None)
    note = serializers.CharField()


class AdmissionOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    agreement = ReferenceOut()
    lot = serializers.CharField(source="lot.number")
    lot_title = serializers.CharField(source="lot.title")
    provider = NamedOut()
    application = serializers.IntegerField(source="application_id")
    round = RoundOut(source="application.round", allow_null=True,
                     help_text="The application round the provider was admitted from (an FPS's); none for a DPS.")
    status = serializers.ChoiceField(choices=Admission.Status.choices)
    admitted_at = serializers.DateTimeField()
    new_to_authority = serializers.BooleanField(
        help_text="The provider had no earlier admission or placement with this authority when admitted.")
    activated_at = serializers.DateTimeField(allow_null=True)
    suspended_reason = serializers.CharField()
    suspended_until = serializers.DateField(allow_null=True)
    removed_grounds = serializers.CharField()
    outstanding = serializers.IntegerField(default=None, help_text="Onboarding items not done yet.")
    moves = serializers.SerializerMethodField()

    def get_moves(self, admission) -> list[str]:
        return services.admission_moves_from(admission.status)


class AdmissionDetailOut(AdmissionOut):
    onboarding = OnboardingItemOut(many=True, source="onboarding.all")


# --- Input --------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class EvaluatorField(serializers.PrimaryKeyRelatedField):
    """A user id among the people who may evaluate here: any other resolves to nothing."""

    def get_queryset(self):
        return selectors.evaluators_available()


class AssignIn(serializers.Serializer):
    evaluators = serializers.ListField(
        child=EvaluatorField(), help_text="User ids of evaluators or commissioners here, with MFA set up.")


class DeclarationIn(serializers.Serializer):
    conflicted = serializers.BooleanField()
    details = serializers.CharField(required=False, default="", allow_blank=True)


class QuestionField(serializers.IntegerField):
    """A question id; the view finds it in the application's own questionnaire."""


class ScoreIn(serializers.Serializer):
    question = QuestionField()
    score = serializers.IntegerField(min_value=0)
    comment = serializers.CharField(allow_blank=True)


class ModerateIn(serializers.Serializer):
    question = QuestionField()
    score = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None,
                                     help_text="Quality questions.")
    met = serializers.BooleanField(required=False, allow_null=True, default=None,
                                   help_text="Compliance questions.")
    rationale = serializers.CharField(allow_blank=True)


class NoteIn(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True)


class SuspendIn(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)
    until = serializers.DateField(required=False, allow_null=True, default=None)


class RemoveIn(serializers.Serializer):
    grounds = serializers.CharField(allow_blank=True)


# --- Applications -------------------------------------------------------------------


class ApplicationAPIView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    def require(self, allowed: bool, reason: str) -> None:
        if not allowed:
            self.permission_denied(self.request, reason)

    def application(self, application_id) -> Application:
        self.require(policy.can_view_applications(self.access),
                     "Only commissioners, quality officers and evaluators see applications.")
        found = selectors.application_for_staff(self.access, application_id)
        if found is None:
            raise Http404("No such application here.")
        return found

    def lead_application(self, application_id) -> Application:
        application = self.application(application_id)
        self.require(policy.can_lead_evaluation(self.access), "Only commissioners lead evaluations and decide.")
        return application

    def question(self, application: Application, question_id):
        question = application.version.questions.filter(pk=question_id).first()
        if question is None:
            raise serializers.ValidationError({"question": "No such question in this application's questionnaire."})
        return question

    def detail(self, application: Application) -> Response:
        return Response(self.detail_data(selectors.application_for_staff(self.access, application.pk)))

    def detail_data(self, application: Application) -> dict:
        user, access = self.request.user, self.access
        reads_all = policy.can_read_all_applications(access)
        assignment = selectors.assignment_for(user, application)
        context = {"my_assignment": assignment, "answers": None, "answers_hidden_because": None,
                   "moderated": None, "progress": None}
        if selectors.may_see_answers(user, access, application):
            context["answers"] = selectors.application_answers(application)
        else:
            context["answers_hidden_because"] = (
                "You declared a conflict of interest in this application." if assignment and assignment.conflicted
                else "Declare whether you have a conflict of interest first.")
        if reads_all:
            context["progress"] = selectors.evaluation_progress(application)
            if application.status in (Application.Status.MODERATION, Application.Status.DECIDED):
                context["moderated"] = application.moderated.select_related("moderated_by")
        return ApplicationDetailOut(application, context=context).data


class ApplicationListView(ApplicationAPIView, GenericAPIView):
    serializer_class = ApplicationOut
    filterset_class = ApplicationFilters

    @extend_schema(responses=ApplicationOut(many=True),
                   summary="Submitted applications you may see, soonest decision first, with their clocks")
    def get(self, request):
        self.require(policy.can_view_applications(self.access),
                     "Only commissioners, quality officers and evaluators see applications.")
        applications = self.filter_queryset(selectors.applications_for_staff(self.access))
        page = self.paginate_queryset(applications)
        return self.get_paginated_response(ApplicationOut(page, many=True).data)


class AssignedListView(ApplicationAPIView, GenericAPIView):
    serializer_class = ApplicationOut
    filterset_class = ApplicationFilters

    @extend_schema(responses=ApplicationOut(many=True), summary="Applications given to you to evaluate")
    def get(self, request):
        self.require(policy.can_be_evaluator(self.access), "Only evaluators are given applications.")
        page = self.paginate_queryset(self.filter_queryset(selectors.applications_assigned_to(request.user)))
        return self.get_paginated_response(ApplicationOut(page, many=True).data)


class ApplicationDetailView(ApplicationAPIView):
    @extend_schema(responses=ApplicationDetailOut, summary="One application: answers (once you may), progress, clock")
    def get(self, request, application_id):
        return Response(self.detail_data(self.application(application_id)))


class EvaluatorsView(ApplicationAPIView):
    @extend_schema(request=AssignIn, responses=ApplicationDetailOut, summary="Give the application to evaluators")
    def post(self, request, application_id):
        application = self.lead_application(application_id)
        data = AssignIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.evaluators_assign(actor=request.user, application=application,
                                   evaluators=list(data.validated_data["evaluators"]))
        return self.detail(application)


class ExtensionView(ApplicationAPIView):
    @extend_schema(request=ReasonIn, responses=ApplicationDetailOut,
                   summary="Extend the decision period, once, with a reason")
    def post(self, request, application_id):
        application = self.lead_application(application_id)
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.decision_extend(actor=request.user, application=application, **data.validated_data)
        return self.detail(application)


class DeclarationView(ApplicationAPIView):
    @extend_schema(request=DeclarationIn, responses=AssignmentOut,
                   summary="Declare whether you have a conflict of interest (before you see the answers)")
    def post(self, request, application_id):
        application = self.application(application_id)
        data = DeclarationIn(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.conflict_declare(actor=request.user, application=application, **data.validated_data)
        return Response(AssignmentOut(assignment).data)


class ScoresView(FilteredList, ApplicationAPIView):
    @extend_schema(responses=ScoreOut(many=True),
                   summary="The scores you may see: your own until moderation, then everyone's")
    def get(self, request, application_id):
        self.list_filters()
        application = self.application(application_id)
        return Response(ScoreOut(selectors.scores_visible_to(request.user, self.access, application), many=True).data)

    @extend_schema(request=ScoreIn, responses={201: ScoreOut}, summary="Record or change your score for a question")
    def post(self, request, application_id):
        application = self.application(application_id)
        selectors.application_for_evaluator(request.user, application)  # declared, and not conflicted: or 403
        data = ScoreIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        question = self.question(application, fields.pop("question"))
        score = services.score_record(actor=request.user, application=application, question=question, **fields)
        return Response(ScoreOut(score).data, status=status.HTTP_201_CREATED)


class ScoresSubmitView(ApplicationAPIView):
    @extend_schema(request=None, responses=AssignmentOut, summary="Submit your scores (every quality question)")
    def post(self, request, application_id):
        application = self.application(application_id)
        assignment = services.scores_submit(actor=request.user, application=application)
        return Response(AssignmentOut(assignment).data)


class ModerationOpenView(ApplicationAPIView):
    @extend_schema(request=None, responses=ApplicationDetailOut,
                   summary="Open moderation once every evaluator without a conflict has submitted")
    def post(self, request, application_id):
        application = self.lead_application(application_id)
        services.moderation_open(actor=request.user, application=application)
        return self.detail(application)


class ModerationView(FilteredList, ApplicationAPIView):
    @extend_schema(responses=ModeratedOut(many=True), summary="The moderated results so far")
    def get(self, request, application_id):
        self.list_filters()
        application = self.lead_application(application_id)
        return Response(ModeratedOut(application.moderated.select_related("moderated_by"), many=True).data)

    @extend_schema(request=ModerateIn, responses=ModeratedOut,
                   summary="The final result for a question, with the rationale for the feedback")
    def post(self, request, application_id):
        application = self.lead_application(application_id)
        data = ModerateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        question = self.question(application, fields.pop("question"))
        result = services.moderate(actor=request.user, application=application, question=question, **fields)
        return Response(ModeratedOut(result).data)


class OutcomesView(ApplicationAPIView):
    @extend_schema(responses=OutcomesOut, summary="Preview what the rules decide for each lot (changes nothing)")
    def get(self, request, application_id):
        application = self.lead_application(application_id)
        if application.status != Application.Status.MODERATION:
            raise Conflict("Outcomes are previewed during moderation; the application is "
                                    f"{application.get_status_display().lower()}.")
        return Response(OutcomesOut({"pass_threshold": application.version.pass_threshold,
                                     "outcomes": services.application_outcomes(application)}).data)


class DecisionView(ApplicationAPIView):
    @extend_schema(request=None, responses=LetterOut,
                   summary="Confirm the decision: admissions for the lots passed, and the letter")
    def post(self, request, application_id):
        application = self.lead_application(application_id)
        application = services.application_decide(actor=request.user, application=application)
        return Response(LetterOut(application.letter).data)


class LetterView(ApplicationAPIView):
    @extend_schema(responses=LetterOut, summary="The decision letter")
    def get(self, request, application_id):
        application = self.application(application_id)
        self.require(policy.can_read_all_applications(self.access),
                     "Only commissioners and quality officers read decision letters.")
        letter = DecisionLetter.objects.filter(application=application).first()
        if letter is None:
            raise Http404("The application has not been decided yet.")
        return Response(LetterOut(letter).data)


# --- Admissions ---------------------------------------------------------------------


class AdmissionAPIView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    def admission(self, admission_id, *, manage: bool = False) -> Admission:
        if not policy.can_view_admissions(self.access):
            self.permission_denied(self.request, "Only staff see admissions.")
        if manage and not policy.can_lead_evaluation(self.access):
            self.permission_denied(self.request, "Only commissioners manage admissions.")
        found = selectors.admission_for_staff(admission_id)
        if found is None:
            raise Http404("No such admission here.")
        return found

    def detail(self, admission: Admission) -> Response:
        return Response(AdmissionDetailOut(selectors.admission_for_staff(admission.pk)).data)


class AdmissionListView(AdmissionAPIView, GenericAPIView):
    serializer_class = AdmissionOut
    filterset_class = AdmissionFilters

    @extend_schema(responses=AdmissionOut(many=True),
                   summary="Admissions to this authority's lots, with outstanding onboarding")
    def get(self, request):
        if not policy.can_view_admissions(self.access):
            self.permission_denied(request, "Only staff see admissions.")
        admissions = self.filter_queryset(selectors.admissions_for_staff())
        page = self.paginate_queryset(admissions)
        return self.get_paginated_response(AdmissionOut(page, many=True).data)


class AdmissionDetailView(AdmissionAPIView):
    @extend_schema(responses=AdmissionDetailOut, summary="One admission, with its onboarding checklist")
    def get(self, request, admission_id):
        return Response(AdmissionDetailOut(self.admission(admission_id)).data)


class OnboardingItemView(AdmissionAPIView):
    @extend_schema(request=NoteIn, responses=AdmissionDetailOut, summary="Mark an onboarding item done")
    def post(self, request, admission_id, item_id):
        admission = self.admission(admission_id, manage=True)
        item = next((i for i in admission.onboarding.all() if i.pk == item_id), None)
        if item is None:
            raise Http404("No such onboarding item.")
        data = NoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.onboarding_complete(actor=request.user, item=item, **data.validated_data)
        return self.detail(admission)


class AdmissionActivateView(AdmissionAPIView):
    @extend_schema(request=None, responses=AdmissionDetailOut, summary="Activate once onboarding is complete")
    def post(self, request, admission_id):
        admission = self.admission(admission_id, manage=True)
        services.admission_activate(actor=request.user, admission=admission)
        return self.detail(admission)


class AdmissionSuspendView(AdmissionAPIView):
    @extend_schema(request=SuspendIn, responses=AdmissionDetailOut, summary="Suspend, with a reason")
    def post(self, request, admission_id):
        admission = self.admission(admission_id, manage=True)
        data = SuspendIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.admission_suspend(actor=request.user, admission=admission, **data.validated_data)
        return self.detail(admission)


class AdmissionReinstateView(AdmissionAPIView):
    @extend_schema(request=ReasonIn, responses=AdmissionDetailOut, summary="Reinstate after a suspension")
    def post(self, request, admission_id):
        admission = self.admission(admission_id, manage=True)
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.admission_reinstate(actor=request.user, admission=admission, **data.validated_data)
        return self.detail(admission)


class AdmissionRemoveView(AdmissionAPIView):
    @extend_schema(request=RemoveIn, responses=AdmissionDetailOut, summary="Remove from the lot, with the grounds")
    def post(self, request, admission_id):
        admission = self.admission(admission_id, manage=True)
        data = RemoveIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.admission_remove(actor=request.user, admission=admission, **data.validated_data)
        return self.detail(admission)
