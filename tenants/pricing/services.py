"""Pricing schedules: one function per change. Each checks who is asking and
the schedule's state, records an audit event in the same transaction, and
refuses with a clear message (Invalid: 400, Conflict: 409, PermissionDenied:
403). E-mails go through the outbox."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from common.identifiers import find_identifiers, identifier_message
from outbox.services import outbox_add
from tenancy.selectors import authority_current
from tenants.admissions.models import Admission
from tenants.agreements.models import Agreement, Lot
from tenants.calloffs import policy as calloffs_policy
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Award, Bid, Negotiation, Package
from tenants.pricing import checks, policy
from tenants.pricing.models import BidPriceCheck, PricingSchedule, Rate

PENCE = Decimal("0.01")
SET_REFUSED = "Only commissioners set pricing schedules."
Explanation = BidPriceCheck.Explanation
SCHEDULE_FIELDS = ("year", "effective_from", "effective_to", "low_band_percent", "high_band_percent", "note")
RATE_FIELDS = ("lot", "service_type", "tier", "zone", "need_level", "unit", "amount", "fair_cost", "fair_cost_note")


def _text(value) -> str:
    return (value or "").strip()


def _amount(value, name: str, *, optional: bool = False) -> Decimal | None:
    if value in (None, "") and optional:
        return None
    try:
        amount = Decimal(str(value)).quantize(PENCE, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise Invalid({name: "Enter an amount in pounds and pence, like 21.50."}) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e8"):
        raise Invalid({name: "Enter an amount above £0 in pounds and pence."})
    return amount


def _percent(value, name: str) -> Decimal:
    try:
        percent = Decimal(str(value)).quantize(PENCE, ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise Invalid({name: "Enter a percentage, like 85."}) from None
    if not percent.is_finite() or not 0 < percent < 1000:
        raise Invalid({name: "Enter a percentage above 0 and below 1000."})
    return percent


def _provider_text(**texts) -> None:
    """Text published to providers carries no identifiers."""
    errors = {name: identifier_message(found) for name, text in texts.items()
              if (found := find_identifiers(str(text or "")))}
    if errors:
        raise Invalid(errors)


def _locked(schedule: PricingSchedule) -> PricingSchedule:
    return PricingSchedule.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=schedule.pk)


def _require_draft(schedule: PricingSchedule) -> None:
    if schedule.status != PricingSchedule.Status.DRAFT:
        raise Conflict("A published pricing schedule cannot be changed: set next year's fees as a new schedule.")


def _schedule_values(fields: dict, current: PricingSchedule | None = None) -> dict:
    values = {name: getattr(current, name) for name in SCHEDULE_FIELDS} if current else {
        "low_band_percent": Decimal("85"), "high_band_percent": Decimal("130"), "note": ""}
    values |= {name: value for name, value in fields.items() if name in SCHEDULE_FIELDS}
    errors = {}
    year = values.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = "Enter the year the fees are set for, like 2026."
    starts, ends = values.get("effective_from"), values.get("effective_to")
    if not isinstance(starts, date):
        errors["effective_from"] = "Enter the date the fees take effect."
    if not isinstance(ends, date):
        errors["effective_to"] = "Enter the last date the fees apply."
    elif isinstance(starts, date) and ends <= starts:
        errors["effective_to"] = "The last date must be after the first."
    if errors:
        raise Invalid(errors)
    low = _percent(values["low_band_percent"], "low_band_percent")
    high = _percent(values["high_band_percent"], "high_band_percent")
    if low > 100:
        raise Invalid({"low_band_percent": "The low band is a percentage of the rate of 100 or less, like 85."})
    if high < 100:
        raise Invalid({"high_band_percent": "The high band is a percentage of the rate of 100 or more, like 130."})
    note = _text(values["note"])
    _provider_text(note=note)
    return values | {"low_band_percent": low, "high_band_percent": high, "note": note}


def schedule_create(*, actor, agreement: Agreement, **fields) -> PricingSchedule:
    """A draft schedule for one year of an agreement."""
    require(policy.can_set_prices(access_here(actor)), SET_REFUSED)
    values = _schedule_values(fields)
    with transaction.atomic():
        Agreement.objects.select_for_update().get(pk=agreement.pk)
        if PricingSchedule.objects.filter(agreement=agreement, year=values["year"]).exists():
            raise Conflict(f"{agreement.reference} already has a pricing schedule for {values['year']}.")
        schedule = PricingSchedule.objects.create(agreement=agreement, created_by=actor, **values)
        audit_record(actor=actor, action="pricing.schedule_created", obj=schedule,
                     after={k: values[k] for k in SCHEDULE_FIELDS})
    return schedule


def schedule_update(*, actor, schedule: PricingSchedule, **fields) -> PricingSchedule:
    require(policy.can_set_prices(access_here(actor)), SET_REFUSED)
    with transaction.atomic():
        schedule = _locked(schedule)
        _require_draft(schedule)
        before = {k: getattr(schedule, k) for k in SCHEDULE_FIELDS}
        values = _schedule_values(fields, schedule)
        if values["year"] != schedule.year and PricingSchedule.objects.filter(
                agreement=schedule.agreement_id, year=values["year"]).exists():
            raise Conflict(f"There is already a pricing schedule for {values['year']}.")
        for name in SCHEDULE_FIELDS:
            setattr(schedule, name, values[name])
        schedule.save(update_fields=list(SCHEDULE_FIELDS))
        audit_record(actor=actor, action="pricing.schedule_changed", obj=schedule, before=before,
                     after={k: values[k] for k in SCHEDULE_FIELDS})
    return schedule


def _rate_values(schedule: PricingSchedule, fields: dict, current: Rate | None = None) -> dict:
    values = {name: getattr(current, name) for name in RATE_FIELDS} if current else {
        "service_type": None, "tier": "", "zone": "", "need_level": "", "fair_cost": None, "fair_cost_note": ""}
    values |= {name: value for name, value in fields.items() if name in RATE_FIELDS}
    lot = values.get("lot")
    if not isinstance(lot, Lot) or lot.agreement_id != schedule.agreement_id:
        raise Invalid({"lot": "Choose a lot of this agreement."})
    if values.get("unit") not in Rate.Unit.values:
        raise Invalid({"unit": "Choose the unit: hourly, sessional, daily or weekly."})
    for name, longest in (("tier", 60), ("zone", 60), ("need_level", 30)):
        values[name] = _text(values.get(name))
        if len(values[name]) > longest:
            raise Invalid({name: f"Use a short code, at most {longest} characters."})
    values["fair_cost_note"] = _text(values.get("fair_cost_note"))
    if len(values["fair_cost_note"]) > 300:
        raise Invalid({"fair_cost_note": "At most 300 characters."})
    values["amount"] = _amount(values.get("amount"), "amount")
    values["fair_cost"] = _amount(values.get("fair_cost"), "fair_cost", optional=True)
    _provider_text(tier=values["tier"], zone=values["zone"], need_level=values["need_level"],
                   fair_cost_note=values["fair_cost_note"])
    return values


def _rate_audit(rate: Rate) -> dict:
    return {"lot": rate.lot_id, "service_type": rate.service_type_id, "tier": rate.tier, "zone": rate.zone,
            "need_level": rate.need_level, "unit": rate.unit, "amount": rate.amount, "fair_cost": rate.fair_cost,
            "fair_cost_note": rate.fair_cost_note}


DUPLICATE_RATE = "This schedule already has a rate for that lot, service type, tier, zone, need and unit."


def rate_add(*, actor, schedule: PricingSchedule, **fields) -> Rate:
    require(policy.can_set_prices(access_here(actor)), SET_REFUSED)
    with transaction.atomic():
        schedule = _locked(schedule)
        _require_draft(schedule)
        values = _rate_values(schedule, fields)
        try:
            with transaction.atomic():
                rate = Rate.objects.create(schedule=schedule, **values)
        except IntegrityError:
            raise Conflict(DUPLICATE_RATE) from None
        audit_record(actor=actor, action="pricing.rate_added", obj=schedule, after=_rate_audit(rate))
    return rate


def rate_update(*, actor, rate: Rate, **fields) -> Rate:
    require(policy.can_set_prices(access_here(actor)), SET_REFUSED)
    with transaction.atomic():
        schedule = _locked(rate.schedule)
        _require_draft(schedule)
        rate = Rate.objects.select_for_update().get(pk=rate.pk)
        before = _rate_audit(rate)
        for name, value in _rate_values(schedule, fields, rate).items():
            setattr(rate, name, value)
        try:
            with transaction.atomic():
                rate.save()
        except IntegrityError:
            raise Conflict(DUPLICATE_RATE) from None
        audit_record(actor=actor, action="pricing.rate_changed", obj=schedule, before=before, after=_rate_audit(rate))
    return rate


def rate_remove(*, actor, rate: Rate) -> None:
    require(policy.can_set_prices(access_here(actor)), SET_REFUSED)
    with transaction.atomic():
        schedule = _locked(rate.schedule)
        _require_draft(schedule)
        before = _rate_audit(rate)
        Rate.objects.filter(pk=rate.pk).delete()
        audit_record(actor=actor, action="pricing.rate_removed", obj=schedule, before=before)


def schedule_publish(*, actor, schedule: PricingSchedule) -> PricingSchedule:
    """Publish the year's fees: from now on the schedule is fixed, its rates
    are compared with bids opened for packages starting in its dates, and
    every admitted provider of the agreement is told (through the outbox)."""
    from tenants.pricing.tasks import schedule_published_notify_task

    require(policy.can_set_prices(access_here(actor)), SET_REFUSED)
    with transaction.atomic():
        schedule = _locked(schedule)
        _require_draft(schedule)
        if not schedule.rates.exists():
            raise Conflict("Add at least one rate before publishing the schedule.")
        overlapping = PricingSchedule.objects.filter(
            agreement=schedule.agreement_id, status=PricingSchedule.Status.PUBLISHED,
            effective_from__lte=schedule.effective_to, effective_to__gte=schedule.effective_from).first()
        if overlapping is not None:
            raise Conflict(f"Its dates overlap the published {overlapping.year} schedule "
                           f"({overlapping.effective_from:%-d %B %Y} to {overlapping.effective_to:%-d %B %Y}).")
        schedule.status = PricingSchedule.Status.PUBLISHED
        schedule.published_at, schedule.published_by = timezone.now(), actor
        schedule.save(update_fields=["status", "published_at", "published_by"])
        audit_record(actor=actor, action="pricing.schedule_published", obj=schedule,
                     after={"year": schedule.year, "rates": schedule.rates.count(),
                            "effective_from": schedule.effective_from, "effective_to": schedule.effective_to})
        outbox_add(schedule_published_notify_task, schedule.pk)
    return schedule


def _provider_recipients(provider_id: int) -> list[str]:
    from accounts.models import ProviderMembership
    from accounts.roles import ProviderRole

    return sorted(set(ProviderMembership.objects.current().filter(
        provider_id=provider_id, user__is_active=True,
        role__in=[ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER]).values_list("user__email", flat=True)))


def admitted_provider_ids(agreement_id: int) -> list[int]:
    return sorted(set(Admission.objects.filter(agreement_id=agreement_id).exclude(
        status=Admission.Status.REMOVED).values_list("provider_id", flat=True)))


def schedule_published_notify(*, schedule_id: int) -> int:
    """E-mail each admitted provider (its admins and bid writers, one e-mail
    per provider) that the year's fees are published; once per schedule."""
    from django.core.mail import send_mail

    with transaction.atomic():
        schedule = PricingSchedule.objects.select_for_update(of=("self",)).select_related("agreement").filter(
            pk=schedule_id, status=PricingSchedule.Status.PUBLISHED, notified_at__isnull=True).first()
        if schedule is None:
            return 0
        sent = 0
        for provider_id in admitted_provider_ids(schedule.agreement_id):
            recipients = _provider_recipients(provider_id)
            if not recipients:
                continue
            send_mail(subject=f"Fees for {schedule.year}: {schedule.agreement.title}",
                      message=(f"{authority_current().name} has published its fees for {schedule.agreement.title} "
                               f"({schedule.agreement.reference}), from {schedule.effective_from:%-d %B %Y} to "
                               f"{schedule.effective_to:%-d %B %Y}.\n\nSign in to Jointly to read the rates."),
                      from_email=None, recipient_list=recipients)
            sent += 1
        schedule.notified_at = timezone.now()
        schedule.save(update_fields=["notified_at"])
        audit_record(actor=None, action="pricing.schedule_notified", obj=schedule, context={"providers": sent})
    return sent


