"""Payments to providers: every rule, for pages, API and exports alike.

- **Periods**: an authority pays four-weekly (28 days from an anchor date) or
  by calendar month. Periods never overlap; a change of cadence takes effect
  from the day after the last period already made.
- **Schedules**: one per provider, payer and period, generated from the cost
  lines (tenants/placements/costs.py): each placement's days in the period
  at the line in force each day / 7; pending placements are not care yet.
  An earlier approved period whose cost has changed since (a backdated
  variation), or whose approved schedule left out care owed (a placement
  gone live, backdated, after approval), gets an adjustment line here: the
  difference, never a rewrite of what was approved.
- **Life**: draft → issued → confirmed, or queried → answered (issued) →
  approved (a finance officer) → exported. A period is approved once per
  provider and payer; a placement's day is on one approved schedule at most.
- **Invoices** against an issued schedule are matched to its total; a
  difference raises a query showing it.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from tenants.payments import policy
from tenants.payments.models import (
    Cadence,
    CostCentre,
    Invoice,
    Line,
    PaymentPeriod,
    PaymentSettings,
    Query,
    Schedule,
    SupplierReference,
)
from tenants.placements.costs import costs_in_ranges
from tenants.placements.models import Placement

PENCE = Decimal("0.01")
ZERO = Decimal("0.00")
S = Schedule.Status
PAID = (S.APPROVED, S.EXPORTED)

PREPARE_REFUSED = "Only finance officers and commissioners prepare payment schedules."
APPROVE_REFUSED = "Only a finance officer approves and exports payments."
ANSWER_REFUSED = "Only your organisation's admins confirm, query or invoice a payment schedule."

# The allowed moves: from which states, to which.
MOVES = {
    "issue": ({S.DRAFT}, S.ISSUED),
    "confirm": ({S.ISSUED}, S.CONFIRMED),
    "query": ({S.ISSUED, S.CONFIRMED, S.QUERIED}, S.QUERIED),
    "answer": ({S.QUERIED}, S.ISSUED),
    "regenerate": ({S.DRAFT, S.ISSUED, S.CONFIRMED, S.QUERIED}, S.DRAFT),
    "adjust": ({S.DRAFT, S.ISSUED, S.CONFIRMED, S.QUERIED}, None),
    "invoice": ({S.ISSUED, S.CONFIRMED, S.QUERIED}, None),
    "approve": ({S.ISSUED, S.CONFIRMED}, S.APPROVED),
    "export": ({S.APPROVED, S.EXPORTED}, S.EXPORTED),
}
REFUSALS = {
    "issue": "Only a draft schedule is issued.",
    "confirm": "Only an issued schedule, with nothing queried, can be confirmed.",
    "query": "A schedule is queried once it is issued and until it is approved.",
    "answer": "The schedule has no open query.",
    "regenerate": "An approved schedule is never regenerated: a later change to its cost is an adjustment "
                  "in the next period's schedule.",
    "adjust": "An approved schedule is never changed: a later change to its cost is an adjustment in the next "
              "period's schedule.",
    "invoice": "An invoice is entered against an issued schedule that is not yet approved.",
    "approve": "Only an issued or confirmed schedule, with no open query, is approved.",
    "export": "Only approved schedules are exported.",
}


def _move(schedule: Schedule, move: str) -> str:
    """Check the move is allowed from the schedule's state; answer the state it goes to."""
    allowed, to = MOVES[move]
    if schedule.status not in allowed:
        if move == "approve" and schedule.is_paid:
            raise Conflict(f"The schedule {schedule.reference} for {schedule.period.label} is already approved "
                           f"(on {timezone.localtime(schedule.approved_at):%-d %B %Y}): a period is approved once.")
        raise Conflict(f"{REFUSALS[move]} {schedule.reference} is {schedule.get_status_display().lower()}.")
    return to or schedule.status


def _locked(schedule: Schedule) -> Schedule:
    return (Schedule.objects.select_for_update(of=("self",)).select_related("period", "provider", "payer")
            .get(pk=schedule.pk))


def _prepare(actor) -> None:
    require(policy.can_prepare_payments(access_here(actor)), PREPARE_REFUSED)


