"""Intelligence, quality assessments and contract actions: what staff learn
about a provider, how its quality is rated, and the due process that
follows (from an improvement plan to an embargo, suspension or
termination). Every change is audited; actions and final ratings are also
recorded as intelligence. Provider-facing text never identifies a person.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.policy import access_here
from accounts.roles import AuthorityRole
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from common.identifiers import find_identifiers, find_person_identifiers, person_identifier_message
from outbox.services import outbox_add
from shared_catalogue.models import SharedIntelligence
from tenancy.selectors import authority_current
from tenants.quality.models import DOMAINS, RATINGS, SEVERITIES, Action, ActionReview, Assessment, Intelligence

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
                        share: str = Intelligence.Share.PARTNERS, from_cqc_rating: int | None = None) -> Intelligence:
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
            share=share, recorded_by=actor, from_cqc_rating=from_cqc_rating)
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
    starts_on = starts_on or timezone.localdate()
    errors = _action_errors(grounds, starts_on, review_on)
    if kind == Action.Kind.PLACEMENT_TERMINATION:
        errors["kind"] = ("A placement is terminated from the placement itself, which ends it and starts "
                          "re-sourcing the person's package.")
    elif kind not in Action.Kind.values:
        errors["kind"] = "Choose the action."
    if errors:
        raise Invalid(errors)
    kinds = dict(Action.Kind.choices)
    with transaction.atomic():
        action = _action_create(actor=actor, provider=provider, kind=kind, grounds=grounds, agreement=agreement,
                                starts_on=starts_on, respond_days=respond_days, review_on=review_on,
                                summary=f"{kinds[kind]} from {starts_on:%-d %B %Y}.")
    return action


def _action_errors(grounds: str, starts_on: date, review_on: date | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not (grounds or "").strip():
        errors["grounds"] = "Give the grounds, as the provider will read them."
    _no_identifiers(errors, grounds=grounds)
    if review_on is not None and review_on < starts_on:
        errors["review_on"] = "The review cannot be before the action starts."
    return errors


def _action_create(*, actor, provider, kind: str, grounds: str, agreement, starts_on: date, respond_days: int,
                   review_on: date | None, summary: str, placement=None) -> Action:
    """The action, its audit event and its intelligence record, in the caller's transaction."""
    action = Action.objects.create(provider=provider, agreement=agreement, placement=placement, kind=kind,
                                   grounds=grounds.strip(), starts_on=starts_on,
                                   respond_by=starts_on + timedelta(days=respond_days), review_on=review_on,
                                   created_by=actor)
    audit_record(actor=actor, action="provider_action.taken", obj=action, reason=grounds.strip(),
                 after={"provider": provider.pk, "kind": kind, "starts_on": starts_on.isoformat(),
                        "agreement": agreement.reference if agreement else None,
                        "placement": placement.pk if placement else None})
    serious = kind in Action.RESTRICTING or kind == Action.Kind.PLACEMENT_TERMINATION
    intelligence_record(actor=None, provider=provider, kind=Intelligence.Kind.ACTION,
                        occurred_on=min(starts_on, timezone.localdate()), source="Contract action",
                        severity="high" if serious else "medium", summary=summary)
    return action


def placement_terminate(*, actor, placement, grounds: str, ends_on: date, respond_days: int = 14,
                        review_on: date | None = None) -> Action:
    """Terminate one placement as a contract action, with its grounds and the
    provider's right to respond: the placement ends on `ends_on` (the end of
    the notice), the termination is recorded as intelligence, the provider
    is e-mailed, and a new draft package for the same person and needs, in
    the same lot, waits for a broker to review and publish it. The provider
    is not invited to that package while the termination stands."""
    from tenants.calloffs.services import package_resource
    from tenants.placements.models import Placement
    from tenants.placements.services import placement_record_end
    from tenants.quality.tasks import provider_mail_task

    _require_quality(actor)
    today = timezone.localdate()
    errors = _action_errors(grounds, today, review_on)
    if ends_on is None:
        errors["ends_on"] = "Give the day the placement ends: the last day of the notice."
    elif ends_on < today:
        errors["ends_on"] = "A termination ends a placement today or later: give the last day of the notice."
    if not isinstance(respond_days, int) or not 1 <= respond_days <= 60:
        errors["respond_days"] = "The provider's window to respond is 1 to 60 days."
    names = [name for person in placement.package.people.all() for name in person.names]
    found = find_identifiers(grounds or "", names=names) if "grounds" not in errors else []
    if found:  # the person's own names too
        errors["grounds"] = (f"Remove what could identify the person: {'; '.join(str(f) for f in found)}. The "
                             "provider reads the grounds and they stay on its record: refer to the placement by "
                             "its reference, never to who it is for.")
    if errors:
        raise Invalid(errors)
    grounds = grounds.strip()
    with transaction.atomic():
        placement = (Placement.objects.select_for_update(of=("self",))
                     .select_related("package__agreement", "package__lot", "provider").get(pk=placement.pk))
        if placement.status == Placement.Status.ENDED:
            raise Conflict(f"Placement {placement.pk} has already ended"
                           + (f" (on {placement.ended_on:%-d %B %Y})." if placement.ended_on else "."))
        if ends_on < placement.start_on:
            raise Invalid({"ends_on": f"The placement starts on {placement.start_on:%-d %B %Y}: it cannot end "
                                      "before then."})
        package = placement.package
        action = _action_create(actor=actor, provider=placement.provider, kind=Action.Kind.PLACEMENT_TERMINATION,
                                grounds=grounds, agreement=package.agreement, starts_on=today,
                                respond_days=respond_days, review_on=review_on, placement=placement,
                                summary=f"Termination of a placement ({package.reference}), ending "
                                        f"{ends_on:%-d %B %Y}.")
        placement_record_end(actor=actor, placement=placement, ended_on=ends_on,
                             reason=f"Terminated as a contract action: {grounds}", context={"action": action.pk})
        draft = package_resource(actor=actor, package=package, start_on=ends_on + timedelta(days=1),
                                 reason=f"Re-sourcing of {package.reference}: its placement was terminated.")
        placement.replacement = draft
        placement.save(update_fields=["replacement"])
        audit_record(actor=actor, action="placement.terminated", obj=placement, reason=grounds,
                     after={"action": action.pk, "ended_on": ends_on, "replacement": draft.reference})
        outbox_add(provider_mail_task, placement.provider_id,
                   f"Termination of placement {package.reference} by {authority_current().name}",
                   _termination_letter(action, placement, ends_on))
    return action


