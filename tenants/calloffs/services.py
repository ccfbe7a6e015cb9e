"""Call-offs: one function per transition. Each checks who is asking and the
current state, records an audit event, and refuses with a clear message.
Provider-facing text is checked for identifiers here, so forms and the API
give the same message."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record
from common import csvsafe
from common.dates import date_of_birth_problem
from common.errors import Conflict, Invalid, require
from common.identifiers import find_identifiers, identifier_message, nhs_number_valid
from outbox.services import outbox_add
from shared_catalogue.models import POSTCODE_DISTRICT, Provider
from tenancy.selectors import authority_current
from tenants.admissions.models import Admission
from tenants.admissions.services import usable_evidence_types
from tenants.agreements.models import Agreement, Lot, Question, QuestionnaireVersion
from tenants.calloffs import opportunities, policy, sealing, selectors
from tenants.calloffs.models import (
    MONEY,
    Award,
    Bid,
    BidEvaluation,
    BidReceipt,
    Clarification,
    DeadlineChange,
    IdentityAccess,
    Invitation,
    Negotiation,
    NoAward,
    NotInvited,
    Package,
    Person,
    Preference,
    Withdrawal,
)
from tenants.pricing.checks import price_check_allows_award, price_checks_make
from tenants.quality.oversight import restrictions

Status = Package.Status
PACKAGE_FIELDS = (
    "title", "client_group", "primary_need", "outcomes", "support_needed", "hours_per_week", "sessions_per_week",
    "pattern", "start_on",
    "duration_weeks", "locality", "postcode_district", "skills", "language", "staff_gender", "transport",
    "other_requirements", "budget_weekly", "weight_quality", "weight_price", "weight_outcomes",
    "weight_social_value", "clarification_deadline", "bid_deadline", "urgent_reason",
)
PERSON_FIELDS = ("first_name", "last_name", "preferred_name", "nhs_number", "date_of_birth", "address",
                 "postcode", "social_worker")
HUNDRED = Decimal("100")
ops_log = logging.getLogger("jointly.ops")
PENCE = Decimal("0.01")




def package_locked(package: Package) -> Package:
    """The package again, locked for the rest of the transaction: every move
    of a package (here and in tenants/pricing) starts with this."""
    return (Package.objects.select_for_update(of=("self",)).select_related("agreement", "lot")
            .get(pk=package.pk))


def package_require_status(package: Package, *statuses, doing: str) -> None:
    """Refuse (409) unless the package is in one of `statuses`; `doing` names the move."""
    if package.status not in statuses:
        raise Conflict(f"The package is {package.get_status_display().lower()}: it cannot be {doing} now.")


# --- The person, held apart ---------------------------------------------------------

def person_create(*, actor, **fields) -> Person:
    access = access_here(actor)
    require(policy.can_see_identity(access) or any(policy.can_call_off_under_grant(access, g.agreement_id)
                                                   for g in access.grants),
            "Only brokers and commissioners record who a package is for.")
    unavailable = selectors.calloff_unavailable()
    if unavailable:
        raise Conflict(unavailable)  # nobody's details are taken for a package that cannot be made
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    fields = _person_normalised(fields)
    person = Person(created_by=actor, **fields)
    try:
        person.full_clean(exclude=["created_by"])
    except Exception as error:  # ValidationError
        raise Invalid(getattr(error, "message_dict", str(error))) from error
    with transaction.atomic():
        person.save()
        audit_record(actor=actor, action="person.recorded", obj=("calloffs.person", person.pk))
    return person


def _person_normalised(fields: dict) -> dict:
    """An NHS number as its ten digits (checked), a postcode in capitals:
    typed as people write them, stored as they are matched."""
    fields = dict(fields)
    nhs = re.sub(r"[\s-]", "", str(fields.get("nhs_number") or ""))
    if nhs and not nhs_number_valid(nhs):
        raise Invalid({"nhs_number": "Enter a valid NHS number: 10 digits, like 943 476 5919."})
    if "nhs_number" in fields:
        fields["nhs_number"] = nhs
    born = date_of_birth_problem(fields.get("date_of_birth"))
    if born:
        raise Invalid({"date_of_birth": born})
    if fields.get("postcode"):
        fields["postcode"] = " ".join(str(fields["postcode"]).upper().split())
    return fields


def person_identity(*, actor, person: Person, purpose: str, package: Package | None = None) -> Person:
    """The person's identity, for staff whose role needs it and, after award,
    for the awarded provider's people. Every look is recorded."""
    access = access_here(actor)
    allowed = policy.can_see_identity(access)
    package = Package.objects.get(pk=package.pk) if package is not None else None  # as it stands now
    if not allowed and package is not None and policy.can_source_package(access, package) \
            and person.packages.filter(pk=package.pk).exists():
        allowed = True  # the granted body's staff, for the people of their own call-off
    if not allowed and package is not None and package.status == Status.AWARDED:
        awarded = package.award.bid.provider_id
        allowed = awarded in access.provider_ids and person.packages.filter(pk=package.pk).exists()
    if not allowed:
        audit_record(actor=actor, action="person.identity_refused", obj=("calloffs.person", person.pk),
                     reason=purpose)
        raise PermissionDenied("You cannot see who this package is for.")
    if not (purpose or "").strip():
        raise Invalid({"purpose": "Say why you need to see who this is."})
    IdentityAccess.objects.create(person=person, user=actor, package=package, purpose=purpose.strip())
    return person


# --- The package --------------------------------------------------------------------

def _check_text(fields: dict, people) -> None:
    _refuse_identifiers({name: fields.get(name) for name in Package.PROVIDER_TEXT}, people)


def _refuse_identifiers(texts: dict, people) -> None:
    """Text that reaches providers (a page, the API, an e-mail, a letter) is
    refused, field by field, if it could identify the person: the package's
    people's names included."""
    names = [name for person in people for name in person.names]
    errors = {field: identifier_message(findings) for field, text in texts.items()
              if (findings := find_identifiers(str(text or ""), names=names))}
    if errors:
        raise Invalid(errors)


def check_provider_text(*, package: Package, **texts) -> None:
    """The guard for staff text about `package` that its providers will read."""
    _refuse_identifiers(texts, package.people.all())


DISTRICT_MESSAGE = "A postcode district looks like CW5 or CH41: never a full postcode."


def _check_district(value: str) -> None:
    """Before the model's own checks, so a full postcode gets this message
    rather than one about its length."""
    if value and not POSTCODE_DISTRICT.match(value.upper()):
        raise Invalid({"postcode_district": DISTRICT_MESSAGE})


def _full_clean(package: Package) -> None:
    try:
        # the deadlines' order is checked by _check_package, with a message that says so
        package.full_clean(exclude=["created_by", "agreement", "lot", "called_off_by"], validate_constraints=False)
    except Exception as error:  # ValidationError
        raise Invalid(getattr(error, "message_dict", str(error))) from error


def _check_package(package: Package) -> None:
    errors = {}
    weights = [package.weight_quality, package.weight_price, package.weight_outcomes, package.weight_social_value]
    if any(w is None or w < 0 for w in weights) or sum(w or 0 for w in weights) != HUNDRED:
        errors["weight_quality"] = "The award criteria weights (quality, price, outcomes, social value) must add up " \
                                   "to 100."
    if package.postcode_district and not POSTCODE_DISTRICT.match(package.postcode_district.upper()):
        errors["postcode_district"] = DISTRICT_MESSAGE
    if package.lot.agreement_id != package.agreement_id:
        errors["lot"] = "That lot belongs to another agreement."
    if package.bid_deadline and package.clarification_deadline and \
            package.clarification_deadline >= package.bid_deadline:
        errors["clarification_deadline"] = "Clarifications must close before the bid deadline."
    if errors:
        raise Invalid(errors)