def agreement_price_by_schedule(*, actor, agreement: Agreement, priced_by_schedule: bool, reason: str) -> Agreement:
    """Mark (or unmark) an agreement as priced by its schedule: its call-offs
    may then be awarded at the schedule's rate by the person's preference."""
    require(policy.can_set_prices(access_here(actor)), SET_REFUSED)
    if not _text(reason):
        raise Invalid({"reason": "Say why the agreement is (or is no longer) priced by schedule."})
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        before = agreement.priced_by_schedule
        agreement.priced_by_schedule = bool(priced_by_schedule)
        agreement.save(update_fields=["priced_by_schedule"])
        audit_record(actor=actor, action="agreement.priced_by_schedule", obj=agreement, reason=_text(reason),
                     before={"priced_by_schedule": before}, after={"priced_by_schedule": agreement.priced_by_schedule})
    return agreement


# --- Abnormally low bids: ask, answer, decide (PCR 2015 reg 69; PA 2023 s 46) ------------------

def _locked_check(check: BidPriceCheck) -> BidPriceCheck:
    return BidPriceCheck.objects.select_for_update(of=("self",)).select_related("bid__package").get(pk=check.pk)


def _require_closed(package: Package) -> None:
    if package.status != Package.Status.CLOSED:
        raise Conflict(f"The package is {package.get_status_display().lower()}: its bids' prices are no longer "
                       "being considered.")


