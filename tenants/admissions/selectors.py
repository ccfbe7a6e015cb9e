"""Reading applications, evaluations and admissions: who may see what is
decided here, so pages and API show the same things to the same people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from accounts.models import ProviderMembership
from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole
from common.workdays import working_days_between
from shared_catalogue.models import AdmissionProjection, Evidence, EvidenceType
from tenants.admissions import policy
from tenants.admissions.models import (
    Admission,
    Answer,
    Application,
    ApplicationLot,
    Assignment,
    DecisionLetter,
    OnboardingItem,
    Score,
)
from tenants.admissions.services import applicable_questions, usable_evidence
from tenants.agreements.models import Agreement, Question
from tenants.agreements.rules import Rule
from tenants.agreements.selectors import agreements_open_to_providers

DUE_SOON_WORKING_DAYS = 2


def applications_for_staff(access: TenantAccess):
    """Submitted applications: all of them for commissioners and quality
    officers; for an evaluator, only those given to them. Drafts stay the
    provider's own."""
    applications = (Application.objects.exclude(status=Application.Status.DRAFT)
                    .select_related("agreement", "provider", "lead", "round")
                    .prefetch_related(Prefetch("lots", queryset=ApplicationLot.objects.select_related("lot")))
                    .order_by("decision_due_on", "pk"))
    if policy.can_read_all_applications(access):
        return applications
    if access.has_role(AuthorityRole.EVALUATOR):
        return applications.filter(assignments__evaluator_id=access.user_id)
    return applications.none()


def assignment_for(user, application: Application) -> Assignment | None:
    return Assignment.objects.filter(application=application, evaluator=user).first()


def application_for_evaluator(user, application: Application) -> Assignment:
    """An evaluator sees an application's answers only once they have
    declared no conflict of interest."""
    assignment = assignment_for(user, application)
    if assignment is None:
        raise PermissionDenied("This application has not been given to you to evaluate.")
    if assignment.declared_at is None:
        raise PermissionDenied("Declare whether you have a conflict of interest before you see this application.")
    if assignment.conflicted:
        raise PermissionDenied("You declared a conflict of interest in this application.")
    return assignment


def scores_visible_to(user, access: TenantAccess, application: Application) -> list[Score]:
    """Scores are independent: before moderation an evaluator sees only their
    own, and the lead sees who has finished but not the scores. From
    moderation on, the lead and the evaluators without a conflict see all."""
    scores = (Score.objects.filter(assignment__application=application)
              .select_related("assignment__evaluator", "question").order_by("question__position", "assignment_id"))
    opened = application.status in (Application.Status.MODERATION, Application.Status.DECIDED)
    assignment = assignment_for(user, application)
    if opened and (access.has_role(AuthorityRole.COMMISSIONER) or (assignment and assignment.may_score)):
        return list(scores)
    if assignment and assignment.may_score:
        return list(scores.filter(assignment=assignment))
    return []


@dataclass(frozen=True)
class Progress:
    evaluator: str
    declared: bool
    conflicted: bool
    submitted: bool


def evaluation_progress(application: Application) -> list[Progress]:
    """Who has declared and finished, without their scores."""
    return [Progress(a.evaluator.get_full_name() or a.evaluator.email, a.declared_at is not None,
                     bool(a.conflicted), a.scores_submitted_at is not None)
            for a in application.assignments.select_related("evaluator")]


@dataclass(frozen=True)
class Clock:
    due_on: date | None
    working_days_left: int | None
    state: str  # "not_started", "on_track", "due_soon", "overdue", "decided", "withdrawn"
    extended: bool
    rule: Rule

    @property
    def label(self) -> str:
        if self.state == "decided":
            return "Decided"
        if self.state == "withdrawn":
            return "Withdrawn"
        if self.due_on is None:
            return "Not submitted"
        if self.state == "overdue":
            return f"Overdue by {-self.working_days_left} working day{'s' if self.working_days_left != -1 else ''}"
        days = self.working_days_left
        return f"{days} working day{'s' if days != 1 else ''} left (due {self.due_on:%-d %B %Y})"


