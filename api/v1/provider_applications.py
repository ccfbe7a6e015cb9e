"""The provider's side of stage 1 through the API.

Inside an authority (/a/<slug>/api/v1/provider/...): the agreements open to
applications with their window and rules, and the organisations' own
applications: start, answer, submit with the declaration, withdraw, read the
decision clock, the evidence that will be reused and the decision letter.
On the regional site (/api/v1/admissions/): where the person's organisations
are admitted, in every authority, from the public projection.

Provider admins and bid writers write; viewers read. Another provider's
application, or one in another authority, is not found. The services decide;
their refusals are problem details: 400 for bad input, 409 when the state of
things does not allow it (outside a window, already applied, already decided).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilteredList
from api.v1.refs import ClockOut, NamedOut, ReferenceOut, RuleOut
from shared_catalogue.filters import AdmissionEverywhereFilters
from shared_catalogue.models import AdmissionProjection, EvidenceType, Provider
from tenants.admissions import policy, selectors, services
from tenants.admissions.filters import ProviderApplicationFilters
from tenants.admissions.models import Application, ApplicationLot, DecisionLetter
from tenants.agreements.models import Agreement, Question
from tenants.agreements.selectors import agreements_open_to_providers, application_window, published_questionnaire

WRITE_REFUSED = "Only the organisation's provider admins and bid writers can write its applications."

# --- Output -------------------------------------------------------------------------------


class RegimeOut(serializers.Serializer):
    name = serializers.CharField()
    applications_any_time = serializers.BooleanField(help_text="False: only in the rounds the authority publishes.")
    applications = RuleOut()
    decision = RuleOut()
    membership = RuleOut()


class ProviderRoundOut(serializers.Serializer):
    number = serializers.IntegerField()
    opens_on = serializers.DateField()
    closes_on = serializers.DateField()


class ProviderWindowOut(serializers.Serializer):
    open = serializers.BooleanField(help_text="Whether an application may be started and submitted today.")
    message = serializers.CharField()
    rule = RuleOut()
    round = ProviderRoundOut(allow_null=True)
    next_opens_on = serializers.DateField(allow_null=True, help_text="When closed: the next day applications open.")


class ProviderLotOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    tier = serializers.CharField()
    zone = serializers.CharField()
    service_type = serializers.CharField(source="service_type.code", allow_null=True, default=None)


class ProviderAgreementOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Agreement.Kind.choices)
    status = serializers.ChoiceField(choices=Agreement.Status.choices)
    service_area = serializers.CharField()
    description = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    decision_working_days = serializers.IntegerField()
    membership_cap = serializers.IntegerField(allow_null=True)
    regime = RegimeOut()
    window = serializers.SerializerMethodField()
    lots = ProviderLotOut(many=True, source="lots.all")

    @extend_schema_field(ProviderWindowOut)
    def get_window(self, agreement) -> dict:
        return ProviderWindowOut(application_window(agreement, self.context.get("today"))).data


class ProviderQuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    text = serializers.CharField()
    guidance = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    lot = serializers.IntegerField(source="lot_id", allow_null=True, help_text="Only for this lot; null for every lot.")
    evidence_types = serializers.ListField(child=serializers.ChoiceField(choices=EvidenceType.choices),
                                           help_text="Catalogue documents that meet it once verified.")


class QuestionnaireOut(serializers.Serializer):
    number = serializers.IntegerField()
    pass_threshold = serializers.DecimalField(max_digits=5, decimal_places=2)
    scale_max = serializers.IntegerField()
    scale_guidance = serializers.CharField()
    questions = ProviderQuestionOut(many=True, source="questions.all")


class ProviderAgreementDetailOut(ProviderAgreementOut):
    rounds = ProviderRoundOut(many=True, source="rounds.all")
    questionnaire = serializers.SerializerMethodField()

    @extend_schema_field(QuestionnaireOut(allow_null=True))
    def get_questionnaire(self, agreement) -> dict | None:
        version = published_questionnaire(agreement)
        return QuestionnaireOut(version).data if version else None


class EvidenceBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    evidence_type = serializers.ChoiceField(choices=EvidenceType.choices)
    title = serializers.CharField()
    verification = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)


class ProviderAnswerOut(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    response = serializers.CharField()
    complies = serializers.BooleanField(allow_null=True)
    evidence = EvidenceBriefOut(allow_null=True)
    updated_at = serializers.DateTimeField()


class QuestionRowOut(serializers.Serializer):
    question = ProviderQuestionOut()
    answer = ProviderAnswerOut(allow_null=True)
    answered = serializers.BooleanField()
    reusable_evidence = EvidenceBriefOut(
        source="reused", allow_null=True,
        help_text="While a draft: the verified, in-date catalogue document that will be reused for this "
                  "question if no document is attached.")


class ProviderApplicationLotOut(serializers.Serializer):
    lot = serializers.IntegerField(source="lot_id")
    number = serializers.CharField(source="lot.number")
    title = serializers.CharField(source="lot.title")
    outcome = serializers.ChoiceField(choices=ApplicationLot.Outcome.choices)
    quality_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True,
                                             help_text="Per cent, once decided.")
    failed_compliance = serializers.ListField(child=serializers.IntegerField(),
                                              help_text="Positions of the compliance questions not met.")


class ProviderApplicationOut(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = ReferenceOut()
    provider = NamedOut()
    status = serializers.ChoiceField(choices=Application.Status.choices)
    questionnaire_version = serializers.IntegerField(source="version.number")
    round = ProviderRoundOut(allow_null=True)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="The exact time of receipt.")
    decision_due_on = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_reason = serializers.CharField()
    lots = ProviderApplicationLotOut(many=True, source="lots.all")
    decision_clock = serializers.SerializerMethodField()
    letter_available = serializers.SerializerMethodField()

    @extend_schema_field(ClockOut)
    def get_decision_clock(self, application) -> dict:
        return ClockOut(selectors.decision_clock(application)).data

    def get_letter_available(self, application) -> bool:
        return application.status == Application.Status.DECIDED


class ProviderApplicationDetailOut(ProviderApplicationOut):
    declaration = serializers.SerializerMethodField(
        help_text="The declaration to accept when submitting, or as it was accepted.")
    questions = serializers.SerializerMethodField()

    def get_declaration(self, application) -> str:
        return application.declaration or services.DECLARATION

    @extend_schema_field(QuestionRowOut(many=True))
    def get_questions(self, application) -> list:
        return QuestionRowOut(selectors.application_questions(application), many=True).data


class ProviderLetterOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DecisionLetter.Kind.choices)
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)


# --- Input --------------------------------------------------------------------------------


class ApplicationIn(serializers.Serializer):
    agreement = serializers.IntegerField()
    provider = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="Which of your organisations applies; needed if you write "
                                                  "applications for more than one.")
    lots = serializers.ListField(child=serializers.IntegerField(), allow_empty=True, max_length=100,
                                 help_text="Lot ids of the agreement.")


class AnswerIn(serializers.Serializer):
    response = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000,
                                     help_text="Quality questions: the answer. Compliance questions: a note.")
    complies = serializers.BooleanField(required=False, allow_null=True, default=None,
                                        help_text="Compliance questions: yes or no.")
    evidence = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="A document of the organisation's evidence locker. Leave it out "
                                                  "to reuse the verified one shown as reusable_evidence.")


class SubmitIn(serializers.Serializer):
    declaration_accepted = serializers.BooleanField(help_text="The declaration shown in the application is true.")


class WithdrawIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# --- Inside an authority ----------------------------------------------------------------------


class ProviderAPI(TenantAPIMixin):
    audience = Audience.PROVIDER

    def application(self, application_id) -> Application:
        application = selectors.application_for_provider(provider_ids=self.access.provider_ids,
                                                         application_id=application_id)
        if application is None:
            raise Http404("None of your organisations has an application with that id here.")
        return application

    def require_writer(self, application: Application) -> None:
        if not policy.can_write_application(self.access, application.provider_id):
            raise PermissionDenied(WRITE_REFUSED)

    def detail(self, application: Application, status_code=status.HTTP_200_OK) -> Response:
        application = self.application(application.pk)   # as it now stands
        return Response(ProviderApplicationDetailOut(application).data, status=status_code)


class AgreementListView(FilteredList, ProviderAPI, GenericAPIView):
    serializer_class = ProviderAgreementOut

    @extend_schema(responses=ProviderAgreementOut(many=True),
                   summary="Agreements open to applications, with their window")
    def get(self, request):
        self.list_filters()
        page = self.paginate_queryset(agreements_open_to_providers())
        context = {"today": timezone.localdate()}
        return self.get_paginated_response(ProviderAgreementOut(page, many=True, context=context).data)


class AgreementDetailView(ProviderAPI, APIView):
    @extend_schema(responses=ProviderAgreementDetailOut, summary="One agreement: lots, rounds, rules and questions")
    def get(self, request, agreement_id):
        agreement = selectors.agreement_open_to_provider(agreement_id)
        if agreement is None:
            raise Http404("No such agreement is open to providers here.")
        return Response(ProviderAgreementDetailOut(agreement).data)


class ApplicationListView(ProviderAPI, GenericAPIView):
    serializer_class = ProviderApplicationOut
    filterset_class = ProviderApplicationFilters

    @extend_schema(responses=ProviderApplicationOut(many=True), summary="Your organisations' applications here")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(
            selectors.applications_for_provider(self.access.provider_ids).select_related("round")))
        return self.get_paginated_response(ProviderApplicationOut(page, many=True).data)

    @extend_schema(request=ApplicationIn, responses={201: ProviderApplicationDetailOut},
                   summary="Start an application (a draft) to some of an agreement's lots")
    def post(self, request):
        data = ApplicationIn(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = selectors.agreement_open_to_provider(data.validated_data["agreement"])
        if agreement is None:
            raise serializers.ValidationError({"agreement": ["No such agreement is open to providers here."]})
        provider = self._provider(data.validated_data["provider"])
        wanted = set(data.validated_data["lots"])
        lots = list(agreement.lots.filter(pk__in=wanted))
        unknown = sorted(wanted - {lot.pk for lot in lots})
        if unknown:
            listed = ", ".join(map(str, unknown))
            raise serializers.ValidationError({"lots": [f"Not lots of this agreement: {listed}."]})
        application = services.application_start(actor=request.user, agreement=agreement, provider=provider,
                                                 lots=lots)
        return self.detail(application, status.HTTP_201_CREATED)

    def _provider(self, provider_id) -> Provider:
        if provider_id is None:
            writable = policy.providers_that_may_apply(self.access)
            if not writable:
                raise PermissionDenied("Only provider admins and bid writers can apply.")
            if len(writable) > 1:
                raise serializers.ValidationError({"provider": ["You write applications for more than one "
                                                                "organisation: say which one applies."]})
            provider_id = writable[0]
        if provider_id not in self.access.provider_ids:
            raise serializers.ValidationError({"provider": ["None of your organisations has that id."]})
        return Provider.objects.get(pk=provider_id)


class ApplicationDetailView(ProviderAPI, APIView):
    @extend_schema(responses=ProviderApplicationDetailOut,
                   summary="One application: lots and outcomes, answers, evidence to be reused, decision clock")
    def get(self, request, application_id):
        return Response(ProviderApplicationDetailOut(self.application(application_id)).data)


class AnswerView(ProviderAPI, APIView):
    def row(self, application, question_id) -> selectors.QuestionRow:
        row = next((r for r in selectors.application_questions(application) if r.question.pk == question_id), None)
        if row is None:
            raise Http404("That question is not part of this application.")
        return row

    @extend_schema(responses=QuestionRowOut, summary="One question, with the answer so far")
    def get(self, request, application_id, question_id):
        return Response(QuestionRowOut(self.row(self.application(application_id), question_id)).data)

    @extend_schema(request=AnswerIn, responses=ProviderAnswerOut, summary="Answer a question (the whole answer)")
    def put(self, request, application_id, question_id):
        return self._save(request, application_id, question_id, partial=False)

    @extend_schema(request=AnswerIn(partial=True), responses=ProviderAnswerOut,
                   summary="Change part of an answer (the fields sent)")
    def patch(self, request, application_id, question_id):
        return self._save(request, application_id, question_id, partial=True)

    def _save(self, request, application_id, question_id, *, partial: bool) -> Response:
        application = self.application(application_id)
        self.require_writer(application)
        row = self.row(application, question_id)
        data = AnswerIn(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if partial and row.answer is not None:
            current = {"response": row.answer.response, "complies": row.answer.complies,
                       "evidence": row.answer.evidence_id}
            values = current | values
        evidence_id = values.pop("evidence", None)
        evidence = None
        if evidence_id is not None:
            evidence = selectors.provider_document(provider_id=application.provider_id, evidence_id=evidence_id)
            if evidence is None:
                raise serializers.ValidationError({"evidence": ["No such current document in the organisation's "
                                                                "evidence locker."]})
        answer = services.application_answer(actor=request.user, application=application, question=row.question,
                                             response=values.get("response", ""), complies=values.get("complies"),
                                             evidence=evidence)
        return Response(ProviderAnswerOut(answer).data)


class SubmitView(ProviderAPI, APIView):
    @extend_schema(request=SubmitIn, responses=ProviderApplicationDetailOut,
                   summary="Submit, accepting the declaration; the time of receipt is recorded")
    def post(self, request, application_id):
        application = self.application(application_id)
        self.require_writer(application)
        data = SubmitIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            application = services.application_submit(
                actor=request.user, application=application,
                declaration_accepted=data.validated_data["declaration_accepted"])
        except ValidationError as error:
            # the service names the declaration; the API's field is declaration_accepted
            if hasattr(error, "error_dict") and "declaration" in error.error_dict:
                error.error_dict["declaration_accepted"] = error.error_dict.pop("declaration")
            raise
        return self.detail(application)


class WithdrawView(ProviderAPI, APIView):
    @extend_schema(request=WithdrawIn, responses=ProviderApplicationOut,
                   summary="Withdraw before the decision; the lots can be applied for again")
    def post(self, request, application_id):
        application = self.application(application_id)
        self.require_writer(application)
        data = WithdrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.application_withdraw(actor=request.user, application=application, **data.validated_data)
        return self.detail(application)


class LetterView(ProviderAPI, APIView):
    @extend_schema(responses=ProviderLetterOut, summary="The decision letter, once decided")
    def get(self, request, application_id):
        letter = selectors.decision_letter_for(self.application(application_id))
        if letter is None:
            raise Http404("There is no decision letter yet: the application has not been decided.")
        return Response(ProviderLetterOut(letter).data)


# --- On the regional site ------------------------------------------------------------------


class AuthorityRefOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class AdmissionEverywhereOut(serializers.Serializer):
    authority = AuthorityRefOut()
    provider = NamedOut()
    admission_id = serializers.IntegerField(help_text="The admission's id in the authority.")
    agreement_reference = serializers.CharField()
    agreement_title = serializers.CharField()
    agreement_live = serializers.BooleanField()
    lot_number = serializers.CharField()
    lot_title = serializers.CharField()
    service_type = serializers.CharField(source="service_type.code", allow_null=True, default=None)
    status = serializers.ChoiceField(choices=AdmissionProjection.Status.choices)
    updated_at = serializers.DateTimeField()


class AdmissionsEverywhereView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AdmissionEverywhereOut
    filterset_class = AdmissionEverywhereFilters

    @extend_schema(responses=AdmissionEverywhereOut(many=True),
                   summary="Where your organisations are admitted, in every authority")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(selectors.admitted_everywhere(request.user)))
        return self.get_paginated_response(AdmissionEverywhereOut(page, many=True).data)
