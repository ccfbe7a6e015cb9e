"""Applications, evaluation, moderation, decisions and admissions: one
function per transition. Each checks who is asking and the current state,
records an audit event in the authority's chain, and refuses with a clear
message when the move is not allowed. Admissions are mirrored into the public
projection in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.policy import access_compute, access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from common.identifiers import find_person_identifiers, person_identifier_message
from common.workdays import add_working_days
from outbox.services import outbox_add
from shared_catalogue.models import Evidence, EvidenceType, Provider
from tenancy.selectors import authority_current
from tenants.admissions import policy, projection
from tenants.admissions.models import (
    Admission,
    Answer,
    Application,
    ApplicationLot,
    Assignment,
    DecisionLetter,
    ModeratedResult,
    OnboardingItem,
    Score,
)
from tenants.agreements.models import Agreement, Lot, Question, QuestionnaireVersion
from tenants.agreements.selectors import application_window

DECLARATION = (
    "I confirm that the information in this application is true and complete, that I am authorised to "
    "submit it for the organisation, and that the organisation will tell the authority of any change."
)
Status = Application.Status
HUNDRED = Decimal("100")




def _work_queue_changed() -> None:
    from tenants.workspace.services import after_change

    after_change()


def _locked(application: Application) -> Application:
    return (Application.objects.select_for_update(of=("self",))
            .select_related("agreement", "version").get(pk=application.pk))


def _require_status(application: Application, *statuses: str, doing: str) -> None:
    if application.status not in statuses:
        raise Conflict(f"The application is {application.get_status_display().lower()}: it cannot be {doing} now.")


def applicable_questions(version: QuestionnaireVersion, lot_ids) -> list[Question]:
    """The version's questions for every lot, and those for the lots chosen."""
    lot_ids = set(lot_ids)
    return [q for q in version.questions.all() if q.lot_id is None or q.lot_id in lot_ids]


def _usable(today: date):
    """Documents a decision may rely on: verified, current, not expired."""
    return (Evidence.objects.filter(verification=Evidence.Verification.VERIFIED, replaced_by__isnull=True)
            .exclude(expires_on__lt=today))


def usable_evidence(provider_id: int, evidence_types, today: date | None = None) -> Evidence | None:
    """The provider's latest verified, in-date document of one of these types."""
    if not evidence_types:
        return None
    return (_usable(today or timezone.localdate()).filter(provider_id=provider_id, evidence_type__in=evidence_types)
            .order_by("-uploaded_at").first())


def usable_evidence_types(provider_ids, evidence_types, today: date | None = None) -> set[tuple[int, str]]:
    """(provider, type) for every usable document of these providers and
    types: one query for many providers, where usable_evidence is for one."""
    if not evidence_types:
        return set()
    return set(_usable(today or timezone.localdate())
               .filter(provider_id__in=provider_ids, evidence_type__in=evidence_types)
               .values_list("provider_id", "evidence_type").distinct())


# --- The provider's side ------------------------------------------------------------

def application_start(*, actor, agreement: Agreement, provider: Provider, lots: list[Lot],
                      today: date | None = None) -> Application:
    """A draft application to some of an agreement's lots, against the
    questionnaire published now. Refused outside a window, with when the next
    one opens."""
    require(policy.can_write_application(access_here(actor), provider.pk),
             "Only the organisation's provider admins and bid writers can apply.")
    agreement = Agreement.objects.get(pk=agreement.pk)  # its state now, not as the caller last saw it
    window = application_window(agreement, today)
    if not window.open:
        raise Conflict({"window": f"{window.message} ({window.rule.source})"})
    version = agreement.questionnaires.filter(status=QuestionnaireVersion.Status.PUBLISHED).first()
    if version is None:
        raise Conflict("The selection questionnaire has not been published yet.")
    lots = list({lot.pk: lot for lot in lots}.values())  # the same lot twice is one lot
    if not lots:
        raise Invalid({"lots": "Choose at least one lot."})
    if any(lot.agreement_id != agreement.pk for lot in lots):
        raise Invalid({"lots": "Those lots belong to another agreement."})
    standing = (Admission.objects.filter(provider=provider, lot__in=lots).exclude(status=Admission.Status.REMOVED)
                .select_related("lot"))
    if standing:
        raise Conflict({"lots": "Already admitted to " + ", ".join(f"lot {a.lot.number}" for a in standing) + "."})
    if agreement.membership_cap:
        full = [lot.number for lot in lots if Admission.objects.filter(lot=lot).exclude(
            status=Admission.Status.REMOVED).count() >= agreement.membership_cap]
        if full:
            raise Conflict({"lots": f"Lot {', '.join(full)} is full ({agreement.membership_cap} providers)."})
    try:
        with transaction.atomic():
            application = Application.objects.create(agreement=agreement, provider=provider, version=version,
                                                     round=window.round, created_by=actor)
            ApplicationLot.objects.bulk_create([ApplicationLot(application=application, lot=lot, provider=provider)
                                                for lot in lots])
            projection.write_application(application)
            audit_record(actor=actor, action="application.started", obj=application,
                         after={"provider": provider.name, "lots": sorted(lot.number for lot in lots),
                                "questionnaire_version": version.number},
                         context={"agreement": agreement.reference})
    except IntegrityError as error:
        raise Conflict({"lots": "The organisation already has an application in progress for one of these "
                                "lots: carry on with that one, or withdraw it first."}) from error
    return application