def _money(value, field: str, *, positive: bool = False) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(PENCE, ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise Invalid({field: "Give an amount in pounds and pence, like 1234.56."}) from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise Invalid({field: "Give an amount in pounds and pence, like 1234.56."})
    if positive and amount <= 0:
        raise Invalid({field: "The amount must be more than £0."})
    return amount


def _text(value, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid({field: message})
    return text


# --- Periods --------------------------------------------------------------------------


def payment_settings() -> PaymentSettings:
    """This authority's settings (monthly until it chooses)."""
    return PaymentSettings.objects.filter(key="payments").first() or PaymentSettings(cadence=Cadence.MONTHLY)


def period_bounds(settings_: PaymentSettings, day: date) -> tuple[date, date]:
    """The first and last day of the period `day` falls in, under `settings_`."""
    if settings_.cadence == Cadence.FOUR_WEEKLY:
        offset = (day - settings_.anchor_on).days // 28
        first = settings_.anchor_on + timedelta(days=28 * offset)
        return first, first + timedelta(days=27)
    first = day.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def payment_settings_set(*, actor, cadence: str, anchor_on: date | None = None) -> PaymentSettings:
    """Choose four-weekly (with the first day of a period) or monthly. Once
    periods exist the change runs on from the day after the last one: a
    four-weekly anchor must fall on that day or 28-day steps from it, and a
    monthly cadence needs the last period to end on a month's last day."""
    _prepare(actor)
    if cadence not in Cadence.values:
        raise Invalid({"cadence": "Choose four_weekly or monthly."})
    if cadence == Cadence.FOUR_WEEKLY and anchor_on is None:
        raise Invalid({"anchor_on": "Give the first day of a four-weekly period."})
    if cadence == Cadence.MONTHLY:
        anchor_on = None
    with transaction.atomic():
        current, _ = PaymentSettings.objects.select_for_update().get_or_create(key="payments")
        before = {"cadence": current.cadence, "anchor_on": current.anchor_on}
        last = PaymentPeriod.objects.order_by("-ends_on").first()
        if last is not None:
            following = last.ends_on + timedelta(days=1)
            if cadence == Cadence.FOUR_WEEKLY and (anchor_on - following).days % 28:
                raise Conflict({"anchor_on": f"Periods already run to {last.ends_on:%-d %B %Y}: a four-weekly "
                                             f"period must start on {following:%-d %B %Y} or 28-day steps "
                                             "from it, so that no day is paid twice or missed."})
            if cadence == Cadence.MONTHLY and following.day != 1:
                raise Conflict({"cadence": f"Periods already run to {last.ends_on:%-d %B %Y}: monthly periods "
                                           "can follow only a period that ends on a month's last day."})
        current.cadence, current.anchor_on = cadence, anchor_on
        current.updated_by, current.updated_at = actor, timezone.now()
        current.save()
        audit_record(actor=actor, action="payments.settings_set", obj=("payment_settings", current.pk, "Payments"),
                     before=before, after={"cadence": cadence, "anchor_on": anchor_on})
    return current


def period_open(*, actor, day: date) -> PaymentPeriod:
    """The payment period `day` falls in, made if it is not yet (never
    overlapping one already made)."""
    _prepare(actor)
    with transaction.atomic():
        settings_, _ = PaymentSettings.objects.select_for_update().get_or_create(key="payments")
        first, last = period_bounds(settings_, day)
        found = PaymentPeriod.objects.filter(starts_on=first, ends_on=last).first()
        if found is not None:
            return found
        clash = PaymentPeriod.objects.filter(starts_on__lte=last, ends_on__gte=first).first()
        if clash is not None:
            raise Conflict({"day": f"That day is in the period {clash.label} already made; periods never overlap, "
                                   "so that no day is paid twice."})
        period = PaymentPeriod.objects.create(cadence=settings_.cadence, starts_on=first, ends_on=last)
        audit_record(actor=actor, action="payments.period_opened", obj=period,
                     after={"starts_on": first, "ends_on": last, "cadence": settings_.cadence})
    return period


def supplier_reference_set(*, actor, provider, reference: str) -> SupplierReference:
    _prepare(actor)
    reference = _text(reference, "reference", "Give the provider's supplier number in your finance system.")
    with transaction.atomic():
        found, _ = SupplierReference.objects.update_or_create(
            provider=provider, defaults={"reference": reference[:40], "set_by": actor, "set_at": timezone.now()})
        audit_record(actor=actor, action="payments.supplier_reference_set", obj=provider,
                     after={"reference": found.reference})
    return found


def cost_centre_set(*, actor, lot, code: str) -> CostCentre:
    _prepare(actor)
    code = _text(code, "code", "Give the cost centre the lot's placements are charged to.")
    with transaction.atomic():
        found, _ = CostCentre.objects.update_or_create(
            lot=lot, defaults={"code": code[:40], "set_by": actor, "set_at": timezone.now()})
        audit_record(actor=actor, action="payments.cost_centre_set", obj=lot, after={"code": found.code})
    return found


# --- Generating schedules -------------------------------------------------------------


class Generated(list):
    """The schedules a generation made (as a list: those added and the
    drafts made again), with what it did to each provider and payer:
    `added` (new schedules, for pairs that had none in the period),
    `remade` (drafts made again) and `left` (schedules issued or further,
    never touched), each of those with `waiting`: the placements with care
    in the period that are not on it (regenerating it adds them; if it is
    approved, their care is paid as an adjustment on the provider and
    payer's schedule for the next period generated)."""

    def __init__(self, schedules=(), *, added=(), remade=(), left=()):
        super().__init__(schedules)  # a plain iterable too, as Django copies lists it is given
        self.added, self.remade, self.left = list(added), list(remade), list(left)


def schedules_generate(*, actor, period: PaymentPeriod, provider=None) -> Generated:
    """Draft schedules for the period from the cost lines: for every provider
    (or one), each payer, each placement with care in the period, and an
    adjustment for each earlier approved period whose cost has changed, or
    whose approved schedule left out a placement's care.
    Generating again adds a schedule for each provider and payer that has
    none yet in the period (a new placement with a provider not yet paid
    here), makes the drafts again, and leaves schedules already issued or
    further as they are (regenerate one to redo it), naming the placements
    with care in the period that are not on them. A constant number of
    queries, however many placements."""
    _prepare(actor)
    with transaction.atomic():
        period = PaymentPeriod.objects.select_for_update().get(pk=period.pk)
        made = _generate(actor=actor, period=period, provider_ids=[provider.pk] if provider else None)
        audit_record(actor=actor, action="payments.schedules_generated", obj=period,
                     after={"schedules": sorted(s.reference for s in made),
                            "added": sorted(s.reference for s in made.added),
                            "left": sorted(s.reference for s in made.left)},
                     context={"provider": provider.pk if provider else None,
                              "waiting": {s.reference: s.waiting for s in made.left if s.waiting}})
    return made


def schedule_regenerate(*, actor, schedule: Schedule, reason: str) -> Schedule:
    """Make the schedule again from the cost lines as they stand (back to a
    draft, to issue again); manual adjustments on it are dropped."""
    _prepare(actor)
    reason = _text(reason, "reason", "Say why the schedule is made again.")
    with transaction.atomic():
        schedule = _locked(schedule)
        before = {"status": schedule.status, "total": schedule.total}
        _move(schedule, "regenerate")
        Schedule.objects.filter(pk=schedule.pk).update(status=S.DRAFT, confirmed_at=None, confirmed_by=None)
        PaymentPeriod.objects.select_for_update().get(pk=schedule.period_id)
        _generate(actor=actor, period=schedule.period, provider_ids=[schedule.provider_id],
                  payer_ids=[schedule.payer_id])
        schedule.refresh_from_db()
        audit_record(actor=actor, action="payments.schedule_regenerated", obj=schedule, reason=reason,
                     before=before, after={"status": schedule.status, "total": schedule.total})
    return schedule


def _generate(*, actor, period: PaymentPeriod, provider_ids=None, payer_ids=None) -> Generated:
    placements = (Placement.objects.filter(status__in=[Placement.Status.LIVE, Placement.Status.ENDED],
                                           went_live_at__isnull=False, start_on__lte=period.ends_on)
                  .exclude(ended_on__lt=period.starts_on))
    existing_rows = Schedule.objects.select_for_update().filter(period=period)
    if provider_ids is not None:
        placements = placements.filter(provider_id__in=provider_ids)
        existing_rows = existing_rows.filter(provider_id__in=provider_ids)
    if payer_ids is not None:
        placements = placements.filter(payer_id__in=payer_ids)
        existing_rows = existing_rows.filter(payer_id__in=payer_ids)
    existing = {(s.provider_id, s.payer_id): s for s in existing_rows}
    # The placements already on the schedules left alone (one statement, whatever is left).
    on_left = Line.objects.filter(schedule__period=period, kind=Line.Kind.CARE).exclude(schedule__status=S.DRAFT)
    if provider_ids is not None:
        on_left = on_left.filter(schedule__provider_id__in=provider_ids)
    if payer_ids is not None:
        on_left = on_left.filter(schedule__payer_id__in=payer_ids)
    placed_on_left = set(on_left.values_list("schedule_id", "placement_id"))
    found = list(placements.values_list("pk", "provider_id", "payer_id"))
    care = costs_in_ranges((pk, pk, period.starts_on, period.ends_on) for pk, _, _ in found)

    # What was paid for each earlier period of each placement (nothing, for
    # one missing from its period's approved schedule), and what is owed now.
    basis = _paid_before(period, provider_ids, payer_ids)
    now = costs_in_ranges((i, row["placement_id"], row["covers_starts_on"], row["covers_ends_on"])
                          for i, row in enumerate(basis))

    lines: dict[tuple[int, int], list[Line]] = {}
    for pk, provider_id, payer_id in found:
        span = care.get(pk)
        if span is None or not span.days:
            continue
        lines.setdefault((provider_id, payer_id), []).append(Line(
            period=period, covers=period, placement_id=pk, kind=Line.Kind.CARE, starts_on=span.starts_on,
            ends_on=span.ends_on, days=span.days, computed_amount=span.amount, amount=span.amount,
            cost_lines=[piece.as_dict() for piece in span.pieces]))
    for i, row in enumerate(basis):
        span = now.get(i)
        amount = span.amount if span else ZERO
        difference = amount - (row["computed"] if row["computed"] is not None else ZERO)
        if not difference:
            continue
        lines.setdefault((row["provider_id"], row["payer_id"]), []).append(Line(
            period=period, covers_id=row["covers_id"], placement_id=row["placement_id"], kind=Line.Kind.ADJUSTMENT,
            starts_on=span.starts_on if span else None, ends_on=span.ends_on if span else None,
            days=span.days if span else 0, computed_amount=difference, amount=difference,
            paid_before=row["computed"], cost_lines=[piece.as_dict() for piece in span.pieces] if span else []))

    # Schedules: the drafts are made again, new ones added; issued ones are left alone.
    drafts = [s for key, s in existing.items() if s.status == S.DRAFT]
    draft_ids = [s.pk for s in drafts]
    Query.objects.filter(line__schedule_id__in=draft_ids).update(line=None)
    Line.objects.filter(schedule_id__in=draft_ids)._raw_delete(Line.objects.db)  # one statement, however many
    stamp = timezone.now()
    Schedule.objects.filter(pk__in=[s.pk for s in drafts]).update(generated_at=stamp, generated_by=actor)
    new = Schedule.objects.bulk_create([
        Schedule(reference=f"PAY-{period.starts_on:%Y%m%d}-P{provider_id}-A{payer_id}", provider_id=provider_id,
                 payer_id=payer_id, period=period, generated_at=stamp, generated_by=actor)
        for provider_id, payer_id in lines if (provider_id, payer_id) not in existing])
    for schedule in new:
        existing[(schedule.provider_id, schedule.payer_id)] = schedule
    made = drafts + new
    open_to_lines = {s.pk for s in made}
    rows = []
    for key, items in lines.items():
        schedule = existing[key]
        if schedule.pk not in open_to_lines:
            continue
        for line in items:
            line.schedule = schedule
            rows.append(line)
    Line.objects.bulk_create(rows)
    _totals([s.pk for s in made])
    left = sorted((s for s in existing.values() if s.status != S.DRAFT), key=lambda s: s.reference)
    for schedule in left:
        schedule.waiting = sorted(
            line.placement_id for line in lines.get((schedule.provider_id, schedule.payer_id), [])
            if line.kind == Line.Kind.CARE and (schedule.pk, line.placement_id) not in placed_on_left)
    return Generated(drafts + new, added=new, remade=drafts, left=left)


_PAID_BEFORE_SQL = """
WITH paid AS (
    SELECT l.placement_id, l.covers_id, s.provider_id, s.payer_id, SUM(l.computed_amount) AS computed
    FROM {line} l
    JOIN {schedule} s ON s.id = l.schedule_id
    JOIN {period} c ON c.id = l.covers_id
    WHERE s.status = ANY(%(paid)s) AND c.starts_on < %(starts_on)s AND s.period_id <> %(period)s {narrow}
    GROUP BY l.placement_id, l.covers_id, s.provider_id, s.payer_id
), missed AS (
    SELECT p.id AS placement_id, s.period_id AS covers_id, s.provider_id, s.payer_id, NULL::numeric AS computed
    FROM {schedule} s
    JOIN {period} c ON c.id = s.period_id
    JOIN {placement} p ON p.provider_id = s.provider_id AND p.payer_id = s.payer_id
    WHERE s.status = ANY(%(paid)s) AND c.starts_on < %(starts_on)s {narrow}
      AND p.status IN ('live', 'ended') AND p.went_live_at IS NOT NULL
      AND p.start_on <= c.ends_on AND (p.ended_on IS NULL OR p.ended_on >= c.starts_on)
      AND NOT EXISTS (SELECT 1 FROM {line} l JOIN {schedule} o ON o.id = l.schedule_id
                      WHERE l.placement_id = p.id AND l.covers_id = c.id AND o.status = ANY(%(paid)s))
)
SELECT b.placement_id, b.covers_id, c.starts_on, c.ends_on, b.provider_id, b.payer_id, b.computed
FROM (SELECT * FROM paid UNION ALL SELECT * FROM missed) b JOIN {period} c ON c.id = b.covers_id
ORDER BY b.placement_id, c.starts_on, b.provider_id, b.payer_id
"""


def _paid_before(period: PaymentPeriod, provider_ids=None, payer_ids=None) -> list[dict]:
    """For each placement and earlier period an approved schedule paid, or
    should have: what the cost lines gave when its lines were approved
    (`computed`), or None where the period's approved schedule for the
    placement's provider and payer left it out and nothing else paid it
    (went live, backdated, after approval, say). One statement."""
    narrow = ""
    if provider_ids is not None:
        narrow += " AND s.provider_id = ANY(%(providers)s)"
    if payer_ids is not None:
        narrow += " AND s.payer_id = ANY(%(payers)s)"
    sql = _PAID_BEFORE_SQL.format(line=Line._meta.db_table, schedule=Schedule._meta.db_table,
                                  period=PaymentPeriod._meta.db_table, placement=Placement._meta.db_table,
                                  narrow=narrow)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"paid": [status.value for status in PAID], "starts_on": period.starts_on,
                             "period": period.pk, "providers": list(provider_ids or []),
                             "payers": list(payer_ids or [])})
        names = ("placement_id", "covers_id", "covers_starts_on", "covers_ends_on", "provider_id", "payer_id",
                 "computed")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _totals(schedule_ids) -> None:
    """Each schedule's total: the sum of its lines, in one statement."""
    Schedule.objects.filter(pk__in=list(schedule_ids)).update(total=Coalesce(Subquery(
        Line.objects.filter(schedule=OuterRef("pk")).values("schedule").annotate(t=Sum("amount")).values("t")),
        ZERO))