def _considers(actor, package: Package) -> bool:
    """Those who evaluate bids here; for a call-off under a grant, the granted
    body's brokers and commissioners too (docs/grants.md)."""
    access = access_here(actor)
    return policy.can_ask_explanation(access) or calloffs_policy.can_source_package(access, package)


def explanation_request(*, actor, check: BidPriceCheck, request: str) -> BidPriceCheck:
    """Ask the provider of an abnormally low bid to explain its price."""
    from tenants.pricing.tasks import explanation_requested_notify_task

    require(_considers(actor, check.bid.package), "Only brokers, commissioners and evaluators ask for an "
                                                   "explanation of a price.")
    if not _text(request):
        raise Invalid({"request": "Say what the provider should explain (for example: how the price pays at "
                                  "least the National Minimum Wage, travel time included)."})
    with transaction.atomic():
        check = _locked_check(check)
        _require_closed(check.bid.package)
        calloffs.check_provider_text(package=check.bid.package, request=request)
        if check.flag != BidPriceCheck.Flag.LOW:
            raise Conflict("Only an abnormally low bid's price is asked to be explained.")
        if check.explanation_status not in (Explanation.NEEDED, Explanation.REQUESTED, Explanation.ANSWERED):
            raise Conflict(f"The explanation is already {check.get_explanation_status_display().lower()}.")
        check.request, check.requested_by, check.requested_at = _text(request), actor, timezone.now()
        check.explanation_status = Explanation.REQUESTED
        check.save(update_fields=["request", "requested_by", "requested_at", "explanation_status"])
        audit_record(actor=actor, action="bid.price_explanation_requested", obj=check.bid, reason=check.request,
                     context={"percent_of_rate": check.percent_of_rate})
        outbox_add(explanation_requested_notify_task, check.pk)
    return check


