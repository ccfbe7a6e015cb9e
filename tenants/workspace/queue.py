"""The staff work queue: what needs doing in this authority, for whom,
soonest due first, each task with its clock in working days (England and
Wales bank holidays, common.workdays).

`tasks_open` reads every open task here with one query per kind, however
many there are, and says who each is for (a capability from the owning app's
policy, or one person); `queue_for` keeps those one person may do. The daily
digest and the immediate e-mails read the same list, once, for everyone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, DateField, ExpressionWrapper, F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.policy import TenantAccess
from common.workdays import working_days_between
from shared_catalogue import policy as catalogue_policy
from shared_catalogue.models import Evidence
from tenancy.routing import tenant_reverse
from tenants.admissions import policy as admissions_policy
from tenants.admissions.models import Admission, Application, Assignment
from tenants.calloffs import policy as calloffs_policy
from tenants.calloffs.models import Bid, Clarification, Package
from tenants.payments import policy as payments_policy
from tenants.payments.models import Query, Schedule
from tenants.placements.models import Placement
from tenants.pricing import policy as pricing_policy
from tenants.pricing.models import BidPriceCheck
from tenants.quality import policy as quality_policy
from tenants.quality.models import Action, ActionReview, Assessment, Feedback, FollowUp, KpiReturn
from tenants.quality.periods import period_label
from tenants.workspace.models import TaskKind

# How far ahead placements and suspensions are listed.
LOOK_AHEAD_DAYS = 14
# A decision is "due" from this many working days before its date (as the
# applications list shows it: admissions.selectors.DUE_SOON_WORKING_DAYS).
DECISION_DUE_WORKING_DAYS = 2
# Valid, undisputed invoices are paid within 30 days, counting the day one is
# received (Procurement Act 2023, section 68; Public Contracts Regulations
# 2015, regulation 113): the invoice's last day.
INVOICE_PAY_WITHIN = timedelta(days=29)

# Who may do each kind of task, from the owning app's policy.
WHO: dict[str, Callable[[TenantAccess], bool]] = {
    TaskKind.NEEDS_EVALUATORS: admissions_policy.can_lead_evaluation,
    TaskKind.MY_EVALUATION: admissions_policy.can_be_evaluator,
    TaskKind.MODERATION_READY: admissions_policy.can_lead_evaluation,
    TaskKind.DECISION_DUE: admissions_policy.can_lead_evaluation,
    TaskKind.EVIDENCE_TO_VERIFY: catalogue_policy.can_decide_evidence,
    TaskKind.CLARIFICATION: calloffs_policy.can_source,
    TaskKind.CLOSING_TODAY: calloffs_policy.can_source,
    TaskKind.BIDS_TO_EVALUATE: calloffs_policy.can_evaluate_bids,
    TaskKind.AWARD_WAITING: calloffs_policy.can_source,
    TaskKind.PRICE_EXPLANATION: pricing_policy.can_ask_explanation,
    TaskKind.PLACEMENT_STARTING: calloffs_policy.can_manage_placements,
    TaskKind.PLACEMENT_ENDING: calloffs_policy.can_manage_placements,
    TaskKind.RESOURCING: calloffs_policy.can_source,
    TaskKind.SUSPENSION_ENDING: admissions_policy.can_lead_evaluation,
    TaskKind.FOLLOW_UP: quality_policy.can_follow_up,
    TaskKind.RETURN_TO_VALIDATE: quality_policy.can_review_returns,
    TaskKind.RETURN_OVERDUE: quality_policy.can_review_returns,
    TaskKind.SELF_ASSESSMENT: quality_policy.can_oversee,
    TaskKind.ASSESSMENT_VISIT: quality_policy.can_oversee,
    TaskKind.ASSESSMENT_FINALISE: quality_policy.can_oversee,
    TaskKind.FEEDBACK: quality_policy.can_oversee,
    TaskKind.ACTION_REVIEW: quality_policy.can_oversee,
    TaskKind.PAYMENT_QUERY: payments_policy.can_prepare_payments,
    TaskKind.INVOICE_MISMATCH: payments_policy.can_prepare_payments,
    TaskKind.SCHEDULE_APPROVAL: payments_policy.can_approve_payments,
}


@dataclass(frozen=True)
class TaskClock:
    due_on: date | None
    working_days_left: int | None
    state: str  # "none", "on_track", "due_soon", "due_today", "overdue"

    @property
    def label(self) -> str:
        if self.due_on is None:
            return "No deadline"
        days = self.working_days_left
        if self.state == "overdue":
            late = -days if days else 1
            return f"Overdue by {late} working day{'s' if late != 1 else ''} (was due {self.due_on:%-d %B %Y})"
        if self.state == "due_today":
            return "Due today"
        return f"{days} working day{'s' if days != 1 else ''} left (due {self.due_on:%-d %B %Y})"


def task_clock(due_on: date | None, today: date) -> TaskClock:
    if due_on is None:
        return TaskClock(None, None, "none")
    left = working_days_between(today, due_on)
    if due_on < today:
        state = "overdue"
    elif due_on == today:
        state = "due_today"
    elif left <= DECISION_DUE_WORKING_DAYS:
        state = "due_soon"
    else:
        state = "on_track"
    return TaskClock(due_on, left, state)


@dataclass(frozen=True)
class Task:
    kind: str
    key: str  # the kind and what it is about: the same task has the same key every time
    title: str
    detail: str
    path: str  # where to do it, inside the authority
    due_on: date | None
    since: datetime | None  # when it began, where that is known
    user_id: int | None = None  # for one person only (an evaluation given to them)
    clock: TaskClock | None = None

    @property
    def kind_label(self) -> str:
        return TaskKind(self.kind).label

    def for_person(self, access: TenantAccess) -> bool:
        if self.user_id is not None and self.user_id != access.user_id:
            return False
        return WHO[self.kind](access)


def _sort_key(task: Task):
    # Dated tasks first, soonest first; then the others, oldest first.
    return (task.due_on is None, task.due_on or date.max, task.since or timezone.now(), task.key)


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


# --- One reader per kind: one query each ---------------------------------------------

def _needs_evaluators(authority, today, user_id):
    for a in (Application.objects.filter(status=Application.Status.SUBMITTED)
              .select_related("agreement", "provider")):
        yield Task(TaskKind.NEEDS_EVALUATORS, f"application:{a.pk}",
                   f"Give {a.provider.name}'s application to evaluators",
                   f"{a.agreement.title} ({a.agreement.reference}), received {a.submitted_at:%-d %B %Y}",
                   tenant_reverse(authority, "applications-staff:detail", kwargs={"application_id": a.pk}),
                   a.decision_due_on, a.submitted_at)


def _my_evaluations(authority, today, user_id):
    rows = (Assignment.objects.filter(application__status=Application.Status.EVALUATION)
            .filter(Q(declared_at__isnull=True) | Q(conflicted=False, scores_submitted_at__isnull=True))
            .select_related("application__agreement", "application__provider"))
    if user_id is not None:
        rows = rows.filter(evaluator_id=user_id)
    for s in rows:
        a = s.application
        if s.declared_at is None:
            title, view = f"Declare any conflict of interest, then evaluate {a.provider.name}'s application", \
                "applications-staff:declare"
        else:
            title, view = f"Score {a.provider.name}'s application", "applications-staff:evaluate"
        yield Task(TaskKind.MY_EVALUATION, f"assignment:{s.pk}", title,
                   f"{a.agreement.title} ({a.agreement.reference}), given to you {s.assigned_at:%-d %B %Y}",
                   tenant_reverse(authority, view, kwargs={"application_id": a.pk}),
                   a.decision_due_on, s.assigned_at, user_id=s.evaluator_id)


def _moderation_ready(authority, today, user_id):
    waiting = Q(assignments__declared_at__isnull=True) | Q(assignments__conflicted=False,
                                                           assignments__scores_submitted_at__isnull=True)
    scoring = Q(assignments__declared_at__isnull=False, assignments__conflicted=False)
    rows = (Application.objects.filter(status__in=[Application.Status.EVALUATION, Application.Status.MODERATION])
            .annotate(waiting=Count("assignments", filter=waiting), scoring=Count("assignments", filter=scoring))
            .filter(Q(status=Application.Status.MODERATION) | Q(waiting=0, scoring__gt=0))
            .select_related("agreement", "provider"))
    for a in rows:
        if a.status == Application.Status.MODERATION:
            title, view = f"Moderate and decide {a.provider.name}'s application", "applications-staff:moderation"
        else:
            title, view = (f"Every evaluator has finished {a.provider.name}'s application: open moderation",
                           "applications-staff:detail")
        yield Task(TaskKind.MODERATION_READY, f"application:{a.pk}", title,
                   f"{a.agreement.title} ({a.agreement.reference})",
                   tenant_reverse(authority, view, kwargs={"application_id": a.pk}), a.decision_due_on, None)


def _decisions_due(authority, today, user_id):
    # Two working days never span more than a week and a bank holiday: fetch
    # the week ahead, then count working days exactly.
    rows = (Application.objects.filter(status__in=[Application.Status.SUBMITTED, Application.Status.EVALUATION,
                                                   Application.Status.MODERATION],
                                       decision_due_on__lte=today + timedelta(days=9))
            .select_related("agreement", "provider"))
    for a in rows:
        if working_days_between(today, a.decision_due_on) > DECISION_DUE_WORKING_DAYS:
            continue
        yield Task(TaskKind.DECISION_DUE, f"decision:{a.pk}:{a.decision_due_on:%Y-%m-%d}",
                   f"Decide {a.provider.name}'s application",
                   f"{a.agreement.title} ({a.agreement.reference}); the rule: {a.agreement.regime.decision}",
                   tenant_reverse(authority, "applications-staff:detail", kwargs={"application_id": a.pk}),
                   a.decision_due_on, None)


def _evidence_to_verify(authority, today, user_id):
    # The regional catalogue: one list across every provider. An officer of
    # any authority verifies a document once, for every authority.
    rows = (Evidence.objects.filter(verification=Evidence.Verification.PENDING, replaced_by__isnull=True,
                                    provider__is_active=True)
            .select_related("provider").order_by("uploaded_at"))
    for e in rows:
        yield Task(TaskKind.EVIDENCE_TO_VERIFY, f"evidence:{e.pk}",
                   f"Check {e.provider.name}'s {e.get_evidence_type_display().lower()}",
                   f"Uploaded {e.uploaded_at:%-d %B %Y}" + (f", expires {e.expires_on:%-d %B %Y}"
                                                           if e.expires_on else ""),
                   tenant_reverse(authority, "catalogue-staff:provider", kwargs={"provider_id": e.provider_id}),
                   None, e.uploaded_at)


def _clarifications(authority, today, user_id):
    rows = (Clarification.objects.filter(published_at__isnull=True, package__status=Package.Status.PUBLISHED)
            .select_related("package"))
    for c in rows:
        p = c.package
        yield Task(TaskKind.CLARIFICATION, f"clarification:{c.pk}",
                   f"Answer a clarification question on {p.reference}",
                   f"{p.title}; bids close {timezone.localtime(p.bid_deadline):%-d %B %Y at %H:%M}",
                   tenant_reverse(authority, "calloffs-staff:clarification",
                                  kwargs={"package_id": p.pk, "clarification_id": c.pk}),
                   _local_date(p.bid_deadline), c.asked_at)


def _closing_today(authority, today, user_id):
    start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    rows = Package.objects.filter(status=Package.Status.PUBLISHED, bid_deadline__gte=start,
                                  bid_deadline__lt=start + timedelta(days=1))
    for p in rows:
        yield Task(TaskKind.CLOSING_TODAY, f"closing:{p.pk}", f"{p.reference} closes for bids today",
                   f"{p.title}; bids close at {timezone.localtime(p.bid_deadline):%H:%M}",
                   tenant_reverse(authority, "calloffs-staff:package", kwargs={"package_id": p.pk}),
                   today, None)


def _closed_packages():
    submitted = Q(bids__status=Bid.Status.SUBMITTED)
    return (Package.objects.filter(status=Package.Status.CLOSED)
            .annotate(submitted=Count("bids", filter=submitted),
                      unevaluated=Count("bids", filter=submitted & Q(bids__evaluation__isnull=True))))


def _bids_to_evaluate(authority, today, user_id):
    for p in _closed_packages().filter(unevaluated__gt=0):
        yield Task(TaskKind.BIDS_TO_EVALUATE, f"evaluate-bids:{p.pk}",
                   f"Evaluate the bids for {p.reference}",
                   f"{p.title}; {p.unevaluated} of {p.submitted} bid{'s' if p.submitted != 1 else ''} "
                   "still to evaluate",
                   tenant_reverse(authority, "calloffs-staff:bids", kwargs={"package_id": p.pk}),
                   None, p.closed_at)


def _awards_waiting(authority, today, user_id):
    for p in _closed_packages().filter(unevaluated=0):
        title = (f"Award {p.reference}" if p.submitted
                 else f"{p.reference} closed with no bids: record what happens next")
        view = "calloffs-staff:award" if p.submitted else "calloffs-staff:no-award"
        yield Task(TaskKind.AWARD_WAITING, f"award:{p.pk}", title,
                   f"{p.title}; every bid is evaluated" if p.submitted else p.title,
                   tenant_reverse(authority, view, kwargs={"package_id": p.pk}), None, p.closed_at)


def _price_explanations(authority, today, user_id):
    # A provider has explained an abnormally low price (PCR 2015 reg 69; PA
    # 2023 s 46): the bid cannot be awarded until the explanation is decided.
    rows = (BidPriceCheck.objects.filter(explanation_status=BidPriceCheck.Explanation.ANSWERED,
                                         bid__package__status=Package.Status.CLOSED)
            .select_related("bid__package", "bid__provider"))
    for c in rows:
        package = c.bid.package
        yield Task(TaskKind.PRICE_EXPLANATION, f"price-explanation:{c.pk}",
                   f"Decide on {c.bid.provider.name}'s explanation of its low price for {package.reference}",
                   f"{package.title}; £{c.weekly_price} a week, {c.percent_of_rate}% of the rate: accept or "
                   "reject it, with a reason, before the bid can be awarded",
                   tenant_reverse(authority, "pricing-staff:check", kwargs={"check_id": c.pk}),
                   None, c.explained_at)


def _placements_starting(authority, today, user_id):
    rows = (Placement.objects.filter(status=Placement.Status.PENDING,
                                     start_on__lte=today + timedelta(days=LOOK_AHEAD_DAYS))
            .select_related("package", "provider"))
    for p in rows:
        yield Task(TaskKind.PLACEMENT_STARTING, f"placement-start:{p.pk}",
                   f"Confirm {p.package.reference} has started with {p.provider.name}",
                   f"{p.package.title}; starts {p.start_on:%-d %B %Y}",
                   tenant_reverse(authority, "placements-staff:placement", kwargs={"placement_id": p.pk}),
                   p.start_on, None)


def _placements_ending(authority, today, user_id):
    horizon = today + timedelta(days=LOOK_AHEAD_DAYS)
    planned_end = Cast(ExpressionWrapper(F("start_on") + F("package__duration_weeks") * Value(timedelta(weeks=1)),
                                         output_field=DateField()), DateField())
    rows = (Placement.objects.annotate(planned_end=planned_end)
            .filter(Q(status=Placement.Status.ENDED, ended_on__gte=today, ended_on__lte=horizon)
                    | Q(status=Placement.Status.LIVE, planned_end__gte=today, planned_end__lte=horizon))
            .select_related("package", "provider"))
    for p in rows:
        ends = p.ended_on if p.status == Placement.Status.ENDED else p.planned_end
        why = "its end is recorded" if p.status == Placement.Status.ENDED else \
            f"the {p.package.duration_weeks} weeks agreed run out"
        yield Task(TaskKind.PLACEMENT_ENDING, f"placement-end:{p.pk}:{ends:%Y-%m-%d}",
                   f"{p.package.reference} with {p.provider.name} ends on {ends:%-d %B %Y}",
                   f"{p.package.title}; {why}",
                   tenant_reverse(authority, "placements-staff:placement", kwargs={"placement_id": p.pk}),
                   ends, None)


def _resourcing(authority, today, user_id):
    # A placement terminated as a contract action leaves a draft package for
    # the same person and needs: due when the placement ends.
    rows = (Package.objects.filter(status=Package.Status.DRAFT, replaces__isnull=False)
            .select_related("replaces__package", "replaces__provider"))
    for p in rows:
        ended = p.replaces
        yield Task(TaskKind.RESOURCING, f"resourcing:{p.pk}",
                   f"Review and publish {p.reference}, re-sourcing {ended.package.reference}",
                   f"{p.title}; the placement with {ended.provider.name} was terminated and ends on "
                   f"{ended.ended_on:%-d %B %Y}",
                   tenant_reverse(authority, "calloffs-staff:package", kwargs={"package_id": p.pk}),
                   ended.ended_on, p.created_at)


def _suspensions_ending(authority, today, user_id):
    rows = (Admission.objects.filter(status=Admission.Status.SUSPENDED, suspended_until__gte=today,
                                     suspended_until__lte=today + timedelta(days=LOOK_AHEAD_DAYS))
            .select_related("provider", "lot"))
    for a in rows:
        yield Task(TaskKind.SUSPENSION_ENDING, f"suspension:{a.pk}:{a.suspended_until:%Y-%m-%d}",
                   f"{a.provider.name}'s suspension from lot {a.lot.number} ends",
                   f"{a.reference}: it ends by itself the day after {a.suspended_until:%-d %B %Y} unless you "
                   "change it",
                   tenant_reverse(authority, "admissions-staff:detail", kwargs={"admission_id": a.pk}),
                   a.suspended_until, None)


def _follow_ups(authority, today, user_id):
    # An assessment's improvement actions: overdue while open, then waiting
    # for the officer to verify once marked done; gone once verified.
    rows = (FollowUp.objects.filter(Q(status=FollowUp.Status.DONE)
                                    | Q(status=FollowUp.Status.OPEN, due_on__lt=today))
            .select_related("provider", "assessment"))
    for f in rows:
        what = f.what if len(f.what) <= 80 else f.what[:79] + "…"
        if f.status == FollowUp.Status.DONE:
            title = f"Verify {f.provider.name}'s action is done: {what}"
            detail = f"{f.assessment.service}; marked done {f.done_at:%-d %B %Y}"
        else:
            title = f"{f.provider.name}'s action is overdue: {what}"
            detail = f"{f.assessment.service}; owned by {f.get_owner_side_display().lower()}"
        yield Task(TaskKind.FOLLOW_UP, f"follow-up:{f.pk}:{f.status}:{f.due_on:%Y-%m-%d}", title, detail,
                   tenant_reverse(authority, "quality-staff:assessment", kwargs={"assessment_id": f.assessment_id}),
                   f.due_on, f.done_at if f.status == FollowUp.Status.DONE else None)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --- Contract monitoring -------------------------------------------------------------

def _returns_to_validate(authority, today, user_id):
    # Submitted (or submitted again after a query): validate it or query it.
    rows = (KpiReturn.objects.filter(status=KpiReturn.Status.SUBMITTED)
            .select_related("kpi__agreement", "provider"))
    for r in rows:
        period = period_label(r.kpi.period, r.period_start, r.period_end)
        if r.query:
            title = f"{r.provider.name} has answered your query on its {r.kpi.code} return for {period}: validate it"
        else:
            title = f"Validate {r.provider.name}'s {r.kpi.code} return for {period}"
        yield Task(TaskKind.RETURN_TO_VALIDATE, f"return-validate:{r.pk}:{r.submitted_at:%Y%m%d%H%M%S}", title,
                   f"{r.kpi.title} ({r.kpi.agreement.title}); submitted {timezone.localtime(r.submitted_at):%-d %B %Y}"
                   + (" (late)" if r.was_late else ""),
                   tenant_reverse(authority, "quality-staff:return", kwargs={"return_id": r.pk}),
                   None, r.submitted_at)


def _returns_overdue(authority, today, user_id):
    # Past its due date and not in: still due, or queried and not answered.
    rows = (KpiReturn.objects.filter(status__in=[KpiReturn.Status.DUE, KpiReturn.Status.QUERIED], due_on__lt=today)
            .select_related("kpi__agreement", "provider"))
    for r in rows:
        period = period_label(r.kpi.period, r.period_start, r.period_end)
        if r.status == KpiReturn.Status.QUERIED:
            title = f"{r.provider.name} has not answered your query on its {r.kpi.code} return for {period}"
        else:
            title = f"Chase {r.provider.name}'s {r.kpi.code} return for {period}"
        reminded = (f"reminded {r.chase_count} time{'s' if r.chase_count != 1 else ''}, last on "
                    f"{timezone.localtime(r.chased_at):%-d %B %Y}" if r.chased_at else "not reminded yet")
        yield Task(TaskKind.RETURN_OVERDUE, f"return-overdue:{r.pk}:{r.status}", title,
                   f"{r.kpi.title} ({r.kpi.agreement.title}); {reminded}",
                   tenant_reverse(authority, "quality-staff:return", kwargs={"return_id": r.pk}),
                   r.due_on, None)


def _mine(rows, user_id):
    """An assessment's tasks are its officer's."""
    return rows.filter(officer_id=user_id) if user_id is not None else rows


def _self_assessments(authority, today, user_id):
    # The provider has submitted its self-assessment: the officer validates
    # each standard, before the visit.
    rows = _mine(Assessment.objects.filter(status=Assessment.Status.SCHEDULED,
                                           self_assessment_submitted_at__isnull=False)
                 .annotate(outstanding=Count("standards", filter=Q(standards__validated_at__isnull=True)))
                 .filter(outstanding__gt=0).select_related("provider"), user_id)
    for a in rows:
        yield Task(TaskKind.SELF_ASSESSMENT, f"self-assessment:{a.pk}",
                   f"Validate {a.provider.name}'s self-assessment of {a.service}",
                   f"{a.outstanding} standard{'s' if a.outstanding != 1 else ''} still to validate; submitted "
                   f"{timezone.localtime(a.self_assessment_submitted_at):%-d %B %Y}, visit on {a.visit_on:%-d %B %Y}",
                   tenant_reverse(authority, "quality-staff:assessment", kwargs={"assessment_id": a.pk}),
                   a.visit_on, a.self_assessment_submitted_at, user_id=a.officer_id)


def _self_assessment_state(a, today) -> str:
    if a.self_assessment_submitted_at:
        return "The provider's self-assessment is in"
    if a.self_assessment_due and a.self_assessment_due < today:
        return f"The provider's self-assessment was due by {a.self_assessment_due:%-d %B %Y} and is not in"
    if a.self_assessment_due:
        return f"The provider's self-assessment is due by {a.self_assessment_due:%-d %B %Y}"
    return "The provider's self-assessment is not in yet"


def _assessment_visits(authority, today, user_id):
    # A visit within the look-ahead; once the day has passed, the draft
    # report is still to send.
    rows = _mine(Assessment.objects.filter(status=Assessment.Status.SCHEDULED,
                                           visit_on__lte=today + timedelta(days=LOOK_AHEAD_DAYS))
                 .select_related("provider"), user_id)
    for a in rows:
        path = tenant_reverse(authority, "quality-staff:assessment", kwargs={"assessment_id": a.pk})
        if a.visit_on >= today:
            yield Task(TaskKind.ASSESSMENT_VISIT, f"assessment-visit:{a.pk}:{a.visit_on:%Y-%m-%d}",
                       f"Visit {a.provider.name} to assess {a.service}",
                       _self_assessment_state(a, today), path, a.visit_on, None, user_id=a.officer_id)
        else:
            yield Task(TaskKind.ASSESSMENT_VISIT, f"assessment-draft:{a.pk}",
                       f"Send {a.provider.name} the draft report on {a.service}",
                       f"Visited {a.visit_on:%-d %B %Y}; rate each domain and send the draft for comment",
                       path, None, _start_of(a.visit_on), user_id=a.officer_id)


def _assessments_to_finalise(authority, today, user_id):
    # The provider has commented on the draft, or its window has closed
    # (assessment_finalise allows either).
    rows = _mine(Assessment.objects.filter(Q(responded_at__isnull=False) | Q(respond_by__lt=today),
                                           status=Assessment.Status.DRAFT_SENT)
                 .select_related("provider"), user_id)
    for a in rows:
        if a.responded_at:
            title = f"{a.provider.name} has commented on the draft report on {a.service}: finalise the rating"
            detail = f"Commented {timezone.localtime(a.responded_at):%-d %B %Y}"
            since = a.responded_at
        else:
            title = f"Finalise the rating of {a.provider.name}'s {a.service}"
            detail = f"No comments came by {a.respond_by:%-d %B %Y}, the end of the provider's window"
            since = _start_of(a.respond_by + timedelta(days=1))
        yield Task(TaskKind.ASSESSMENT_FINALISE, f"assessment-final:{a.pk}", title, detail,
                   tenant_reverse(authority, "quality-staff:assessment", kwargs={"assessment_id": a.pk}),
                   None, since, user_id=a.officer_id)


FEEDBACK_FROM = {Feedback.Relation.SELF: "someone who uses the service",
                 Feedback.Relation.FAMILY: "a family member or friend", Feedback.Relation.OTHER: "someone else"}


def _feedback(authority, today, user_id):
    # The words stay on the moderation page: the task names the provider only.
    rows = Feedback.objects.filter(status=Feedback.Status.NEW).select_related("provider", "link")
    for f in rows:
        yield Task(TaskKind.FEEDBACK, f"feedback:{f.pk}", f"Moderate feedback about {f.provider.name}",
                   f"{f.get_experience_display()} experience, from {FEEDBACK_FROM.get(f.relation, 'someone')}; "
                   f"received {timezone.localtime(f.received_at):%-d %B %Y} through the link for {f.link.label}",
                   tenant_reverse(authority, "quality-staff:feedback-moderate", kwargs={"feedback_id": f.pk}),
                   None, f.received_at)


def _actions_to_review(authority, today, user_id):
    # An action in force that the provider has answered since its last
    # review (or never reviewed), or whose review is within the look-ahead
    # (or past); until it is reviewed (to a later date) or lifted.
    last_review = (ActionReview.objects.filter(action=OuterRef("pk")).order_by("-recorded_at")
                   .values("recorded_at")[:1])
    answered = Q(responded_at__isnull=False) & (Q(last_reviewed_at__isnull=True)
                                                | Q(responded_at__gt=F("last_reviewed_at")))
    rows = (Action.objects.annotate(last_reviewed_at=Subquery(last_review))
            .filter(answered | Q(review_on__lte=today + timedelta(days=LOOK_AHEAD_DAYS)), status=Action.Status.ACTIVE)
            .select_related("provider"))
    for a in rows:
        kind = a.get_kind_display().lower()
        responded = a.responded_at and (a.last_reviewed_at is None or a.responded_at > a.last_reviewed_at)
        if responded:
            title = f"{a.provider.name} has responded to the {kind}: consider it"
            detail = f"Responded {timezone.localtime(a.responded_at):%-d %B %Y}"
        else:
            title = f"Review the {kind} on {a.provider.name}"
            detail = f"In force since {a.starts_on:%-d %B %Y}"
            detail += (f"; last reviewed {timezone.localtime(a.last_reviewed_at):%-d %B %Y}" if a.last_reviewed_at
                       else "; no response from the provider" if not a.responded_at else "")
        if a.review_on:
            detail += f"; review on {a.review_on:%-d %B %Y}"
        yield Task(TaskKind.ACTION_REVIEW,
                   f"action:{a.pk}:{'responded' if responded else 'review'}:{a.review_on or ''}",
                   title, detail,
                   tenant_reverse(authority, "quality-staff:action", kwargs={"action_id": a.pk}),
                   a.review_on, a.responded_at if responded else None)


# --- Payments ---------------------------------------------------------------------------

def _open_queries():
    return (Query.objects.filter(answered_at__isnull=True)
            .select_related("schedule__provider", "schedule__period", "line__placement__package", "invoice"))


def _payment_queries(authority, today, user_id):
    for q in _open_queries().filter(invoice__isnull=True):
        s = q.schedule
        about = f"the line for {q.line.placement.package.reference}" if q.line_id else "the schedule"
        yield Task(TaskKind.PAYMENT_QUERY, f"payment-query:{q.pk}",
                   f"Answer {s.provider.name}'s query on payment schedule {s.reference}",
                   f"About {about}, for {s.period.label}; raised {timezone.localtime(q.raised_at):%-d %B %Y}",
                   tenant_reverse(authority, "payments-staff:schedule", kwargs={"schedule_id": s.pk}),
                   None, q.raised_at)


def _invoice_mismatches(authority, today, user_id):
    # A disputed invoice: tell the provider why without undue delay, within
    # the days a valid one would be paid in.
    for q in _open_queries().filter(invoice__isnull=False):
        s, invoice = q.schedule, q.invoice
        words = "more" if invoice.difference > 0 else "less"
        received = timezone.localdate(invoice.entered_at)
        yield Task(TaskKind.INVOICE_MISMATCH, f"invoice-mismatch:{q.pk}",
                   f"{s.provider.name}'s invoice {invoice.number} does not match payment schedule {s.reference}",
                   f"£{invoice.amount:,.2f}, £{abs(invoice.difference):,.2f} {words} than the schedule's total of "
                   f"£{invoice.schedule_total:,.2f}, for {s.period.label}; received {received:%-d %B %Y}",
                   tenant_reverse(authority, "payments-staff:schedule", kwargs={"schedule_id": s.pk}),
                   received + INVOICE_PAY_WITHIN, q.raised_at)


def _schedules_to_approve(authority, today, user_id):
    # Confirmed by the provider (a confirmed schedule has no open query):
    # due within the payment days of the first invoice that matches it.
    rows = (Schedule.objects.filter(status=Schedule.Status.CONFIRMED)
            .annotate(invoiced_at=Min("invoices__entered_at", filter=Q(invoices__difference=0)))
            .select_related("provider", "period"))
    for s in rows:
        invoiced = timezone.localdate(s.invoiced_at) if s.invoiced_at else None
        yield Task(TaskKind.SCHEDULE_APPROVAL, f"schedule-approval:{s.pk}",
                   f"Approve payment schedule {s.reference} for {s.provider.name}",
                   f"£{s.total:,.2f} for {s.period.label}; confirmed by the provider "
                   f"{timezone.localtime(s.confirmed_at):%-d %B %Y}"
                   + (f"; invoice received {invoiced:%-d %B %Y}" if invoiced else "; no invoice yet"),
                   tenant_reverse(authority, "payments-staff:schedule", kwargs={"schedule_id": s.pk}),
                   invoiced + INVOICE_PAY_WITHIN if invoiced else None, s.confirmed_at)


READERS = {
    TaskKind.NEEDS_EVALUATORS: _needs_evaluators,
    TaskKind.MY_EVALUATION: _my_evaluations,
    TaskKind.MODERATION_READY: _moderation_ready,
    TaskKind.DECISION_DUE: _decisions_due,
    TaskKind.EVIDENCE_TO_VERIFY: _evidence_to_verify,
    TaskKind.CLARIFICATION: _clarifications,
    TaskKind.CLOSING_TODAY: _closing_today,
    TaskKind.BIDS_TO_EVALUATE: _bids_to_evaluate,
    TaskKind.AWARD_WAITING: _awards_waiting,
    TaskKind.PRICE_EXPLANATION: _price_explanations,
    TaskKind.PLACEMENT_STARTING: _placements_starting,
    TaskKind.PLACEMENT_ENDING: _placements_ending,
    TaskKind.RESOURCING: _resourcing,
    TaskKind.SUSPENSION_ENDING: _suspensions_ending,
    TaskKind.FOLLOW_UP: _follow_ups,
    TaskKind.RETURN_TO_VALIDATE: _returns_to_validate,
    TaskKind.RETURN_OVERDUE: _returns_overdue,
    TaskKind.SELF_ASSESSMENT: _self_assessments,
    TaskKind.ASSESSMENT_VISIT: _assessment_visits,
    TaskKind.ASSESSMENT_FINALISE: _assessments_to_finalise,
    TaskKind.FEEDBACK: _feedback,
    TaskKind.ACTION_REVIEW: _actions_to_review,
    TaskKind.PAYMENT_QUERY: _payment_queries,
    TaskKind.INVOICE_MISMATCH: _invoice_mismatches,
    TaskKind.SCHEDULE_APPROVAL: _schedules_to_approve,
}


def tasks_open(*, authority, kinds: Iterable[str] = tuple(READERS), user_id: int | None = None,
               today: date | None = None) -> list[Task]:
    """Every open task of these kinds here, soonest due first: one query per
    kind. With `user_id`, evaluations are only that person's."""
    today = today or timezone.localdate()
    found = []
    for kind in kinds:
        for task in READERS[kind](authority, today, user_id):
            found.append(Task(**{**task.__dict__, "clock": task_clock(task.due_on, today)}))
    return sorted(found, key=_sort_key)