def decision_clock(application: Application, today: date | None = None) -> Clock:
    rule = application.agreement.regime.decision
    extended = bool(application.decision_extended_reason)
    if application.status == Application.Status.DECIDED:
        return Clock(application.decision_due_on, None, "decided", extended, rule)
    if application.status == Application.Status.WITHDRAWN:
        return Clock(None, None, "withdrawn", extended, rule)
    if application.decision_due_on is None:
        return Clock(None, None, "not_started", extended, rule)
    today = today or timezone.localdate()
    left = working_days_between(today, application.decision_due_on)
    state = "overdue" if left < 0 else "due_soon" if left <= DUE_SOON_WORKING_DAYS else "on_track"
    return Clock(application.decision_due_on, left, state, extended, rule)


def reusable_evidence(application: Application, today: date | None = None) -> dict[int, Evidence]:
    """For each compliance question that catalogue evidence can meet, the
    verified, in-date document that will be reused: shown to the provider so
    they are not asked again."""
    lot_ids = application.lots.values_list("lot_id", flat=True)
    found = {}
    for question in applicable_questions(application.version, lot_ids):
        if question.kind == Question.Kind.COMPLIANCE and question.evidence_types:
            evidence = usable_evidence(application.provider_id, question.evidence_types, today)
            if evidence:
                found[question.pk] = evidence
    return found


def applications_for_provider(provider_ids):
    return (Application.objects.filter(provider_id__in=provider_ids)
            .select_related("agreement", "provider", "version")
            .prefetch_related(Prefetch("lots", queryset=ApplicationLot.objects.select_related("lot")))
            .order_by("-created_at"))


def admissions_for_staff():
    return (Admission.objects.select_related("agreement", "lot", "provider", "application__round")
            .annotate(outstanding=Count("onboarding", filter=Q(onboarding__done_at__isnull=True)))
            .order_by("agreement__reference", "lot__number", "provider__name"))


def admitted_everywhere(user):
    """Where the person's organisations are admitted, in every authority: one
    query on the public projection, whatever the number of authorities."""
    providers = (ProviderMembership.objects.current().filter(user=user, provider__is_active=True)
                 .values("provider_id"))
    return (AdmissionProjection.objects.filter(provider_id__in=providers)
            .select_related("authority", "provider", "service_type")
            .order_by("provider__name", "authority__name", "agreement_reference", "lot_number"))


# --- The provider's side: pages and API -------------------------------------------------

def agreement_open_to_provider(agreement_id) -> Agreement | None:
    """An agreement a provider may look at, or None (a draft looks missing)."""
    return agreements_open_to_providers().filter(pk=agreement_id).first()


def application_for_provider(*, provider_ids, application_id) -> Application | None:
    """One of the organisations' own applications, or None: another
    provider's and a missing one look the same."""
    return applications_for_provider(provider_ids).select_related("round").filter(pk=application_id).first()


@dataclass(frozen=True)
class QuestionRow:
    """One applicable question with the provider's answer so far, and the
    verified catalogue document that will be reused if they attach none."""

    question: Question
    answer: Answer | None
    reused: Evidence | None

    @property
    def answered(self) -> bool:
        if self.answer is None:
            return False
        if self.question.kind == Question.Kind.QUALITY:
            return bool(self.answer.response)
        return self.answer.complies is not None

    @property
    def evidence_wanted(self) -> list[str]:
        return [EvidenceType(t).label for t in self.question.evidence_types]


def application_questions(application: Application, today: date | None = None) -> list[QuestionRow]:
    """The questions this application answers, in order, each with its answer
    and the evidence that will be reused for it."""
    prefetch_related_objects([application.version],
                             Prefetch("questions", queryset=Question.objects.select_related("lot")))
    lot_ids = [row.lot_id for row in application.lots.all()]
    answers = {a.question_id: a for a in application.answers.select_related("evidence")}
    reused = reusable_evidence(application, today) if application.status == Application.Status.DRAFT else {}
    return [QuestionRow(q, answers.get(q.pk), reused.get(q.pk))
            for q in applicable_questions(application.version, lot_ids)]