def package_create(*, actor, agreement: Agreement, lot: Lot, people: list[Person], called_off_by=None,
                   reference: str | None = None, **fields) -> Package:
    """A draft package for one or more people. Everything providers will read
    is checked for identifiers, including the people's own names."""
    access = access_here(actor)
    granted = not policy.can_source(access)
    require(not granted or access.grant_for(agreement.pk, right="call_off", roles=policy.SOURCING, current=False),
            "Only brokers and commissioners create packages.")
    unknown = set(fields) - set(PACKAGE_FIELDS)
    if unknown:
        raise Invalid(f"Unknown package fields: {', '.join(sorted(unknown))}.")
    if not people:
        raise Invalid({"people": "Say who the package is for (held apart, never shown to providers)."})
    if granted:  # the granted body's staff call off in its own name, never another's
        homes = access.granted_authority_ids(*policy.SOURCING)
        called_off_by = called_off_by or _granted_caller(agreement, homes)
        if called_off_by.pk not in homes:
            raise PermissionDenied(f"You do not work for {called_off_by.name}, so you cannot call off for it.")
    called_off_by = called_off_by or _default_caller(actor, agreement)
    _check_caller(agreement, called_off_by, lot)
    if not granted and not agreement.call_off_authorities.filter(pk=called_off_by.pk).exists():
        raise PermissionDenied(f"Only {called_off_by.name}'s own staff call off in its name under its grant.")
    if not granted:
        _check_acts_for(actor, agreement, called_off_by)
    _check_text(fields, people)
    package = Package(agreement=agreement, lot=lot, called_off_by=called_off_by, created_by=actor,
                      reference=reference or _reference(agreement), **fields)
    package.postcode_district = (package.postcode_district or "").upper().strip()
    _check_district(package.postcode_district)
    _full_clean(package)
    _check_package(package)
    with transaction.atomic():
        package.save()
        package.people.set(people)
        audit_record(actor=actor, action="package.created", obj=package,
                     after={"reference": package.reference, "lot": lot.number, "budget_weekly": package.budget_weekly,
                            "people": len(people), "called_off_by": called_off_by.slug})
    return package


def _granted_caller(agreement: Agreement, homes):
    from tenancy.models import Authority

    found = list(Authority.objects.filter(pk__in=homes).order_by("name"))
    if len(found) == 1:
        return found[0]
    raise Invalid({"called_off_by": "Say which authority is calling off: one of "
                                    f"{', '.join(a.name for a in found)}."})


def _check_caller(agreement: Agreement, called_off_by, lot: Lot | None = None) -> None:
    """The authorities named on the agreement call off from it; any other
    needs a call-off grant in force from the owner, covering the lot."""
    from tenants.agreements import grants

    if agreement.call_off_authorities.filter(pk=called_off_by.pk).exists():
        return
    if grants.grant_in_force(agreement_id=agreement.pk, grantee_id=called_off_by.pk, right="call_off",
                             lot_id=lot.pk if lot is not None else None):
        return
    if agreement.grants.filter(grantee=called_off_by).exists():
        raise Conflict({"called_off_by": grants.grant_refusal(agreement=agreement, grantee=called_off_by,
                                                              right="call_off", lot=lot)})
    raise Conflict({"called_off_by": f"{called_off_by.name} is not one of the authorities that may call off "
                                     f"from {agreement.title}, and holds no call-off grant on it."})


def _default_caller(actor, agreement: Agreement):
    """The authority calling off, when not named: this one if it may, or the
    one member authority of a partnership the person works for."""
    from accounts.models import AuthorityMembership

    here = authority_current()
    callers = agreement.call_off_authorities.all()
    if here in callers:
        return here
    own = [a for a in callers if AuthorityMembership.objects.current().filter(user=actor, authority=a).exists()]
    if len(own) == 1:
        return own[0]
    raise Invalid({"called_off_by": "Say which authority is calling off: one of "
                                    f"{', '.join(a.name for a in callers)}."})


def _check_acts_for(actor, agreement: Agreement, called_off_by) -> None:
    """Staff of a partnership's member call off for their own authority, not
    for another member; people who work for the partnership itself may name
    any member."""
    from accounts.models import AuthorityMembership

    here = authority_current()
    if called_off_by == here:
        return
    memberships = AuthorityMembership.objects.current().filter(user=actor)
    if memberships.filter(authority=here).exists() or getattr(actor, "is_platform_operator", False):
        return
    if not memberships.filter(authority=called_off_by).exists():
        raise PermissionDenied(f"You do not work for {called_off_by.name}, so you cannot call off for it.")


def _reference(agreement: Agreement) -> str:
    count = Package.objects.filter(agreement=agreement).count() + 1
    return f"{agreement.reference}-P{count:04d}"


def package_update(*, actor, package: Package, **fields) -> Package:
    require(policy.can_source_package(access_here(actor), package), "Only brokers and commissioners change packages.")
    unknown = set(fields) - set(PACKAGE_FIELDS)
    if unknown:
        raise Invalid(f"Unknown package fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        package = package_locked(package)
        package_require_status(package, Status.DRAFT, doing="changed (publish a new package instead)")
        _check_text({name: fields.get(name, getattr(package, name)) for name in Package.PROVIDER_TEXT},
                    package.people.all())
        for name, value in fields.items():
            setattr(package, name, value)
        package.postcode_district = (package.postcode_district or "").upper().strip()
        _check_district(package.postcode_district)
        _full_clean(package)
        _check_package(package)
        package.save()
        audit_record(actor=actor, action="package.changed", obj=package, after=sorted(fields))
    return package


@dataclass(frozen=True)
class Eligibility:
    admission: Admission
    eligible: bool
    reason: str


def eligibility(package: Package, today=None) -> list[Eligibility]:
    """Every provider admitted to the lot, and whether it may be invited: no
    embargo, suspension or termination in force (contract actions; for a
    package that re-sources a terminated placement, not the provider whose
    placement it was while that termination stands), admission
    active (not pending, suspended or removed), organisation active, and the
    evidence the agreement requires verified and in date."""
    today = today or timezone.localdate()
    version = package.agreement.questionnaires.filter(status=QuestionnaireVersion.Status.PUBLISHED).first()
    required = sorted({t for q in (version.questions.all() if version else [])
                       if q.kind == Question.Kind.COMPLIANCE for t in q.evidence_types})
    admissions = list(Admission.objects.filter(lot=package.lot).exclude(status=Admission.Status.REMOVED)
                      .select_related("provider").order_by("provider__name"))
    usable = usable_evidence_types([a.provider_id for a in admissions], required, today)
    restricted = restrictions([a.provider_id for a in admissions], agreement=package.agreement, today=today,
                              package=package)
    results = []
    for admission in admissions:
        if admission.provider_id in restricted:
            results.append(Eligibility(admission, False, restricted[admission.provider_id]))
        elif admission.status != Admission.Status.ACTIVE:
            reason = {"suspended": f"suspended: {admission.suspended_reason}",
                      "pending_onboarding": "onboarding not finished"}.get(admission.status, admission.status)
            results.append(Eligibility(admission, False, reason))
        elif not admission.provider.is_active:
            results.append(Eligibility(admission, False, "organisation no longer active"))
        else:
            missing = [t for t in required if (admission.provider_id, t) not in usable]
            results.append(Eligibility(admission, not missing, (
                "evidence not verified or out of date: " + ", ".join(m.replace("_", " ") for m in missing))
                if missing else "eligible"))
    return results


def _minimum_window(package: Package, now: datetime) -> None:
    rules = package.agreement.regime
    if package.bid_deadline <= now:
        raise Invalid({"bid_deadline": "The bid deadline must be in the future."})
    if rules.min_tender_days and package.bid_deadline < now + timedelta(days=rules.min_tender_days):
        if package.agreement.kind == Agreement.Kind.DYNAMIC_MARKET:
            raise Invalid({"bid_deadline": f"At least {rules.min_tender_days} days: {rules.tender_period}."})
        if not package.urgent_reason.strip():
            raise Invalid({"bid_deadline": f"At least {rules.min_tender_days} days unless it is urgent and every "
                                           f"invitee is given the same period; give the reason: "
                                           f"{rules.tender_period}."})


def package_publish(*, actor, package: Package, now=None) -> Package:
    """Invite every eligible provider admitted to the lot. The list is frozen,
    with the reasons others were not invited; invitees are e-mailed, and the
    package closes itself at the deadline."""
    access = access_here(actor)
    require(policy.can_source_package(access, package), "Only brokers and commissioners publish packages.")
    now = now or timezone.now()
    with transaction.atomic():
        package = package_locked(package)
        if package.called_off_by_id != authority_current().pk:
            _check_caller(package.agreement, package.called_off_by, package.lot)  # a revoked grant stops new ones
        package_require_status(package, Status.DRAFT, doing="published")
        if package.agreement.status != Agreement.Status.LIVE:
            raise Conflict(f"{package.agreement.title} is not live: call-offs can only be made from a live "
                           "agreement.")
        _check_text({name: getattr(package, name) for name in Package.PROVIDER_TEXT}, package.people.all())
        _minimum_window(package, now)
        results = eligibility(package, timezone.localdate(now))
        invited = [r.admission for r in results if r.eligible]
        if not invited:
            raise Conflict("No provider on this lot can be invited at the moment: "
                           + ("; ".join(f"{r.admission.provider.name} ({r.reason})" for r in results)
                              or "nobody is admitted to it") + ".")
        Invitation.objects.bulk_create([Invitation(package=package, provider_id=a.provider_id, admission=a,
                                                   invited_at=now) for a in invited])
        NotInvited.objects.bulk_create([NotInvited(package=package, provider_id=r.admission.provider_id,
                                                   reason=r.reason) for r in results if not r.eligible])
        package.status = Status.PUBLISHED
        package.published_at, package.published_by = now, actor
        package.save()
        opportunities.write_package(package)
        audit_record(actor=actor, action="package.published", obj=package, reason=package.urgent_reason,
                     after={"invited": sorted(a.provider.name for a in invited),
                            "not_invited": {r.admission.provider.name: r.reason for r in results if not r.eligible},
                            "bid_deadline": package.bid_deadline})
        _after_publish(package)
    return package


def _after_publish(package: Package) -> None:
    """Recorded in the outbox with the change: the invitations' e-mails, and
    the closing at the deadline (handed to the broker shortly before it; the
    sweep closes it too)."""
    from tenants.calloffs.tasks import invitations_notify_task

    outbox_add(invitations_notify_task, package.pk)
    _schedule_close(package)


def _schedule_close(package: Package) -> None:
    from tenants.calloffs.tasks import package_close_task

    outbox_add(package_close_task, package.pk, "deadline", due_at=package.bid_deadline)


def invitations_notify(*, package_id: int) -> int:
    """E-mail every invitee not yet told; once each, however often it runs."""
    from django.core.mail import send_mail

    from accounts.models import ProviderMembership
    from accounts.roles import ProviderRole

    sent = 0
    package = Package.objects.select_related("lot", "agreement", "client_group").get(pk=package_id)
    for invitation in Invitation.objects.filter(package=package, notified_at__isnull=True):
        with transaction.atomic():
            invitation = Invitation.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                pk=invitation.pk, notified_at__isnull=True).first()
            if invitation is None:
                continue
            recipients = sorted(ProviderMembership.objects.current().filter(
                provider_id=invitation.provider_id, user__is_active=True,
                role__in=[ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER]).values_list("user__email", flat=True)
                .distinct())
            send_mail(subject=f"New opportunity: {package.title} ({package.reference})",
                      message=(f"{authority_current().name} invites you to bid for a care package in "
                               f"{package.lot}.\n\n{package.title}\n{_need_line(package)}Locality: {package.locality}\n"
                               f"Bids close {timezone.localtime(package.bid_deadline):%-d %B %Y at %H:%M}.\n\n"
                               "Sign in to Jointly to read it and bid."),
                      from_email=None, recipient_list=recipients)
            invitation.notified_at = timezone.now()
            invitation.save(update_fields=["notified_at"])
            sent += 1
    return sent