def queue_for(*, access: TenantAccess, authority, today: date | None = None) -> list[Task]:
    """What this person may do here, soonest due first. Only the kinds their
    roles allow are read, so the count of queries depends on their roles,
    never on the number of tasks."""
    if not access.is_staff:
        return []
    kinds = [kind for kind, may in WHO.items() if may(access)]
    return [t for t in tasks_open(authority=authority, kinds=kinds, user_id=access.user_id, today=today)
            if t.for_person(access)]


@dataclass(frozen=True)
class QueueGroup:
    kind: str
    label: str
    tasks: list


def grouped(tasks: list, kinds=TaskKind) -> list[QueueGroup]:
    """The tasks by kind, in the order of `kinds` (TaskKind, or the provider's
    kinds), each kind soonest due first; kinds with no task are left out."""
    return [QueueGroup(kind.value, kind.label, [t for t in tasks if t.kind == kind])
            for kind in kinds if any(t.kind == kind for t in tasks)]


def queue_count(request) -> int:
    """How many tasks the person asking has here, worked out once per request
    (the navigation asks on every staff page)."""
    from accounts.policy import access_for

    cached = getattr(request, "_jointly_queue_count", None)
    if cached is not None:
        return cached
    access = access_for(request)
    tenant = getattr(request, "tenant", None)
    count = len(queue_for(access=access, authority=tenant)) if access.is_staff and tenant is not None else 0
    request._jointly_queue_count = count
    return count