def _termination_letter(action: Action, placement, ends_on: date) -> str:
    package = placement.package
    return (f"{authority_current().name} is terminating your placement {package.reference} ({package.title}), "
            f"awarded under {package.agreement.title}.\n\n"
            f"The placement ends on {ends_on:%-d %B %Y}.\n\nThe grounds:\n{action.grounds}\n\n"
            f"You may respond by {action.respond_by:%-d %B %Y}: sign in to Jointly and open Performance and "
            "quality, then the termination under Contract actions.\n")


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


def action_review(*, actor, action: Action, outcome: str, notes: str,
                  next_review_on: date | None = None) -> ActionReview:
    """Record that an action in force was reviewed: it continues until its
    next review, or it is lifted with the notes as the reason. The provider
    reads the notes (checked for identifiers, as the grounds are) and is
    e-mailed the outcome; each review is kept."""
    from tenants.quality.tasks import provider_mail_task

    _require_quality(actor)
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if outcome not in ActionReview.Outcome.values:
        errors["outcome"] = "Choose whether the action continues or is lifted."
    if not (notes or "").strip():
        errors["notes"] = "Write what the review found, as the provider will read it."
    else:
        _review_note_identifiers(errors, action, notes)
    if outcome == ActionReview.Outcome.CONTINUE:
        if next_review_on is None:
            errors["next_review_on"] = "Give the date of the next review: an action that continues is reviewed again."
        elif next_review_on <= today:
            errors["next_review_on"] = "The next review must be after today."
    elif outcome == ActionReview.Outcome.LIFT and next_review_on is not None:
        errors["next_review_on"] = "A lifted action has no next review: leave the date empty."
    if errors:
        raise Invalid(errors)
    notes = notes.strip()
    with transaction.atomic():
        action = (Action.objects.select_for_update(of=("self",))
                  .select_related("provider", "agreement", "placement__package").get(pk=action.pk))
        if action.status != Action.Status.ACTIVE:
            raise Conflict(f"This action was lifted on {action.lifted_on:%-d %B %Y}: there is nothing to review."
                           if action.lifted_on else "This action has been lifted: there is nothing to review.")
        before = {"review_on": action.review_on.isoformat() if action.review_on else None}
        if outcome == ActionReview.Outcome.LIFT:
            action = action_lift(actor=actor, action=action, reason=notes)
        else:
            action.review_on = next_review_on
            action.save(update_fields=["review_on"])
        review = ActionReview.objects.create(action=action, reviewed_on=today, reviewed_by=actor, outcome=outcome,
                                             notes=notes, next_review_on=next_review_on)
        audit_record(actor=actor, action="provider_action.reviewed", obj=action, reason=notes, before=before,
                     after={"outcome": outcome, "review": review.pk,
                            "review_on": next_review_on.isoformat() if next_review_on else None})
        outbox_add(provider_mail_task, action.provider_id, *_review_letter(action, review))
    return review


def _review_note_identifiers(errors: dict, action: Action, notes: str) -> None:
    """The check the action's grounds had: for a termination of a placement,
    the person's own names too."""
    if not action.placement_id:
        _no_identifiers(errors, notes=notes)
        return
    from tenants.placements.models import Placement

    placement = Placement.objects.select_related("package").get(pk=action.placement_id)
    names = [name for person in placement.package.people.all() for name in person.names]
    found = find_identifiers(notes, names=names)
    if found:
        errors["notes"] = (f"Remove what could identify the person: {'; '.join(str(f) for f in found)}. The "
                           "provider reads the notes: refer to the placement by its reference, never to who it "
                           "is for.")


