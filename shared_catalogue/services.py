"""Writes to the regional catalogue. One transaction each, an explicit actor,
an audit event, e-mails after commit."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, transaction
from django.db.models import F, Func, OuterRef, QuerySet, TextField, Value
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from accounts.models import ProviderMembership
from accounts.policy import access_compute
from accounts.roles import ProviderRole
from accounts.services import MembershipConflict, api_tokens_revoke_for_user, user_get_or_invite
from audit.services import audit_record
from common.dates import future_date_problem, past_date_problem
from common.errors import Conflict, Invalid, require
from common.identifiers import find_person_identifiers, person_identifier_message
from outbox.services import outbox_add
from shared_catalogue import policy
from shared_catalogue.models import (
    CQC_ID,
    INSURANCE_TYPES,
    CQCLocation,
    Evidence,
    EvidenceDecision,
    EvidenceType,
    Provider,
    ProviderProfileVersion,
    ServiceType,
    postcode_district,
)
from shared_catalogue.uploads import check_upload

PUBLIC = get_public_schema_name()

PROFILE_FIELDS = (
    "legal_name", "name", "kind", "company_number", "charity_number", "cqc_provider_id",
    "address_line_1", "address_line_2", "town", "postcode", "website",
    "contact_name", "contact_email", "contact_phone", "description", "capacity_statement",
    "postcode_districts", "specialisms", "languages",
)



def _clean_list(values) -> list[str]:
    seen, cleaned = set(), []
    for value in values or []:
        value = " ".join(str(value).split())
        if value and value.lower() not in seen:
            seen.add(value.lower())
            cleaned.append(value)
    return cleaned


def _districts(values) -> list[str]:
    cleaned = []
    for value in _clean_list(values):
        district = postcode_district(value) or value.upper()
        if district not in cleaned:
            cleaned.append(district)
    return cleaned


def profile_snapshot(provider: Provider) -> dict:
    """The profile as a plain dict: what a version keeps."""
    data = {name: getattr(provider, name) for name in PROFILE_FIELDS}
    data["services"] = sorted(provider.services.values_list("code", flat=True))
    data["client_groups"] = sorted(provider.client_groups.values_list("code", flat=True))
    data["areas"] = sorted(provider.areas.values_list("slug", flat=True))
    data["cqc_locations"] = sorted(provider.cqc_locations.values_list("location_id", flat=True))
    return data


def provider_search_vector():
    """What the stored search vector is made of: the names (weight A), the
    services offered and the specialisms (B), and the description (C)."""

    def words(expression):
        return Func(expression, Value(" "), function="array_to_string", output_field=TextField())

    service_names = ArraySubquery(ServiceType.objects.filter(providers=OuterRef("pk")).order_by().values("name"))
    return (
        SearchVector("name", weight="A", config="english")
        + SearchVector("legal_name", weight="A", config="english")
        + SearchVector(words(service_names), weight="B", config="english")
        + SearchVector(words(F("specialisms")), weight="B", config="english")
        + SearchVector("description", weight="C", config="english")
    )


def providers_search_refresh(*, providers: QuerySet[Provider] | None = None) -> int:
    """Recompute the stored search vector (after a bulk load, or after a
    service type is renamed). Derived data: no audit event."""
    providers = Provider.objects.all() if providers is None else providers
    return providers.update(search=provider_search_vector())


def _refresh_search(provider: Provider) -> None:
    providers_search_refresh(providers=Provider.objects.filter(pk=provider.pk))


def _save_profile(provider: Provider, *, actor, fields: dict, relations: dict) -> Provider:
    for name, value in fields.items():
        if name in ("postcode_districts",):
            value = _districts(value)
        elif name in ("specialisms", "languages"):
            value = _clean_list(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(provider, name, value)
    provider.full_clean(exclude=["search"])
    provider.updated_at = timezone.now()
    provider.profile_version += 1
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError as error:
        raise Conflict("Another provider is registered with the same name or number.") from error
    locations = relations.pop("cqc_locations", None)
    for name, values in relations.items():
        if values is not None:
            getattr(provider, name).set(values)
    if locations is not None:
        _declare_locations(provider, locations)
    _refresh_search(provider)
    ProviderProfileVersion.objects.create(provider=provider, number=provider.profile_version,
                                          snapshot=profile_snapshot(provider), changed_by=actor)
    return provider


def _declare_locations(provider: Provider, location_ids) -> None:
    """The CQC locations a provider says it runs. The CQC import fills in their
    names and ratings; a location another provider runs cannot be claimed."""
    ids = _clean_list(location_ids)
    bad = [value for value in ids if not CQC_ID.match(value)]
    if bad:
        raise Invalid({"cqc_locations": f"These are not CQC location IDs: {', '.join(bad)}. "
                                        "A CQC location ID looks like 1-101641521."})
    known = {location.location_id: location for location in CQCLocation.objects.select_for_update()
             .filter(location_id__in=ids)}
    taken = sorted(i for i, location in known.items() if location.provider_id not in (None, provider.pk))
    if taken:
        raise Conflict({"cqc_locations": f"Another provider runs {', '.join(taken)} according to the CQC's "
                                         "register. Check the ID, or ask us to look into it."})
    unclaimed = [location_id for location_id, location in known.items() if location.provider_id is None]
    CQCLocation.objects.filter(location_id__in=unclaimed).update(provider=provider)
    CQCLocation.objects.bulk_create([
        CQCLocation(location_id=location_id, provider=provider, cqc_provider_id=provider.cqc_provider_id,
                    declared_by_provider=True)
        for location_id in ids if location_id not in known
    ])
    withdrawn = provider.cqc_locations.filter(declared_by_provider=True).exclude(location_id__in=ids)
    withdrawn.filter(last_imported_at__isnull=True).delete()
    withdrawn.update(provider=None)


def provider_register(*, actor, services=None, client_groups=None, areas=None, cqc_locations=None,
                      **fields) -> Provider:
    """Register an organisation; the person registering it becomes its provider admin."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise Invalid(f"Unknown profile fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        provider = _save_profile(Provider(), actor=actor, fields=fields,
                                 relations={"services": services, "client_groups": client_groups, "areas": areas,
                                            "cqc_locations": cqc_locations})
        ProviderMembership.objects.create(user=actor, provider=provider, role=ProviderRole.PROVIDER_ADMIN,
                                          granted_by=actor)
        audit_record(actor=actor, action="provider.registered", obj=provider, schema=PUBLIC,
                     after=profile_snapshot(provider))
    return provider


