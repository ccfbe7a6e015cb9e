"""Setting up and running agreements: one function per transition, each
checking who is asking and the current state, recording an audit event in the
authority's chain, and refusing with a clear message (and the rule's source)
when the move is not allowed."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record, changes
from common.errors import Conflict, Invalid
from shared_catalogue.models import EvidenceType
from tenancy.models import Authority
from tenancy.selectors import authority_current
from tenants.admissions import projection
from tenants.agreements import policy
from tenants.agreements import projection as windows
from tenants.agreements.models import (
    Agreement,
    AgreementModification,
    ApplicationRound,
    Lot,
    Question,
    QuestionnaireVersion,
)

AGREEMENT_FIELDS = (
    "kind", "title", "reference", "service_area", "description", "starts_on", "ends_on", "extension_options",
    "estimated_value", "notice_references", "initial_period_ends_on", "decision_working_days",
    "decision_extended_working_days", "membership_cap", "onboarding_checklist",
)
Status = Agreement.Status

# The agreement's lifecycle: each move and the states it may be made from.
MOVES: dict[str, tuple[str, ...]] = {
    "open": (Status.DRAFT,),
    "go_live": (Status.OPEN,),  # opening checks the lots, questionnaire and rounds
    "suspend": (Status.LIVE,),
    "resume": (Status.SUSPENDED,),
    "end": (Status.OPEN, Status.LIVE, Status.SUSPENDED),
}


def moves_from(status: str) -> list[str]:
    """The moves an agreement in this state can make, in the order above."""
    return [move for move, sources in MOVES.items() if status in sources]


def _require_manager(actor) -> None:
    if not policy.can_manage_agreements(access_here(actor)):
        raise PermissionDenied("Only commissioners can set up and change agreements.")


def _clean(instance, exclude=()) -> None:
    """Model validation as an Invalid (400) with the fields named."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=True, validate_constraints=True)
    except ValidationError as error:
        raise Invalid(error.message_dict) from error


def _check_term(agreement: Agreement) -> None:
    """The database's own checks, first, with messages a person can act on."""
    errors = {}
    if agreement.starts_on and agreement.ends_on and agreement.ends_on <= agreement.starts_on:
        errors["ends_on"] = "The agreement must end after it starts."
    normal, longest = agreement.decision_working_days, agreement.decision_extended_working_days
    if isinstance(normal, int) and isinstance(longest, int) and longest < normal:
        errors["decision_extended_working_days"] = "The extended period cannot be shorter than the normal one."
    if errors:
        raise Invalid(errors)


def _check_regime(agreement: Agreement) -> None:
    rules = agreement.regime
    errors = {}
    if rules.decision_working_days and agreement.decision_working_days > rules.decision_working_days:
        errors["decision_working_days"] = f"At most {rules.decision_working_days} working days: {rules.decision}."
    if rules.decision_extended_working_days and (
            agreement.decision_extended_working_days > rules.decision_extended_working_days):
        errors["decision_extended_working_days"] = (
            f"At most {rules.decision_extended_working_days} working days: {rules.decision}.")
    if agreement.membership_cap and not rules.may_cap_membership:
        errors["membership_cap"] = f"This kind of agreement cannot cap membership: {rules.membership}."
    if agreement.decision_extended_working_days < agreement.decision_working_days:
        errors["decision_extended_working_days"] = "The extended period cannot be shorter than the normal one."
    if errors:
        raise Invalid(errors)


def _callers_allowed(authorities) -> None:
    """Only the authority itself, or for a partnership its members (and itself), may call off."""
    here = authority_current()
    allowed = {here.pk} | (set(here.members.values_list("pk", flat=True)) if here.is_partnership else set())
    outside = [a.name for a in authorities if a.pk not in allowed]
    if outside:
        raise Invalid({"call_off_authorities": (
            f"{', '.join(outside)} cannot call off from {here.name}'s agreements: only "
            f"{'the partnership and its members' if here.is_partnership else here.name} can.")})


def agreement_create(*, actor, call_off_authorities=None, **fields) -> Agreement:
    """A draft agreement. Who may call off defaults to the authority, or for a
    partnership to all its members."""
    _require_manager(actor)
    unknown = set(fields) - set(AGREEMENT_FIELDS)
    if unknown:
        raise Invalid(f"Unknown agreement fields: {', '.join(sorted(unknown))}.")
    agreement = Agreement(created_by=actor, **fields)
    if agreement.kind in (Agreement.Kind.DPS,) and "decision_working_days" not in fields:
        agreement.decision_working_days = agreement.regime.decision_working_days
    _check_term(agreement)
    _clean(agreement, exclude=["created_by"])
    _check_regime(agreement)
    here = authority_current()
    if call_off_authorities is None:
        call_off_authorities = list(here.members.all()) if here.is_partnership else [here]
    _callers_allowed(call_off_authorities)
    with transaction.atomic():
        agreement.save()
        agreement.call_off_authorities.set(call_off_authorities)
        audit_record(actor=actor, action="agreement.created", obj=agreement,
                     after=changes(agreement, AGREEMENT_FIELDS) | {
                         "call_off_authorities": sorted(a.slug for a in call_off_authorities)})
    return agreement


