"""Intelligence, quality assessments and contract actions: what staff learn
about a provider, how its quality is rated, and the due process that
follows (from an improvement plan to an embargo, suspension or
termination). Every change is audited; actions and final ratings are also
recorded as intelligence. Provider-facing text never identifies a person.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.policy import access_here
from accounts.roles import AuthorityRole
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from common.identifiers import find_identifiers, find_person_identifiers, person_identifier_message
from shared_catalogue.models import SharedIntelligence
from tenancy.selectors import authority_current
from tenants.quality.models import DOMAINS, RATINGS, SEVERITIES, Action, Assessment, Intelligence

QUALITY_ROLES = (AuthorityRole.QUALITY_OFFICER, AuthorityRole.COMMISSIONER)
RATING_WORDS = dict(RATINGS)


def _require_quality(actor) -> None:
    require(access_here(actor).has_role(*QUALITY_ROLES),
            "Only quality officers and commissioners record intelligence, assessments and actions.")


def _no_identifiers(errors: dict, **texts) -> None:
    for field, text in texts.items():
        found = find_person_identifiers(text or "")
        if found:
            errors[field] = person_identifier_message(found)


# --- Intelligence --------------------------------------------------------------------

def intelligence_record(*, actor, provider, kind: str, occurred_on: date, source: str, summary: str,
                        severity: str = "medium", service: str = "", restricted_notes: str = "",
                        share: str = Intelligence.Share.PARTNERS) -> Intelligence:
    """Record what is known. The summary, which other authorities using the
    provider may read, must not identify anyone; restricted notes stay here."""
    if actor is not None:
        _require_quality(actor)
    errors: dict[str, str] = {}
    if kind not in Intelligence.Kind.values:
        errors["kind"] = "Choose what kind of intelligence this is."
    if severity not in dict(SEVERITIES):
        errors["severity"] = "Choose low, medium, high or critical."
    if share not in Intelligence.Share.values:
        errors["share"] = "Choose who may see it."
    if not (summary or "").strip():
        errors["summary"] = "Say what happened, without naming anyone."
    if not (source or "").strip():
        errors["source"] = "Say where it came from."
    if occurred_on is None or occurred_on > timezone.localdate():
        errors["occurred_on"] = "Give the date it happened; it cannot be in the future."
    _no_identifiers(errors, service=service)
    found = find_identifiers(summary or "")
    if found:
        errors["summary"] = (f"Remove what could identify a person: {'; '.join(str(f) for f in found)}. Other "
                             "authorities using this provider may read the summary; keep such details in the "
                             "restricted notes.")
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        record = Intelligence.objects.create(
            provider=provider, kind=kind, occurred_on=occurred_on, source=source.strip(), severity=severity,
            summary=summary.strip(), service=service.strip(), restricted_notes=(restricted_notes or "").strip(),
            share=share, recorded_by=actor)
        if share == Intelligence.Share.PARTNERS:
            _share(record)
        audit_record(actor=actor, action="intelligence.recorded", obj=record,
                     after={"provider": provider.pk, "kind": kind, "severity": severity, "share": share})
    return record


def intelligence_close(*, actor, record: Intelligence, closed_on: date | None = None) -> Intelligence:
    _require_quality(actor)
    with transaction.atomic():
        record = Intelligence.objects.select_for_update().get(pk=record.pk)
        if record.closed_on:
            raise Conflict("This intelligence is already closed.")
        record.closed_on = closed_on or timezone.localdate()
        record.save(update_fields=["closed_on"])
        SharedIntelligence.objects.filter(authority=authority_current(), intelligence_id=record.pk).update(
            closed_on=record.closed_on)
        audit_record(actor=actor, action="intelligence.closed", obj=record)
    return record


def _share(record: Intelligence) -> None:
    """The record as the other authorities using the provider will read it:
    never its restricted notes or its source (which may name someone)."""
    SharedIntelligence.objects.create(
        authority=authority_current(), provider_id=record.provider_id, intelligence_id=record.pk, kind=record.kind,
        kind_label=record.get_kind_display(), service=record.service, occurred_on=record.occurred_on,
        severity=record.severity, summary=record.summary, recorded_at=record.recorded_at)


def shared_with_here(provider_ids=None):
    """Intelligence other authorities shared about providers admitted here
    (or some of them): one query."""
    from shared_catalogue.models import AdmissionProjection

    here = authority_current()
    used = AdmissionProjection.objects.filter(authority=here).exclude(status="removed").values("provider_id")
    rows = (SharedIntelligence.objects.filter(provider_id__in=used).exclude(authority=here)
            .select_related("authority", "provider"))
    if provider_ids is not None:
        rows = rows.filter(provider_id__in=list(provider_ids))
    return rows


# --- Quality assessments ---------------------------------------------------------------

def assessment_schedule(*, actor, provider, service: str, visit_on: date, response_days: int = 14,
                        self_assessment_due: date | None = None) -> Assessment:
    """Schedule an assessment: the provider self-assesses each standard by
    `self_assessment_due` (by default a week before the visit, and never
    before today), then the officer validates each and visits."""
    from tenants.quality.assessments import standards_open

    _require_quality(actor)
    errors: dict[str, str] = {}
    if not (service or "").strip():
        errors["service"] = "Say which service is assessed."
    _no_identifiers(errors, service=service)  # it is published with the final rating
    if not isinstance(response_days, int) or not 1 <= response_days <= 60:
        errors["response_days"] = "The provider's window to respond is 1 to 60 days."
    today = timezone.localdate()
    if self_assessment_due is None:
        self_assessment_due = max(today, visit_on - timedelta(days=7)) if visit_on else today
    elif self_assessment_due < today:
        errors["self_assessment_due"] = "The date for the provider's self-assessment cannot be in the past."
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        assessment = Assessment.objects.create(provider=provider, service=service.strip(), officer=actor,
                                               visit_on=visit_on, response_days=response_days,
                                               self_assessment_due=self_assessment_due)
        standards_open(assessment)
        audit_record(actor=actor, action="assessment.scheduled", obj=assessment,
                     after={"provider": provider.pk, "visit_on": visit_on.isoformat(),
                            "self_assessment_due": self_assessment_due.isoformat()})
    return assessment


def assessment_send_draft(*, actor, assessment: Assessment, domain_ratings: dict, rating: str,
                          findings: str) -> Assessment:
    """Rate each domain and the whole, and send the draft report to the
    provider, who has its response window to comment on factual accuracy.
    Every standard must have been validated first."""
    _require_quality(actor)
    errors: dict[str, str] = {}
    domains = {key for key, _ in DOMAINS}
    if set(domain_ratings or {}) != domains or any(v not in RATING_WORDS for v in domain_ratings.values()):
        errors["domain_ratings"] = "Rate each of the five domains Excellent, Good, Requires improvement or Poor."
    if rating not in RATING_WORDS:
        errors["rating"] = "Rate the service as a whole."
    if not (findings or "").strip():
        errors["findings"] = "Write the findings the provider will read."
    _no_identifiers(errors, findings=findings)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if assessment.status != Assessment.Status.SCHEDULED:
            raise Conflict("The draft report has already been sent.")
        outstanding = assessment.standards.filter(validated_at__isnull=True).count()
        if outstanding:
            raise Conflict(f"Validate every standard before sending the draft report: {outstanding} of "
                           f"{assessment.standards.count()} still to validate.")
        now = timezone.now()
        assessment.domain_ratings, assessment.rating, assessment.findings = domain_ratings, rating, findings.strip()
        assessment.status, assessment.draft_sent_at = Assessment.Status.DRAFT_SENT, now
        assessment.respond_by = timezone.localdate(now) + timedelta(days=assessment.response_days)
        assessment.save()
        audit_record(actor=actor, action="assessment.draft_sent", obj=assessment,
                     after={"rating": rating, "respond_by": assessment.respond_by.isoformat()})
    return assessment


def assessment_respond(*, actor, assessment: Assessment, response: str) -> Assessment:
    """The provider's comments on the draft's factual accuracy."""
    return _provider_responds(actor, assessment, response, open_status=Assessment.Status.DRAFT_SENT,
                              refusal="Only the provider's admins respond to an assessment.",
                              missing="Write your comments on the draft report.",
                              closed="There is no draft report waiting for your comments.",
                              action="assessment.provider_responded")


def _provider_responds(actor, subject, response: str, *, open_status: str, refusal: str, missing: str,
                       closed: str, action: str):
    """A provider's admin answers an assessment or a contract action: the
    response may not identify a person, and only while it is still open."""
    require(access_here(actor).has_provider_role(subject.provider_id, "provider_admin"), refusal)
    errors: dict[str, str] = {}
    if not (response or "").strip():
        errors["response"] = missing
    _no_identifiers(errors, response=response)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        subject = type(subject).objects.select_for_update().get(pk=subject.pk)
        if subject.status != open_status:
            raise Conflict(closed)
        subject.provider_response, subject.responded_at = response.strip(), timezone.now()
        subject.save(update_fields=["provider_response", "responded_at"])
        audit_record(actor=actor, action=action, obj=subject)
    return subject


def assessment_finalise(*, actor, assessment: Assessment, today: date | None = None) -> Assessment:
    """Finalise the rating, once the provider has responded or its window
    has ended; the rating becomes intelligence here and is shared."""
    _require_quality(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
        if assessment.status != Assessment.Status.DRAFT_SENT:
            raise Conflict("Only an assessment whose draft report was sent can be finalised.")
        if not assessment.responded_at and today <= assessment.respond_by:
            raise Conflict(f"The provider has until {assessment.respond_by:%-d %B %Y} to comment on the draft "
                           "report's factual accuracy; it can be finalised after that, or once they respond.")
        assessment.status, assessment.finalised_at = Assessment.Status.FINAL, timezone.now()
        assessment.save(update_fields=["status", "finalised_at"])
        audit_record(actor=actor, action="assessment.finalised", obj=assessment, after={"rating": assessment.rating})
        intelligence_record(actor=None, provider=assessment.provider, kind=Intelligence.Kind.QUALITY_RATING,
                            occurred_on=min(today, timezone.localdate()), source="Quality assessment",
                            service=assessment.service,
                            severity="high" if assessment.rating == "poor" else "low",
                            summary=_rating_summary(assessment))
    return assessment


def _rating_summary(assessment: Assessment) -> str:
    """What partner authorities read of a final rating: the service, the
    overall and domain ratings. Never the findings, the provider's response
    or the officer's notes."""
    domains = "; ".join(f"{label} {RATING_WORDS[assessment.domain_ratings[key]]}" for key, label in DOMAINS
                        if assessment.domain_ratings.get(key) in RATING_WORDS)
    return (f"Quality assessment of {assessment.service} rated {RATING_WORDS[assessment.rating]}"
            + (f" ({domains})." if domains else "."))