def provider_profile_update(*, actor, provider: Provider, services=None, client_groups=None, areas=None,
                            cqc_locations=None, **fields) -> Provider:
    """Change a provider's profile: a new version, kept with the old ones."""
    require(policy.can_edit_profile(policy.provider_roles(actor, provider)) or actor.is_platform_operator,
             "Only the organisation's provider admins can change its profile.")
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise Invalid(f"Unknown profile fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider.pk)
        before = profile_snapshot(provider)
        provider = _save_profile(provider, actor=actor, fields=fields,
                                 relations={"services": services, "client_groups": client_groups, "areas": areas,
                                            "cqc_locations": cqc_locations})
        after = profile_snapshot(provider)
        changed = {k for k in after if before.get(k) != after.get(k)}
        audit_record(actor=actor, action="provider.profile_changed", obj=provider, schema=PUBLIC,
                     before={k: before[k] for k in sorted(changed)}, after={k: after[k] for k in sorted(changed)},
                     context={"version": provider.profile_version})
    return provider


# --- People ----------------------------------------------------------------------

def provider_person_add(*, actor, provider: Provider, email: str, role: str, full_name: str = "") -> ProviderMembership:
    """Give someone a role in the organisation, making their account if needed; they are told by e-mail."""
    require(policy.can_manage_people(policy.provider_roles(actor, provider)),
             "Only the organisation's provider admins can add people.")
    if role not in ProviderRole.values:
        raise Invalid({"role": "Choose one of the roles listed."})
    with transaction.atomic():
        user, created = user_get_or_invite(actor=actor, email=email, full_name=full_name)
        try:
            with transaction.atomic():
                membership = ProviderMembership.objects.create(user=user, provider=provider, role=role,
                                                               granted_by=actor)
        except IntegrityError as error:
            raise MembershipConflict(
                f"{user.email} already has the role {ProviderRole(role).label} at {provider.name}.") from error
        audit_record(actor=actor, action="provider_membership.granted", obj=membership, schema=PUBLIC,
                     after={"user": user.email, "role": role, "provider": provider.pk})
        _notify_person(membership.pk)
    return membership


def _notify_person(membership_id: int) -> None:
    from shared_catalogue.tasks import provider_person_notify_task

    outbox_add(provider_person_notify_task, membership_id)


def provider_person_notify(*, membership_id: int) -> bool:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from tenancy.routing import public_reverse

    membership = (ProviderMembership.objects.current().select_related("user", "provider", "granted_by")
                  .filter(pk=membership_id).first())
    if membership is None:
        return False
    context = {
        "membership": membership,
        "role": ProviderRole(membership.role).label,
        "provider_url": public_reverse("catalogue:provider", kwargs={"provider_id": membership.provider_id},
                                       absolute=True),
        "needs_password": not membership.user.has_usable_password(),
        "password_url": f"{settings.SITE_URL}{public_reverse('account_reset_password')}",
    }
    send_mail(subject=f"You have been added to {membership.provider.name} on Jointly",
              message=render_to_string("shared_catalogue/email/person_added.txt", context),
              from_email=None, recipient_list=[membership.user.email])
    return True


def provider_person_remove(*, actor, membership: ProviderMembership, reason: str = "") -> ProviderMembership:
    provider = membership.provider
    require(policy.can_manage_people(policy.provider_roles(actor, provider)),
             "Only the organisation's provider admins can remove people.")
    with transaction.atomic():
        membership = ProviderMembership.objects.select_for_update().get(pk=membership.pk)
        if membership.revoked_at is not None:
            raise Conflict("That role has already been taken away.")
        if (membership.role == ProviderRole.PROVIDER_ADMIN
                and not ProviderMembership.objects.current()
                .filter(provider=provider, role=ProviderRole.PROVIDER_ADMIN).exclude(pk=membership.pk).exists()):
            raise Conflict(f"{provider.name} must keep at least one provider admin: make someone else one first.")
        membership.revoked_at = timezone.now()
        membership.revoked_by = actor
        membership.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="provider_membership.revoked", obj=membership, reason=reason,
                     schema=PUBLIC, before={"user": membership.user.email, "role": membership.role,
                                            "provider": provider.pk})
        api_tokens_revoke_for_user(
            actor=actor, user=membership.user,
            reason=f"A role was taken away: {membership.get_role_display()} at {provider.name}",
        )
    return membership