def application_answer(*, actor, application: Application, question: Question, response: str = "",
                       complies: bool | None = None, evidence: Evidence | None = None) -> Answer:
    """Save an answer to a draft (drafts can be saved as often as needed)."""
    require(policy.can_write_application(access_here(actor), application.provider_id),
             "Only the organisation's provider admins and bid writers can write its applications.")
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, Status.DRAFT, doing="changed")
        lot_ids = application.lots.values_list("lot_id", flat=True)
        if question.version_id != application.version_id or (question.lot_id and question.lot_id not in lot_ids):
            raise Invalid({"question": "That question is not part of this application."})
        if evidence is not None:
            evidence = Evidence.objects.get(pk=evidence.pk)  # its state now: verified, rejected, replaced
        if evidence is not None and evidence.provider_id != application.provider_id:
            raise Invalid({"evidence": "Attach one of the organisation's own documents."})
        if evidence is not None and question.evidence_types and evidence.evidence_type not in question.evidence_types:
            # Otherwise a verified document of another kind would meet the requirement at the decision.
            wanted = ", ".join(EvidenceType(t).label.lower() for t in question.evidence_types)
            raise Invalid({"evidence": f"This question asks for: {wanted}."})
        if evidence is not None and (evidence.verification == Evidence.Verification.REJECTED
                                     or Evidence.objects.filter(replaces=evidence).exists()):
            raise Invalid({"evidence": "That document was rejected or has been replaced: attach the current one."})
        if question.kind == Question.Kind.COMPLIANCE and complies is None and not response:
            raise Invalid({"complies": "Answer yes or no."})
        answer, _ = Answer.objects.update_or_create(
            application=application, question=question,
            defaults={"response": (response or "").strip(), "complies": complies, "evidence": evidence,
                      "updated_at": timezone.now()})
    return answer


def application_submit(*, actor, application: Application, declaration_accepted: bool,
                       now=None) -> Application:
    """Submit: every question answered, the declaration made, inside a window.
    Verified catalogue evidence is reused for compliance questions it meets.
    The decision clock starts from the day of receipt."""
    access = access_here(actor)
    require(policy.can_write_application(access, application.provider_id),
             "Only the organisation's provider admins and bid writers can submit its applications.")
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, Status.DRAFT, doing="submitted")
        agreement = application.agreement
        window = application_window(agreement, today)
        if not window.open:
            raise Conflict({"window": f"{window.message} ({window.rule.source})"})
        lot_ids = list(application.lots.values_list("lot_id", flat=True))
        answers = {a.question_id: a for a in application.answers.select_related("evidence")}
        missing, reused = [], []
        for question in applicable_questions(application.version, lot_ids):
            answer = answers.get(question.pk)
            if question.kind == Question.Kind.QUALITY:
                if answer is None or not answer.response:
                    missing.append(question.position)
                continue
            if answer is None or answer.complies is None:
                missing.append(question.position)
                continue
            if question.evidence_types and answer.complies and answer.evidence is None:
                found = usable_evidence(application.provider_id, question.evidence_types, today)
                if found is None:
                    missing.append(question.position)
                else:
                    answer.evidence = found
                    answer.save(update_fields=["evidence"])
                    reused.append({"question": question.position, "evidence": found.pk})
        errors = {}
        if missing:
            errors["answers"] = ("Answer every question before submitting (questions "
                                 f"{', '.join(str(p) for p in sorted(missing))}); compliance questions that "
                                 "ask for evidence need a verified document.")
        if not declaration_accepted:
            errors["declaration"] = "Confirm the declaration to submit."
        if errors:
            raise Invalid(errors)
        application.status = Status.SUBMITTED
        application.submitted_at = now
        application.declaration = DECLARATION
        application.declared_by = actor
        application.decision_due_on = add_working_days(today, agreement.decision_working_days)
        application.save()
        projection.write_application(application)
        audit_record(actor=actor, action="application.submitted", obj=application,
                     after={"submitted_at": now, "decision_due_on": application.decision_due_on,
                            "reused_evidence": reused},
                     context={"agreement": agreement.reference, "rule": str(agreement.regime.decision)})
        _work_queue_changed()  # commissioners hear of a new application straight away
    return application