# --- The schedule's life --------------------------------------------------------------


def schedule_issue(*, actor, schedule: Schedule) -> Schedule:
    """Send the draft to the provider: it sees it and confirms or queries it."""
    _prepare(actor)
    with transaction.atomic():
        schedule = _locked(schedule)
        schedule.status = _move(schedule, "issue")
        schedule.issued_at = timezone.now()
        schedule.save(update_fields=["status", "issued_at"])
        audit_record(actor=actor, action="payments.schedule_issued", obj=schedule, before={"status": S.DRAFT},
                     after={"status": schedule.status, "total": schedule.total})
    return schedule


def schedule_confirm(*, actor, schedule: Schedule) -> Schedule:
    """The provider agrees the schedule."""
    require(policy.can_answer_schedule(access_here(actor), schedule.provider_id), ANSWER_REFUSED)
    with transaction.atomic():
        schedule = _locked(schedule)
        schedule.status = _move(schedule, "confirm")
        schedule.confirmed_at, schedule.confirmed_by = timezone.now(), actor
        schedule.save(update_fields=["status", "confirmed_at", "confirmed_by"])
        audit_record(actor=actor, action="payments.schedule_confirmed", obj=schedule,
                     before={"status": S.ISSUED}, after={"status": schedule.status, "total": schedule.total})
    return schedule