def explanation_requested_notify(*, check_id: int) -> int:
    from django.core.mail import send_mail

    check = BidPriceCheck.objects.select_related("bid__package").filter(
        pk=check_id, explanation_status=Explanation.REQUESTED).first()
    if check is None:
        return 0
    package = check.bid.package
    recipients = _provider_recipients(check.bid.provider_id)
    if not recipients:
        return 0
    send_mail(subject=f"Please explain your price: {package.title} ({package.reference})",
              message=(f"{authority_current().name} asks you to explain the price of your bid for {package.title} "
                       f"({package.reference}), which is well below its published rate.\n\n{check.request}\n\n"
                       "The Public Contracts Regulations 2015 (regulation 69) require us to ask before deciding. "
                       "Sign in to Jointly to answer."),
              from_email=None, recipient_list=recipients)
    return 1


def explanation_give(*, actor, check: BidPriceCheck, explanation: str) -> BidPriceCheck:
    """The provider explains its price (again, until the authority decides)."""
    require(policy.can_explain(access_here(actor), check.bid.provider_id),
            "Only the bidder's admins and bid writers explain its price.")
    if not _text(explanation):
        raise Invalid({"explanation": "Explain how the price covers the care (for example, pay rates and "
                                      "travel time)."})
    with transaction.atomic():
        check = _locked_check(check)
        _require_closed(check.bid.package)
        if check.explanation_status not in (Explanation.REQUESTED, Explanation.ANSWERED):
            raise Conflict("No explanation is being asked of you for this bid now.")
        check.explanation, check.explained_by, check.explained_at = _text(explanation), actor, timezone.now()
        check.explanation_status = Explanation.ANSWERED
        check.save(update_fields=["explanation", "explained_by", "explained_at", "explanation_status"])
        audit_record(actor=actor, action="bid.price_explained", obj=check.bid, after={"explanation": check.explanation})
    return check