def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    require(policy.can_write_application(access_here(actor), application.provider_id),
             "Only the organisation's provider admins and bid writers can withdraw its applications.")
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, *Application.LIVE, doing="withdrawn")
        before = application.status
        application.status = Status.WITHDRAWN
        application.withdrawn_at = timezone.now()
        application.withdrawn_reason = (reason or "").strip()
        application.save()
        application.lots.update(live=False)
        projection.write_application(application)
        audit_record(actor=actor, action="application.withdrawn", obj=application, reason=application.withdrawn_reason,
                     before={"status": before}, after={"status": application.status})
    return application


# --- Evaluation ---------------------------------------------------------------------

def _refuse_person_identifiers(**texts) -> None:
    """Staff text the applicant reads is about its organisation, but must not
    carry what identifies a person (a package's or anyone's)."""
    errors = {field: person_identifier_message(findings) for field, text in texts.items()
              if (findings := find_person_identifiers(str(text or "")))}
    if errors:
        raise Invalid(errors)


def decision_extend(*, actor, application: Application, reason: str) -> Application:
    """Extend the decision period to the agreement's longest, with a recorded reason."""
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners can extend the decision period.")
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the decision needs longer."})
    _refuse_person_identifiers(reason=reason)  # shown to the applicant
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, Status.SUBMITTED, Status.EVALUATION, Status.MODERATION, doing="extended")
        if application.decision_extended_reason:
            raise Conflict("The decision period has already been extended once.")
        agreement = application.agreement
        before = application.decision_due_on
        application.decision_due_on = add_working_days(timezone.localdate(application.submitted_at),
                                                       agreement.decision_extended_working_days)
        application.decision_extended_reason = reason.strip()
        application.save()
        projection.write_application(application)
        audit_record(actor=actor, action="application.decision_extended", obj=application, reason=reason.strip(),
                     before={"decision_due_on": before}, after={"decision_due_on": application.decision_due_on},
                     context={"rule": str(agreement.regime.decision)})
    return application


def evaluators_assign(*, actor, application: Application, evaluators: list) -> list[Assignment]:
    """The lead (a commissioner) gives the application to evaluators."""
    access = access_here(actor)
    require(policy.can_lead_evaluation(access), "Only commissioners lead evaluations.")
    authority = authority_current()
    not_evaluators = [e.email for e in evaluators
                      if not policy.can_be_evaluator(access_compute(user=e, authority=authority))]
    if not_evaluators:
        raise Invalid({"evaluators": f"Not evaluators here: {', '.join(not_evaluators)}."})
    if not evaluators:
        raise Invalid({"evaluators": "Choose at least one evaluator."})
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, Status.SUBMITTED, Status.EVALUATION, doing="assigned")
        existing = set(application.assignments.values_list("evaluator_id", flat=True))
        made = Assignment.objects.bulk_create([Assignment(application=application, evaluator=e, assigned_by=actor)
                                               for e in evaluators if e.pk not in existing])
        application.status = Status.EVALUATION
        application.lead = application.lead or actor
        application.save()
        projection.write_application(application)
        audit_record(actor=actor, action="evaluation.assigned", obj=application,
                     after={"evaluators": sorted(e.email for e in evaluators)})
        _work_queue_changed()  # each evaluator hears straight away
    return made


