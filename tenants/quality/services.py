"""KPIs and provider returns: defining what an agreement measures, opening
each period's returns, providers submitting them, staff validating or
querying them, and chasing the ones that are late. Every change is audited.

A return's figures are checked here, for pages and API alike: a percentage
is a count out of a count (the numerator never above the denominator) or,
where only the rate is known, a value from 0 to 100; nothing a provider
writes may identify a person (UK GDPR, data minimisation).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from common.identifiers import find_person_identifiers, person_identifier_message
from tenants.admissions.models import Admission
from tenants.quality import policy
from tenants.quality.models import Kpi, KpiReturn
from tenants.quality.periods import period_label, periods_ended

HUNDRED = Decimal("100")
CENTS = Decimal("0.01")
# A late return is chased again a week after the last reminder.
CHASE_EVERY = timedelta(days=7)
ADMITTED = (Admission.Status.ACTIVE, Admission.Status.SUSPENDED)


# --- What an agreement measures ------------------------------------------------------

def kpi_create(*, actor, agreement, code: str, title: str, measure: str = Kpi.Measure.PERCENTAGE,
               target=None, lot=None, description: str = "", numerator_label: str = "",
               denominator_label: str = "", higher_is_better: bool = True, amber_within=Decimal("10"),
               period: str = Kpi.Period.QUARTERLY, covers: str = Kpi.Covers.PLACEMENTS, due_days: int = 28,
               starts_on: date | None = None) -> Kpi:
    require(policy.can_define_kpis(access_here(actor)), "Only commissioners set what an agreement measures.")
    errors = {}
    code, title = (code or "").strip(), (title or "").strip()
    if not code:
        errors["code"] = "Give the KPI's number, for example KPI 1."
    if not title:
        errors["title"] = "Say what the KPI measures."
    if lot is not None and lot.agreement_id != agreement.pk:
        errors["lot"] = "That lot belongs to another agreement."
    if measure not in Kpi.Measure.values:
        errors["measure"] = "Choose how the KPI is measured."
    if period not in Kpi.Period.values:
        errors["period"] = "Choose how often it is returned."
    if covers not in Kpi.Covers.values:
        errors["covers"] = "Choose which providers return it."
    target = _decimal_or_none(target, "target", errors)
    amber = _decimal_or_none(amber_within, "amber_within", errors)
    if measure in (Kpi.Measure.PERCENTAGE, Kpi.Measure.COUNT) and target is None and "target" not in errors:
        errors["target"] = "Give the target."
    if measure == Kpi.Measure.PERCENTAGE and target is not None and not 0 <= target <= HUNDRED:
        errors["target"] = "A percentage target is from 0 to 100."
    if measure == Kpi.Measure.COUNT and target is not None and target < 0:
        errors["target"] = "A target count cannot be below zero."
    if amber is not None and amber < 0:
        errors["amber_within"] = "The amber band cannot be below zero."
    if not isinstance(due_days, int) or not 1 <= due_days <= 120:
        errors["due_days"] = "Returns are due between 1 and 120 days after the period ends."
    if errors:
        raise Invalid(errors)
    if measure in (Kpi.Measure.YES_NO, Kpi.Measure.STATEMENT):
        target = HUNDRED if measure == Kpi.Measure.YES_NO else None
    try:
        with transaction.atomic():
            kpi = Kpi.objects.create(
                agreement=agreement, lot=lot, code=code, title=title, description=description.strip(),
                measure=measure, numerator_label=numerator_label.strip(), denominator_label=denominator_label.strip(),
                target=target, higher_is_better=higher_is_better, amber_within=amber if amber is not None else 10,
                period=period, covers=covers, due_days=due_days, starts_on=starts_on or timezone.localdate(),
                created_by=actor)
            audit_record(actor=actor, action="kpi.created", obj=kpi,
                         after={"agreement": agreement.reference, "code": code, "title": title, "measure": measure,
                                "target": str(target) if target is not None else None, "period": period})
    except IntegrityError:
        raise Conflict({"code": f"This agreement already has a {code}."}) from None
    return kpi


def kpi_retire(*, actor, kpi: Kpi, reason: str) -> Kpi:
    """No further returns are opened; those already made are kept."""
    require(policy.can_define_kpis(access_here(actor)), "Only commissioners set what an agreement measures.")
    if not (reason or "").strip():
        raise Invalid({"reason": "Say why the KPI is no longer measured."})
    with transaction.atomic():
        kpi = Kpi.objects.select_for_update().get(pk=kpi.pk)
        if not kpi.active:
            raise Conflict("This KPI is already retired.")
        kpi.active = False
        kpi.save(update_fields=["active"])
        audit_record(actor=actor, action="kpi.retired", obj=kpi, reason=reason.strip())
    return kpi


def _decimal_or_none(raw, field: str, errors: dict):
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        errors[field] = "Give a number."
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        errors[field] = "Give a number."
        return None
    return value.quantize(CENTS, ROUND_HALF_UP)


# --- Opening each period's returns ---------------------------------------------------

def _covered(kpi: Kpi, start: date, end: date, admissions, placements) -> list[Admission]:
    """The admissions that owe `kpi` a return for the period: on its lot (or,
    for an agreement-wide KPI, one per provider), admitted, and with someone
    placed with them during the period unless every admitted provider returns it."""
    chosen: dict[object, Admission] = {}
    for admission in admissions:
        if admission.agreement_id != kpi.agreement_id or (kpi.lot_id and admission.lot_id != kpi.lot_id):
            continue
        if kpi.covers == Kpi.Covers.PLACEMENTS:
            lots = {kpi.lot_id} if kpi.lot_id else None
            if not any(p.provider_id == admission.provider_id and p.package.agreement_id == kpi.agreement_id
                       and (lots is None or p.package.lot_id in lots) and p.start_on <= end
                       and (p.ended_on is None or p.ended_on >= start) for p in placements):
                continue
        key = admission.lot_id if kpi.lot_id else None
        chosen.setdefault((admission.provider_id, key), admission)
    return list(chosen.values())


def returns_open_due(*, today: date | None = None) -> int:
    """Open the return of every period that has ended, for every active KPI
    and every provider it covers; already-open returns are left as they are.
    Runs daily (beat); safe to run again."""
    from tenants.placements.models import Placement

    today = today or timezone.localdate()
    kpis = list(Kpi.objects.filter(active=True))
    if not kpis:
        return 0
    agreements = {k.agreement_id for k in kpis}
    admissions = list(Admission.objects.filter(agreement_id__in=agreements, status__in=ADMITTED)
                      .order_by("provider_id", "lot__number", "pk"))
    placements = list(Placement.objects.filter(package__agreement_id__in=agreements)
                      .select_related("package").only("provider_id", "start_on", "ended_on",
                                                      "package__agreement_id", "package__lot_id"))
    rows = []
    for kpi in kpis:
        for start, end in periods_ended(kpi.period, kpi.starts_on, today):
            for admission in _covered(kpi, start, end, admissions, placements):
                rows.append(KpiReturn(kpi=kpi, admission=admission, provider_id=admission.provider_id,
                                      period_start=start, period_end=end, due_on=end + timedelta(days=kpi.due_days)))
    before = KpiReturn.objects.count()
    KpiReturn.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return KpiReturn.objects.count() - before


# --- Providers' returns -------------------------------------------------------------

def _locked(kpi_return: KpiReturn) -> KpiReturn:
    return KpiReturn.objects.select_for_update(of=("self",)).select_related("kpi").get(pk=kpi_return.pk)


def _whole(raw, field: str, errors: dict, *, required: bool = True) -> int | None:
    if raw is None or raw == "":
        if required:
            errors[field] = "Give a whole number."
        return None
    if isinstance(raw, bool):
        errors[field] = "Give a whole number."
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        errors[field] = "Give a whole number."
        return None
    if not value.is_finite() or value != value.to_integral_value():
        errors[field] = "Give a whole number."
        return None
    if value < 0:
        errors[field] = "A count cannot be below zero."
        return None
    if value > 2_000_000_000:
        errors[field] = "That number is too large."
        return None
    return int(value)


def _breakdown(raw, numerator: int | None, denominator: int | None, errors: dict) -> list[dict]:
    """The rest of the count in parts (still in training, neither), which
    with the numerator cannot exceed the denominator."""
    if not raw:
        return []
    if not isinstance(raw, list) or len(raw) > 10:
        errors["breakdown"] = "Give up to ten parts, each a label and a count."
        return []
    parts = []
    for item in raw:
        if not isinstance(item, dict) or not str(item.get("label", "")).strip():
            errors["breakdown"] = "Each part needs a label and a count."
            return []
        count = _whole(item.get("count"), "breakdown", errors)
        if count is None:
            return []
        parts.append({"label": str(item["label"]).strip()[:120], "count": count})
    if denominator is not None and sum(p["count"] for p in parts) + (numerator or 0) > denominator:
        errors["breakdown"] = f"With the {numerator or 0} counted, the parts add up to more than {denominator}."
    return parts


def return_submit(*, actor, kpi_return: KpiReturn, numerator=None, denominator=None, value=None, answer=None,
                  statement: str = "", comment: str = "", breakdown=None, evidence=None) -> KpiReturn:
    """A provider's figures for one period. A percentage is given as a count
    out of a count where the provider has them (654 of 807 care workers), or
    as the rate alone; a count as a whole number; yes or no; an outcome
    statement in words. A queried return may be submitted again; a
    validated one is settled."""
    require(policy.can_submit_return(access_here(actor), kpi_return.provider_id),
            "Only the provider's admins and bid writers submit its returns.")
    kpi = kpi_return.kpi
    errors: dict[str, str] = {}
    fields: dict[str, object] = {"numerator": None, "denominator": None, "value": None, "breakdown": [],
                                 "statement": ""}
    if kpi.measure == Kpi.Measure.PERCENTAGE:
        if (numerator not in (None, "")) or (denominator not in (None, "")):
            num = _whole(numerator, "numerator", errors)
            den = _whole(denominator, "denominator", errors)
            if den == 0:
                errors["denominator"] = "The number counted from cannot be zero."
            elif num is not None and den is not None and num > den:
                errors["numerator"] = f"{num} is more than the {den} it is counted from."
            if not errors:
                fields.update(numerator=num, denominator=den,
                              value=(Decimal(num) * HUNDRED / Decimal(den)).quantize(CENTS, ROUND_HALF_UP))
            fields["breakdown"] = _breakdown(breakdown, num, den, errors)
        else:
            rate = _decimal_or_none(value, "value", errors)
            if rate is None and "value" not in errors:
                errors["value"] = "Give the count and what it is out of, or the percentage."
            elif rate is not None and not 0 <= rate <= HUNDRED:
                errors["value"] = "A percentage is from 0 to 100."
            fields["value"] = rate
    elif kpi.measure == Kpi.Measure.COUNT:
        count = _whole(value, "value", errors)
        fields["value"] = Decimal(count) if count is not None else None
    elif kpi.measure == Kpi.Measure.YES_NO:
        if answer not in (True, False):
            errors["answer"] = "Answer yes or no."
        else:
            fields["value"] = HUNDRED if answer else Decimal(0)
    else:
        if not (statement or "").strip():
            errors["statement"] = "Say what people experienced, in their words where you can."
        fields["statement"] = (statement or "").strip()
    for name, text in (("statement", fields["statement"]), ("comment", comment or "")):
        found = find_person_identifiers(str(text))
        if found:
            errors[name] = person_identifier_message(found)
    if evidence is not None and evidence.provider_id != kpi_return.provider_id:
        errors["evidence"] = "That document is not in your organisation's locker."
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        kpi_return = _locked(kpi_return)
        if kpi_return.status == KpiReturn.Status.VALIDATED:
            raise Conflict("This return has been validated; ask the authority if it needs correcting.")
        before = _figures(kpi_return)
        for name, field_value in fields.items():
            setattr(kpi_return, name, field_value)
        kpi_return.comment = (comment or "").strip()
        kpi_return.evidence = evidence
        kpi_return.status = KpiReturn.Status.SUBMITTED
        kpi_return.submitted_by, kpi_return.submitted_at = actor, timezone.now()
        kpi_return.save()
        audit_record(actor=actor, action="kpi_return.submitted", obj=kpi_return, before=before,
                     after=_figures(kpi_return), context={"late": kpi_return.was_late})
    return kpi_return


def _figures(kpi_return: KpiReturn) -> dict:
    return {"status": kpi_return.status, "numerator": kpi_return.numerator, "denominator": kpi_return.denominator,
            "value": str(kpi_return.value) if kpi_return.value is not None else None}


def _require_reviewer(actor) -> None:
    require(policy.can_review_returns(access_here(actor)), "Only quality officers and commissioners review returns.")


def return_validate(*, actor, kpi_return: KpiReturn) -> KpiReturn:
    _require_reviewer(actor)
    with transaction.atomic():
        kpi_return = _locked(kpi_return)
        if kpi_return.status != KpiReturn.Status.SUBMITTED:
            raise Conflict("Only a submitted return can be validated.")
        kpi_return.status = KpiReturn.Status.VALIDATED
        kpi_return.reviewed_by, kpi_return.reviewed_at = actor, timezone.now()
        kpi_return.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        audit_record(actor=actor, action="kpi_return.validated", obj=kpi_return, after=_figures(kpi_return))
    return kpi_return


def return_query(*, actor, kpi_return: KpiReturn, query: str) -> KpiReturn:
    """Send a return back to the provider with what to correct or explain;
    the provider is e-mailed."""
    _require_reviewer(actor)
    query = (query or "").strip()
    if not query:
        raise Invalid({"query": "Say what the provider should correct or explain."})
    found = find_person_identifiers(query)
    if found:
        raise Invalid({"query": person_identifier_message(found)})
    with transaction.atomic():
        kpi_return = _locked(kpi_return)
        if kpi_return.status != KpiReturn.Status.SUBMITTED:
            raise Conflict("Only a submitted return can be queried.")
        kpi_return.status = KpiReturn.Status.QUERIED
        kpi_return.query = query
        kpi_return.reviewed_by, kpi_return.reviewed_at = actor, timezone.now()
        kpi_return.save(update_fields=["status", "query", "reviewed_by", "reviewed_at"])
        audit_record(actor=actor, action="kpi_return.queried", obj=kpi_return, reason=query)
        _after_commit_mail(kpi_return.provider_id, *_query_mail(kpi_return))
    return kpi_return


# --- Chasing -------------------------------------------------------------------------

def returns_chase(*, today: date | None = None) -> int:
    """E-mail each provider whose returns here are past their due date (due,
    or queried and not yet answered), one e-mail per provider listing them,
    at most once a week; each reminder is recorded on the return and audited.
    Runs daily (beat). Returns the number of providers e-mailed."""
    from django.core.mail import send_mail

    from tenancy.selectors import authority_current

    today = today or timezone.localdate()
    now = timezone.now()
    overdue = (KpiReturn.objects.filter(status__in=(KpiReturn.Status.DUE, KpiReturn.Status.QUERIED),
                                        due_on__lt=today)
               .filter(Q(chased_at__isnull=True) | Q(chased_at__lte=now - CHASE_EVERY)))
    by_provider: dict[int, list[int]] = {}
    for pk, provider_id in overdue.values_list("pk", "provider_id"):
        by_provider.setdefault(provider_id, []).append(pk)
    authority = authority_current()
    sent = 0
    for provider_id, ids in by_provider.items():
        with transaction.atomic():
            rows = list(KpiReturn.objects.select_for_update(skip_locked=True, of=("self",))
                        .filter(pk__in=ids).filter(Q(chased_at__isnull=True) | Q(chased_at__lte=now - CHASE_EVERY))
                        .select_related("kpi", "kpi__agreement").order_by("due_on", "kpi__code"))
            if not rows:
                continue
            recipients = _provider_recipients(provider_id)
            if recipients:
                lines = [f"- {r.kpi.code} {r.kpi.title} ({r.kpi.agreement.title}), "
                         f"{period_label(r.kpi.period, r.period_start, r.period_end)}: due {r.due_on:%-d %B %Y}"
                         + (" (queried: please answer the query)" if r.status == KpiReturn.Status.QUERIED else "")
                         for r in rows]
                send_mail(
                    subject=f"Overdue performance returns for {authority.name}",
                    message=(f"These performance returns to {authority.name} are past their due date:\n\n"
                             + "\n".join(lines) + "\n\nThe agreement's contract monitoring terms require a return "
                             "for each period. Sign in to Jointly and open Performance returns to submit them.\n"),
                    from_email=None, recipient_list=recipients)
            for row in rows:
                row.chased_at, row.chase_count = now, row.chase_count + 1
            KpiReturn.objects.bulk_update(rows, ["chased_at", "chase_count"])
            audit_record(actor=None, action="kpi_return.chased", obj=("provider", provider_id),
                         context={"returns": [r.pk for r in rows], "to": recipients})
            sent += 1
    return sent


def _provider_recipients(provider_id: int) -> list[str]:
    from accounts.models import ProviderMembership
    from accounts.roles import ProviderRole

    return sorted(set(ProviderMembership.objects.current()
                      .filter(provider_id=provider_id, role=ProviderRole.PROVIDER_ADMIN, user__is_active=True)
                      .values_list("user__email", flat=True)))


def _query_mail(kpi_return: KpiReturn) -> tuple[str, str]:
    from tenancy.selectors import authority_current

    kpi = kpi_return.kpi
    authority = authority_current()
    period = period_label(kpi.period, kpi_return.period_start, kpi_return.period_end)
    return (f"{authority.name} has queried your {kpi.code} return",
            f"{authority.name} has queried your return for {kpi.code} {kpi.title}, {period}:\n\n"
            f"{kpi_return.query}\n\nSign in to Jointly and open Performance returns to correct or explain it.\n")


def _after_commit_mail(provider_id: int, subject: str, body: str) -> None:
    """Recorded in the outbox with the change (outbox.services): sent after
    the commit, or by the flush once the broker is back."""
    from outbox.services import outbox_add
    from tenants.quality.tasks import provider_mail_task

    outbox_add(provider_mail_task, provider_id, subject, body)


def provider_mail(*, provider_id: int, subject: str, body: str) -> int:
    from django.core.mail import send_mail

    recipients = _provider_recipients(provider_id)
    if recipients:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
    return len(recipients)
