"""Grants on this authority's agreements: the right of another authority (an
ICB, say) to call off under an agreement and/or to co-fund its placements,
without a partnership. The grant lives here, with the owner,
and is mirrored to shared_catalogue.GrantProjection in the same transaction:
that is what lets the granted body's staff reach the owner's authority with
the roles they hold at home, scoped to what they call off and fund
(accounts.policy.TenantAccess.grants)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid
from shared_catalogue.models import GrantProjection
from tenancy.models import Authority
from tenancy.selectors import authority_current
from tenants.agreements import policy
from tenants.agreements.models import Agreement, CallOffGrant

GRANT_FIELDS = ("may_call_off", "may_co_fund", "starts_on", "ends_on", "purchasing_agreement")


def _row(grant: CallOffGrant, owner: Authority) -> GrantProjection:
    return GrantProjection(owner=owner, grantee_id=grant.grantee_id, grant_id=grant.pk,
                           agreement_id=grant.agreement_id, agreement_reference=grant.agreement.reference,
                           agreement_title=grant.agreement.title, may_call_off=grant.may_call_off,
                           may_co_fund=grant.may_co_fund, starts_on=grant.starts_on, ends_on=grant.ends_on,
                           purchasing_agreement=grant.purchasing_agreement, revoked_at=grant.revoked_at,
                           updated_at=timezone.now())


def _sync(grant: CallOffGrant) -> None:
    owner = authority_current()
    GrantProjection.objects.filter(owner=owner, grant_id=grant.pk).delete()
    _row(grant, owner).save()


def rebuild(authority: Authority) -> dict:
    """Make the authority's grant rows match its schema exactly."""
    with schema_context(authority.schema_name), transaction.atomic():
        rows = [_row(g, authority) for g in CallOffGrant.objects.select_related("agreement")]
        GrantProjection.objects.filter(owner=authority).delete()
        GrantProjection.objects.bulk_create(rows)
    return {"authority": authority.slug, "grants": len(rows)}


def grant_create(*, actor, agreement: Agreement, grantee: Authority, may_call_off: bool, may_co_fund: bool,
                 starts_on: date, purchasing_agreement: str, reason: str, ends_on: date | None = None,
                 lots=()) -> CallOffGrant:
    """Grant `grantee` the right to call off under `agreement` (from `lots`
    only, when any are given) and/or to co-fund its placements. Only this
    authority's commissioners grant; one grant in force per grantee and
    agreement (revoke it to change it)."""
    if not policy.can_grant(access_here(actor)):
        raise PermissionDenied("Only the agreement's commissioners grant call-off and co-funding rights.")
    here = authority_current()
    errors = {}
    if grantee.pk == here.pk or grantee.is_platform or grantee.is_partnership:
        errors["grantee"] = ("Grant to another council or NHS body. A partnership's members call off "
                             "through their membership instead.")
    elif not grantee.is_active:
        errors["grantee"] = f"{grantee.name} is no longer active."
    if not (may_call_off or may_co_fund):
        errors["may_call_off"] = "Give at least one right: to call off, to co-fund, or both."
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "The grant cannot end before it starts."
    if not (purchasing_agreement or "").strip():
        errors["purchasing_agreement"] = (f"Give {grantee.name}'s own purchasing agreement reference: each funder "
                                          "is accountable for its own individual purchasing agreement.")
    if not (reason or "").strip():
        errors["reason"] = "Say why you grant this (for example, the decision that approved it)."
    if agreement.status == Agreement.Status.ENDED:
        errors["agreement"] = "The agreement has ended."
    lots = list(lots or ())
    if any(lot.agreement_id != agreement.pk for lot in lots):
        errors["lots"] = f"Choose lots of {agreement.reference} only."
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        Agreement.objects.select_for_update().get(pk=agreement.pk)
        if CallOffGrant.objects.filter(agreement=agreement, grantee=grantee, revoked_at__isnull=True).exists():
            raise Conflict({"grantee": f"{grantee.name} already holds a grant on {agreement.reference}: revoke it "
                                       "first to change it."})
        grant = CallOffGrant.objects.create(
            agreement=agreement, grantee=grantee, may_call_off=bool(may_call_off), may_co_fund=bool(may_co_fund),
            starts_on=starts_on, ends_on=ends_on, purchasing_agreement=purchasing_agreement.strip(),
            reason=reason.strip(), granted_by=actor)
        grant.lots.set(lots)
        _sync(grant)
        audit_record(actor=actor, action="agreement.grant_made", obj=grant, reason=grant.reason,
                     after={"grantee": grantee.slug, "agreement": agreement.reference,
                            "lots": sorted(lot.number for lot in lots) or "every lot",
                            **{name: getattr(grant, name) for name in GRANT_FIELDS}})
    return grant