def explanation_decide(*, actor, check: BidPriceCheck, accepted: bool, reason: str) -> BidPriceCheck:
    """Accept the explanation (the bid may then be awarded) or reject it (it
    may not), with the reason. A bid that is low because it breaks labour law,
    the National Minimum Wage included, must be rejected (regulation 69(5))."""
    require(_considers(actor, check.bid.package), "Only brokers, commissioners and evaluators decide on an "
                                                   "explanation of a price.")
    if not _text(reason):
        raise Invalid({"reason": "Give the reason for the decision."})
    with transaction.atomic():
        check = _locked_check(check)
        _require_closed(check.bid.package)
        if check.explanation_status != Explanation.ANSWERED:
            raise Conflict("Decide once the provider has explained its price.")
        check.explanation_status = Explanation.ACCEPTED if accepted else Explanation.REJECTED
        check.decision_reason, check.decided_by, check.decided_at = _text(reason), actor, timezone.now()
        check.save(update_fields=["explanation_status", "decision_reason", "decided_by", "decided_at"])
        audit_record(actor=actor, action="bid.price_explanation_decided", obj=check.bid, reason=check.decision_reason,
                     after={"accepted": bool(accepted)})
    return check


# --- Award at the schedule's rate, by preference ---------------------------------------------

def award_at_rate(*, actor, package: Package, bid: Bid, expressed_by: str, reason: str) -> Award:
    """On an agreement priced by schedule: award the package to the provider
    the person prefers, at the published rate, without price competition. The
    bid's price becomes the rate's weekly equivalent (recorded as a
    negotiation, so the price it came in at stays on record)."""
    access = access_here(actor)
    require(policy.can_award_at_rate(access) or calloffs_policy.can_source_package(access, package),
            "Only brokers and commissioners award packages.")
    if not _text(expressed_by):
        raise Invalid({"expressed_by": "Record whose preference chose this provider (the person, or who in their "
                                       "family)."})
    if not _text(reason):
        raise Invalid({"reason": "Say why this provider was preferred."})
    with transaction.atomic():
        package = calloffs.package_locked(package)
        if not package.agreement.priced_by_schedule:
            raise Conflict("This agreement is not priced by schedule: award by the competition's rules.")
        calloffs.package_require_status(package, Package.Status.CLOSED, doing="awarded")
        calloffs.check_provider_text(package=package, reason=reason)  # quoted in every bidder's letter
        bid = Bid.objects.select_for_update(of=("self",)).filter(pk=bid.pk).first()
        if bid is None or bid.package_id != package.pk or bid.status != Bid.Status.SUBMITTED:
            raise Invalid({"bid": "Choose a submitted bid for this package."})
        rate, weekly = checks.package_rate(package)
        if rate is None or weekly is None:
            raise Conflict("No published rate fits this package (its lot, need and hours or sessions a week on its "
                           "start date): award by the competition's rules.")
        if bid.weekly_price != weekly:
            Negotiation.objects.create(package=package, bid=bid, price_before=bid.weekly_price, price_after=weekly,
                                       note=f"At the {rate.schedule.year} schedule's rate: {rate}.",
                                       recorded_by=actor)
            bid.weekly_price = weekly
            bid.save(update_fields=["weekly_price"])
            checks.price_checks_make(package=package, bids=[bid])
        return calloffs.award_record(actor=actor, package=package, bid=bid, basis=Award.Basis.SCHEDULE_RATE,
                                     reason=_text(reason), fits=[bid], expressed_by=expressed_by,
                                     preference_notes=f"At the schedule's rate of £{weekly} a week.")