def _review_letter(action: Action, review: ActionReview) -> tuple[str, str]:
    authority = authority_current().name
    what = action.get_kind_display()
    about = (f"{what.lower()}"
             + (f" ({action.placement.package.reference})" if action.placement_id else "")
             + f" from {action.starts_on:%-d %B %Y}"
             + (f", under {action.agreement.title}" if action.agreement_id else ""))
    if review.outcome == ActionReview.Outcome.LIFT:
        subject = f"{what} lifted by {authority}"
        outcome = f"The action is lifted from {review.reviewed_on:%-d %B %Y}."
    else:
        subject = f"{what}: reviewed by {authority}, it continues"
        outcome = f"The action continues. It will be reviewed again on {review.next_review_on:%-d %B %Y}."
    return subject, (f"{authority} reviewed the {about} on {review.reviewed_on:%-d %B %Y}.\n\n{outcome}\n\n"
                     f"The review found:\n{review.notes}\n\n"
                     "Sign in to Jointly and open Performance and quality, then the action under Contract "
                     "actions, to read every review.\n")


def restrictions(provider_ids, *, agreement, today: date, package=None) -> dict[int, str]:
    """Why providers may not be invited to a new call-off under `agreement`
    (an embargo, suspension or termination in force), or to `package` when
    it re-sources a placement terminated with them (while that termination
    stands): one query."""
    kinds = dict(Action.Kind.choices)
    stands = Q(kind__in=Action.RESTRICTING)
    if package is not None and package.pk:
        stands |= Q(kind=Action.Kind.PLACEMENT_TERMINATION, placement__replacement=package)
    found: dict[int, str] = {}
    for action in Action.objects.filter(stands, provider_id__in=list(provider_ids), status=Action.Status.ACTIVE,
                                        starts_on__lte=today).order_by("starts_on"):
        if action.kind in Action.RESTRICTING and action.agreement_id not in (None, agreement.pk):
            continue
        what = ("termination of its placement that this package re-sources"
                if action.kind == Action.Kind.PLACEMENT_TERMINATION else kinds[action.kind].lower())
        reason = f"{what} since {action.starts_on:%-d %B %Y}: {action.grounds}"
        found.setdefault(action.provider_id, reason if len(reason) <= REASON_LENGTH
                         else reason[:REASON_LENGTH - 1].rstrip() + "…")
    return found


REASON_LENGTH = 300  # calloffs.NotInvited.reason


# --- CQC ratings, from the regional catalogue's import ------------------------------------

CQC_SOURCE = "Care Quality Commission"
CQC_SEVERITY = {"Inadequate": "high", "Requires improvement": "medium"}


def cqc_ratings_record(*, rating_ids) -> int:
    """Record here, as intelligence, new overall CQC ratings of locations of
    providers this authority uses (import_cqc sends them, through the
    outbox): each once, dated as published, with the CQC as its source and
    the rating it replaced. Every authority using the provider records its
    own, so it is not shared again; the early warning reads the ratings
    themselves (risk.assess), not these records."""
    from shared_catalogue.models import CQCRating

    ratings = list(CQCRating.objects.filter(pk__in=list(rating_ids), domain="Overall",
                                            location__provider__isnull=False)
               .select_related("location__provider"))
    done = set(Intelligence.objects.filter(from_cqc_rating__in=[r.pk for r in ratings])
               .values_list("from_cqc_rating", flat=True))
    before = _ratings_before(ratings)
    made = 0
    for rating in ratings:
        if rating.pk in done:
            continue
        location = rating.location
        previous = before.get(rating.pk)
        service = location.name if location.name and not find_person_identifiers(location.name) else ""
        intelligence_record(
            actor=None, provider=location.provider, kind=Intelligence.Kind.CQC_RATING, source=CQC_SOURCE,
            occurred_on=min(rating.published_on, timezone.localdate()), service=service[:200],
            severity=CQC_SEVERITY.get(rating.rating, "low"), share=Intelligence.Share.HERE,
            from_cqc_rating=rating.pk,
            summary=f"The CQC rated {'this location' if service else 'a location'} {rating.rating} overall"
                    + (f" (previously {previous})." if previous and previous != rating.rating
                       else " (rated the same before)." if previous else " (its first published rating)."))
        made += 1
    return made


def _ratings_before(ratings) -> dict[int, str]:
    """For each rating, the location's overall rating published before it, if any: one query."""
    from shared_catalogue.models import CQCRating

    history: dict[int, list] = {}
    for row in (CQCRating.objects.filter(location_id__in={r.location_id for r in ratings}, domain="Overall")
                .order_by("location_id", "published_on").values("location_id", "published_on", "rating")):
        history.setdefault(row["location_id"], []).append(row)
    found = {}
    for rating in ratings:
        earlier = [row for row in history.get(rating.location_id, []) if row["published_on"] < rating.published_on]
        if earlier:
            found[rating.pk] = earlier[-1]["rating"]
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