def _assignment(actor, application: Application) -> Assignment:
    assignment = Assignment.objects.select_for_update().filter(application=application, evaluator=actor).first()
    if assignment is None:
        raise PermissionDenied("This application has not been given to you to evaluate.")
    return assignment


def conflict_declare(*, actor, application: Application, conflicted: bool, details: str = "") -> Assignment:
    """Before seeing an application, an evaluator says whether they have a
    conflict of interest. A conflict can be declared later too; their scores
    are then set aside."""
    require(policy.can_be_evaluator(access_here(actor)), "Only evaluators declare conflicts of interest.")
    if conflicted and not (details or "").strip():
        raise Invalid({"details": "Describe the conflict, so the lead can decide what to do."})
    with transaction.atomic():
        assignment = _assignment(actor, application)
        # Once moderation has opened, the scores are the record the decision rests on: they stay.
        application = _locked(application)
        if application.status != Status.EVALUATION:
            raise Conflict(f"Declarations are made during evaluation; the application is "
                           f"{application.get_status_display().lower()}.")
        if assignment.declared_at and (assignment.conflicted or not conflicted):
            raise Conflict("You have already made your declaration for this application.")
        set_aside = assignment.scores.count() if conflicted else 0
        assignment.scores.all().delete()
        assignment.declared_at = timezone.now()
        assignment.conflicted = bool(conflicted)
        assignment.conflict_details = (details or "").strip()
        assignment.scores_submitted_at = None
        assignment.save()
        audit_record(actor=actor, action="evaluation.conflict_declared", obj=application,
                     after={"evaluator": actor.email, "conflicted": assignment.conflicted},
                     reason=assignment.conflict_details, context={"scores_set_aside": set_aside})
    return assignment


def _require_may_score(assignment: Assignment) -> None:
    if assignment.declared_at is None:
        raise PermissionDenied("Declare whether you have a conflict of interest before you see or score this "
                               "application.")
    if assignment.conflicted:
        raise PermissionDenied("You declared a conflict of interest in this application, so you cannot score it.")


def score_record(*, actor, application: Application, question: Question, score: int, comment: str) -> Score:
    """An evaluator's own score for a quality question, hidden from the other
    evaluators until moderation."""
    with transaction.atomic():
        assignment = _assignment(actor, application)
        _require_may_score(assignment)
        application = _locked(application)
        _require_status(application, Status.EVALUATION, doing="scored")
        if assignment.scores_submitted_at:
            raise Conflict("You have submitted your scores for this application.")
        _check_question(application, question, Question.Kind.QUALITY)
        scale = application.version.scale_max
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= scale:
            raise Invalid({"score": f"Score from 0 to {scale}."})
        if not (comment or "").strip():
            raise Invalid({"comment": "Give the reason for your score; it informs moderation and feedback."})
        result, _ = Score.objects.update_or_create(
            assignment=assignment, question=question,
            defaults={"score": score, "comment": comment.strip(), "scored_at": timezone.now()})
        # The value is not put in the trail: scores stay independent until moderation.
        audit_record(actor=actor, action="evaluation.scored", obj=application,
                     context={"question": question.position, "evaluator": actor.email})
    return result


def _check_question(application: Application, question: Question, kind: str) -> None:
    lot_ids = set(application.lots.values_list("lot_id", flat=True))
    if question.version_id != application.version_id or (question.lot_id and question.lot_id not in lot_ids):
        raise Invalid({"question": "That question is not part of this application."})
    if question.kind != kind:
        raise Invalid({"question": f"That is a {question.get_kind_display().lower()} question."})


def scores_submit(*, actor, application: Application) -> Assignment:
    with transaction.atomic():
        assignment = _assignment(actor, application)
        _require_may_score(assignment)
        application = _locked(application)
        _require_status(application, Status.EVALUATION, doing="scored")
        lot_ids = application.lots.values_list("lot_id", flat=True)
        wanted = {q.pk: q.position for q in applicable_questions(application.version, lot_ids)
                  if q.kind == Question.Kind.QUALITY}
        missing = sorted(wanted[q] for q in set(wanted) - set(assignment.scores.values_list("question_id", flat=True)))
        if missing:
            raise Invalid({"scores": f"Score every quality question first (questions {', '.join(map(str, missing))})."})
        assignment.scores_submitted_at = timezone.now()
        assignment.save(update_fields=["scores_submitted_at"])
        audit_record(actor=actor, action="evaluation.scores_submitted", obj=application,
                     context={"evaluator": actor.email})
    return assignment