def provider_documents(provider_id: int):
    """The organisation's current documents (not replaced, not rejected), to
    attach to a compliance answer."""
    return (Evidence.objects.filter(provider_id=provider_id, replaced_by__isnull=True)
            .exclude(verification=Evidence.Verification.REJECTED)
            .order_by("evidence_type", "-uploaded_at"))


def provider_document(*, provider_id: int, evidence_id) -> Evidence | None:
    try:
        evidence_id = int(evidence_id)
    except (TypeError, ValueError):
        return None
    return provider_documents(provider_id).filter(pk=evidence_id).first()


def decision_letter_for(application: Application) -> DecisionLetter | None:
    """The decision letter, once the application is decided."""
    if application.status != Application.Status.DECIDED:
        return None
    return DecisionLetter.objects.filter(application=application).first()


def application_for_staff(access: TenantAccess, application_id) -> Application | None:
    """One application this member of staff may see, or None (missing and forbidden look alike)."""
    return applications_for_staff(access).filter(pk=application_id).first()


def applications_assigned_to(user):
    """Applications given to this person to evaluate, with their own assignment as `.mine`."""
    return (Application.objects.filter(assignments__evaluator=user).exclude(status=Application.Status.DRAFT)
            .select_related("agreement", "provider", "round")
            .prefetch_related(Prefetch("lots", queryset=ApplicationLot.objects.select_related("lot")),
                              Prefetch("assignments", queryset=Assignment.objects.filter(evaluator=user),
                                       to_attr="mine"))
            .order_by("decision_due_on", "pk"))


def may_see_answers(user, access: TenantAccess, application: Application) -> bool:
    """Commissioners and quality officers read every submitted application;
    an evaluator only once they have declared no conflict."""
    if policy.can_read_all_applications(access):
        return True
    try:
        application_for_evaluator(user, application)
    except PermissionDenied:
        return False
    return True


@dataclass(frozen=True)
class AnswerRow:
    question: Question
    answer: object  # Answer | None
    moderated: object  # ModeratedResult | None


def application_answers(application: Application) -> list[AnswerRow]:
    """The questions this application had to answer, with its answers and any moderated result."""
    lot_ids = [al.lot_id for al in application.lots.all()]
    answers = {a.question_id: a for a in application.answers.select_related("evidence")}
    moderated = {m.question_id: m for m in application.moderated.select_related("moderated_by")}
    prefetch_related_objects([application.version],
                             Prefetch("questions", queryset=Question.objects.select_related("lot")))
    return [AnswerRow(q, answers.get(q.pk), moderated.get(q.pk))
            for q in applicable_questions(application.version, lot_ids)]


def evaluators_available():
    """People who may be given applications here: evaluators and
    commissioners of this authority (or, in a partnership, of its members)
    whose staff role is usable (MFA set up)."""
    from allauth.mfa.models import Authenticator

    from accounts.models import AuthorityMembership, User
    from tenancy.selectors import authority_current

    here = authority_current()
    holders = (AuthorityMembership.objects.current()
               .filter(role__in=[AuthorityRole.EVALUATOR, AuthorityRole.COMMISSIONER], authority__is_active=True)
               .filter(Q(authority=here) | Q(authority__partnerships=here)).values("user_id"))
    with_mfa = Authenticator.objects.filter(type=Authenticator.Type.TOTP).values("user_id")
    return (User.objects.filter(is_active=True, pk__in=holders).filter(pk__in=with_mfa)
            .order_by("full_name", "email"))


def admission_for_staff(admission_id) -> Admission | None:
    return (admissions_for_staff().filter(pk=admission_id)
            .select_related("application")
            .prefetch_related(Prefetch("onboarding", queryset=OnboardingItem.objects.select_related("done_by")))
            .first())