def schedule_query(*, actor, schedule: Schedule, reason: str, line: Line | None = None) -> Query:
    """The provider questions the schedule, or one line of it, with a reason."""
    require(policy.can_answer_schedule(access_here(actor), schedule.provider_id), ANSWER_REFUSED)
    reason = _text(reason, "reason", "Say what is wrong with the schedule.")
    if line is not None and line.schedule_id != schedule.pk:
        raise Invalid({"line": "That line is not on this schedule."})
    with transaction.atomic():
        schedule = _locked(schedule)
        before = schedule.status
        schedule.status = _move(schedule, "query")
        schedule.save(update_fields=["status"])
        query = Query.objects.create(schedule=schedule, line=line, reason=reason, raised_by=actor)
        audit_record(actor=actor, action="payments.schedule_queried", obj=schedule, reason=reason,
                     before={"status": before}, after={"status": schedule.status},
                     context={"line": line.pk if line else None, "query": query.pk})
    return query


def query_answer(*, actor, query: Query, answer: str) -> Query:
    """Staff answer a query; once none is open the schedule is issued again
    for the provider to confirm."""
    _prepare(actor)
    answer = _text(answer, "answer", "Give the answer the provider will read.")
    with transaction.atomic():
        schedule = _locked(query.schedule)
        query = Query.objects.select_for_update().get(pk=query.pk)
        if not query.is_open:
            raise Conflict("The query has been answered already.")
        _move(schedule, "answer")
        query.answer, query.answered_by, query.answered_at = answer, actor, timezone.now()
        query.save(update_fields=["answer", "answered_by", "answered_at"])
        if not schedule.queries.filter(answered_at__isnull=True).exists():
            schedule.status = S.ISSUED
            schedule.save(update_fields=["status"])
        audit_record(actor=actor, action="payments.query_answered", obj=schedule, reason=answer,
                     after={"status": schedule.status}, context={"query": query.pk})
    return query