def moderation_open(*, actor, application: Application) -> Application:
    """When every evaluator without a conflict has submitted, the scores are
    opened to the evaluators and the lead for moderation."""
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners moderate.")
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, Status.EVALUATION, doing="moderated")
        assignments = list(application.assignments.select_related("evaluator"))
        waiting = [a.evaluator.email for a in assignments
                   if a.declared_at is None or (not a.conflicted and a.scores_submitted_at is None)]
        scoring = [a for a in assignments if a.may_score]
        if waiting:
            raise Conflict(f"Still waiting for {', '.join(waiting)}.")
        if not scoring:
            raise Conflict("Every evaluator declared a conflict: assign another evaluator.")
        application.status = Status.MODERATION
        application.save(update_fields=["status"])
        projection.write_application(application)
        audit_record(actor=actor, action="evaluation.moderation_opened", obj=application,
                     context={"evaluators": [a.evaluator.email for a in scoring]})
    return application


def moderate(*, actor, application: Application, question: Question, rationale: str, score: int | None = None,
             met: bool | None = None) -> ModeratedResult:
    """The final result for one question, with the rationale that goes into the feedback."""
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners moderate.")
    if not (rationale or "").strip():
        raise Invalid({"rationale": "Give the rationale; it goes into the provider's feedback."})
    _refuse_person_identifiers(rationale=rationale)  # quoted in the decision letter
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, Status.MODERATION, doing="moderated")
        _check_question(application, question, question.kind)
        if question.kind == Question.Kind.QUALITY:
            scale = application.version.scale_max
            if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= scale:
                raise Invalid({"score": f"Score from 0 to {scale}."})
            met = None
        else:
            if met is None:
                raise Invalid({"met": "Say whether the requirement is met."})
            score = None
        result, _ = ModeratedResult.objects.update_or_create(
            application=application, question=question,
            defaults={"score": score, "met": met, "rationale": rationale.strip(), "moderated_by": actor,
                      "moderated_at": timezone.now()})
        audit_record(actor=actor, action="evaluation.moderated", obj=application, reason=rationale.strip(),
                     after={"question": question.position, "score": score, "met": met})
    return result


class ModerationRefused(Invalid):
    """Some of several questions' results were refused: `by_question` holds
    each refusal against its question's id, and nothing was saved."""

    def __init__(self, by_question: dict[int, ValidationError]):
        self.by_question = by_question
        super().__init__([message for error in by_question.values() for message in error.messages])


def moderate_all(*, actor, application: Application, results: list[tuple[Question, dict]]) -> list[ModeratedResult]:
    """Several questions' final results at once, from one form: every one is
    saved or, when any is refused, none is, and each refusal is kept against
    its own question (ModerationRefused)."""
    if not results:
        raise Invalid("Enter the final result and rationale for at least one question.")
    refused: dict[int, ValidationError] = {}
    saved = []
    with transaction.atomic():
        for question, values in results:
            try:
                with transaction.atomic():
                    saved.append(moderate(actor=actor, application=application, question=question, **values))
            except ValidationError as error:
                refused[question.pk] = error
        if refused:
            raise ModerationRefused(refused)
    return saved


# --- The decision -------------------------------------------------------------------

@dataclass
class LotOutcome:
    lot: Lot
    passed: bool
    quality_score: Decimal | None
    failed_compliance: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)


def application_outcomes(application: Application, today: date | None = None) -> list[LotOutcome]:
    """What the rules decide for each lot: any compliance requirement not met
    fails it; otherwise the weighted moderated quality score against the
    threshold. A person confirms it with application_decide."""
    today = today or timezone.localdate()
    version = application.version
    moderated = {m.question_id: m for m in application.moderated.all()}
    answers = {a.question_id: a for a in application.answers.select_related("evidence")}
    outcomes = []
    for application_lot in application.lots.select_related("lot"):
        questions = applicable_questions(version, [application_lot.lot_id])
        failed, missing, points, possible = [], [], Decimal(0), Decimal(0)
        for question in questions:
            result = moderated.get(question.pk)
            if question.kind == Question.Kind.COMPLIANCE:
                if result is not None:
                    met = result.met
                else:
                    answer = answers.get(question.pk)
                    evidence = answer.evidence if answer else None
                    met = bool(answer and answer.complies) and (
                        not question.evidence_types
                        or (evidence is not None and evidence.verification == Evidence.Verification.VERIFIED
                            and not evidence.is_expired(today)))
                if not met:
                    failed.append(question.position)
            elif result is None:
                missing.append(question.position)
            else:
                points += question.weight * result.score
                possible += question.weight * version.scale_max
        score = ((points / possible) * HUNDRED).quantize(Decimal("0.01"), ROUND_HALF_UP) if possible else None
        passed = not failed and not missing and score is not None and score >= version.pass_threshold
        outcomes.append(LotOutcome(application_lot.lot, passed, score, failed, missing))
    return outcomes