# --- Actions and due process -----------------------------------------------------------

def action_take(*, actor, provider, kind: str, grounds: str, agreement=None, starts_on: date | None = None,
                respond_days: int = 14, review_on: date | None = None) -> Action:
    """Take a contract action, with its grounds and the provider's right to
    respond. An embargo, suspension or termination stops the provider being
    invited to new call-offs here (or under the one agreement) from its start."""
    _require_quality(actor)
    errors: dict[str, str] = {}
    if kind not in Action.Kind.values:
        errors["kind"] = "Choose the action."
    if not (grounds or "").strip():
        errors["grounds"] = "Give the grounds, as the provider will read them."
    _no_identifiers(errors, grounds=grounds)
    starts_on = starts_on or timezone.localdate()
    if review_on is not None and review_on < starts_on:
        errors["review_on"] = "The review cannot be before the action starts."
    if errors:
        raise Invalid(errors)
    kinds = dict(Action.Kind.choices)
    with transaction.atomic():
        action = Action.objects.create(provider=provider, agreement=agreement, kind=kind, grounds=grounds.strip(),
                                       starts_on=starts_on, respond_by=starts_on + timedelta(days=respond_days),
                                       review_on=review_on, created_by=actor)
        audit_record(actor=actor, action="provider_action.taken", obj=action, reason=grounds.strip(),
                     after={"provider": provider.pk, "kind": kind, "starts_on": starts_on.isoformat(),
                            "agreement": agreement.reference if agreement else None})
        intelligence_record(actor=None, provider=provider, kind=Intelligence.Kind.ACTION, occurred_on=min(
            starts_on, timezone.localdate()), source="Contract action", severity="high"
            if kind in Action.RESTRICTING else "medium", summary=f"{kinds[kind]} from {starts_on:%-d %B %Y}.")
    return action


