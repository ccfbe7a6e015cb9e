"""A quality assessment's standards and follow-up: the provider's
self-assessment of each standard (with evidence from its locker), the
officer's validation of each, suggested domain ratings, and the improvement
actions that follow, up to the officer verifying each one done.

Scheduling, the draft report, the provider's response and the final rating
are in oversight.py. Every change here is audited, happens in one
transaction, and any text the provider reads (or writes) passes the
identifier guard.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import AuthorityMembership, ProviderMembership
from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from tenancy.selectors import authority_current
from tenants.quality import policy
from tenants.quality.models import DOMAINS, RATINGS, Assessment, FollowUp, StandardAssessment
from tenants.quality.oversight import QUALITY_ROLES, _no_identifiers
from tenants.quality.standards import BY_KEY, STANDARDS, suggest

RATING_KEYS = {key for key, _ in RATINGS}
SELF_ASSESS_REFUSED = "Only the provider's admins and bid writers complete its self-assessment."
QUALITY_REFUSED = "Only quality officers and commissioners validate standards and follow up actions."


def _require_quality(actor) -> None:
    require(access_here(actor).has_role(*QUALITY_ROLES), QUALITY_REFUSED)


def standards_open(assessment: Assessment) -> None:
    """Each standard's row, made when the assessment is scheduled (inside its transaction)."""
    StandardAssessment.objects.bulk_create(
        [StandardAssessment(assessment=assessment, standard=s.key) for s in STANDARDS])