def _reference(agreement: Agreement, lot: Lot) -> str:
    sequence = Admission.objects.filter(lot=lot).count() + 1
    return f"{agreement.reference}/L{lot.number}/{sequence:03d}"


def application_decide(*, actor, application: Application) -> Application:
    """A person confirms the outcome the rules give: admissions for the lots
    passed (pending onboarding), a decision letter with scores and feedback,
    sent by e-mail once the decision is committed."""
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners confirm decisions.")
    with transaction.atomic():
        application = _locked(application)
        _require_status(application, Status.MODERATION, doing="decided")
        outcomes = application_outcomes(application)
        missing = sorted({p for o in outcomes for p in o.missing})
        if missing:
            raise Conflict(f"Moderate every quality question first (questions {', '.join(map(str, missing))}).")
        admissions = []
        for outcome in outcomes:
            ApplicationLot.objects.filter(application=application, lot=outcome.lot).update(
                live=False, outcome=ApplicationLot.Outcome.PASSED if outcome.passed else ApplicationLot.Outcome.FAILED,
                quality_score=outcome.quality_score, failed_compliance=outcome.failed_compliance)
            if outcome.passed:
                admissions.append(_admit(actor, application, outcome.lot))
        application.status = Status.DECIDED
        application.decided_by = actor
        application.decided_at = timezone.now()
        application.save()
        projection.write_application(application)
        letter = _letter(application, outcomes)
        audit_record(actor=actor, action="application.decided", obj=application,
                     after={"lots": {o.lot.number: {"passed": o.passed, "quality_score": o.quality_score,
                                                    "failed_compliance": o.failed_compliance} for o in outcomes},
                            "admissions": [a.reference for a in admissions], "letter": letter.kind},
                     context={"threshold": application.version.pass_threshold})
        _send_letter(letter.pk)
    return application


def provider_is_new_here(*, provider_id: int, application: Application, as_of=None) -> bool:
    """No admission (to any agreement) or placement with this authority before
    this application: what councils report as "new to the area". Judged by
    the dates when `as_of` (the admission's time) is given, as imported
    history is (tenants.history): only what came before it counts."""
    from tenants.placements.models import Placement

    earlier = Admission.objects.filter(provider_id=provider_id).exclude(application=application)
    placements = Placement.objects.filter(provider_id=provider_id)
    if as_of is not None:
        earlier = earlier.filter(admitted_at__lt=as_of)
        placements = placements.filter(start_on__lt=timezone.localdate(as_of))
    return not earlier.exists() and not placements.exists()


def _admit(actor, application: Application, lot: Lot) -> Admission:
    agreement = application.agreement
    checklist = list(agreement.onboarding_checklist)
    admission = Admission.objects.create(
        agreement=agreement, lot=lot, provider_id=application.provider_id, application=application,
        new_to_authority=provider_is_new_here(provider_id=application.provider_id, application=application),
        reference=_reference(agreement, lot),
        status=Admission.Status.PENDING_ONBOARDING if checklist else Admission.Status.ACTIVE,
        activated_at=None if checklist else timezone.now())
    OnboardingItem.objects.bulk_create([OnboardingItem(admission=admission, position=n, name=name)
                                        for n, name in enumerate(checklist, start=1)])
    projection.write(admission)
    audit_record(actor=actor, action="admission.admitted", obj=admission,
                 after={"status": admission.status, "lot": lot.number, "provider": application.provider_id,
                        "new_to_authority": admission.new_to_authority})
    return admission