def grant_revoke(*, actor, grant: CallOffGrant, reason: str) -> CallOffGrant:
    """Stop new call-offs and new co-funding under the grant. What was called
    off under it, and its placements, stay visible to both."""
    if not policy.can_grant(access_here(actor)):
        raise PermissionDenied("Only the agreement's commissioners revoke grants.")
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the grant is revoked."})
    with transaction.atomic():
        grant = CallOffGrant.objects.select_for_update().select_related("agreement", "grantee").get(pk=grant.pk)
        if grant.revoked_at is not None:
            raise Conflict("The grant has already been revoked.")
        grant.revoked_at, grant.revoked_by, grant.revoke_reason = timezone.now(), actor, reason.strip()
        grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        _sync(grant)
        audit_record(actor=actor, action="agreement.grant_revoked", obj=grant, reason=grant.revoke_reason,
                     before={"revoked": False}, after={"revoked": True, "grantee": grant.grantee.slug})
    return grant


# --- Reads ---------------------------------------------------------------------------

def grants_for_owner(agreement: Agreement | None = None):
    rows = (CallOffGrant.objects.select_related("agreement", "grantee", "granted_by", "revoked_by")
            .prefetch_related("lots"))
    return rows.filter(agreement=agreement) if agreement is not None else rows


def grant_in_force(*, agreement_id, grantee_id, right: str, day: date | None = None,
                   lot_id=None) -> CallOffGrant | None:
    """The grant in force today giving `grantee` `right` ("call_off" or
    "co_fund") on the agreement (and, to call off, on `lot_id` when given)."""
    day = day or timezone.localdate()
    grant = (CallOffGrant.objects.filter(agreement_id=agreement_id, grantee_id=grantee_id, revoked_at__isnull=True)
             .prefetch_related("lots").first())
    if grant is None or not grant.in_force_on(day):
        return None
    if right == "call_off" and not grant.may_call_off or right == "co_fund" and not grant.may_co_fund:
        return None
    if right == "call_off" and lot_id is not None and not grant.covers_lot(lot_id):
        return None
    return grant


def grant_refusal(*, agreement: Agreement, grantee: Authority, right: str, lot=None) -> str:
    """Why `grantee` may not call off or co-fund under the agreement (from
    `lot`, when given), naming the grant rule."""
    doing = "call off under" if right == "call_off" else "co-fund placements under"
    latest = CallOffGrant.objects.filter(agreement=agreement, grantee=grantee).order_by("-granted_at").first()
    owner = authority_current().name
    if latest is None:
        return (f"{grantee.name} cannot {doing} {agreement.reference}: it holds no grant from {owner}. "
                f"{owner}'s commissioners can grant it the right to call off or co-fund.")
    if latest.revoked_at is not None:
        return (f"{grantee.name} cannot {doing} {agreement.reference}: its grant was revoked on "
                f"{timezone.localtime(latest.revoked_at):%-d %B %Y}.")
    if not latest.in_force_on(timezone.localdate()):
        return (f"{grantee.name} cannot {doing} {agreement.reference}: its grant is in force from "
                f"{latest.starts_on:%-d %B %Y}" + (f" to {latest.ends_on:%-d %B %Y}." if latest.ends_on else "."))
    if right == "call_off" and latest.may_call_off and lot is not None and not latest.covers_lot(lot.pk):
        return (f"{grantee.name} cannot call off from lot {lot.number} of {agreement.reference}: its grant "
                f"covers {latest.lots_label} only.")
    return (f"{grantee.name} cannot {doing} {agreement.reference}: its grant gives the right to "
            f"{latest.rights_label} only.")


def grants_held(authority: Authority):
    """The grants `authority` holds on other authorities' agreements (public projection)."""
    return GrantProjection.objects.filter(grantee=authority).select_related("owner").order_by(
        "owner__name", "agreement_reference", "-starts_on")