def line_adjust(*, actor, line: Line, amount, reason: str) -> Line:
    """Pay a line a different amount than its cost lines give, with the
    reason (a day not delivered, say). A confirmed schedule goes back to the
    provider to confirm again."""
    _prepare(actor)
    reason = _text(reason, "reason", "Say why the amount differs from what the cost lines give.")
    amount = _money(amount, "amount")
    with transaction.atomic():
        schedule = _locked(line.schedule)
        _move(schedule, "adjust")
        line = Line.objects.select_for_update().get(pk=line.pk)
        before = line.amount
        line.amount, line.adjust_reason, line.adjusted_by, line.adjusted_at = amount, reason, actor, timezone.now()
        line.save(update_fields=["amount", "adjust_reason", "adjusted_by", "adjusted_at"])
        _totals([schedule.pk])
        if schedule.status == S.CONFIRMED:
            Schedule.objects.filter(pk=schedule.pk).update(status=S.ISSUED, confirmed_at=None, confirmed_by=None)
        schedule.refresh_from_db()
        audit_record(actor=actor, action="payments.line_adjusted", obj=schedule, reason=reason,
                     before={"line": line.pk, "amount": before},
                     after={"line": line.pk, "amount": amount, "total": schedule.total})
    return line


def schedule_approve(*, actor, schedule: Schedule) -> Schedule:
    """A finance officer approves the schedule for payment: once per
    provider, payer and period (the database holds one schedule for each),
    with no open query, and only if no day of its care is already on another
    approved schedule and the adjustments were worked out against what is
    approved now."""
    require(policy.can_approve_payments(access_here(actor)), APPROVE_REFUSED)
    with transaction.atomic():
        schedule = _locked(schedule)
        before = schedule.status
        schedule.status = _move(schedule, "approve")
        if schedule.queries.filter(answered_at__isnull=True).exists():
            raise Conflict("Answer the provider's open queries before approving the schedule.")
        lines = list(schedule.lines.all())
        care = [line.placement_id for line in lines if line.kind == Line.Kind.CARE]
        # Any approved line for those days: care, or an adjustment paying care missed from its schedule.
        clash = (Line.objects.filter(schedule__status__in=PAID, placement_id__in=care,
                                     covers__starts_on__lte=schedule.period.ends_on,
                                     covers__ends_on__gte=schedule.period.starts_on)
                 .exclude(schedule=schedule).select_related("schedule", "covers", "placement__package").first())
        if clash is not None:
            since = clash.starts_on or clash.covers.starts_on
            raise Conflict(f"{clash.placement.package.reference}'s care from {since:%-d %B %Y} is "
                           f"already approved on {clash.schedule.reference}: nothing is paid twice.")
        adjustments = [line for line in lines if line.kind == Line.Kind.ADJUSTMENT]
        if adjustments:
            now = dict(((row["placement_id"], row["covers_id"]), row["computed"]) for row in (
                Line.objects.filter(schedule__status__in=PAID,
                                    placement_id__in=[a.placement_id for a in adjustments],
                                    covers_id__in=[a.covers_id for a in adjustments])
                .values("placement_id", "covers_id").annotate(computed=Sum("computed_amount"))
                .order_by("placement_id")))
            # Nothing approved yet for a missed period is None, as its paid_before is.
            stale = [a for a in adjustments if now.get((a.placement_id, a.covers_id)) != a.paid_before]
            if stale:
                raise Conflict("A payment for an earlier period of the same placement has been approved since "
                               "this schedule was made: regenerate it, so that nothing is paid twice.")
        schedule.approved_at, schedule.approved_by = timezone.now(), actor
        try:
            with transaction.atomic():
                schedule.save(update_fields=["status", "approved_at", "approved_by"])
        except IntegrityError:
            raise Conflict("The schedule cannot be approved as it stands.") from None
        audit_record(actor=actor, action="payments.schedule_approved", obj=schedule, before={"status": before},
                     after={"status": schedule.status, "total": schedule.total,
                            "period": [schedule.period.starts_on, schedule.period.ends_on]})
    return schedule