def _letter(application: Application, outcomes: list[LotOutcome]) -> DecisionLetter:
    from django.template.loader import render_to_string

    passed = [o for o in outcomes if o.passed]
    if len(passed) == len(outcomes):
        kind = DecisionLetter.Kind.SUCCESSFUL
    elif passed:
        kind = DecisionLetter.Kind.PARTLY_SUCCESSFUL
    else:
        kind = DecisionLetter.Kind.UNSUCCESSFUL
    agreement = application.agreement
    provider = Provider.objects.get(pk=application.provider_id)
    feedback = [(m.question, m) for m in application.moderated.select_related("question")]
    body = render_to_string("admissions/email/decision_letter.txt", {
        "application": application, "agreement": agreement, "provider": provider, "outcomes": outcomes,
        "feedback": feedback, "version": application.version, "authority": authority_current(),
        "successful": kind != DecisionLetter.Kind.UNSUCCESSFUL})
    subject = {DecisionLetter.Kind.SUCCESSFUL: "Your application was successful",
               DecisionLetter.Kind.PARTLY_SUCCESSFUL: "Your application was successful for some lots",
               DecisionLetter.Kind.UNSUCCESSFUL: "Your application was not successful"}[kind]
    return DecisionLetter.objects.create(application=application, kind=kind,
                                         subject=f"{subject}: {agreement.title}", body=body)


def _send_letter(letter_id: int) -> None:
    """Recorded in this authority's outbox with the decision, sent after it
    (in this schema: tenant-schemas-celery)."""
    from tenants.admissions.tasks import decision_letter_send_task

    outbox_add(decision_letter_send_task, letter_id)


def decision_letter_send(*, letter_id: int) -> bool:
    """E-mail a decision letter to the organisation's admins and whoever
    submitted; once, however often it is called."""
    from django.core.mail import send_mail

    from accounts.models import ProviderMembership
    from accounts.roles import ProviderRole

    with transaction.atomic():
        letter = DecisionLetter.objects.select_for_update().select_related("application").filter(pk=letter_id).first()
        if letter is None or letter.sent_at:
            return False
        application = letter.application
        recipients = sorted(set(
            ProviderMembership.objects.current()
            .filter(provider_id=application.provider_id, role=ProviderRole.PROVIDER_ADMIN, user__is_active=True)
            .values_list("user__email", flat=True)) | {application.declared_by.email if application.declared_by
                                                        else application.created_by.email})
        send_mail(subject=letter.subject, message=letter.body, from_email=None, recipient_list=recipients)
        letter.sent_at = timezone.now()
        letter.sent_to = recipients
        letter.save(update_fields=["sent_at", "sent_to"])
        audit_record(actor=None, action="application.letter_sent", obj=application, context={"to": recipients})
    return True


# --- Admissions ---------------------------------------------------------------------

AdmissionStatus = Admission.Status

# An admission's lifecycle: each move and the states it may be made from.
ADMISSION_MOVES: dict[str, tuple[str, ...]] = {
    "activate": (AdmissionStatus.PENDING_ONBOARDING,),
    "suspend": (AdmissionStatus.ACTIVE, AdmissionStatus.PENDING_ONBOARDING),
    "reinstate": (AdmissionStatus.SUSPENDED,),
    "remove": (AdmissionStatus.PENDING_ONBOARDING, AdmissionStatus.ACTIVE, AdmissionStatus.SUSPENDED),
}


def admission_moves_from(status: str) -> list[str]:
    return [move for move, sources in ADMISSION_MOVES.items() if status in sources]

def _locked_admission(admission: Admission) -> Admission:
    return Admission.objects.select_for_update(of=("self",)).select_related("agreement", "lot").get(pk=admission.pk)


def _admission_move(admission: Admission, *, actor, to: str, allowed_from, action: str, reason: str = "",
                    **extra) -> Admission:
    if admission.status not in allowed_from:
        raise Conflict(f"The admission is {admission.get_status_display().lower()}: it cannot become "
                       f"{Admission.Status(to).label.lower()}.")
    before = admission.status
    admission.status = to
    admission.changed_at = timezone.now()
    for name, value in extra.items():
        setattr(admission, name, value)
    admission.save()
    projection.write(admission)
    audit_record(actor=actor, action=action, obj=admission, reason=reason, before={"status": before},
                 after={"status": to} | {k: v for k, v in extra.items() if k != "activated_at"})
    return admission