def _need_line(package: Package) -> str:
    """The structured need, for an invitation (it identifies nobody)."""
    parts = [f"For: {package.client_group.name}" if package.client_group_id else "",
             f"Primary need: {package.get_primary_need_display()}" if package.primary_need else ""]
    return "".join(f"{part}\n" for part in parts if part)


RECEIPT_RULE = ("only authorised persons may change the opening date, and nobody may have access to tenders before "
                "it (Directive 2014/24 Annex IV; Public Contracts Regulations 2015, regulation 22)")


def _check_deadline_change(package: Package, field: str, before: datetime, after: datetime) -> None:
    """Once a bid is in (any submission, even one withdrawn since), a deadline
    may only be extended: bringing it forward would open bids early. Before
    then it may move either way, but the bid deadline never earlier than the
    minimum tendering period from publication that applied when the package
    was published (or, if it was published urgently with a shorter window,
    than the deadline it was published with)."""
    label = "bid deadline" if field == "bid_deadline" else "clarification deadline"
    if after <= before and BidReceipt.objects.filter(bid__package=package).exists():
        current = timezone.localtime(before)
        raise Conflict({field: f"A bid has been received, so the {label} can only be extended (to after "
                               f"{current:%-d %B %Y %H:%M}), never brought forward: {RECEIPT_RULE}."})
    if field != "bid_deadline" or after >= before:
        return
    rules = package.agreement.regime
    if not rules.min_tender_days or package.published_at is None:
        return
    floor = package.published_at + timedelta(days=rules.min_tender_days)
    if package.agreement.kind != Agreement.Kind.DYNAMIC_MARKET and package.urgent_reason.strip():
        first = package.deadline_changes.order_by("changed_at", "pk").first()
        floor = min(floor, first.before if first else before)
    if after < floor:
        raise Invalid({field: f"The bid deadline cannot be earlier than "
                              f"{timezone.localtime(floor):%-d %B %Y %H:%M}: the package was published on "
                              f"{timezone.localtime(package.published_at):%-d %B %Y} with a minimum tender period "
                              f"of {rules.min_tender_days} days ({rules.tender_period})."})


def _move_reason(actor, package: Package, reason: str, *, what: str) -> str:
    """Who may move a deadline, and the reason every invitee is e-mailed:
    given, and free of anything that identifies the person."""
    require(policy.can_move_deadline(access_here(actor)), f"Only commissioners can move a {what}.")
    if not (reason or "").strip():
        raise Invalid({"reason": f"Say why the {what} moves; every invitee is told."})
    check_provider_text(package=package, reason=reason)
    return reason.strip()


def clarification_deadline_move(*, actor, package: Package, clarification_deadline: datetime, reason: str,
                                now=None) -> Package:
    """Only a commissioner moves the clarification deadline, with a reason.
    Once a bid is in, only later (and still before the bid deadline)."""
    reason = _move_reason(actor, package, reason, what="clarification deadline")
    now = now or timezone.now()
    with transaction.atomic():
        package = package_locked(package)
        package_require_status(package, Status.PUBLISHED, doing="given a new clarification deadline")
        if clarification_deadline <= now:
            raise Invalid({"clarification_deadline": "The new clarification deadline must be in the future."})
        if clarification_deadline >= package.bid_deadline:
            raise Invalid({"clarification_deadline": "Clarifications must close before the bid deadline."})
        before = package.clarification_deadline
        _check_deadline_change(package, "clarification_deadline", before, clarification_deadline)
        package.clarification_deadline = clarification_deadline
        package.save(update_fields=["clarification_deadline"])
        audit_record(actor=actor, action="package.clarification_deadline_moved", obj=package, reason=reason,
                     before={"clarification_deadline": before},
                     after={"clarification_deadline": clarification_deadline})
        _notify_deadline_moved(package.pk, reason, "clarification")
    return package


def deadline_move(*, actor, package: Package, bid_deadline: datetime, reason: str, now=None) -> Package:
    """Only a commissioner moves a deadline, with a reason; invitees are told."""
    reason = _move_reason(actor, package, reason, what="bid deadline")
    now = now or timezone.now()
    with transaction.atomic():
        package = package_locked(package)
        package_require_status(package, Status.PUBLISHED, doing="given a new deadline")
        if bid_deadline <= now:
            raise Invalid({"bid_deadline": "The new deadline must be in the future."})
        _check_deadline_change(package, "bid_deadline", package.bid_deadline, bid_deadline)
        if bid_deadline <= package.clarification_deadline:
            raise Invalid({"bid_deadline": "The deadline must be after clarifications close."})
        before = package.bid_deadline
        package.bid_deadline = bid_deadline
        package.save(update_fields=["bid_deadline"])
        DeadlineChange.objects.create(package=package, before=before, after=bid_deadline, reason=reason,
                                      changed_by=actor)
        opportunities.write_package(package)
        audit_record(actor=actor, action="package.deadline_moved", obj=package, reason=reason,
                     before={"bid_deadline": before}, after={"bid_deadline": bid_deadline})
        _notify_deadline_moved(package.pk, reason, "bid")
        _schedule_close(package)
    return package


