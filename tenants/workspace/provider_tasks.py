"""What this authority is waiting for from a provider's people: one list,
soonest due first, each item with its clock in working days (England and
Wales bank holidays, the same clocks as the staff work queue).

Only the organisations the person belongs to (`TenantAccess.provider_ids`)
are read, with one query per kind however many items there are. Every item
of those organisations is listed; `you_may` says whether the person's own
role there lets them do it (a viewer sees what their admins are asked for),
and the link goes to the page where it is done, or, when they may not do
it, to the page where they can read it.

Nothing here reads another provider's rows, nor, for an invitation, anything
about the other providers invited or their bids."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.policy import TenantAccess
from accounts.roles import ProviderRole
from tenancy.routing import tenant_reverse
from tenants.calloffs import policy as calloffs_policy
from tenants.calloffs.models import Bid, Invitation, Package
from tenants.payments import policy as payments_policy
from tenants.payments.models import Schedule
from tenants.placements.models import Placement
from tenants.quality import policy as quality_policy
from tenants.quality.models import RATINGS, Action, Assessment, FollowUp, KpiReturn
from tenants.quality.periods import period_label
from tenants.workspace.queue import QueueGroup, TaskClock, task_clock
from tenants.workspace.queue import grouped as queue_grouped


class ProviderTaskKind(models.TextChoices):
    """The kinds of thing an authority waits for from a provider, in the
    order the provider's home lists them."""

    KPI_RETURN = "kpi_return", "Performance returns due or queried"
    SELF_ASSESSMENT = "self_assessment", "Self-assessments to submit"
    DRAFT_REPORT = "draft_report", "Draft assessment reports to comment on"
    FOLLOW_UP = "follow_up", "Improvement actions your organisation owns"
    CONTRACT_ACTION = "contract_action", "Contract actions open to your response"
    PAYMENT_SCHEDULE = "payment_schedule", "Payment schedules to confirm or query"
    INVITATION = "invitation", "Invitations to bid, still open"
    AWARD_STARTING = "award_starting", "Awards waiting to start"


RATING_WORDS = dict(RATINGS)


@dataclass(frozen=True)
class ProviderTask:
    kind: str
    key: str  # the kind and what it is about, with the organisation: stable between readings
    title: str
    detail: str
    path: str  # where it is done (or read, when the person may not do it), inside the authority
    due_on: date | None
    since: datetime | None
    provider_id: int
    provider_name: str
    you_may: bool  # the person's role in that organisation lets them do it
    clock: TaskClock | None = None

    @property
    def kind_label(self) -> str:
        return ProviderTaskKind(self.kind).label