# --- Evidence --------------------------------------------------------------------

def evidence_upload(*, actor, provider: Provider, upload, evidence_type: str, title: str = "",
                    issued_on: date | None = None, expires_on: date | None = None,
                    cover_amount: Decimal | None = None, replaces: Evidence | None = None) -> Evidence:
    """Check and store a document in the provider's locker. A refused upload
    stores nothing: the file is written only after every check has passed, and
    removed again if the record cannot be saved."""
    require(policy.can_upload_evidence(policy.provider_roles(actor, provider)),
             "Only the organisation's provider admins and bid writers can add evidence.")
    errors = {}
    if evidence_type not in EvidenceType.values:
        errors["evidence_type"] = "Choose what kind of document this is."
    if issued_on and expires_on and expires_on <= issued_on:
        errors["expires_on"] = "The expiry date must be after the issue date."
    for field, problem in (("issued_on", past_date_problem(issued_on, what="issue date")),
                           ("expires_on", future_date_problem(expires_on, what="expiry date"))):
        if problem:
            errors[field] = problem
    if evidence_type in INSURANCE_TYPES:
        if cover_amount is None:
            errors["cover_amount"] = "Give the amount of cover, in pounds."
        if expires_on is None:
            errors["expires_on"] = "Insurance needs its expiry date."
    if cover_amount is not None and cover_amount <= 0:
        errors["cover_amount"] = "The cover must be more than £0."
    if replaces is not None and (replaces.provider_id != provider.pk or not replaces.is_current):
        errors["replaces"] = "Only a current document of this organisation can be replaced."
    try:
        checked = check_upload(upload)
    except Invalid as error:
        errors.update(error.message_dict)
    if errors:
        raise Invalid(errors)

    key = f"{uuid.uuid4().hex}.{checked.extension}"
    evidence = Evidence(
        provider=provider, evidence_type=evidence_type, title=title.strip(), issued_on=issued_on,
        expires_on=expires_on, cover_amount=cover_amount, storage_key=key,
        original_name=(upload.name or "document")[:255], content_type=checked.content_type,
        size=checked.size, sha256=checked.sha256, uploaded_by=actor, replaces=replaces,
    )
    stored = None
    try:
        with transaction.atomic():
            evidence.file.save(key, upload, save=False)
            stored = evidence.file.name
            evidence.save()
            audit_record(actor=actor, action="evidence.uploaded", obj=evidence, schema=PUBLIC,
                         after={"type": evidence_type, "provider": provider.pk, "sha256": checked.sha256,
                                "expires_on": expires_on, "cover_amount": cover_amount,
                                "replaces": replaces.pk if replaces else None})
    except Exception:
        if stored:
            evidence.file.storage.delete(stored)
        raise
    return evidence