def _notify_deadline_moved(package_id: int, reason: str, which: str) -> None:
    from tenants.calloffs.tasks import deadline_moved_notify_task

    outbox_add(deadline_moved_notify_task, package_id, reason, which)


def _tell_invitees(package: Package, *, subject: str, body: str) -> int:
    """One message for each invited provider, to its people: no provider learns
    from the To line who else was invited (competitors for the package).
    Returns how many people were written to."""
    from django.core.mail import EmailMessage, get_connection

    from accounts.models import ProviderMembership

    people: dict[int, set[str]] = {}
    for provider_id, address in ProviderMembership.objects.current().filter(
            provider_id__in=package.invitations.values("provider_id"), user__is_active=True).values_list(
            "provider_id", "user__email"):
        people.setdefault(provider_id, set()).add(address)
    messages = [EmailMessage(subject=subject, body=body, to=sorted(addresses))
                for _, addresses in sorted(people.items())]
    if messages:
        get_connection().send_messages(messages)
    return sum(len(message.to) for message in messages)


def deadline_moved_notify(*, package_id: int, reason: str, which: str = "bid") -> int:
    """Every invitee's people are told the new deadline (`which`: the bid
    deadline, or when clarification questions close) and why."""
    package = Package.objects.get(pk=package_id)
    if which == "clarification":
        subject = f"Clarification deadline changed: {package.title} ({package.reference})"
        when = timezone.localtime(package.clarification_deadline)
        first = f"Clarification questions now close {when:%-d %B %Y at %H:%M}."
    else:
        subject = f"Deadline changed: {package.title} ({package.reference})"
        first = f"Bids now close {timezone.localtime(package.bid_deadline):%-d %B %Y at %H:%M}."
    return _tell_invitees(package, subject=subject, body=f"{first}\nReason: {reason}")


# --- Clarifications -----------------------------------------------------------------

def _invitation(actor, package: Package, provider: Provider) -> Invitation:
    if not policy.can_bid(access_here(actor), provider.pk):
        raise PermissionDenied("Only the organisation's provider admins and bid writers can do this.")
    invitation = Invitation.objects.filter(package=package, provider=provider).first()
    if invitation is None:
        raise PermissionDenied("Your organisation was not invited to bid for this package.")
    return invitation


def clarification_ask(*, actor, package: Package, provider: Provider, question: str, now=None) -> Clarification:
    now = now or timezone.now()
    _invitation(actor, package, provider)
    if package.status != Status.PUBLISHED or now >= package.clarification_deadline:
        raise Conflict("Clarification questions have closed for this package.")
    if not (question or "").strip():
        raise Invalid({"question": "Write your question."})
    clarification = Clarification.objects.create(package=package, provider=provider, question=question.strip(),
                                                 asked_by=actor, asked_at=now)
    audit_record(actor=actor, action="clarification.asked", obj=package, context={"clarification": clarification.pk})
    return clarification


def clarification_answer(*, actor, clarification: Clarification, answer: str, question: str | None = None) \
        -> Clarification:
    """Answer and publish to every invitee, without saying who asked. The
    question may be reworded to remove anything that points at the asker."""
    require(policy.can_source_package(access_here(actor), clarification.package),
            "Only brokers and commissioners answer clarifications.")
    package = clarification.package
    if not (answer or "").strip():
        raise Invalid({"answer": "Write the answer."})
    check_provider_text(package=package, answer=answer, question=question or clarification.question)
    with transaction.atomic():
        clarification = Clarification.objects.select_for_update().get(pk=clarification.pk)
        if package.status != Status.PUBLISHED:
            raise Conflict("Bidding has closed: clarifications can no longer be published.")
        if clarification.published_at:
            raise Conflict("This clarification has already been published.")
        clarification.answer = answer.strip()
        clarification.question = (question or clarification.question).strip()
        clarification.answered_by = actor
        clarification.published_at = timezone.now()
        clarification.save()
        opportunities.write_answers(package)
        audit_record(actor=actor, action="clarification.published", obj=package,
                     context={"clarification": clarification.pk})
        from tenants.calloffs.tasks import clarification_published_notify_task

        # every invitee is e-mailed: recorded with the change (outbox.services)
        outbox_add(clarification_published_notify_task, clarification.pk)
    return clarification


def clarification_published_notify(*, clarification_id: int) -> int:
    """E-mail the published question and answer to the people of every
    invited provider (never saying who asked); once per clarification."""
    with transaction.atomic():
        clarification = (Clarification.objects.select_for_update(of=("self",)).select_related("package")
                         .filter(pk=clarification_id, published_at__isnull=False, notified_at__isnull=True).first())
        if clarification is None:
            return 0
        package = clarification.package
        closes = timezone.localtime(package.bid_deadline)
        told = _tell_invitees(
            package, subject=f"Question answered: {package.title} ({package.reference})",
            body=(f"{authority_current().name} has answered a question about this care package. "
                  "Every invited provider gets the same answer; nobody is told who asked.\n\n"
                  f"Question:\n{clarification.question}\n\nAnswer:\n{clarification.answer}\n\n"
                  f"Bids close {closes:%-d %B %Y at %H:%M}. Sign in to Jointly to read every answer and bid."))
        clarification.notified_at = timezone.now()
        clarification.save(update_fields=["notified_at"])
    return told


# --- Bids ---------------------------------------------------------------------------

# What a bid's numbers may hold: the column (or, for the breakdown kept only in
# the content, the same kind of column) and sense. A weekly price above the
# package's budget by more than this factor is refused as a mistake: a bid over
# budget may still be made (and evaluated as such), but not a hundredfold one.
PRICE_BUDGET_FACTOR = Decimal("5")
HOURS_IN_A_WEEK = Decimal("168")
BID_NUMBERS = {
    # name: (max_digits, decimal_places, what it is)
    "weekly_price": (Bid._meta.get_field("weekly_price").max_digits,
                     Bid._meta.get_field("weekly_price").decimal_places, "amount in pounds and pence, like 425.50"),
    "hourly_rate": (MONEY["max_digits"], MONEY["decimal_places"], "amount in pounds and pence, like 21.50"),
    "hours_per_week": (Package._meta.get_field("hours_per_week").max_digits,
                       Package._meta.get_field("hours_per_week").decimal_places, "number of hours, like 20 or 7.5"),
}


def _bid_number(name: str, raw) -> Decimal | None:
    """One number of a bid, refused unless its column can hold it as typed."""
    digits, places, what = BID_NUMBERS[name]
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "").lstrip("£"))
    except (InvalidOperation, ValueError):
        raise Invalid({name: f"Enter an {what}."}) from None
    if not value.is_finite():
        raise Invalid({name: f"Enter an {what}."})
    if value <= 0:
        raise Invalid({name: "Enter an amount above zero."})
    largest = Decimal(10) ** (digits - places)
    if value >= largest:
        raise Invalid({name: f"That is more than can be recorded: enter an {what}, below {largest:,}."})
    if value != value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):
        raise Invalid({name: f"Enter an {what}: at most {places} decimal places."})
    return value.quantize(Decimal(1).scaleb(-places))


def _bid_content(content: dict, package: Package) -> dict:
    """Check and normalise what a bid says: weekly price and its breakdown,
    a response to the outcomes, when they could start. Every number must fit
    its column and make sense against the package's budget, so that what is
    accepted can always be opened and stored at closing."""
    if not isinstance(content, dict):
        raise Invalid("Send the bid as an object of named fields.")
    errors, clean = {}, {}
    for name in BID_NUMBERS:
        try:
            clean[name] = _bid_number(name, content.get(name))
        except Invalid as error:
            clean[name] = None
            errors.update(error.message_dict)
    if clean.get("weekly_price") is None and "weekly_price" not in errors:
        errors["weekly_price"] = "Enter the weekly price."
    ceiling = (package.budget_weekly * PRICE_BUDGET_FACTOR).quantize(PENCE)
    if clean.get("weekly_price") is not None and clean["weekly_price"] > ceiling:
        errors["weekly_price"] = (f"£{clean['weekly_price']:,} a week is more than {PRICE_BUDGET_FACTOR} times the "
                                  f"package's budget of £{package.budget_weekly:,}: check the amount (a weekly "
                                  f"price above £{ceiling:,} is refused as a mistake).")
    if clean.get("hours_per_week") is not None and clean["hours_per_week"] > HOURS_IN_A_WEEK:
        errors["hours_per_week"] = "A week has 168 hours: enter the hours of support a week."
    for name in ("breakdown", "outcomes_response", "social_value"):
        clean[name] = str(content.get(name) or "").strip()
    if not clean["outcomes_response"]:
        errors["outcomes_response"] = "Say how you will achieve the outcomes."
    start = content.get("start_available_on")
    if start in (None, ""):
        errors["start_available_on"] = "Say when you could start."
    else:
        try:
            clean["start_available_on"] = start if hasattr(start, "isoformat") else \
                datetime.strptime(str(start), "%Y-%m-%d").date()
        except ValueError:
            errors["start_available_on"] = "Enter a date like 2026-12-01."
    if errors:
        raise Invalid(errors)
    return clean