def schedules_mark_exported(*, actor, schedules) -> list[Schedule]:
    """Mark approved schedules exported to the finance system (audited each
    time); answer those already exported before, so the page or API can say
    so. Anything not approved is refused, and nothing is marked."""
    require(policy.can_approve_payments(access_here(actor)), APPROVE_REFUSED)
    ids = [s.pk for s in schedules]
    if not ids:
        raise Invalid({"schedules": "Choose at least one approved schedule."})
    already = []
    with transaction.atomic():
        locked = list(Schedule.objects.select_for_update(of=("self",)).select_related("period")
                      .filter(pk__in=ids).order_by("pk"))
        refused = [s.reference for s in locked if s.status not in MOVES["export"][0]]
        if refused:
            raise Conflict({"schedules": f"Only approved schedules are exported; not yet: {', '.join(refused)}."})
        stamp = timezone.now()
        for schedule in locked:
            if schedule.export_count:
                already.append(schedule)
            schedule.status = _move(schedule, "export")
            schedule.exported_at, schedule.exported_by = stamp, actor
            schedule.export_count += 1
            schedule.save(update_fields=["status", "exported_at", "exported_by", "export_count"])
            audit_record(actor=actor, action="payments.schedule_exported", obj=schedule,
                         after={"status": schedule.status, "export_count": schedule.export_count,
                                "total": schedule.total},
                         context={"exported_before": schedule.export_count > 1})
    return already


