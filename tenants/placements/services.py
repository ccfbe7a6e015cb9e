"""Placements: from award to live care, funders and shares, variations,
uplifts and endings, every one audited."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid
from tenancy.models import Authority
from tenancy.selectors import authority_current
from tenants.calloffs import policy
from tenants.placements import joint
from tenants.placements.models import (
    CostLine,
    CostLineShare,
    Funder,
    Placement,
    RateSchedule,
    Unit,
    Uplift,
    Variation,
)
from tenants.placements.uplifts import line_in_force, uplift_rows

HUNDRED = Decimal("100")
PENCE = Decimal("0.01")


def _require_manager(actor, placement: Placement | None = None) -> None:
    access = access_here(actor)
    allowed = policy.can_manage_placements(access) or (
        placement is not None and policy.can_manage_placement(access, placement))
    if not allowed:
        raise PermissionDenied("Only brokers and commissioners manage placements.")


def _locked(placement: Placement) -> Placement:
    return Placement.objects.select_for_update(of=("self",)).select_related("package").get(pk=placement.pk)


def placement_from_award(award) -> Placement:
    """An award becomes a placement awaiting go-live, funded wholly by the
    authority that called off until shares are set."""
    package, bid = award.package, award.bid
    available = (bid.content or {}).get("start_available_on")
    start_on = max(package.start_on, date.fromisoformat(available)) if available else package.start_on
    placement = Placement.objects.create(package=package, bid=bid, provider_id=bid.provider_id, start_on=start_on,
                                         weekly_cost=bid.weekly_price, payer_id=package.called_off_by_id)
    from tenants.agreements.models import CallOffGrant

    grant = (CallOffGrant.objects.filter(agreement_id=package.agreement_id, grantee_id=package.called_off_by_id)
             .order_by("-granted_at").first())
    Funder.objects.create(placement=placement, authority=package.called_off_by, share=HUNDRED, grant=grant,
                          purchasing_agreement=grant.purchasing_agreement if grant else "")
    CostLine.objects.create(placement=placement, effective_from=start_on, unit=Unit.WEEK, rate=bid.weekly_price,
                            quantity=Decimal("1"), weekly_amount=bid.weekly_price, source=CostLine.Source.AWARD,
                            reason="The awarded bid's weekly price.", made_by=award.awarded_by)
    joint.sync(placement)
    return placement


def _latest_line(placement: Placement) -> CostLine | None:
    """The line in force from the latest date: the cost going forward."""
    return line_in_force(CostLine.objects.filter(placement=placement), date.max, placement.start_on)


def _line_add(*, placement: Placement, effective_from: date, unit: str, rate: Decimal, quantity: Decimal,
              source: str, reason: str, actor, shares=(), **links) -> CostLine:
    """Append a cost line (never change one) and keep the placement's cached
    weekly cost in step with the latest line. Inside the caller's
    transaction, with the placement locked."""
    weekly = (rate * quantity).quantize(PENCE, ROUND_HALF_UP)
    line = CostLine.objects.create(placement=placement, effective_from=effective_from, unit=unit, rate=rate,
                                   quantity=quantity, weekly_amount=weekly, source=source, reason=reason,
                                   made_by=actor, **links)
    if shares:
        CostLineShare.objects.bulk_create([CostLineShare(line=line, authority=a, share=v) for a, v in shares])
    latest = _latest_line(placement)
    if placement.weekly_cost != latest.weekly_amount:
        placement.weekly_cost = latest.weekly_amount
        placement.save(update_fields=["weekly_cost"])
    return line


def _allowed_funders() -> set[int]:
    here = authority_current()
    return {here.pk} | (set(here.members.values_list("pk", flat=True)) if here.is_partnership else set())


def placement_set_funders(*, actor, placement: Placement, shares: list[tuple], reason: str = "",
                          payer: Authority | None = None) -> list[Funder]:
    """Who pays what share: (authority, share) or (authority, share, its own
    purchasing agreement reference). The shares total exactly 100%; in a
    partnership any member may fund (a council and an ICB, say); elsewhere the
    authority, and any authority holding a co-funding grant in force on the
    placement's agreement
    (tenants/agreements/grants.py). `payer`, when given, changes who pays the
    provider (and recovers the others' shares): the authority that called off
    or one of the funders."""
    _require_manager(actor, placement)
    clean, held, references = _clean_shares(placement, shares)
    if payer is not None and payer.pk != placement.package.called_off_by_id \
            and payer.pk not in {a.pk for a, _ in clean}:
        raise Invalid({"payer": f"{payer.name} neither called off nor funds this placement, so it cannot be the "
                                "one that pays the provider: name the authority that called off or a funder."})
    with transaction.atomic():
        placement = _locked(placement)
        if placement.status == Placement.Status.ENDED:
            raise Conflict("The placement has ended.")
        payer_before = placement.payer_id
        if payer is not None and payer.pk != payer_before:
            placement.payer = payer
            placement.save(update_fields=["payer"])
        before = {f.authority.slug: f.share for f in placement.funders.select_related("authority")}
        placement.funders.all().delete()
        funders = Funder.objects.bulk_create([Funder(
            placement=placement, authority=a, share=v, grant=held.get(a.pk),
            purchasing_agreement=(references[a.pk].strip()
                                  or (held[a.pk].purchasing_agreement if held.get(a.pk) else "")))
            for a, v in clean])
        joint.sync(placement)
        audit_record(actor=actor, action="placement.funders_set", obj=placement, reason=(reason or "").strip(),
                     before=before | ({"payer": payer_before} if payer_before != placement.payer_id else {}),
                     after={a.slug: v for a, v in clean}
                     | ({"payer": placement.payer_id} if payer_before != placement.payer_id else {}),
                     context={"purchasing_agreements": {f.authority.slug: f.purchasing_agreement for f in funders
                                                        if f.purchasing_agreement}} or None)
    return funders


def _clean_shares(placement: Placement, shares) -> tuple[list[tuple[Authority, Decimal]], dict, dict]:
    """Shares checked: each above zero, each funder once and allowed to fund
    here (the authority, a partnership's members, or an authority holding a
    co-funding grant in force on the placement's agreement), totalling
    exactly 100%. Returns the shares, the grants held and each funder's own
    purchasing agreement reference, by authority id."""
    from tenants.agreements import grants

    errors, clean, references = {}, [], {}
    for authority, share, *rest in shares:
        references[authority.pk] = (rest[0] if rest else "") or ""
        try:
            value = Decimal(str(share)).quantize(PENCE, ROUND_HALF_UP)
        except (InvalidOperation, ValueError):
            errors["shares"] = f"{authority.name}'s share is not a number."
            continue
        if not value.is_finite() or value <= 0:
            errors["shares"] = f"{authority.name}'s share must be above zero."
        clean.append((authority, value))
    if not clean:
        errors["shares"] = "Name at least one funder."
    if len({a.pk for a, _ in clean}) != len(clean):
        errors["shares"] = "Each funder appears once."
    agreement = placement.package.agreement
    held = {}
    for authority, _ in clean:
        if authority.pk in _allowed_funders():
            continue
        grant = grants.grant_in_force(agreement_id=agreement.pk, grantee_id=authority.pk, right="co_fund")
        if grant is None:
            errors["shares"] = grants.grant_refusal(agreement=agreement, grantee=authority, right="co_fund")
        held[authority.pk] = grant
    total = sum((v for _, v in clean), Decimal(0))
    if not errors and total != HUNDRED:
        errors["shares"] = f"The shares must total 100%; they total {total}%."
    if errors:
        raise Invalid(errors)
    return clean, held, references


def go_live_refusal(placement: Placement, start_on: date | None = None, today: date | None = None) -> str | None:
    """Why the placement cannot be confirmed as live today, or None. A
    placement goes live on its start date, not before: confirmed early, it
    would be counted (and paid) for weeks of care that have not happened."""
    if placement.status != Placement.Status.PENDING:
        return "The placement is already live or has ended."
    today = today or timezone.localdate()
    start = start_on or placement.start_on
    if start > today:
        when = "its planned start" if start_on is None else "the start date you gave"
        return (f"You cannot confirm this placement has gone live before it starts: {when} is "
                f"{start:%-d %B %Y}. Confirm it on or after that day, or give the date care actually began "
                "if it started earlier.")
    return None


def placement_go_live(*, actor, placement: Placement, start_on: date | None = None) -> Placement:
    _require_manager(actor, placement)
    with transaction.atomic():
        placement = _locked(placement)
        refusal = go_live_refusal(placement, start_on)
        if refusal:
            raise Conflict(refusal)
        before = placement.start_on
        placement.start_on = start_on or placement.start_on
        placement.status = Placement.Status.LIVE
        placement.went_live_at, placement.went_live_confirmed_by = timezone.now(), actor
        placement.save()
        joint.sync(placement)
        audit_record(actor=actor, action="placement.went_live", obj=placement,
                     before={"start_on": before}, after={"start_on": placement.start_on,
                                                         "weekly_cost": placement.weekly_cost})
    return placement


def _amount(value, field: str, message: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(PENCE, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise Invalid({field: message}) from None
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero) or amount >= Decimal("1e8"):
        raise Invalid({field: message})
    return amount


def placement_vary(*, actor, placement: Placement, effective_on: date, reason: str, weekly_cost=None,
                   unit: str | None = None, rate=None, quantity=None, shares=None) -> Variation:
    """A change to a live placement's cost from a date (backdated allowed),
    with who and why: a new cost line is added, the earlier ones stay. Give
    either a weekly cost, or a unit rate and the units a week; `shares`
    (optional) are this line's own funder shares."""
    _require_manager(actor, placement)
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the placement changes."})
    if rate is not None or unit is not None or quantity is not None:
        if weekly_cost is not None:
            raise Invalid({"weekly_cost": "Give a weekly cost, or a rate and quantity, not both."})
        if unit not in Unit.values:
            raise Invalid({"unit": "Choose the unit: a week, an hour, a session or a day."})
        rate = _amount(rate, "rate", "Enter the rate in pounds and pence.")
        quantity = _amount(quantity if quantity is not None else 1, "quantity",
                           "Enter how many units a week, like 20 or 7.5.")
        if unit == Unit.WEEK and quantity != 1:
            raise Invalid({"quantity": "A weekly rate is for one week: leave the quantity at 1."})
    else:
        rate = _amount(weekly_cost, "weekly_cost", "Enter the new weekly cost in pounds and pence.")
        unit, quantity = Unit.WEEK, Decimal("1")
    clean_shares = _clean_shares(placement, shares)[0] if shares else []
    with transaction.atomic():
        placement = _locked(placement)
        if placement.status != Placement.Status.LIVE:
            raise Conflict("Only a live placement can be varied.")
        if effective_on < placement.start_on:
            raise Invalid({"effective_on": f"The placement started on {placement.start_on:%-d %B %Y}: a variation "
                                           "cannot take effect before that."})
        before = placement.weekly_cost
        variation = Variation.objects.create(placement=placement, effective_on=effective_on,
                                             weekly_cost_before=before,
                                             weekly_cost_after=(rate * quantity).quantize(PENCE, ROUND_HALF_UP),
                                             reason=reason.strip(), made_by=actor)
        line = _line_add(placement=placement, effective_from=effective_on, unit=unit, rate=rate, quantity=quantity,
                         source=CostLine.Source.VARIATION, reason=reason.strip(), actor=actor, shares=clean_shares,
                         variation=variation)
        joint.sync(placement)
        audit_record(actor=actor, action="placement.varied", obj=placement, reason=reason.strip(),
                     before={"weekly_cost": before},
                     after={"weekly_cost": line.weekly_amount, "effective_on": effective_on, "unit": unit,
                            "rate": rate, "quantity": quantity, "line": line.pk,
                            "shares": {a.slug: v for a, v in clean_shares} or None})
    return variation


def placement_end(*, actor, placement: Placement, ended_on: date, reason: str) -> Placement:
    _require_manager(actor, placement)
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the placement ends."})
    with transaction.atomic():
        return placement_record_end(actor=actor, placement=_locked(placement), ended_on=ended_on,
                                    reason=reason.strip())


def placement_record_end(*, actor, placement: Placement, ended_on: date, reason: str,
                         context: dict | None = None) -> Placement:
    """Record the end of a placement locked by the caller, in its
    transaction: who may end it is the caller's check (brokers ending it,
    quality staff terminating it as a contract action)."""
    if placement.status == Placement.Status.ENDED:
        raise Conflict("The placement has already ended.")
    if ended_on < placement.start_on:
        raise Invalid({"ended_on": "A placement cannot end before it starts."})
    before = placement.status
    placement.status, placement.ended_on, placement.end_reason = Placement.Status.ENDED, ended_on, reason
    placement.save(update_fields=["status", "ended_on", "end_reason"])
    joint.sync(placement)
    audit_record(actor=actor, action="placement.ended", obj=placement, reason=reason, context=context,
                 before={"status": before}, after={"status": placement.status, "ended_on": ended_on})
    return placement


def rate_schedule_add(*, actor, agreement, effective_from: date, uplift_percent=None, new_rate=None,
                      new_rate_unit: str = Unit.WEEK, lot=None, note: str = "") -> RateSchedule:
    """An uplift from a date: a percentage, or to a new rate (typed here; a
    later step takes it from the agreement's pricing schedule)."""
    if not policy.can_set_rates(access_here(actor)):
        raise PermissionDenied("Only commissioners set rate schedules.")
    if lot is not None and lot.agreement_id != agreement.pk:
        raise Invalid({"lot": "That lot belongs to another agreement."})
    percent = rate = None
    if (uplift_percent is None) == (new_rate is None):
        raise Invalid({"uplift_percent": "Give either an uplift percentage or a new rate."})
    if uplift_percent is not None:
        try:
            percent = Decimal(str(uplift_percent))
        except (InvalidOperation, ValueError):
            raise Invalid({"uplift_percent": "Enter the uplift as a percentage, like 4.5."}) from None
        if not percent.is_finite() or not Decimal("-50") <= percent <= Decimal("50"):
            raise Invalid({"uplift_percent": "Enter an uplift between -50% and 50%."})
    else:
        rate = _amount(new_rate, "new_rate", "Enter the new rate in pounds and pence.")
        if new_rate_unit not in Unit.values:
            raise Invalid({"new_rate_unit": "Choose the unit: a week, an hour, a session or a day."})
    with transaction.atomic():
        schedule = RateSchedule.objects.create(agreement=agreement, lot=lot, effective_from=effective_from,
                                               uplift_percent=percent, new_rate=rate, new_rate_unit=new_rate_unit,
                                               note=(note or "").strip(), created_by=actor)
        audit_record(actor=actor, action="rates.schedule_added", obj=schedule,
                     after={"effective_from": effective_from, "uplift_percent": percent, "new_rate": rate,
                            "new_rate_unit": new_rate_unit if rate is not None else None,
                            "lot": getattr(lot, "number", None)})
    return schedule


def uplift_apply(*, actor, schedule: RateSchedule, today: date | None = None) -> list[Uplift]:
    """Apply an uplift to every placement it covers (live, under the
    agreement or lot, started by its date): a cost line from the schedule's
    date for each, computed exactly as the preview shows it; once per
    placement, however often it is run."""
    _require_manager(actor)
    today = today or timezone.localdate()
    if schedule.effective_from > today:
        raise Conflict(f"This uplift applies from {schedule.effective_from:%-d %B %Y}.")
    made = []
    with transaction.atomic():
        schedule = RateSchedule.objects.select_for_update().get(pk=schedule.pk)
        rows = uplift_rows(schedule, lock=True)
        for row in rows:
            if not row.changes:
                continue
            placement = row.placement
            uplift = Uplift.objects.create(placement=placement, schedule=schedule, weekly_cost_before=row.weekly_before,
                                           weekly_cost_after=row.weekly_after)
            _line_add(placement=placement, effective_from=schedule.effective_from, unit=row.line.unit,
                      rate=row.rate_after, quantity=row.line.quantity, source=CostLine.Source.UPLIFT,
                      reason=row.describe, actor=actor, shares=[(s.authority, s.share) for s in row.line.shares.all()],
                      uplift=uplift)
            joint.sync(placement)
            made.append(uplift)
        audit_record(actor=actor, action="rates.uplift_applied", obj=schedule,
                     after={"placements": len(made), "uplift_percent": schedule.uplift_percent,
                            "new_rate": schedule.new_rate,
                            "weekly_before": sum((r.weekly_before for r in rows if r.changes), Decimal(0)),
                            "weekly_after": sum((r.weekly_after for r in rows if r.changes), Decimal(0))})
    return made