def _short(text: str, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _on(day: date | None) -> str:
    return f"{day:%-d %B %Y}" if day else ""


def _path(authority, may: bool, done: tuple[str, dict], read: tuple[str, dict], query: str = "") -> str:
    name, kwargs = done if may else read
    return tenant_reverse(authority, name, kwargs=kwargs or None) + (query if may else "")


def _admins_only(may: bool) -> str:
    return "" if may else " Your organisation's provider admins do this."


# --- One reader per kind: one query each ---------------------------------------------------


def _kpi_returns(authority, access: TenantAccess, ids: list[int], today: date, now: datetime):
    rows = KpiReturn.objects.filter(
        provider_id__in=ids, status__in=[KpiReturn.Status.DUE, KpiReturn.Status.QUERIED]
    ).select_related("kpi", "provider")
    for r in rows:
        may = quality_policy.can_submit_return(access, r.provider_id)
        period = period_label(r.kpi.period, r.period_start, r.period_end)
        if r.status == KpiReturn.Status.QUERIED:
            title = f"Answer the query on your {r.kpi.code} return for {period}"
            detail = f"{r.kpi.title}. The authority asked: {_short(r.query, 160)}"
        else:
            title = f"Send your {r.kpi.code} return for {period}"
            detail = f"{r.kpi.title}; due {_on(r.due_on)}."
        yield ProviderTask(
            ProviderTaskKind.KPI_RETURN,
            f"kpi-return:{r.pk}:{r.status}",
            title,
            detail + ("" if may else " Your organisation's admins and bid writers do this."),
            _path(authority, may, ("provider-quality:return", {"return_id": r.pk}), ("provider-quality:returns", {})),
            r.due_on,
            r.reviewed_at if r.status == KpiReturn.Status.QUERIED else None,
            r.provider_id,
            r.provider.name,
            may,
        )


def _self_assessments(authority, access, ids, today, now):
    # Open until its date (the self-assessment page closes after it).
    rows = (
        Assessment.objects.filter(
            provider_id__in=ids, status=Assessment.Status.SCHEDULED, self_assessment_submitted_at__isnull=True
        )
        .filter(Q(self_assessment_due__isnull=True) | Q(self_assessment_due__gte=today))
        .select_related("provider")
    )
    for a in rows:
        may = quality_policy.can_self_assess(access, a.provider_id)
        yield ProviderTask(
            ProviderTaskKind.SELF_ASSESSMENT,
            f"self-assessment:{a.pk}",
            f"Self-assessment for {a.service}: rate yourselves against each standard and submit",
            f"The quality officer visits on {_on(a.visit_on)}."
            + ("" if may else " Your organisation's admins and bid writers do this."),
            _path(
                authority,
                may,
                ("provider-quality:self-assessment", {"assessment_id": a.pk}),
                ("provider-quality:assessment", {"assessment_id": a.pk}),
            ),
            a.self_assessment_due,
            a.created_at,
            a.provider_id,
            a.provider.name,
            may,
        )


def _draft_reports(authority, access, ids, today, now):
    # Within the response window only: after it the officer may finalise.
    rows = Assessment.objects.filter(
        provider_id__in=ids, status=Assessment.Status.DRAFT_SENT, responded_at__isnull=True, respond_by__gte=today
    ).select_related("provider")
    for a in rows:
        may = access.has_provider_role(a.provider_id, ProviderRole.PROVIDER_ADMIN)
        rating = RATING_WORDS.get(a.rating, "")
        yield ProviderTask(
            ProviderTaskKind.DRAFT_REPORT,
            f"draft-report:{a.pk}",
            f"Comment on the draft report for {a.service}",
            f"Rated {rating} in the draft; comment on its factual accuracy by {_on(a.respond_by)}, "
            "or it may be finalised as it stands." + _admins_only(may),
            tenant_reverse(authority, "provider-quality:assessment", kwargs={"assessment_id": a.pk}),
            a.respond_by,
            a.draft_sent_at,
            a.provider_id,
            a.provider.name,
            may,
        )


def _follow_ups(authority, access, ids, today, now):
    rows = FollowUp.objects.filter(
        provider_id__in=ids, status=FollowUp.Status.OPEN, owner_side=FollowUp.Owner.PROVIDER
    ).select_related("assessment", "provider", "owner")
    for f in rows:
        may = f.owner_id == access.user_id or access.has_provider_role(f.provider_id, ProviderRole.PROVIDER_ADMIN)
        owner = "you" if f.owner_id == access.user_id else (f.owner.get_full_name() or f.owner.email)
        yield ProviderTask(
            ProviderTaskKind.FOLLOW_UP,
            f"follow-up:{f.pk}:{f.due_on:%Y-%m-%d}",
            f"Do and mark done: {_short(f.what, 80)}",
            f"From the assessment of {f.assessment.service}; owned by {owner}."
            + ("" if may else " Its owner or your organisation's admins mark it done."),
            _path(
                authority,
                may,
                ("provider-quality:follow-up", {"follow_up_id": f.pk}),
                ("provider-quality:assessment", {"assessment_id": f.assessment_id}),
            ),
            f.due_on,
            f.created_at,
            f.provider_id,
            f.provider.name,
            may,
        )


def _contract_actions(authority, access, ids, today, now):
    # In force and not yet answered: the provider's right to respond. The
    # service takes a response while the action stands, so one past its
    # date is shown overdue rather than hidden.
    rows = Action.objects.filter(
        provider_id__in=ids, status=Action.Status.ACTIVE, responded_at__isnull=True
    ).select_related("provider", "agreement", "placement__package")
    for a in rows:
        may = access.has_provider_role(a.provider_id, ProviderRole.PROVIDER_ADMIN)
        about = (
            a.placement.package.reference
            if a.placement_id
            else (a.agreement.title if a.agreement_id else "every agreement here")
        )
        yield ProviderTask(
            ProviderTaskKind.CONTRACT_ACTION,
            f"contract-action:{a.pk}",
            f"Respond to the {a.get_kind_display().lower()} ({about})",
            f"In force from {_on(a.starts_on)}. Grounds: {_short(a.grounds, 140)}" + _admins_only(may),
            _path(authority, may, ("provider-quality:action", {"action_id": a.pk}), ("provider-quality:returns", {})),
            a.respond_by,
            None,
            a.provider_id,
            a.provider.name,
            may,
        )


def _payment_schedules(authority, access, ids, today, now):
    # Issued (again, once every query is answered): confirm it or query it.
    rows = (
        Schedule.objects.filter(provider_id__in=ids, status=Schedule.Status.ISSUED)
        .annotate(answered=Count("queries", filter=Q(queries__answered_at__isnull=False)))
        .select_related("provider", "period")
    )
    for s in rows:
        may = payments_policy.can_answer_schedule(access, s.provider_id)
        if s.answered:
            title = (
                f"The authority has answered your {'query' if s.answered == 1 else 'queries'} on {s.reference}: "
                "confirm the schedule or query it again"
            )
        else:
            title = f"Confirm or query payment schedule {s.reference}"
        issued = f"; issued {_on(timezone.localdate(s.issued_at))}" if s.issued_at else ""
        yield ProviderTask(
            ProviderTaskKind.PAYMENT_SCHEDULE,
            f"payment-schedule:{s.pk}:{s.answered}",
            title,
            f"£{s.total:,} for {s.period.label}{issued}." + _admins_only(may),
            tenant_reverse(authority, "provider-payments:schedule", kwargs={"schedule_id": s.pk}),
            None,
            s.issued_at,
            s.provider_id,
            s.provider.name,
            may,
        )


def _invitations(authority, access, ids, today, now):
    # Open for bids, and this organisation's own bid not submitted (its
    # draft's state is read; nothing of anyone else's).
    own = Bid.objects.filter(package=OuterRef("package"), provider=OuterRef("provider"))
    rows = (
        Invitation.objects.filter(
            provider_id__in=ids, package__status=Package.Status.PUBLISHED, package__bid_deadline__gt=now
        )
        .annotate(
            submitted=Exists(own.filter(status=Bid.Status.SUBMITTED)), own_status=Subquery(own.values("status")[:1])
        )
        .filter(submitted=False)
        .select_related("package", "provider")
    )
    for i in rows:
        p = i.package
        may = calloffs_policy.can_bid(access, i.provider_id)
        closes = timezone.localtime(p.bid_deadline)
        verb = "Finish and submit your bid for" if i.own_status == Bid.Status.DRAFT else "Bid for"
        yield ProviderTask(
            ProviderTaskKind.INVITATION,
            f"invitation:{i.pk}",
            f"{verb} {p.reference}: {p.title}",
            f"{p.locality}; bids close {closes:%-d %B %Y at %H:%M}."
            + ("" if may else " Your organisation's admins and bid writers bid."),
            _path(
                authority,
                may,
                ("provider-calloffs:bid", {"package_id": p.pk}),
                ("provider-calloffs:package", {"package_id": p.pk}),
                f"?provider={i.provider_id}",
            ),
            closes.date(),
            i.invited_at,
            i.provider_id,
            i.provider.name,
            may,
        )


def _awards_starting(authority, access, ids, today, now):
    # Won, and the placement waits for go-live: the authority confirms
    # when care has started.
    rows = Placement.objects.filter(provider_id__in=ids, status=Placement.Status.PENDING).select_related(
        "package", "provider"
    )
    for pl in rows:
        p = pl.package
        may = calloffs_policy.can_bid(access, pl.provider_id)
        yield ProviderTask(
            ProviderTaskKind.AWARD_STARTING,
            f"award-starting:{pl.pk}",
            f"Get ready to start {p.reference}: {p.title}",
            f"Awarded to you; care is due to start on {_on(pl.start_on)}. See who the care is for and "
            "the start arrangements, then agree the first visit with the authority. It goes live when "
            "the authority confirms the care has started.",
            _path(
                authority,
                may,
                ("provider-calloffs:start", {"package_id": p.pk}),
                ("provider-calloffs:package", {"package_id": p.pk}),
                f"?provider={pl.provider_id}",
            ),
            pl.start_on,
            pl.created_at,
            pl.provider_id,
            pl.provider.name,
            may,
        )


READERS = {
    ProviderTaskKind.KPI_RETURN: _kpi_returns,
    ProviderTaskKind.SELF_ASSESSMENT: _self_assessments,
    ProviderTaskKind.DRAFT_REPORT: _draft_reports,
    ProviderTaskKind.FOLLOW_UP: _follow_ups,
    ProviderTaskKind.CONTRACT_ACTION: _contract_actions,
    ProviderTaskKind.PAYMENT_SCHEDULE: _payment_schedules,
    ProviderTaskKind.INVITATION: _invitations,
    ProviderTaskKind.AWARD_STARTING: _awards_starting,
}


def _sort_key(task: ProviderTask, now: datetime):
    # Dated items first, soonest first; then the others, oldest first.
    return (task.due_on is None, task.due_on or date.max, task.since or now, task.key)


def provider_tasks_for(
    *,
    access: TenantAccess,
    authority,
    kinds: Iterable[str] = tuple(READERS),
    today: date | None = None,
    now: datetime | None = None,
) -> list[ProviderTask]:
    """What this authority waits for from the person's organisations, soonest
    due first: one query per kind, none at all for someone of no provider."""
    ids = sorted(access.provider_ids)
    if not ids:
        return []
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    found = [
        replace(task, clock=task_clock(task.due_on, today))
        for kind in kinds
        for task in READERS[kind](authority, access, ids, today, now)
    ]
    return sorted(found, key=lambda t: _sort_key(t, now))



def grouped(tasks: list[ProviderTask]) -> list[QueueGroup]:
    """The items by kind, in the order of ProviderTaskKind, each soonest due first."""
    return queue_grouped(tasks, ProviderTaskKind)