def _receipt_key(bid: Bid | None) -> str:
    """The bid's receipt key, kept across drafts and revisions (one per bid)."""
    return (sealing.receipt_key(bid) if bid is not None and bid.pk else None) or sealing.receipt_key_new()


def bid_save(*, actor, package: Package, provider: Provider, content: dict, now=None) -> Bid:
    """Save a draft, sealed like a submitted bid."""
    now = now or timezone.now()
    _invitation(actor, package, provider)
    clean = _bid_content(content, Package.objects.get(pk=package.pk))
    with transaction.atomic():
        package = package_locked(package)
        if package.status != Status.PUBLISHED or now >= package.bid_deadline:
            raise Conflict("Bidding has closed for this package.")
        if package.status in (Status.WITHDRAWN, Status.CANCELLED):
            raise Conflict(WITHDRAWN_MESSAGE)
        bid = Bid.objects.select_for_update(of=("self",)).filter(package=package, provider=provider).first()
        if bid and bid.status == Bid.Status.SUBMITTED:
            raise Conflict("Your bid is submitted: submit a revised bid instead of saving a draft.")
        bid = bid or Bid(package=package, provider=provider)
        bid.sealed = sealing.seal(package.pk, clean, receipt_key=_receipt_key(bid))
        bid.status, bid.updated_at, bid.updated_by = Bid.Status.DRAFT, now, actor
        bid.save()
        opportunities.write_bid(bid)
        sealing.sealed_event(package=package, action="bid.draft_saved", actor=actor, bid=bid, at=now)
    return bid


def bid_submit(*, actor, package: Package, provider: Provider, content: dict, idempotency_key: str,
               now=None) -> BidReceipt:
    """Submit (or revise) a bid before the deadline. The receipt time is the
    server's; the content is hashed and sealed. The same idempotency key
    returns the same receipt (marked `replayed`), even after the deadline, so
    a retried request never makes two bids; the same key with other content
    is refused, since that is a revision sent under an old key."""
    _invitation(actor, package, provider)
    if not (idempotency_key or "").strip() or len(idempotency_key) > 80:
        raise Invalid({"idempotency_key": "Send a unique key (up to 80 characters) with each submission."})
    clean = _bid_content(content, Package.objects.get(pk=package.pk))
    for _attempt in range(2):
        try:
            return _bid_submit(actor, package, provider, clean, idempotency_key.strip(), now)
        except IntegrityError:  # two first submissions at once: the second sees the first's bid
            continue
    raise Conflict("Your bid could not be recorded; please submit again.")


def _bid_submit(actor, package, provider, clean, key, now) -> BidReceipt:
    with transaction.atomic():
        # The package row is shared-locked: submissions go side by side, and
        # closing (which takes it exclusively) waits for them, or they for it.
        package = _share_locked(package)
        # Only the bid's row: Bid's ordering joins the package, and a plain
        # FOR UPDATE would lock that too, turning the shared lock of every
        # submission into an exclusive one (and two at once into a deadlock).
        bid = Bid.objects.select_for_update(of=("self",)).filter(package=package, provider=provider).first()
        receipt_key = _receipt_key(bid)
        digest = sealing.receipt_digest(clean, receipt_key)
        if bid is not None:
            existing = BidReceipt.objects.filter(bid=bid, idempotency_key=key).first()
            if existing and existing.content_sha256 != digest:
                received = timezone.localtime(existing.received_at)
                raise Conflict({"idempotency_key": f"This key was already used for version {existing.version} of "
                                                   f"your bid, received at {received:%H:%M:%S} on "
                                                   f"{received:%-d %B %Y}, with other content. Send a new key "
                                                   "to submit a revised bid."})
            if existing:
                existing.replayed, existing.receipt_key = True, receipt_key
                return existing
        if package.status in (Status.WITHDRAWN, Status.CANCELLED):
            raise Conflict(WITHDRAWN_MESSAGE)
        now = now or timezone.now()
        late = package.status != Status.PUBLISHED or now >= package.bid_deadline
        if not late:
            return _record_submission(actor, package, provider, bid, clean, receipt_key, key, now)
    # Refused: recorded in the trail (outside the transaction that is given up).
    audit_record(actor=actor, action="bid.late_refused", obj=package,
                 context={"provider": provider.pk, "received_at": now, "deadline": package.bid_deadline})
    deadline = timezone.localtime(package.bid_deadline)
    raise Conflict({"bid_deadline": f"Bids closed at {deadline:%H:%M:%S} on {deadline:%-d %B %Y}; this one "
                                    f"arrived at {timezone.localtime(now):%H:%M:%S}."})


def _record_submission(actor, package, provider, bid, clean, receipt_key, key, now) -> BidReceipt:
    """Inside _bid_submit's transaction, with the package share-locked. The
    audit event says only that something sealed happened on the package."""
    digest = sealing.receipt_digest(clean, receipt_key)
    sealed = sealing.seal(package.pk, clean, receipt_key=receipt_key)
    if bid is None:
        bid = Bid.objects.create(package=package, provider=provider, sealed=sealed, updated_by=actor, updated_at=now)
    revision = bid.version > 0
    bid.sealed = sealed
    bid.status = Bid.Status.SUBMITTED
    bid.version += 1
    bid.submitted_at, bid.content_sha256 = now, digest
    bid.updated_at, bid.updated_by = now, actor
    bid.save()
    opportunities.write_bid(bid)
    receipt = BidReceipt.objects.create(bid=bid, version=bid.version, idempotency_key=key, received_at=now,
                                        content_sha256=digest, submitted_by=actor)
    receipt.receipt_key = receipt_key
    sealing.sealed_event(package=package, action="bid.revised" if revision else "bid.submitted", actor=actor,
                         bid=bid, version=bid.version, received_at=now, digest=digest)
    return receipt


def _share_locked(package: Package) -> Package:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {Package._meta.db_table} WHERE id = %s FOR SHARE", [package.pk])
    return Package.objects.select_related("agreement").get(pk=package.pk)


def bid_withdraw(*, actor, bid: Bid, now=None) -> Bid:
    now = now or timezone.now()
    _invitation(actor, bid.package, bid.provider)
    with transaction.atomic():
        package = package_locked(bid.package)
        if package.status in (Status.WITHDRAWN, Status.CANCELLED):
            raise Conflict(WITHDRAWN_MESSAGE)
        if package.status != Status.PUBLISHED or now >= package.bid_deadline:
            raise Conflict("Bidding has closed: a bid can only be withdrawn before the deadline.")
        bid = Bid.objects.select_for_update().get(pk=bid.pk)
        if bid.status != Bid.Status.SUBMITTED:
            raise Conflict("Only a submitted bid can be withdrawn: this one is "
                           f"{bid.get_status_display().lower()}.")
        bid.status, bid.updated_at, bid.updated_by = Bid.Status.WITHDRAWN, now, actor
        bid.save()
        opportunities.write_bid(bid)
        sealing.sealed_event(package=package, action="bid.withdrawn", actor=actor, bid=bid, at=now)
    return bid


# --- Closing ------------------------------------------------------------------------

def package_close(*, package_id: int, by: str, now=None) -> bool:
    """Close bidding once the deadline has passed: exactly once, however many
    workers try (a conditional update), then open the submitted bids and the
    sealed record of who did what before the deadline. A failure rolls the
    whole closing back (the package stays open to a retry), is recorded on the
    package for staff to see, logged as an error, and raised again."""
    now = now or timezone.now()
    try:
        return _package_close(package_id, by, now)
    except Exception as error:
        _close_failed(package_id, by, error, now)
        raise