def evidence_decide(*, actor, authority, evidence: Evidence, decision: str, reason: str = "") -> EvidenceDecision:
    """An authority officer verifies or rejects a document; every authority sees it."""
    access = access_compute(user=actor, authority=authority)
    require(policy.can_decide_evidence(access),
             "Only quality officers and commissioners can verify or reject evidence.")
    if decision not in EvidenceDecision.Decision.values:
        raise Invalid({"decision": "Choose verified or rejected."})
    reason = (reason or "").strip()
    if decision == EvidenceDecision.Decision.REJECTED and not reason:
        raise Invalid({"reason": "Say why the evidence is rejected, so the provider can put it right."})
    if findings := find_person_identifiers(reason):  # the provider reads it
        raise Invalid({"reason": person_identifier_message(findings)})
    with transaction.atomic():
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if not evidence.is_current:
            raise Conflict("A newer version of this document has been uploaded; decide on that one.")
        record = EvidenceDecision.objects.create(evidence=evidence, authority=authority, decided_by=actor,
                                                 decision=decision, reason=reason)
        before = evidence.verification
        evidence.verification = decision
        evidence.save(update_fields=["verification"])
        audit_record(actor=actor, action=f"evidence.{decision}", obj=evidence, reason=reason,
                     before={"verification": before}, after={"verification": decision},
                     context={"provider": evidence.provider_id}, schema=authority.schema_name)
    return record


# --- Expiry reminders -------------------------------------------------------------

REMINDERS = (
    # (field, sent when the days left are at most this), most urgent first
    ("expiry_notice_sent_at", 0),
    ("reminder_7_sent_at", 7),
    ("reminder_30_sent_at", 30),
)


def evidence_reminders_send(*, today: date | None = None) -> dict:
    """Send the due reminders for current evidence: 30 and 7 days before
    expiry and on expiry, each once. Safe to run any number of times, by any
    number of workers: each reminder is claimed by a conditional update."""
    today = today or timezone.localdate()
    sent = {"reminder_30_sent_at": 0, "reminder_7_sent_at": 0, "expiry_notice_sent_at": 0}
    candidates = (Evidence.objects.filter(expires_on__lte=today + timedelta(days=30), replaced_by__isnull=True)
                  .select_related("provider", "uploaded_by").order_by("expires_on"))
    for evidence in candidates:
        days = (evidence.expires_on - today).days
        for field, threshold in REMINDERS:
            if days > threshold:
                continue
            # claim it: only one run, of any worker, wins
            claimed = Evidence.objects.filter(pk=evidence.pk, **{f"{field}__isnull": True}).update(
                **{field: timezone.now()})
            if claimed:
                _send_reminder(evidence, field, days)
                sent[field] += 1
            break  # only the most urgent reminder applies today; earlier ones are moot
    return sent


def _send_reminder(evidence: Evidence, field: str, days: int) -> None:
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from tenancy.routing import public_reverse

    recipients = sorted(set(
        ProviderMembership.objects.current()
        .filter(provider=evidence.provider, role=ProviderRole.PROVIDER_ADMIN, user__is_active=True)
        .values_list("user__email", flat=True)
    ) | ({evidence.uploaded_by.email} if evidence.uploaded_by.is_active else set()))
    expired = field == "expiry_notice_sent_at"
    kind = evidence.get_evidence_type_display()
    if expired:
        subject = f"{kind} for {evidence.provider.name} {'expires today' if days == 0 else 'has expired'}"
    else:
        subject = f"{kind} for {evidence.provider.name} expires in {days} days"
    context = {"evidence": evidence, "days": days, "expired": expired, "kind": kind,
               "locker_url": public_reverse("catalogue:evidence", kwargs={"provider_id": evidence.provider_id},
                                            absolute=True)}
    send_mail(subject=subject, message=render_to_string("shared_catalogue/email/evidence_expiry.txt", context),
              from_email=None, recipient_list=recipients)
    audit_record(actor=None, action="evidence.reminder_sent", obj=evidence, schema=PUBLIC,
                 context={"reminder": field, "days_left": days, "to": recipients})