def _locked(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().get(pk=assessment.pk)


def _self_assessment_open(assessment: Assessment, today: date) -> None:
    if assessment.status != Assessment.Status.SCHEDULED:
        raise Conflict("The officer has already sent the draft report; the self-assessment is closed.")
    if assessment.self_assessment_submitted_at:
        raise Conflict("Your self-assessment has been submitted and can no longer be changed. Ask the quality "
                       "officer if something needs correcting.")
    if assessment.self_assessment_due and today > assessment.self_assessment_due:
        raise Conflict(f"The self-assessment was due by {assessment.self_assessment_due:%-d %B %Y}. Ask the "
                       "quality officer for more time.")


def _current_document(evidence, provider_id: int) -> bool:
    """A document in the provider's own locker (shared catalogue), not since replaced."""
    from shared_catalogue.models import Evidence

    return evidence.provider_id == provider_id and not Evidence.objects.filter(replaces=evidence).exists()


# --- The provider's self-assessment ----------------------------------------------------

def self_assessment_save(*, actor, assessment: Assessment, entries: dict[str, dict],
                         today: date | None = None) -> Assessment:
    """Save some or all standards as a draft: each a self-rating (or none
    yet), how the provider meets it, and optionally a document from its
    locker. Nothing is checked for completeness until it is submitted."""
    require(policy.can_self_assess(access_here(actor), assessment.provider_id), SELF_ASSESS_REFUSED)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    for key, entry in entries.items():
        if key not in BY_KEY:
            errors[f"{key}"] = "There is no such standard."
            continue
        rating = entry.get("self_rating") or ""
        if rating and rating not in RATING_KEYS:
            errors[f"{key}-self_rating"] = "Choose Excellent, Good, Requires improvement or Poor."
        _no_identifiers(errors, **{f"{key}-narrative": entry.get("narrative") or ""})
        evidence = entry.get("evidence")
        if evidence is not None and not _current_document(evidence, assessment.provider_id):
            errors[f"{key}-evidence"] = "That document is not a current one in your organisation's locker."
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        assessment = _locked(assessment)
        _self_assessment_open(assessment, today)
        rows = {r.standard: r for r in assessment.standards.select_for_update().filter(standard__in=list(entries))}
        now, changed = timezone.now(), []
        for key, entry in entries.items():
            row = rows[key]
            row.self_rating = entry.get("self_rating") or ""
            row.narrative = (entry.get("narrative") or "").strip()
            row.evidence = entry.get("evidence")
            row.updated_by, row.updated_at = actor, now
            row.save(update_fields=["self_rating", "narrative", "evidence", "updated_by", "updated_at"])
            changed.append(key)
        audit_record(actor=actor, action="assessment.self_assessment_saved", obj=assessment,
                     after={"standards": sorted(changed)})
    return assessment


def self_assessment_submit(*, actor, assessment: Assessment, today: date | None = None) -> Assessment:
    """Submit the whole self-assessment: every standard rated and explained.
    After this the provider cannot change it."""
    require(policy.can_self_assess(access_here(actor), assessment.provider_id), SELF_ASSESS_REFUSED)
    today = today or timezone.localdate()
    with transaction.atomic():
        assessment = _locked(assessment)
        _self_assessment_open(assessment, today)
        errors: dict[str, str] = {}
        for row in assessment.standards.all():
            title = BY_KEY[row.standard].title
            if not row.self_rating:
                errors[f"{row.standard}-self_rating"] = f"Rate yourself against “{title}”."
            elif not row.narrative:
                errors[f"{row.standard}-narrative"] = f"Say how you meet “{title}”."
        if errors:
            raise Invalid(errors)
        assessment.self_assessment_submitted_at, assessment.self_assessment_submitted_by = timezone.now(), actor
        assessment.save(update_fields=["self_assessment_submitted_at", "self_assessment_submitted_by"])
        audit_record(actor=actor, action="assessment.self_assessment_submitted", obj=assessment,
                     after={"ratings": {r.standard: r.self_rating for r in assessment.standards.all()}})
    return assessment


def self_assessment_due_change(*, actor, assessment: Assessment, due_on: date, reason: str = "") -> Assessment:
    """The officer gives the provider a new date for its self-assessment
    (more time, or to reopen one that closed unsubmitted)."""
    _require_quality(actor)
    if due_on is None or due_on < timezone.localdate():
        raise Invalid({"due_on": "The new date cannot be in the past."})
    with transaction.atomic():
        assessment = _locked(assessment)
        if assessment.status != Assessment.Status.SCHEDULED or assessment.self_assessment_submitted_at:
            raise Conflict("The self-assessment has been submitted (or the draft report sent); its date no longer "
                           "applies.")
        before = assessment.self_assessment_due
        assessment.self_assessment_due = due_on
        assessment.save(update_fields=["self_assessment_due"])
        audit_record(actor=actor, action="assessment.self_assessment_due_changed", obj=assessment,
                     reason=(reason or "").strip(), before={"due": before.isoformat() if before else None},
                     after={"due": due_on.isoformat()})
    return assessment


# --- The officer's validation ------------------------------------------------------------

def standard_validate(*, actor, assessment: Assessment, standard: str, agree: bool, rating: str = "",
                      note: str = "", today: date | None = None) -> StandardAssessment:
    """The officer validates one standard: agreeing with the provider's
    self-rating, or giving their own with a note saying why. Possible once
    the provider has submitted, or its date has passed without it."""
    _require_quality(actor)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if standard not in BY_KEY:
        raise Invalid({"standard": "There is no such standard."})
    if not agree:
        if rating not in RATING_KEYS:
            errors["rating"] = "Give your rating: Excellent, Good, Requires improvement or Poor."
        if not (note or "").strip():
            errors["note"] = "Say why your rating differs from the provider's."
    _no_identifiers(errors, note=note)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        assessment = _locked(assessment)
        if assessment.status != Assessment.Status.SCHEDULED:
            raise Conflict("The draft report has been sent; the standards can no longer be changed.")
        if not assessment.self_assessment_submitted_at and not (
                assessment.self_assessment_due and today > assessment.self_assessment_due):
            due = f" (due by {assessment.self_assessment_due:%-d %B %Y})" if assessment.self_assessment_due else ""
            raise Conflict(f"The provider has not submitted its self-assessment yet{due}. Standards are validated "
                           "once it has, or once its date has passed.")
        row = assessment.standards.select_for_update().get(standard=standard)
        if agree and not row.self_rating:
            raise Invalid({"agree": "The provider gave no rating for this standard; give your own."})
        before = {"rating": row.officer_rating, "agreed": row.agreed}
        row.agreed = bool(agree)
        row.officer_rating = row.self_rating if agree else rating
        row.officer_note = (note or "").strip()
        row.validated_by, row.validated_at = actor, timezone.now()
        row.save(update_fields=["agreed", "officer_rating", "officer_note", "validated_by", "validated_at"])
        audit_record(actor=actor, action="assessment.standard_validated", obj=assessment, before=before,
                     after={"standard": standard, "rating": row.officer_rating, "agreed": row.agreed})
    return row


def standards_outstanding(assessment: Assessment) -> int:
    return assessment.standards.filter(validated_at__isnull=True).count()


def suggestions(rows) -> tuple[dict[str, str], str]:
    """Suggested domain ratings from the validated standards (the officer
    decides), and a suggested overall rating from those."""
    by_domain: dict[str, list[str]] = {key: [] for key, _ in DOMAINS}
    for row in rows:
        by_domain[BY_KEY[row.standard].domain].append(row.officer_rating)
    domains = {key: suggest(ratings) for key, ratings in by_domain.items()}
    return domains, suggest(list(domains.values()))


# --- Follow-up actions ---------------------------------------------------------------------

# The allowed moves of a follow-up action, and who makes each.
MOVES = {
    ("open", "done"): "owner",
    ("done", "verified"): "quality",
    ("done", "open"): "quality",
}


def _is_owner_side(actor, follow_up: FollowUp) -> bool:
    access = access_here(actor)
    if follow_up.owner_side == FollowUp.Owner.PROVIDER:
        return follow_up.owner_id == actor.pk or access.has_provider_role(follow_up.provider_id, "provider_admin")
    return follow_up.owner_id == actor.pk or access.has_role(*QUALITY_ROLES)


def follow_up_add(*, actor, assessment: Assessment, what: str, due_on: date | None, owner, owner_side: str,
                  standard: str = "", domain: str = "") -> FollowUp:
    """An improvement action from the assessment, with what must be done,
    the standard (or domain) it comes from, its owner and due date."""
    _require_quality(actor)
    errors: dict[str, str] = {}
    if not (what or "").strip():
        errors["what"] = "Say what must be done."
    _no_identifiers(errors, what=what)
    if standard:
        if standard not in BY_KEY:
            errors["standard"] = "There is no such standard."
        else:
            domain = BY_KEY[standard].domain
    if domain not in dict(DOMAINS):
        errors["domain"] = "Say which standard or domain it comes from."
    if due_on is None or due_on < timezone.localdate():
        errors["due_on"] = "Give the date it is due; it cannot be in the past."
    if owner_side == FollowUp.Owner.PROVIDER:
        if owner is None or not ProviderMembership.objects.filter(user=owner, provider_id=assessment.provider_id,
                                                                  revoked_at__isnull=True).exists():
            errors["owner"] = "Choose a person at the provider."
    elif owner_side == FollowUp.Owner.AUTHORITY:
        if owner is None or not AuthorityMembership.objects.filter(user=owner, authority=authority_current(),
                                                                   role__in=QUALITY_ROLES,
                                                                   revoked_at__isnull=True).exists():
            errors["owner"] = "Choose a quality officer or commissioner here."
    else:
        errors["owner_side"] = "Say whether a person at the provider or an officer here owns it."
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        _locked(assessment)
        made = FollowUp.objects.create(assessment=assessment, provider_id=assessment.provider_id, what=what.strip(),
                                       domain=domain, standard=standard, owner_side=owner_side, owner=owner,
                                       due_on=due_on, created_by=actor)
        audit_record(actor=actor, action="assessment.follow_up_added", obj=made,
                     after={"assessment": assessment.pk, "domain": domain, "standard": standard,
                            "owner": owner.pk, "owner_side": owner_side, "due_on": due_on.isoformat()})
    return made


def _move(actor, follow_up: FollowUp, to: str, *, action: str, reason: str = "", **fields) -> FollowUp:
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if (follow_up.status, to) not in MOVES:
            raise Conflict({
                "done": "This action has already been marked done.",
                "verified": "This action has already been verified.",
            }.get(follow_up.status, "This action is still open: it has to be marked done first."))
        before = follow_up.status
        follow_up.status = to
        for name, value in fields.items():
            setattr(follow_up, name, value)
        follow_up.save(update_fields=["status", *fields])
        audit_record(actor=actor, action=action, obj=follow_up, reason=reason, before={"status": before},
                     after={"status": to})
    return follow_up


def follow_up_done(*, actor, follow_up: FollowUp, note: str, evidence=None) -> FollowUp:
    """The owner (or the provider's admin, for the provider's actions) marks it done, with a note."""
    require(_is_owner_side(actor, follow_up), "Only the action's owner (or the provider's admins, for the "
                                              "provider's actions) mark it done.")
    errors: dict[str, str] = {}
    if not (note or "").strip():
        errors["note"] = "Say what was done."
    _no_identifiers(errors, note=note)
    if evidence is not None and not _current_document(evidence, follow_up.provider_id):
        errors["evidence"] = "That document is not a current one in the provider's locker."
    if errors:
        raise Invalid(errors)
    return _move(actor, follow_up, FollowUp.Status.DONE, action="assessment.follow_up_done", reason=note.strip(),
                 done_note=note.strip(), done_evidence=evidence, done_by=actor, done_at=timezone.now())


def follow_up_verify(*, actor, follow_up: FollowUp) -> FollowUp:
    _require_quality(actor)
    return _move(actor, follow_up, FollowUp.Status.VERIFIED, action="assessment.follow_up_verified",
                 verified_by=actor, verified_at=timezone.now())


def follow_up_reopen(*, actor, follow_up: FollowUp, reason: str, due_on: date | None = None) -> FollowUp:
    """Not done yet: back to its owner with the reason (which the provider reads) and, if given, a new date."""
    _require_quality(actor)
    errors: dict[str, str] = {}
    if not (reason or "").strip():
        errors["reason"] = "Say what is still to be done."
    _no_identifiers(errors, reason=reason)
    if due_on is not None and due_on < timezone.localdate():
        errors["due_on"] = "The new date cannot be in the past."
    if errors:
        raise Invalid(errors)
    fields = {"reopened_reason": reason.strip()}
    if due_on is not None:
        fields["due_on"] = due_on
    return _move(actor, follow_up, FollowUp.Status.OPEN, action="assessment.follow_up_reopened",
                 reason=reason.strip(), **fields)