def _locked(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


def _move(agreement: Agreement, *, actor, to: str, allowed_from: tuple[str, ...], action: str,
          reason: str = "", **extra) -> Agreement:
    if agreement.status not in allowed_from:
        raise Conflict(f"The agreement is {agreement.get_status_display().lower()}; it cannot be "
                       f"{Status(to).label.lower()} from there.")
    before = agreement.status
    agreement.status = to
    for name, value in extra.items():
        setattr(agreement, name, value)
    agreement.save()
    audit_record(actor=actor, action=action, obj=agreement, reason=reason,
                 before={"status": before}, after={"status": to} | changes(agreement, extra))
    projection.sync_agreement(agreement)
    windows.sync(agreement)
    return agreement


def agreement_open(*, actor, agreement: Agreement, initial_period_ends_on: date | None = None,
                   today: date | None = None) -> Agreement:
    """Start taking applications. Needs lots and a published questionnaire; an
    FPS needs a round; a DPS an initial period of at least 30 days."""
    _require_manager(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        agreement = _locked(agreement)
        errors = {}
        if not agreement.lots.exists():
            errors["lots"] = "Add at least one lot first."
        if not agreement.questionnaires.filter(status=QuestionnaireVersion.Status.PUBLISHED).exists():
            errors["questionnaire"] = "Publish the selection questionnaire first."
        rules = agreement.regime
        if not rules.applications_any_time and not agreement.rounds.filter(closes_on__gte=today).exists():
            errors["rounds"] = f"Add an application round first: {rules.applications}."
        extra = {"opened_at": timezone.now()}
        if rules.initial_period_days:
            ends = initial_period_ends_on or agreement.initial_period_ends_on
            earliest = today + timedelta(days=rules.initial_period_days)
            if ends is None or ends < earliest:
                errors["initial_period_ends_on"] = (
                    f"The initial period must run to {earliest:%-d %B %Y} at the earliest: "
                    f"{rules.initial_period}.")
            extra["initial_period_ends_on"] = ends
        if errors:
            raise Conflict(errors)
        return _move(agreement, actor=actor, to=Status.OPEN, allowed_from=MOVES["open"],
                     action="agreement.opened", **extra)


def agreement_go_live(*, actor, agreement: Agreement, today: date | None = None) -> Agreement:
    """Call-offs may start; who may call off is fixed from now on."""
    _require_manager(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        agreement = _locked(agreement)
        rules = agreement.regime
        ends = agreement.initial_period_ends_on
        if rules.initial_period_days and ends and today <= ends:
            raise Conflict(f"No call-off before the initial period ends on {ends:%-d %B %Y}: {rules.initial_period}.")
        if not agreement.call_off_authorities.exists():
            raise Conflict({"call_off_authorities": "Say which authorities may call off before it goes live."})
        return _move(agreement, actor=actor, to=Status.LIVE, allowed_from=MOVES["go_live"],
                     action="agreement.went_live", went_live_at=timezone.now())


def agreement_suspend(*, actor, agreement: Agreement, reason: str) -> Agreement:
    _require_manager(actor)
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the agreement is suspended."})
    with transaction.atomic():
        return _move(_locked(agreement), actor=actor, to=Status.SUSPENDED, allowed_from=MOVES["suspend"],
                     action="agreement.suspended", reason=reason.strip())


def agreement_resume(*, actor, agreement: Agreement, reason: str = "") -> Agreement:
    _require_manager(actor)
    with transaction.atomic():
        return _move(_locked(agreement), actor=actor, to=Status.LIVE, allowed_from=MOVES["resume"],
                     action="agreement.resumed", reason=reason.strip())


def agreement_end(*, actor, agreement: Agreement, reason: str) -> Agreement:
    _require_manager(actor)
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the agreement ends (for example: term expired)."})
    with transaction.atomic():
        return _move(_locked(agreement), actor=actor, to=Status.ENDED,
                     allowed_from=MOVES["end"], action="agreement.ended", reason=reason.strip())


def _record_modification(agreement, *, actor, what, reason, before, after) -> None:
    if not (reason or "").strip():
        raise Invalid({"reason": "The agreement is live: say why it is being changed. The change is kept "
                                 "as a modification."})
    AgreementModification.objects.create(agreement=agreement, what=what, reason=reason.strip(),
                                         before=before, after=after, made_by=actor)


def agreement_set_call_off_authorities(*, actor, agreement: Agreement, authorities: list[Authority],
                                       reason: str = "") -> Agreement:
    """Who may call off. Once live, a change is a recorded modification."""
    _require_manager(actor)
    if not authorities:
        raise Invalid({"call_off_authorities": "At least one authority must be able to call off."})
    _callers_allowed(authorities)
    with transaction.atomic():
        agreement = _locked(agreement)
        if agreement.status == Status.ENDED:
            raise Conflict("The agreement has ended.")
        before = sorted(agreement.call_off_authorities.values_list("slug", flat=True))
        after = sorted(a.slug for a in authorities)
        if before == after:
            return agreement
        if agreement.went_live_at:
            _record_modification(agreement, actor=actor, what=AgreementModification.What.CALL_OFF_AUTHORITIES,
                                 reason=reason, before={"call_off_authorities": before},
                                 after={"call_off_authorities": after})
        agreement.call_off_authorities.set(authorities)
        audit_record(actor=actor, action="agreement.call_off_authorities_changed", obj=agreement,
                     reason=reason.strip(), before={"call_off_authorities": before},
                     after={"call_off_authorities": after},
                     context={"modification": bool(agreement.went_live_at)})
    return agreement


def lot_add(*, actor, agreement: Agreement, number: str, title: str, description: str = "",
            service_type=None, tier: str = "", zone: str = "", reason: str = "") -> Lot:
    """A lot, at set-up or during the term (then a recorded modification)."""
    _require_manager(actor)
    with transaction.atomic():
        agreement = _locked(agreement)
        if agreement.status == Status.ENDED:
            raise Conflict("The agreement has ended; no lots can be added.")
        lot = Lot(agreement=agreement, number=str(number).strip(), title=title.strip(),
                  description=description.strip(), service_type=service_type, tier=tier.strip(), zone=zone.strip())
        if lot.number and agreement.lots.filter(number=lot.number).exists():
            raise Invalid({"number": f"There is already a lot {lot.number}."})
        _clean(lot)
        if agreement.went_live_at:
            _record_modification(agreement, actor=actor, what=AgreementModification.What.LOT_ADDED, reason=reason,
                                 before={}, after={"lot": lot.number, "title": lot.title})
        lot.save()
        windows.sync(agreement)
        audit_record(actor=actor, action="agreement.lot_added", obj=lot, reason=reason.strip(),
                     after=changes(lot, ("number", "title", "tier", "zone")) | {
                         "service_type": getattr(service_type, "code", None)},
                     context={"agreement": agreement.reference})
    return lot


def round_add(*, actor, agreement: Agreement, opens_on: date, closes_on: date) -> ApplicationRound:
    """An application round for an FPS; rounds do not overlap."""
    _require_manager(actor)
    with transaction.atomic():
        agreement = _locked(agreement)
        if agreement.regime.applications_any_time:
            raise Conflict(f"This agreement takes applications at any time: {agreement.regime.applications}.")
        if closes_on < opens_on:
            raise Invalid({"closes_on": "A round cannot close before it opens."})
        if not (agreement.starts_on <= opens_on and closes_on <= agreement.ends_on):
            raise Invalid({"opens_on": f"Rounds fall within the term, {agreement.starts_on:%-d %b %Y} to "
                                       f"{agreement.ends_on:%-d %b %Y}."})
        if agreement.rounds.filter(opens_on__lte=closes_on, closes_on__gte=opens_on).exists():
            raise Conflict({"opens_on": "This round overlaps another."})
        number = (agreement.rounds.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        application_round = ApplicationRound.objects.create(agreement=agreement, number=number,
                                                            opens_on=opens_on, closes_on=closes_on)
        windows.sync(agreement)
        audit_record(actor=actor, action="agreement.round_added", obj=application_round,
                     after=changes(application_round, ("number", "opens_on", "closes_on")),
                     context={"agreement": agreement.reference})
    return application_round


# --- Selection questionnaire --------------------------------------------------------

def questionnaire_draft(*, actor, agreement: Agreement) -> QuestionnaireVersion:
    """The draft to work on: the existing one, or a new version copied from
    the published one (which stays as it is)."""
    _require_manager(actor)
    with transaction.atomic():
        agreement = _locked(agreement)
        draft = agreement.questionnaires.filter(status=QuestionnaireVersion.Status.DRAFT).first()
        if draft:
            return draft
        current = agreement.questionnaires.filter(status=QuestionnaireVersion.Status.PUBLISHED).first()
        number = (agreement.questionnaires.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        draft = QuestionnaireVersion.objects.create(
            agreement=agreement, number=number,
            pass_threshold=current.pass_threshold if current else QuestionnaireVersion._meta.get_field(
                "pass_threshold").default,
            scale_max=current.scale_max if current else 5,
            scale_guidance=current.scale_guidance if current else "")
        if current:
            Question.objects.bulk_create([
                Question(version=draft, lot=q.lot, position=q.position, kind=q.kind, text=q.text,
                         guidance=q.guidance, weight=q.weight, evidence_types=q.evidence_types)
                for q in current.questions.all()])
        audit_record(actor=actor, action="questionnaire.drafted", obj=draft,
                     context={"agreement": agreement.reference, "copied_from": getattr(current, "number", None)})
    return draft


def _require_draft(version: QuestionnaireVersion) -> None:
    if version.status != QuestionnaireVersion.Status.DRAFT:
        raise Conflict("A published questionnaire is never changed: start a new version and publish that.")


SETTINGS_FIELDS = ("pass_threshold", "scale_max", "scale_guidance")


def questionnaire_settings(*, actor, version: QuestionnaireVersion, pass_threshold=None, scale_max=None,
                           scale_guidance=None) -> QuestionnaireVersion:
    _require_manager(actor)
    with transaction.atomic():
        version = QuestionnaireVersion.objects.select_for_update().select_related("agreement").get(pk=version.pk)
        _require_draft(version)
        before = changes(version, SETTINGS_FIELDS)
        for name, value in (("pass_threshold", pass_threshold), ("scale_max", scale_max),
                            ("scale_guidance", scale_guidance)):
            if value is not None:
                setattr(version, name, value)
        _clean(version)
        version.save()
        audit_record(actor=actor, action="questionnaire.settings_changed", obj=version, before=before,
                     after=changes(version, SETTINGS_FIELDS), context={"agreement": version.agreement.reference})
    return version


def question_add(*, actor, version: QuestionnaireVersion, kind: str, text: str, guidance: str = "",
                 weight=0, evidence_types=(), lot: Lot | None = None) -> Question:
    _require_manager(actor)
    with transaction.atomic():
        version = QuestionnaireVersion.objects.select_for_update().get(pk=version.pk)
        _require_draft(version)
        errors = {}
        if kind == Question.Kind.QUALITY and not weight:
            errors["weight"] = "A scored question needs a weight above zero."
        if kind == Question.Kind.COMPLIANCE and weight:
            errors["weight"] = "Compliance questions are pass or fail; they carry no weight."
        unknown = [t for t in evidence_types if t not in EvidenceType.values]
        if unknown:
            errors["evidence_types"] = f"Unknown evidence types: {', '.join(unknown)}."
        if kind == Question.Kind.QUALITY and evidence_types:
            errors["evidence_types"] = "Only compliance questions are met by evidence."
        if lot is not None and lot.agreement_id != version.agreement_id:
            errors["lot"] = "That lot belongs to another agreement."
        if errors:
            raise Invalid(errors)
        position = (version.questions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        question = Question(version=version, kind=kind, text=(text or "").strip(), guidance=guidance.strip(),
                            weight=weight, evidence_types=list(evidence_types), lot=lot, position=position)
        _clean(question)
        question.save()
        audit_record(actor=actor, action="questionnaire.question_added", obj=version,
                     after=changes(question, ("position", "kind", "text", "weight", "evidence_types")) | {
                         "lot": getattr(lot, "number", None)},
                     context={"agreement": version.agreement.reference})
    return question


def questionnaire_publish(*, actor, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """Publish the draft; the version it replaces is retired, and applications
    that answered it keep it."""
    _require_manager(actor)
    with transaction.atomic():
        version = QuestionnaireVersion.objects.select_for_update().get(pk=version.pk)
        _require_draft(version)
        questions = list(version.questions.all())
        if not any(q.kind == Question.Kind.QUALITY for q in questions):
            raise Conflict("Add at least one scored quality question before publishing.")
        previous = version.agreement.questionnaires.filter(status=QuestionnaireVersion.Status.PUBLISHED).first()
        if previous:
            previous.status = QuestionnaireVersion.Status.RETIRED
            previous.save(update_fields=["status"])
        version.status = QuestionnaireVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        audit_record(actor=actor, action="questionnaire.published", obj=version,
                     after={"number": version.number, "questions": len(questions),
                            "pass_threshold": version.pass_threshold, "scale_max": version.scale_max},
                     context={"agreement": version.agreement.reference,
                              "replaces": getattr(previous, "number", None)})
    return version