def schedules_export(*, actor, schedules, kind: str = "csv") -> tuple[str | bytes, list[Schedule]]:
    """The finance system's file (CSV or XLSX) for approved schedules, and
    the schedules marked exported, in one transaction: if the file cannot be
    built, nothing is marked (nor audited), so a failed export leaves the
    schedules approved, to export again. Answers the file and the schedules
    exported before."""
    from tenants.payments import exports

    if kind not in ("csv", "xlsx"):
        raise Invalid({"format": "Choose csv or xlsx."})
    with transaction.atomic():
        already = schedules_mark_exported(actor=actor, schedules=schedules)
        body = exports.export_xlsx(schedules) if kind == "xlsx" else exports.export_csv(schedules)
    return body, already


# --- Invoices -------------------------------------------------------------------------


def invoice_add(*, actor, schedule: Schedule, number: str, invoice_date: date, amount, upload=None) -> Invoice:
    """The provider's invoice against an issued schedule: typed, or with its
    PDF (checked by content). It is matched against the schedule's total; a
    difference raises a query showing it. An invoice number is used once per
    provider."""
    from shared_catalogue.uploads import check_upload

    require(policy.can_answer_schedule(access_here(actor), schedule.provider_id), ANSWER_REFUSED)
    errors = {}
    number = (number or "").strip()
    if not number:
        errors["number"] = "Give the invoice number."
    elif len(number) > 60:
        errors["number"] = "An invoice number is at most 60 characters."
    try:
        amount = _money(amount, "amount", positive=True)
    except Invalid as error:
        errors.update(error.message_dict)
    if invoice_date is None:
        errors["invoice_date"] = "Give the invoice's date."
    elif invoice_date > timezone.localdate():
        errors["invoice_date"] = "The invoice's date cannot be in the future."
    checked = None
    if upload is not None:
        try:
            checked = check_upload(upload)
        except Invalid as error:
            errors.update(error.message_dict)
        else:
            if checked.content_type != "application/pdf":
                errors["file"] = "An invoice is uploaded as a PDF."
    if errors:
        raise Invalid(errors)
    stored = None
    try:
        with transaction.atomic():
            schedule = _locked(schedule)
            _move(schedule, "invoice")
            used = _number_used(schedule.provider_id, number)
            if used is not None:
                raise _number_conflict(used)
            difference = amount - schedule.total
            invoice = Invoice(schedule=schedule, provider_id=schedule.provider_id, number=number,
                              invoice_date=invoice_date, amount=amount, schedule_total=schedule.total,
                              difference=difference, entered_by=actor)
            if checked is not None:
                key = f"{uuid.uuid4().hex}.{checked.extension}"
                invoice.storage_key, invoice.original_name = key, (upload.name or "invoice.pdf")[:255]
                invoice.content_type, invoice.size, invoice.sha256 = (checked.content_type, checked.size,
                                                                      checked.sha256)
                invoice.file.save(key, upload, save=False)
                stored = invoice.file.name
            with transaction.atomic():
                invoice.save()
            audit_record(actor=actor, action="payments.invoice_entered", obj=schedule,
                         after={"invoice": number, "amount": amount, "difference": difference,
                                "sha256": invoice.sha256 or None})
            if difference:
                before = schedule.status
                schedule.status = S.QUERIED
                schedule.save(update_fields=["status"])
                words = "more" if difference > 0 else "less"
                reason = (f"Invoice {number} is for £{amount:,.2f}, £{abs(difference):,.2f} {words} than the "
                          f"schedule's total of £{schedule.total:,.2f}.")
                Query.objects.create(schedule=schedule, invoice=invoice, reason=reason, difference=difference)
                audit_record(actor=None, action="payments.schedule_queried", obj=schedule, reason=reason,
                             before={"status": before}, after={"status": schedule.status},
                             context={"invoice": number, "difference": difference})
    except IntegrityError:
        _remove(stored)
        # Another invoice with the number came in at the same moment: the
        # database's constraint (any case, like the check above) refused this one.
        used = _number_used(schedule.provider_id, number)
        if used is None:
            raise
        raise _number_conflict(used) from None
    except Exception:
        _remove(stored)
        raise
    return invoice


def _number_used(provider_id: int, number: str) -> Invoice | None:
    """The provider's invoice already entered under `number`, whatever its
    capitals (the database's unique constraint compares them the same way)."""
    return (Invoice.objects.filter(provider_id=provider_id, number__iexact=number)
            .select_related("schedule").order_by("pk").first())


def _number_conflict(used: Invoice) -> Conflict:
    return Conflict({"number": f"Invoice number {used.number} is already used, on {used.schedule.reference} "
                               f"(entered {timezone.localtime(used.entered_at):%-d %B %Y}): an invoice number "
                               "is used once, whatever its capitals."})


def _remove(name) -> None:
    if name:
        from tenants.payments.models import invoice_storage

        invoice_storage().delete(name)