def _package_close(package_id: int, by: str, now) -> bool:
    with transaction.atomic():
        closed = Package.objects.filter(pk=package_id, status=Status.PUBLISHED, bid_deadline__lte=now).update(
            status=Status.CLOSED, closed_at=now, closed_by=by, close_failed_at=None, close_error="")
        if not closed:
            return False
        package = Package.objects.get(pk=package_id)
        opened = 0
        for bid in Bid.objects.select_for_update(of=("self",)).filter(package=package):
            if bid.status == Bid.Status.SUBMITTED:
                content = sealing.unseal(bid)
                bid.content = content
                bid.weekly_price = Decimal(str(content["weekly_price"]))
                bid.opened_at = now
                bid.save(update_fields=["content", "weekly_price", "opened_at"])
                opened += 1
        price_checks_make(package=package)
        opportunities.write_package(package)
        audit_record(actor=None, action=sealing.OPENED, obj=package,
                     after={"events": sealing.sealed_events_open(package)})
        audit_record(actor=None, action="package.closed", obj=package,
                     context={"by": by, "bids_opened": opened, "deadline": package.bid_deadline})
    return True


def _close_failed(package_id: int, by: str, error: Exception, now) -> None:
    """Record a failed closing where staff see it (the package's page and
    list, and the audit trail) and log it for the operators. Only the kind of
    failure is kept: its message could quote sealed content."""
    kind = type(error).__name__
    with transaction.atomic():
        Package.objects.filter(pk=package_id, status=Status.PUBLISHED).update(
            close_failed_at=now, close_failures=F("close_failures") + 1, close_error=kind[:200])
        package = Package.objects.filter(pk=package_id).first()
        if package is not None:
            audit_record(actor=None, action="package.close_failed", obj=package,
                         context={"by": by, "error": kind, "failures": package.close_failures})
    ops_log.error("Closing package %s failed (%s, attempt %s, by %s): its bids stay sealed until a retry succeeds",
                  getattr(package, "reference", package_id), kind, getattr(package, "close_failures", "?"), by)


def packages_close_due(*, now=None) -> int:
    """The safety net: close every package whose deadline has passed, each in
    its own transaction, so one that fails (recorded and alerted by
    package_close, and tried again by the next sweep) never holds up the rest."""
    now = now or timezone.now()
    due = Package.objects.filter(status=Status.PUBLISHED, bid_deadline__lte=now).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        try:
            closed += package_close(package_id=pk, by="sweep", now=now)
        except Exception:  # recorded and alerted in package_close; the next sweep tries again
            continue
    return closed


# --- Evaluation and award -----------------------------------------------------------

def _score(value, name) -> Decimal:
    try:
        value = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid({name: "Score from 0 to 100."}) from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise Invalid({name: "Score from 0 to 100."})
    return value


def bid_evaluate(*, actor, bid: Bid, compliant: bool, quality, outcomes, social_value,
                 compliance_notes: str = "") -> BidEvaluation:
    """Scores against the published criteria. Price scores by the lowest
    compliant price; totals are recomputed for every bid of the package."""
    require(policy.can_evaluate_package(access_here(actor), bid.package),
            "Only brokers, commissioners and evaluators score bids.")
    with transaction.atomic():
        package = package_locked(bid.package)
        package_require_status(package, Status.CLOSED, doing="evaluated")
        bid = Bid.objects.get(pk=bid.pk)
        if bid.status != Bid.Status.SUBMITTED:
            raise Conflict("Only submitted bids are evaluated.")
        if not compliant and not (compliance_notes or "").strip():
            raise Invalid({"compliance_notes": "Say which requirement the bid does not meet."})
        check_provider_text(package=package, compliance_notes=compliance_notes)  # quoted in the bidder's letter
        values = {"quality": _score(quality, "quality"), "outcomes": _score(outcomes, "outcomes"),
                  "social_value": _score(social_value, "social_value")}
        evaluation, _ = BidEvaluation.objects.update_or_create(bid=bid, defaults={
            "compliant": compliant, "compliance_notes": (compliance_notes or "").strip(), **values,
            "price": 0, "total": 0, "within_budget": bid.weekly_price <= package.budget_weekly,
            "evaluated_by": actor, "evaluated_at": timezone.now()})
        _rescore(package)
        evaluation.refresh_from_db()
        audit_record(actor=actor, action="bid.evaluated", obj=bid,
                     after={"compliant": compliant, **values, "total": evaluation.total,
                            "within_budget": evaluation.within_budget})
    return evaluation


def _rescore(package: Package) -> None:
    evaluations = list(BidEvaluation.objects.filter(bid__package=package).select_related("bid"))
    prices = [e.bid.weekly_price for e in evaluations if e.compliant]
    lowest = min(prices) if prices else None
    for e in evaluations:
        e.price = (lowest / e.bid.weekly_price * HUNDRED).quantize(PENCE) if lowest and e.compliant else Decimal(0)
        e.within_budget = e.bid.weekly_price <= package.budget_weekly
        e.total = ((e.quality * package.weight_quality + e.outcomes * package.weight_outcomes
                    + e.social_value * package.weight_social_value + e.price * package.weight_price) / HUNDRED
                   ).quantize(PENCE)
        e.save(update_fields=["price", "total", "within_budget"])