def onboarding_complete(*, actor, item: OnboardingItem, note: str = "") -> OnboardingItem:
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners record onboarding.")
    with transaction.atomic():
        admission = _locked_admission(item.admission)
        if admission.status != Admission.Status.PENDING_ONBOARDING:
            raise Conflict("Onboarding is over for this admission.")
        item = OnboardingItem.objects.select_for_update().get(pk=item.pk)
        if item.done_at:
            return item
        item.done_at, item.done_by, item.note = timezone.now(), actor, (note or "").strip()
        item.save()
        projection.write(admission)
        audit_record(actor=actor, action="admission.onboarding_done", obj=admission, reason=item.note,
                     after={"item": item.name})
    return item


def admission_activate(*, actor, admission: Admission) -> Admission:
    """Onboarding complete: the provider can be invited to call-offs."""
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners activate admissions.")
    with transaction.atomic():
        admission = _locked_admission(admission)
        outstanding = list(admission.onboarding.filter(done_at__isnull=True).values_list("name", flat=True))
        if outstanding and admission.status == Admission.Status.PENDING_ONBOARDING:
            raise Conflict(f"Onboarding is not finished: {', '.join(outstanding)}.")
        return _admission_move(admission, actor=actor, to=Admission.Status.ACTIVE,
                               allowed_from=ADMISSION_MOVES["activate"], action="admission.activated",
                               activated_at=timezone.now())


def admission_suspend(*, actor, admission: Admission, reason: str, until: date | None = None) -> Admission:
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners suspend admissions.")
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the provider is suspended; they will be told."})
    if until and until <= timezone.localdate():
        raise Invalid({"until": "The end date must be in the future."})
    with transaction.atomic():
        return _admission_move(_locked_admission(admission), actor=actor, to=Admission.Status.SUSPENDED,
                               allowed_from=ADMISSION_MOVES["suspend"], action="admission.suspended",
                               reason=reason.strip(),
                               suspended_reason=reason.strip(), suspended_until=until)


def admission_reinstate(*, actor, admission: Admission, reason: str = "") -> Admission:
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners reinstate admissions.")
    with transaction.atomic():
        admission = _locked_admission(admission)
        onboarded = not admission.onboarding.filter(done_at__isnull=True).exists()
        return _admission_move(admission, actor=actor,
                               to=Admission.Status.ACTIVE if onboarded else Admission.Status.PENDING_ONBOARDING,
                               allowed_from=ADMISSION_MOVES["reinstate"], action="admission.reinstated",
                               reason=(reason or "").strip(), suspended_reason="", suspended_until=None)


def suspensions_end_due(*, today: date | None = None) -> int:
    """Suspensions with an end date that has passed end by themselves: the
    admission goes back to where it was (active, or pending onboarding). Run
    daily in every authority; safe to run twice."""
    today = today or timezone.localdate()
    ended = 0
    for admission_id in list(Admission.objects.filter(status=Admission.Status.SUSPENDED,
                                                      suspended_until__lt=today).values_list("pk", flat=True)):
        with transaction.atomic():
            admission = Admission.objects.select_for_update(of=("self",)).select_related("agreement", "lot").filter(
                pk=admission_id, status=Admission.Status.SUSPENDED, suspended_until__lt=today).first()
            if admission is None:
                continue
            onboarded = not admission.onboarding.filter(done_at__isnull=True).exists()
            _admission_move(admission, actor=None,
                            to=Admission.Status.ACTIVE if onboarded else Admission.Status.PENDING_ONBOARDING,
                            allowed_from=ADMISSION_MOVES["reinstate"], action="admission.suspension_ended",
                            reason=f"The suspension ended on {admission.suspended_until:%-d %B %Y}.",
                            suspended_reason="", suspended_until=None)
            ended += 1
    return ended


def admission_remove(*, actor, admission: Admission, grounds: str) -> Admission:
    require(policy.can_lead_evaluation(access_here(actor)), "Only commissioners remove providers.")
    if not (grounds or "").strip():
        raise Invalid({"grounds": "State the grounds for removal."})
    with transaction.atomic():
        return _admission_move(_locked_admission(admission), actor=actor, to=Admission.Status.REMOVED,
                               allowed_from=ADMISSION_MOVES["remove"], action="admission.removed",
                               reason=grounds.strip(), removed_grounds=grounds.strip())