def action_respond(*, actor, action: Action, response: str) -> Action:
    return _provider_responds(actor, action, response, open_status=Action.Status.ACTIVE,
                              refusal="Only the provider's admins respond to a contract action.",
                              missing="Write your response.", closed="This action has been lifted.",
                              action="provider_action.responded")


def action_lift(*, actor, action: Action, reason: str) -> Action:
    _require_quality(actor)
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why it is lifted."})
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        if action.status != Action.Status.ACTIVE:
            raise Conflict("This action has already been lifted.")
        action.status, action.lifted_on, action.lift_reason = Action.Status.LIFTED, timezone.localdate(), reason.strip()
        action.save(update_fields=["status", "lifted_on", "lift_reason"])
        audit_record(actor=actor, action="provider_action.lifted", obj=action, reason=reason.strip())
    return action


def restrictions(provider_ids, *, agreement, today: date) -> dict[int, str]:
    """Why providers may not be invited to a new call-off under `agreement`
    (an embargo, suspension or termination in force): one query."""
    kinds = dict(Action.Kind.choices)
    found: dict[int, str] = {}
    for action in Action.objects.filter(provider_id__in=list(provider_ids), status=Action.Status.ACTIVE,
                                        kind__in=Action.RESTRICTING, starts_on__lte=today).order_by("starts_on"):
        if action.agreement_id not in (None, agreement.pk):
            continue
        found.setdefault(action.provider_id, f"{kinds[action.kind].lower()} since {action.starts_on:%-d %B %Y}: "
                                             f"{action.grounds}")
    return found