def _money(value, name: str, message: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(PENCE, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise Invalid({name: message}) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e8"):
        raise Invalid({name: message})
    return amount


def negotiation_record(*, actor, bid: Bid, note: str, price_after) -> Negotiation:
    """An optional negotiation round, recorded, which may lower the price."""
    require(policy.can_source_package(access_here(actor), bid.package), "Only brokers and commissioners negotiate.")
    if not (note or "").strip():
        raise Invalid({"note": "Record what was discussed."})
    with transaction.atomic():
        package = package_locked(bid.package)
        package_require_status(package, Status.CLOSED, doing="negotiated")
        bid = Bid.objects.select_for_update().get(pk=bid.pk)
        if bid.package_id != package.pk or bid.status != Bid.Status.SUBMITTED:
            raise Conflict("Only a submitted bid for this package can be negotiated.")
        after = _money(price_after, "price_after", "Enter the agreed weekly price in pounds and pence.")
        negotiation = Negotiation.objects.create(package=package, bid=bid, note=note.strip(),
                                                 price_before=bid.weekly_price, price_after=after, recorded_by=actor)
        bid.weekly_price = after
        bid.save(update_fields=["weekly_price"])
        _rescore(package)
        price_checks_make(package=package, bids=[bid])
        audit_record(actor=actor, action="bid.negotiated", obj=bid, reason=note.strip(),
                     before={"weekly_price": negotiation.price_before}, after={"weekly_price": after})
    return negotiation


def candidates(package: Package) -> list[Bid]:
    """Compliant, evaluated bids within the budget, best total first."""
    return [e.bid for e in BidEvaluation.objects.filter(bid__package=package, compliant=True, within_budget=True,
                                                        bid__status=Bid.Status.SUBMITTED)
            .select_related("bid").order_by("-total", "bid__weekly_price")]


def award_basis(*, actor, package: Package, bid: Bid, expressed_by: str = "",
                exception_reason: str = "") -> tuple[str, str, list[Bid]]:
    """On what basis `bid` may be awarded (and the reason, and the
    candidates), or the refusal, without changing anything: what the award's
    check-answers page asks before the broker confirms."""
    require(policy.can_source_package(access_here(actor), package), "Only brokers and commissioners award packages.")
    check_provider_text(package=package, exception_reason=exception_reason)  # quoted in every bidder's letter
    package_require_status(package, Status.CLOSED, doing="awarded")
    _check_letter_notes(package)
    fits = candidates(package)
    if bid.package_id != package.pk or bid.status != Bid.Status.SUBMITTED:
        raise Invalid({"bid": "Choose a submitted bid for this package."})
    price_check_allows_award(bid=bid)
    if bid in fits and len(fits) == 1:
        return Award.Basis.ONLY_COMPLIANT, "", fits
    if bid in fits:
        if not (expressed_by or "").strip():
            raise Invalid({"expressed_by": f"{len(fits)} compliant bids fit the budget: record whose "
                                           "preference chose this one (the person, or who in their family)."})
        return Award.Basis.PREFERENCE, "", fits
    if not (exception_reason or "").strip():
        raise Invalid({"bid": "That bid is not a compliant bid within budget: award it only as an "
                              "exception, with the reason."})
    return Award.Basis.EXCEPTION, exception_reason.strip(), fits


def award(*, actor, package: Package, bid: Bid, expressed_by: str = "", preference_notes: str = "",
          exception_reason: str = "") -> Award:
    """Award the package. One compliant bid within budget wins; where more
    than one fits, the person's or family's preference decides and is recorded
    with who expressed it (user involvement, PCR 2015 regulation 76(8)); anything else is an exception
    with a reason."""
    with transaction.atomic():
        package = package_locked(package)
        basis, reason, fits = award_basis(actor=actor, package=package, bid=bid, expressed_by=expressed_by,
                                          exception_reason=exception_reason)
        return award_record(actor=actor, package=package, bid=bid, basis=basis, reason=reason, fits=fits,
                            expressed_by=expressed_by, preference_notes=preference_notes)


def award_record(*, actor, package: Package, bid: Bid, basis: str, reason: str, fits: list[Bid],
                 expressed_by: str = "", preference_notes: str = "") -> Award:
    """Record an award already decided (inside the caller's transaction, the
    package locked): the preference, the award, the placement, the letters."""
    from tenants.placements.services import placement_from_award

    if basis in (Award.Basis.PREFERENCE, Award.Basis.SCHEDULE_RATE):
        Preference.objects.create(package=package, bid=bid, expressed_by=expressed_by.strip(),
                                  notes=(preference_notes or "").strip(), recorded_by=actor)
    made = Award.objects.create(package=package, bid=bid, basis=basis, reason=reason, awarded_by=actor)
    package.status = Status.AWARDED
    package.save(update_fields=["status"])
    placement = placement_from_award(made)
    opportunities.write_package(package)
    audit_record(actor=actor, action="package.awarded", obj=package, reason=reason,
                 after={"bid": bid.pk, "provider": bid.provider_id, "basis": basis,
                        "weekly_price": bid.weekly_price, "placement": placement.pk,
                        "preference_of": (expressed_by or "").strip() or None,
                        "candidates": [b.pk for b in fits]})
    _send_bid_letters(_bid_letters(made))
    return made


def _check_letter_notes(package: Package) -> None:
    """Notes written before the guard covered them are checked again before
    any letter quotes them (a letter quotes the notes of a non-compliant bid)."""
    people = package.people.all()
    for evaluation in BidEvaluation.objects.filter(bid__package=package, compliant=False).select_related(
            "bid__provider"):
        try:
            _refuse_identifiers({"compliance_notes": evaluation.compliance_notes}, people)
        except Invalid as error:
            raise Conflict(f"The compliance notes on {evaluation.bid.provider.name}'s bid are quoted in its "
                           f"letter: {error.message_dict['compliance_notes'][0]} Evaluate the bid again "
                           "before awarding.") from None


def _bid_letters(made: Award) -> list:
    """An award letter for the winner and a feedback letter for every other
    submitted bid, with its scores against the published criteria."""
    from django.template.loader import render_to_string

    from tenants.calloffs.models import BidLetter

    package = made.package
    winner_total = getattr(getattr(made.bid, "evaluation", None), "total", None)
    letters = []
    for bid in package.bids.filter(status=Bid.Status.SUBMITTED).select_related("provider"):
        award_letter = bid.pk == made.bid_id
        body = render_to_string("calloffs/email/bid_letter.txt", {
            "bid": bid, "package": package, "award": made, "award_letter": award_letter,
            "evaluation": BidEvaluation.objects.filter(bid=bid).first(), "winner_total": winner_total,
            "authority": authority_current()})
        subject = (f"Awarded: {package.title} ({package.reference})" if award_letter
                   else f"Not successful: {package.title} ({package.reference})")
        letters.append(BidLetter.objects.create(
            bid=bid, kind=BidLetter.Kind.AWARD if award_letter else BidLetter.Kind.FEEDBACK, subject=subject,
            body=body))
    return letters


def _send_bid_letters(letters: list) -> None:
    from tenants.calloffs.tasks import bid_letter_send_task

    for letter in letters:
        outbox_add(bid_letter_send_task, letter.pk)


def bid_letter_send(*, letter_id: int) -> bool:
    """E-mail one award or feedback letter to the bidder's admins and bid
    writers; once, however often it runs."""
    from django.core.mail import send_mail

    from accounts.models import ProviderMembership
    from accounts.roles import ProviderRole
    from tenants.calloffs.models import BidLetter

    with transaction.atomic():
        letter = BidLetter.objects.select_for_update(of=("self",)).select_related("bid").filter(
            pk=letter_id, sent_at__isnull=True).first()
        if letter is None:
            return False
        recipients = sorted(set(ProviderMembership.objects.current().filter(
            provider_id=letter.bid.provider_id, user__is_active=True,
            role__in=[ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER]).values_list("user__email", flat=True)))
        send_mail(subject=letter.subject, message=letter.body, from_email=None, recipient_list=recipients)
        letter.sent_at, letter.sent_to = timezone.now(), recipients
        letter.save(update_fields=["sent_at", "sent_to"])
        audit_record(actor=None, action="bid.letter_sent", obj=letter.bid,
                     context={"kind": letter.kind, "to": recipients})
    return True


def no_award(*, actor, package: Package, next_step: str, reason: str) -> NoAward:
    """Nothing fits: publish again (a new draft copied from this one), widen
    the lot, or source outside the agreement as an exception, with a reason."""
    require(policy.can_source_package(access_here(actor), package), "Only brokers and commissioners record outcomes.")
    if next_step not in NoAward.Next.values:
        raise Invalid({"next_step": "Choose: publish again, a wider lot, or an exception."})
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why nothing was awarded."})
    check_provider_text(package=package, reason=reason)  # the outcome of a competition providers bid in
    with transaction.atomic():
        package = package_locked(package)
        package_require_status(package, Status.CLOSED, doing="closed without award")
        follow_on = None
        if next_step == NoAward.Next.REPUBLISH:
            follow_on = _republished(package, actor=actor)
        outcome = NoAward.objects.create(package=package, next_step=next_step, reason=reason.strip(),
                                         recorded_by=actor, follow_on=follow_on)
        package.status = Status.NO_AWARD
        package.save(update_fields=["status"])
        opportunities.write_package(package)
        audit_record(actor=actor, action="package.not_awarded", obj=package, reason=reason.strip(),
                     after={"next_step": next_step, "follow_on": getattr(follow_on, "reference", None)})
    return outcome


def _draft_copy(package: Package, *, actor, **changes) -> Package:
    """A new draft with the package's people and needs, in the same lot."""
    fields = {name: getattr(package, name) for name in PACKAGE_FIELDS} | {"lot": package.lot} | changes
    copy = Package.objects.create(agreement=package.agreement, called_off_by=package.called_off_by,
                                  created_by=actor, reference=_reference(package.agreement), **fields)
    copy.people.set(package.people.all())
    return copy


RESOURCING_TENDER_DAYS = 10  # a re-sourcing draft's bid deadline, at least, from when it is made
RESOURCING_CLARIFICATION_DAYS = 3  # and its clarifications close this long before


def package_resource(*, actor, package: Package, start_on, reason: str, now=None) -> Package:
    """A draft that re-sources `package`'s care after its placement was
    terminated: the same people and needs in the same lot, from `start_on`,
    with deadlines that give the agreement's tendering period from now. A
    broker reviews it and publishes it. Called inside the termination's
    transaction, which decides who may terminate; the provider whose
    placement ended is left out while the termination stands
    (quality.oversight.restrictions)."""
    earliest = timezone.localtime(now or timezone.now()) + timedelta(
        days=max(package.agreement.regime.min_tender_days or 0, RESOURCING_TENDER_DAYS))
    bid_deadline = earliest.replace(hour=12, minute=0, second=0, microsecond=0)
    if bid_deadline < earliest:
        bid_deadline += timedelta(days=1)  # noon on the first day the tendering period allows
    draft = _draft_copy(package, actor=actor, start_on=start_on, bid_deadline=bid_deadline,
                        clarification_deadline=bid_deadline - timedelta(days=RESOURCING_CLARIFICATION_DAYS))
    audit_record(actor=actor, action="package.created", obj=draft, reason=reason,
                 after={"reference": draft.reference, "lot": draft.lot.number, "budget_weekly": draft.budget_weekly,
                        "people": draft.people.count(), "called_off_by": draft.called_off_by.slug,
                        "resourcing_of": package.reference})
    return draft


def bids_export(*, actor, package: Package) -> str:
    """The package's bids as CSV for evaluation: every row goes through the
    seal, so before the deadline the export is refused (and recorded)."""
    import io

    access = access_here(actor)
    require(policy.can_evaluate_package(access, package), "Only brokers, commissioners and evaluators export bids.")
    package = Package.objects.get(pk=package.pk)  # as it stands now
    # before bids open, refused (and recorded once) whether or not there are any
    sealing.refuse_until_open(package, user=actor, channel="export", access=access)
    bids = list(package.bids.filter(status=Bid.Status.SUBMITTED).select_related("provider", "package"))
    rows = []
    for bid in bids:
        content = sealing.read_bid(bid, user=actor, channel="export", access=access)
        rows.append([bid.provider.name, bid.submitted_at.isoformat(), bid.content_sha256, content["weekly_price"],
                     content.get("hourly_rate") or "", content.get("hours_per_week") or "",
                     content.get("start_available_on") or ""])
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(["Provider", "Received", "Receipt digest", "Weekly price", "Hourly rate", "Hours a week",
                     "Can start"])
    writer.writerows(rows)
    return out.getvalue()


# --- Withdrawal, cancellation and publishing again ----------------------------------

WITHDRAWN_MESSAGE = ("This package has been withdrawn by the authority: bids can no longer be submitted, revised "
                     "or withdrawn, and bids received before it was withdrawn are never opened.")


def _withdrawal_reason(reason: str, note: str) -> tuple[str, str]:
    if reason not in Withdrawal.Reason.values:
        raise Invalid({"reason": "Choose why: the person declined, chose a direct payment, their needs changed, "
                                 "no capacity in the market, or another reason."})
    note = (note or "").strip()
    if reason == Withdrawal.Reason.OTHER and not note:
        raise Invalid({"note": "Say what the other reason is."})
    if len(note) > 2000:
        raise Invalid({"note": "Keep the note to 2,000 characters."})
    return reason, note


def withdrawal_check(*, actor, package: Package, reason: str, note: str = "") -> bool:
    """Whether `package` may be withdrawn (or, a draft, cancelled) for this
    reason, without changing anything: what the check-answers page asks
    before the broker confirms. Returns whether bids would stay unopened."""
    require(policy.can_source_package(access_here(actor), package),
            "Only brokers and commissioners withdraw or cancel packages.")
    _withdrawal_reason(reason, note)
    if package.status == Status.DRAFT:
        return False
    package_require_status(package, Status.PUBLISHED, Status.CLOSED,
                           doing="withdrawn (only a package open for bids, or whose bidding has closed, and not yet "
                                 "awarded, can be)")
    check_provider_text(package=package, note=note)  # every invitee is told it
    return package.status == Status.PUBLISHED


def package_cancel(*, actor, package: Package, reason: str, note: str = "") -> Withdrawal:
    """A draft that will not be published, with the reason. Nobody was
    invited, so nobody is told."""
    require(policy.can_source_package(access_here(actor), package),
            "Only brokers and commissioners withdraw or cancel packages.")
    reason, note = _withdrawal_reason(reason, note)
    with transaction.atomic():
        package = package_locked(package)
        package_require_status(package, Status.DRAFT,
                               doing="cancelled (only a draft can be; a published package is withdrawn instead)")
        withdrawal = Withdrawal.objects.create(package=package, status_before=package.status, reason=reason,
                                               note=note, recorded_by=actor)
        package.status = Status.CANCELLED
        package.save(update_fields=["status"])
        audit_record(actor=actor, action="package.cancelled", obj=package, reason=note,
                     before={"status": Status.DRAFT}, after={"reason": reason})
    return withdrawal


def package_withdraw(*, actor, package: Package, reason: str, note: str = "", now=None) -> Withdrawal:
    """Withdraw a published package before award, with the reason; every
    invitee is told. Withdrawn while bidding is open (the deadline passed or
    not, as long as it has not closed), its bids are never opened: closing
    only ever opens a package that is still open for bids, and this one no
    longer is. Withdrawn after closing, the bids were opened at the deadline
    and stay readable to evaluators as the record of the competition."""
    require(policy.can_source_package(access_here(actor), package),
            "Only brokers and commissioners withdraw or cancel packages.")
    reason, note = _withdrawal_reason(reason, note)
    now = now or timezone.now()
    with transaction.atomic():
        package = package_locked(package)  # closing waits for this, then finds nothing open to close
        if package.status == Status.DRAFT:
            raise Conflict("The package is a draft: nobody has been invited, so cancel it instead.")
        unopened = withdrawal_check(actor=actor, package=package, reason=reason, note=note)
        before = package.status
        withdrawal = Withdrawal.objects.create(package=package, status_before=before, reason=reason, note=note,
                                               bids_unopened=unopened, recorded_by=actor, recorded_at=now)
        package.status = Status.WITHDRAWN
        package.save(update_fields=["status"])
        opportunities.write_package(package)
        # nothing here says whether anyone bid, nor how many: before closing that stays sealed
        audit_record(actor=actor, action="package.withdrawn", obj=package, reason=note,
                     before={"status": before}, after={"reason": reason, "bids_unopened": unopened})
        from tenants.calloffs.tasks import withdrawal_notify_task

        outbox_add(withdrawal_notify_task, withdrawal.pk)
    return withdrawal


def withdrawal_notify(*, withdrawal_id: int) -> int:
    """E-mail each invited provider's people that the package is withdrawn
    and why, one message per provider (so no provider learns who else was
    invited); each provider once, however often it runs. Every invitee is
    told, not only bidders: before closing, who has bid stays sealed."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from accounts.models import ProviderMembership

    withdrawal = Withdrawal.objects.select_related("package").get(pk=withdrawal_id)
    package = withdrawal.package
    body = render_to_string("calloffs/email/withdrawn.txt", {
        "package": package, "withdrawal": withdrawal, "authority": authority_current()})
    sent = 0
    for provider_id in package.invitations.order_by("provider_id").values_list("provider_id", flat=True):
        with transaction.atomic():
            withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
            told = withdrawal.notified_providers
            if provider_id in told:
                continue
            recipients = sorted(set(ProviderMembership.objects.current().filter(
                provider_id=provider_id, user__is_active=True).values_list("user__email", flat=True)))
            if recipients:
                send_mail(subject=f"Withdrawn: {package.title} ({package.reference})", message=body,
                          from_email=None, recipient_list=recipients)
                sent += 1
            withdrawal.notified_providers = [*told, provider_id]
            withdrawal.notified_at = timezone.now()
            withdrawal.save(update_fields=["notified_providers", "notified_at"])
    return sent


def _republished(package: Package, *, actor, lot: Lot | None = None) -> Package:
    """A new draft for the same people and need, linked to `package` and to
    the first package of the request (inside the caller's transaction)."""
    lot = lot or package.lot
    if lot.agreement_id != package.agreement_id:
        raise Invalid({"lot": "Choose a lot of the same agreement."})
    follow_on = _draft_copy(package, actor=actor, lot=lot, republished_from=package,
                            original_id=package.sourcing_request_id)
    audit_record(actor=actor, action="package.created", obj=follow_on,
                 after={"reference": follow_on.reference, "lot": lot.number, "republishes": package.reference,
                        "sourcing_request": follow_on.original_id})
    return follow_on


def package_republish(*, actor, package: Package, lot: Lot | None = None) -> Package:
    """Publish a withdrawn or not-awarded request again: a new draft, copied
    (the people and the need), on the same lot or another of the agreement,
    linked to this one and to the first, so the request counts once. Each
    package is published again at most once: the chain stays one line."""
    require(policy.can_source_package(access_here(actor), package, new=True),
            "Only brokers and commissioners publish packages again.")
    with transaction.atomic():
        package = package_locked(package)
        package_require_status(package, Status.WITHDRAWN, Status.NO_AWARD,
                               doing="published again (only a withdrawn or not awarded package can be)")
        existing = Package.objects.filter(republished_from=package).first()
        if existing is not None:
            raise Conflict(f"{package.reference} has already been published again as {existing.reference}: "
                           f"carry on with that one.")
        follow_on = _republished(package, actor=actor, lot=lot)
        audit_record(actor=actor, action="package.republished", obj=package,
                     after={"follow_on": follow_on.reference, "lot": follow_on.lot.number})
    return follow_on