# --- Feedback from people who use services ------------------------------------------------

FEEDBACK_LIMIT_PER_LINK_PER_DAY = 50


def feedback_link_create(*, actor, provider, label: str):
    from tenants.quality.models import FeedbackLink

    _require_quality(actor)
    if not (label or "").strip():
        raise Invalid({"label": "Say where the link is given out, for example: annual reviews."})
    with transaction.atomic():
        link = FeedbackLink.objects.create(provider=provider, label=label.strip()[:120], created_by=actor)
        audit_record(actor=actor, action="feedback_link.created", obj=link, after={"provider": provider.pk})
    return link


def feedback_submit(*, token: str, relation: str, experience: str, comments: str, contact: str = ""):
    """Feedback through a link, without signing in. It waits for moderation;
    nothing about it reaches the provider."""
    from tenants.quality.models import Feedback, FeedbackLink

    link = FeedbackLink.objects.filter(token=token or "", active=True).select_related("provider").first()
    if link is None:
        raise Conflict("This feedback link is no longer in use. Ask the council for a new one.")
    errors: dict[str, str] = {}
    if relation not in Feedback.Relation.values:
        errors["relation"] = "Say who is giving the feedback."
    if experience not in ("good", "mixed", "poor"):
        errors["experience"] = "Say how the support has been: good, mixed or poor."
    if not (comments or "").strip():
        errors["comments"] = "Tell us about the support."
    if errors:
        raise Invalid(errors)
    since = timezone.now() - timedelta(days=1)
    with transaction.atomic():
        FeedbackLink.objects.select_for_update().filter(pk=link.pk).first()
        if Feedback.objects.filter(link=link, received_at__gte=since).count() >= FEEDBACK_LIMIT_PER_LINK_PER_DAY:
            raise Conflict("This link has had a lot of feedback today. Please try again tomorrow, or contact the "
                           "council.")
        made = Feedback.objects.create(link=link, provider=link.provider, relation=relation, experience=experience,
                                       comments=comments.strip()[:5000], contact=(contact or "").strip()[:200])
        audit_record(actor=None, action="feedback.received", obj=made, context={"link": link.pk})
    return made


def feedback_moderate(*, actor, feedback, accept: bool, summary: str = "", severity: str = "low"):
    """Accept feedback as intelligence, in a summary that identifies nobody,
    or set it aside. Either way the words stay here."""
    from tenants.quality.models import Feedback

    _require_quality(actor)
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().select_related("provider").get(pk=feedback.pk)
        if feedback.status != Feedback.Status.NEW:
            raise Conflict("This feedback has already been moderated.")
        if accept:
            feedback.intelligence = intelligence_record(
                actor=actor, provider=feedback.provider, kind=Intelligence.Kind.FEEDBACK,
                occurred_on=timezone.localdate(feedback.received_at), source="Feedback from people who use the "
                "service", summary=summary, severity=severity, share=Intelligence.Share.HERE)
        feedback.status = Feedback.Status.ACCEPTED if accept else Feedback.Status.REJECTED
        feedback.moderated_by, feedback.moderated_at = actor, timezone.now()
        feedback.save(update_fields=["status", "moderated_by", "moderated_at", "intelligence"])
        audit_record(actor=actor, action="feedback.moderated", obj=feedback, after={"status": feedback.status})
    return feedback
