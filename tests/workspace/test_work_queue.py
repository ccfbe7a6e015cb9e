"""The staff work queue at the service layer: which tasks each kind lists and
which it leaves out, for whom, with what clock; and a constant number of
queries however many tasks there are."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.policy import access_compute
from accounts.roles import AuthorityRole
from shared_catalogue import services as catalogue_services
from shared_catalogue.models import Evidence
from tenants.admissions import services as admissions
from tenants.admissions.models import Admission, Application, Assignment
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Bid, Clarification, Package
from tenants.payments import services as payments
from tenants.payments.models import PaymentPeriod, Query, Schedule
from tenants.placements import services as placements
from tenants.placements.models import Placement
from tenants.pricing.models import BidPriceCheck
from tenants.quality import assessments, oversight
from tenants.quality import services as quality
from tenants.quality.models import Action, Assessment, Feedback, FollowUp, KpiReturn, StandardAssessment
from tenants.workspace import queue
from tenants.workspace.models import TaskKind
from tests import support
from tests.admissions import support as stage1
from tests.calloffs import support as stage2
from tests.payments.support import month_start
from tests.placements.support import live_placement
from tests.quality.support import self_assess
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def _queue(person, authority, today=None) -> list[queue.Task]:
    with schema_context(authority.schema_name):
        access = access_compute(user=person, authority=authority)
        return queue.queue_for(access=access, authority=authority, today=today)


def _keys(tasks, kind) -> set[str]:
    return {t.key for t in tasks if t.kind == kind}


# --- Clocks --------------------------------------------------------------------------

def test_clocks_count_working_days_and_say_overdue_in_words():
    monday = date(2026, 12, 21)
    # Christmas Day and Boxing Day (substitute Monday 28th) are bank holidays
    clock = queue.task_clock(date(2026, 12, 29), monday)
    assert clock.working_days_left == 4 and clock.state == "on_track"
    assert clock.label == "4 working days left (due 29 December 2026)"
    assert queue.task_clock(date(2026, 12, 22), monday).state == "due_soon"
    assert queue.task_clock(monday, monday).label == "Due today"
    late = queue.task_clock(date(2026, 12, 17), monday)
    assert late.state == "overdue" and late.label == "Overdue by 2 working days (was due 17 December 2026)"
    assert queue.task_clock(None, monday).label == "No deadline"


# --- Stage 1 -----------------------------------------------------------------------------

@pytest.fixture
def submitted(region):
    setup = stage1.open_agreement(region.alpha)
    provider = stage1.provider_with_evidence(region.alpha, support.unique("Brightday Support "))
    application = stage1.apply(setup, provider, ["1"])
    return setup, application


def test_a_new_application_waits_for_evaluators_then_each_evaluator_has_it_until_done(submitted, region):
    setup, application = submitted
    lead = setup.commissioner
    first, second = setup.evaluators
    broker = support.make_staff(region.alpha, AuthorityRole.BROKER)

    key = f"application:{application.pk}"
    assert key in _keys(_queue(lead, region.alpha), TaskKind.NEEDS_EVALUATORS)
    assert key not in _keys(_queue(broker, region.alpha), TaskKind.NEEDS_EVALUATORS)
    assert _queue(first, region.alpha) == [] or key not in _keys(_queue(first, region.alpha),
                                                                 TaskKind.NEEDS_EVALUATORS)

    with schema_context("alpha"):
        admissions.evaluators_assign(actor=lead, application=application, evaluators=[first, second])
        mine = Assignment.objects.get(application=application, evaluator=first)
    assert key not in _keys(_queue(lead, region.alpha), TaskKind.NEEDS_EVALUATORS)
    tasks = [t for t in _queue(first, region.alpha) if t.key == f"assignment:{mine.pk}"]
    assert len(tasks) == 1
    task = tasks[0]
    assert task.kind == TaskKind.MY_EVALUATION and "Declare any conflict of interest" in task.title
    assert task.path == f"/a/alpha/staff/applications/{application.pk}/declaration/"
    assert task.due_on == application.decision_due_on and task.clock.working_days_left == 10
    # another evaluator's assignment is not mine; the lead does not evaluate it
    assert f"assignment:{mine.pk}" not in _keys(_queue(second, region.alpha), TaskKind.MY_EVALUATION)
    assert f"assignment:{mine.pk}" not in _keys(_queue(lead, region.alpha), TaskKind.MY_EVALUATION)

    quality = [q for q in setup.questions.values() if q.kind == "quality" and q.lot_id is None]
    with schema_context("alpha"):
        for evaluator in (first, second):
            admissions.conflict_declare(actor=evaluator, application=application, conflicted=False)
        assert "Score" in [t for t in _queue(first, region.alpha) if t.key == f"assignment:{mine.pk}"][0].title
        for evaluator in (first, second):
            for question in quality:
                admissions.score_record(actor=evaluator, application=application, question=question, score=3,
                                        comment="As the answer shows.")
        admissions.scores_submit(actor=first, application=application)
    # an evaluation done is gone; moderation waits for the second evaluator
    assert f"assignment:{mine.pk}" not in _keys(_queue(first, region.alpha), TaskKind.MY_EVALUATION)
    assert f"application:{application.pk}" not in _keys(_queue(lead, region.alpha), TaskKind.MODERATION_READY)
    with schema_context("alpha"):
        admissions.scores_submit(actor=second, application=application)
    ready = [t for t in _queue(lead, region.alpha) if t.kind == TaskKind.MODERATION_READY and t.key == key]
    assert ready and "open moderation" in ready[0].title
    assert key not in _keys(_queue(broker, region.alpha), TaskKind.MODERATION_READY)


def test_a_decision_is_listed_from_two_working_days_before_it_is_due_and_shown_overdue_after(submitted, region):
    setup, application = submitted
    due = application.decision_due_on
    key = f"decision:{application.pk}:{due:%Y-%m-%d}"
    assert key not in _keys(_queue(setup.commissioner, region.alpha, today=due - timedelta(days=7)),
                            TaskKind.DECISION_DUE)
    two_before = due - timedelta(days=2)
    while queue.working_days_between(two_before, due) < 2:
        two_before -= timedelta(days=1)
    assert key in _keys(_queue(setup.commissioner, region.alpha, today=two_before), TaskKind.DECISION_DUE)
    late = [t for t in _queue(setup.commissioner, region.alpha, today=due + timedelta(days=7))
            if t.key == key][0]
    assert late.clock.state == "overdue" and late.clock.label.startswith("Overdue by ")
    # soonest due first: the overdue decision comes before any task with no deadline
    tasks = _queue(setup.commissioner, region.alpha, today=due + timedelta(days=7))
    assert tasks.index(late) < min([tasks.index(t) for t in tasks if t.due_on is None] or [len(tasks)])
    # decided: gone
    stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 4})
    assert key not in _keys(_queue(setup.commissioner, region.alpha, today=due), TaskKind.DECISION_DUE)


def test_evidence_waits_in_one_list_for_those_who_may_verify_it(region):
    provider = catalogue.register(name=support.unique("Harbour Care "))
    evidence = catalogue.upload(provider)
    officer = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER)
    nhs_officer = support.make_staff(region.nhs, AuthorityRole.QUALITY_OFFICER)
    broker = support.make_staff(region.beta, AuthorityRole.BROKER)
    key = f"evidence:{evidence.pk}"
    assert key in _keys(_queue(officer, region.beta), TaskKind.EVIDENCE_TO_VERIFY)
    assert key in _keys(_queue(nhs_officer, region.nhs), TaskKind.EVIDENCE_TO_VERIFY)  # every authority
    assert key not in _keys(_queue(broker, region.beta), TaskKind.EVIDENCE_TO_VERIFY)
    catalogue_services.evidence_decide(actor=nhs_officer, authority=region.nhs, evidence=evidence,
                                       decision="verified")
    # verified once, by any authority: gone everywhere
    assert key not in _keys(_queue(officer, region.beta), TaskKind.EVIDENCE_TO_VERIFY)


def test_a_suspension_is_listed_when_it_ends_within_fourteen_days(region):
    market = stage2.live_market(region.beta, providers=2)
    lead = market.setup.commissioner
    with schema_context("beta"):
        soon, later = Admission.objects.filter(agreement=market.agreement).order_by("pk")[:2]
        today = timezone.localdate()
        admissions.admission_suspend(actor=lead, admission=soon, reason="Safeguarding review",
                                     until=today + timedelta(days=10))
        admissions.admission_suspend(actor=lead, admission=later, reason="Safeguarding review",
                                     until=today + timedelta(days=20))
    keys = _keys(_queue(lead, region.beta), TaskKind.SUSPENSION_ENDING)
    assert f"suspension:{soon.pk}:{today + timedelta(days=10):%Y-%m-%d}" in keys
    assert not any(k.startswith(f"suspension:{later.pk}:") for k in keys)
    assert not _keys(_queue(market.broker, region.beta), TaskKind.SUSPENSION_ENDING)


# --- Stage 2 -----------------------------------------------------------------------------

def test_call_offs_from_clarification_to_placement(region):
    market = stage2.live_market(region.beta, providers=2)
    broker = market.broker
    evaluator = market.setup.evaluators[0]
    finance = support.make_staff(region.beta, AuthorityRole.FINANCE_VIEWER)
    first, second = market.providers
    package = stage2.package(market, start_on=date.today() + timedelta(days=7))

    # a clarification question waits for an answer, due before bids close
    with schema_context("beta"):
        question = calloffs.clarification_ask(actor=catalogue.admin_of(first), package=package, provider=first,
                                              question="Is transport to the centre included?")
    task = [t for t in _queue(broker, region.beta) if t.key == f"clarification:{question.pk}"][0]
    assert task.due_on == timezone.localdate(package.bid_deadline)
    assert f"clarification:{question.pk}" not in _keys(_queue(finance, region.beta), TaskKind.CLARIFICATION)
    with schema_context("beta"):
        calloffs.clarification_answer(actor=broker, clarification=question, answer="Yes, both ways.")
    assert f"clarification:{question.pk}" not in _keys(_queue(broker, region.beta), TaskKind.CLARIFICATION)

    # closing: listed on its last day only
    closing_day = timezone.localdate(package.bid_deadline)
    assert f"closing:{package.pk}" not in _keys(_queue(broker, region.beta), TaskKind.CLOSING_TODAY)
    closing = [t for t in _queue(broker, region.beta, today=closing_day) if t.key == f"closing:{package.pk}"]
    assert closing and closing[0].clock.label == "Due today"

    # closed with bids to evaluate, then waiting for the award, then a placement to start
    stage2.submit(market, package, first, price="400.00",
                  start_available_on=(date.today() + timedelta(days=7)).isoformat())
    stage2.submit(market, package, second, price="420.00")
    with schema_context("beta"):
        calloffs.package_close(package_id=package.pk, by="test", now=package.bid_deadline + timedelta(minutes=1))
        bids = list(Bid.objects.filter(package=package).order_by("provider_id"))
    assert f"evaluate-bids:{package.pk}" in _keys(_queue(evaluator, region.beta), TaskKind.BIDS_TO_EVALUATE)
    assert f"award:{package.pk}" not in _keys(_queue(broker, region.beta), TaskKind.AWARD_WAITING)
    with schema_context("beta"):
        for bid in bids:
            calloffs.bid_evaluate(actor=broker, bid=bid, compliant=True, quality=70, outcomes=70, social_value=50)
    assert f"evaluate-bids:{package.pk}" not in _keys(_queue(evaluator, region.beta), TaskKind.BIDS_TO_EVALUATE)
    assert f"award:{package.pk}" in _keys(_queue(broker, region.beta), TaskKind.AWARD_WAITING)
    assert f"award:{package.pk}" not in _keys(_queue(evaluator, region.beta), TaskKind.AWARD_WAITING)
    winner = [b for b in bids if b.provider_id == first.pk][0]
    with schema_context("beta"):
        calloffs.award(actor=broker, package=package, bid=winner, expressed_by="The person")
        placement = Placement.objects.get(package=package)
    assert f"award:{package.pk}" not in _keys(_queue(broker, region.beta), TaskKind.AWARD_WAITING)
    assert f"placement-start:{placement.pk}" in _keys(_queue(broker, region.beta), TaskKind.PLACEMENT_STARTING)
    assert f"placement-start:{placement.pk}" not in _keys(_queue(finance, region.beta),
                                                          TaskKind.PLACEMENT_STARTING)

    # live; a placement ending in 20 days is not listed, in 10 days it is
    with schema_context("beta"):
        # care began today, before the planned start (go-live is never confirmed ahead of care)
        placements.placement_go_live(actor=broker, placement=placement, start_on=date.today())
    assert f"placement-start:{placement.pk}" not in _keys(_queue(broker, region.beta), TaskKind.PLACEMENT_STARTING)
    today = timezone.localdate()
    with schema_context("beta"):
        placements.placement_end(actor=broker, placement=placement, ended_on=today + timedelta(days=20),
                                 reason="Moving to residential care")
    assert not any(k.startswith(f"placement-end:{placement.pk}:")
                   for k in _keys(_queue(broker, region.beta), TaskKind.PLACEMENT_ENDING))
    in_ten = [t for t in _queue(broker, region.beta, today=today + timedelta(days=10))
              if t.key.startswith(f"placement-end:{placement.pk}:")]
    assert in_ten and in_ten[0].due_on == today + timedelta(days=20)


def test_a_live_placement_is_listed_as_its_agreed_weeks_run_out(region):
    market = stage2.live_market(region.beta, providers=1)
    package = stage2.package(market, start_on=date.today() + timedelta(days=7), duration_weeks=4)
    stage2.submit(market, package, market.providers[0], price="400.00",
                  start_available_on=(date.today() + timedelta(days=7)).isoformat())
    with schema_context("beta"):
        calloffs.package_close(package_id=package.pk, by="test", now=package.bid_deadline + timedelta(minutes=1))
        bid = Bid.objects.get(package=package)
        calloffs.bid_evaluate(actor=market.broker, bid=bid, compliant=True, quality=70, outcomes=70, social_value=50)
        calloffs.award(actor=market.broker, package=package, bid=bid)
        placement = placements.placement_go_live(actor=market.broker, placement=Placement.objects.get(package=package),
                                                 start_on=date.today())  # care began today
    ends = placement.start_on + timedelta(weeks=4)
    key = f"placement-end:{placement.pk}:{ends:%Y-%m-%d}"
    assert key not in _keys(_queue(market.broker, region.beta), TaskKind.PLACEMENT_ENDING)  # 35 days away
    assert key in _keys(_queue(market.broker, region.beta, today=ends - timedelta(days=14)), TaskKind.PLACEMENT_ENDING)
    assert key not in _keys(_queue(market.broker, region.beta, today=ends + timedelta(days=1)),
                            TaskKind.PLACEMENT_ENDING)


# --- A constant number of queries ------------------------------------------------------

def _clone(obj, **changes):
    obj.pk = obj.id = None
    obj._state.adding = True
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    return obj


def _one_of_each(region):
    """One task of every kind in Beta for a person with every role that has tasks."""
    market = stage2.live_market(region.beta, providers=2)
    placed = live_placement(market, started=month_start(4))  # before the first provider is suspended
    lead, broker = market.setup.commissioner, market.broker
    person = support.make_staff(region.beta, AuthorityRole.COMMISSIONER, AuthorityRole.BROKER,
                                AuthorityRole.EVALUATOR, AuthorityRole.QUALITY_OFFICER, AuthorityRole.FINANCE_VIEWER)
    today = timezone.localdate()
    applicants = [stage1.provider_with_evidence(region.beta) for _ in range(3)]
    waiting, assigned, moderated = (stage1.apply(market.setup, p, ["1"]) for p in applicants)
    catalogue.upload(applicants[0], evidence_type="business_continuity")  # pending evidence
    with schema_context("beta"):
        admissions.evaluators_assign(actor=lead, application=assigned, evaluators=[person])
    stage1.evaluate(market.setup, moderated, {"outcomes": 4, "workforce": 4}, decide=False)
    first = market.providers[0]
    open_package = stage2.package(market)
    closing = stage2.package(market)
    closed_with_bid = stage2.package(market)
    closed_empty = stage2.package(market)
    awarded = stage2.package(market)
    stage2.submit(market, closed_with_bid, first)
    stage2.submit(market, awarded, first)
    with schema_context("beta"):
        calloffs.clarification_ask(actor=catalogue.admin_of(first), package=open_package, provider=first,
                                   question="Is there a quiet room?")
        for package in (closed_with_bid, closed_empty, awarded):
            calloffs.package_close(package_id=package.pk, by="test", now=package.bid_deadline + timedelta(minutes=1))
        # the provider has explained a low price: an evaluator decides on it
        BidPriceCheck.objects.update_or_create(bid=Bid.objects.get(package=closed_with_bid), defaults={
            "weekly_price": Decimal("300.00"), "weekly_rate": Decimal("420.00"), "percent_of_rate": Decimal("71.43"),
            "flag": "low", "explanation_status": "answered", "request": "Explain the price.",
            "explanation": "Volunteers help.", "explained_at": timezone.now()})
        bid = Bid.objects.get(package=awarded)
        calloffs.bid_evaluate(actor=broker, bid=bid, compliant=True, quality=70, outcomes=70, social_value=50)
        calloffs.award(actor=broker, package=awarded, bid=bid)
        starting = Placement.objects.get(package=awarded)
        Placement.objects.filter(pk=starting.pk).update(start_on=today + timedelta(days=5))
        Application.objects.filter(pk__in=[waiting.pk, assigned.pk, moderated.pk]).update(
            decision_due_on=today + timedelta(days=1))
        end_of_today = timezone.make_aware(datetime.combine(today, time(23, 59)))
        Package.objects.filter(pk=closing.pk).update(bid_deadline=end_of_today,
                                                     clarification_deadline=end_of_today - timedelta(hours=1))
        admission = Admission.objects.filter(agreement=market.agreement).first()
        admissions.admission_suspend(actor=lead, admission=admission, reason="Review",
                                     until=today + timedelta(days=5))
        ending = _clone(Package.objects.get(pk=awarded.pk), reference=support.unique("END-"))
        ended = _clone(Placement.objects.get(pk=starting.pk), package=ending, status=Placement.Status.ENDED,
                       ended_on=today + timedelta(days=5))
        # a placement terminated as a contract action leaves a draft that re-sources it
        Placement.objects.filter(pk=ended.pk).update(replacement=_clone(
            Package.objects.get(pk=awarded.pk), reference=support.unique("RES-"), status=Package.Status.DRAFT))
        assessment = oversight.assessment_schedule(actor=person, provider=first, service="Home care",
                                                   visit_on=today + timedelta(days=10))
        action = assessments.follow_up_add(actor=person, assessment=assessment, what="Audit medicine records.",
                                           standard="medicines", owner=catalogue.admin_of(first),
                                           owner_side="provider", due_on=today + timedelta(days=1))
        FollowUp.objects.filter(pk=action.pk).update(due_on=today - timedelta(days=2))  # now overdue
    _one_of_each_monitored(market, person, placed)
    return market, person


def _one_of_each_monitored(market, person, placed):
    """Contract monitoring and payments: one task of each kind."""
    first, second = market.providers
    today = timezone.localdate()
    with schema_context("beta"):
        # a year's KPI returns, past their due date: one submitted, the others overdue
        quality.kpi_create(actor=market.setup.commissioner, agreement=market.agreement, code="KPI 9",
                           title="Care workers trained", target=100, covers="admitted", period="annually",
                           starts_on=date(2025, 4, 1))
        quality.returns_open_due(today=today)
        returned = KpiReturn.objects.filter(kpi__code="KPI 9").select_related("provider").first()
        quality.return_submit(actor=catalogue.admin_of(returned.provider), kpi_return=returned, numerator=5,
                              denominator=8)
        # assessments: a self-assessment in, a draft whose window has closed
        waiting = oversight.assessment_schedule(actor=person, provider=second, service="Day care",
                                                visit_on=today + timedelta(days=20))
        self_assess("beta", waiting, second)
        drafted = oversight.assessment_schedule(actor=person, provider=second, service="Home care",
                                                visit_on=today - timedelta(days=30))
        Assessment.objects.filter(pk=drafted.pk).update(status=Assessment.Status.DRAFT_SENT, rating="good",
                                                        respond_by=today - timedelta(days=1))
        # feedback to moderate; an action due for review
        link = oversight.feedback_link_create(actor=person, provider=first, label="reviews")
        oversight.feedback_submit(token=link.token, relation="self", experience="good", comments="Kind staff.")
        # (reviewed once already, to the next review date, so the reader's last review is read too)
        action = oversight.action_take(actor=person, provider=second, kind="improvement_plan",
                                       grounds="Late visits.", review_on=today + timedelta(days=2))
        oversight.action_review(actor=person, action=action, outcome="continue", notes="Still late on Sundays.",
                                next_review_on=today + timedelta(days=5))
        # payments: a query, an invoice that differs, a schedule confirmed
        schedules = []
        for months_back in (4, 3, 2):
            period = payments.period_open(actor=person, day=month_start(months_back))
            [schedule] = [s for s in payments.schedules_generate(actor=person, period=period)
                          if s.lines.filter(placement=placed).exists()]
            schedules.append(payments.schedule_issue(actor=person, schedule=schedule))
        queried, invoiced, confirmed = schedules
        admin = catalogue.admin_of(placed.provider)
        payments.schedule_query(actor=admin, schedule=queried, reason="A day was missed.")
        invoiced.refresh_from_db()
        payments.invoice_add(actor=admin, schedule=invoiced, number=support.unique("INV-"), invoice_date=today,
                             amount=invoiced.total + 1)
        payments.schedule_confirm(actor=admin, schedule=confirmed)


def _ten_of_each(market, person):
    """Nine more of every kind, copied from the first."""
    today = timezone.localdate()
    with schema_context("beta"):
        submitted = Application.objects.filter(agreement=market.agreement, status="submitted").first()
        assignment = Assignment.objects.get(evaluator=person)
        moderation = Application.objects.filter(agreement=market.agreement, status="moderation").first()
        evidence = Evidence.objects.filter(verification="pending", replaced_by__isnull=True).order_by("-pk").first()
        clarification = Clarification.objects.filter(published_at__isnull=True).order_by("-pk").first()
        closing = Package.objects.filter(status="published", agreement=market.agreement,
                                         bid_deadline__date__lte=today + timedelta(days=1)).first()
        with_bid = Package.objects.filter(status="closed", agreement=market.agreement, bids__isnull=False).first()
        bid = Bid.objects.get(package=with_bid)
        empty = Package.objects.filter(status="closed", agreement=market.agreement, bids__isnull=True).first()
        starting = Placement.objects.get(status=Placement.Status.PENDING, package__agreement=market.agreement)
        ended = Placement.objects.get(status=Placement.Status.ENDED, package__agreement=market.agreement)
        resourcing = ended.replacement
        suspended = Admission.objects.get(status="suspended", agreement=market.agreement)
        follow_up = FollowUp.objects.get(assessment__provider=market.providers[0])
        submitted_return = KpiReturn.objects.get(kpi__code="KPI 9", status=KpiReturn.Status.SUBMITTED)
        overdue_return = KpiReturn.objects.filter(kpi__code="KPI 9", status=KpiReturn.Status.DUE).first()
        self_assessed = Assessment.objects.get(self_assessment_submitted_at__isnull=False, officer=person)
        standard = StandardAssessment.objects.filter(assessment=self_assessed).first()
        visiting = Assessment.objects.get(pk=follow_up.assessment_id)
        drafted = Assessment.objects.get(status=Assessment.Status.DRAFT_SENT, officer=person)
        feedback = Feedback.objects.get(provider=market.providers[0], status="new")
        action = Action.objects.get(provider=market.providers[1], status="active")
        query = Query.objects.get(invoice__isnull=True, answered_at__isnull=True)
        differs = Query.objects.get(invoice__isnull=False, answered_at__isnull=True)
        confirmed = Schedule.objects.get(status=Schedule.Status.CONFIRMED)
        for i in range(9):
            for kpi_return in (submitted_return, overdue_return):
                _clone(KpiReturn.objects.get(pk=kpi_return.pk), period_start=date(2000 + i, 4, 1))
            _clone(StandardAssessment.objects.get(pk=standard.pk),
                   assessment=_clone(Assessment.objects.get(pk=self_assessed.pk)))
            for assessment in (visiting, drafted):
                _clone(Assessment.objects.get(pk=assessment.pk))
            _clone(Feedback.objects.get(pk=feedback.pk))
            _clone(Action.objects.get(pk=action.pk))
            for open_query in (query, differs):
                _clone(Query.objects.get(pk=open_query.pk))
            _clone(Schedule.objects.get(pk=confirmed.pk), reference=support.unique("PAY-"), period=_clone(
                PaymentPeriod.objects.get(pk=confirmed.period_id), starts_on=date(2000 + i, 1, 1),
                ends_on=date(2000 + i, 1, 31)))
            _clone(FollowUp.objects.get(pk=follow_up.pk))
            _clone(Application.objects.get(pk=submitted.pk))
            _clone(Assignment.objects.get(pk=assignment.pk),
                   application=_clone(Application.objects.get(pk=assignment.application_id)))
            _clone(Application.objects.get(pk=moderation.pk))
            _clone(Evidence.objects.get(pk=evidence.pk), storage_key=support.unique("key-"))
            _clone(Clarification.objects.get(pk=clarification.pk))
            _clone(Package.objects.get(pk=closing.pk), reference=support.unique("CLOSE-"))
            _clone(BidPriceCheck.objects.get(bid=bid), bid=_clone(
                Bid.objects.get(pk=bid.pk),
                package=_clone(Package.objects.get(pk=with_bid.pk), reference=support.unique("BIDS-"))))
            _clone(Package.objects.get(pk=empty.pk), reference=support.unique("EMPTY-"))
            for placement in (starting, ended):
                package = _clone(Package.objects.get(pk=placement.package_id), reference=support.unique("PL-"))
                replacement = (_clone(Package.objects.get(pk=resourcing.pk), reference=support.unique("RES-"))
                               if placement is ended else None)
                _clone(Placement.objects.get(pk=placement.pk), package=package, replacement=replacement)
            _clone(Admission.objects.get(pk=suspended.pk), reference=support.unique("ADM-"),
                   provider=support.make_provider())


def _reads(captured) -> list:
    return [q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]


def _page_queries(client, path: str) -> tuple[int, str]:
    """The queries one request makes (search-path settings aside), and its body."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(_reads(captured)), response.content.decode()


def _home_count(page: str) -> int:
    return int(page.split(">Home (")[1].split("<")[0])


def test_the_queue_takes_the_same_number_of_queries_for_one_task_of_each_kind_as_for_ten(
        region, client, django_assert_max_num_queries):
    market, person = _one_of_each(region)
    with schema_context("beta"):
        access = access_compute(user=person, authority=region.beta)
        queue.queue_for(access=access, authority=region.beta)  # warm caches (routes, content types)
        # one query per kind (and, when the connection asks for it, the schema's search path)
        with django_assert_max_num_queries(len(TaskKind) + 1) as first:
            before = queue.queue_for(access=access, authority=region.beta)
    assert len(_reads(first)) == len(TaskKind)
    counts = {kind: len(_keys(before, kind)) for kind in TaskKind}
    assert all(counts[kind] >= 1 for kind in TaskKind), counts

    # the staff home page (with its navigation count) and the API, as people use them
    client.force_login(person)
    client.get("/a/beta/staff/")  # warm the session and caches
    home_before, page = _page_queries(client, "/a/beta/staff/")
    assert _home_count(page) == len(before)
    api_before, _ = _page_queries(client, "/a/beta/api/v1/work-queue/")

    _ten_of_each(market, person)
    with schema_context("beta"):
        with django_assert_max_num_queries(len(TaskKind) + 1) as second:
            after = queue.queue_for(access=access, authority=region.beta)
    assert len(_reads(second)) == len(TaskKind)
    grown = {kind: len(_keys(after, kind)) - counts[kind] for kind in TaskKind}
    # nine more of each (decisions due grow with every live application copied)
    assert all(grown[kind] >= 9 for kind in TaskKind), grown

    home_after, page = _page_queries(client, "/a/beta/staff/")
    assert _home_count(page) == len(after) >= len(before) + 9 * len(TaskKind)
    assert home_after == home_before, (home_before, home_after)
    api_after, body = _page_queries(client, "/a/beta/api/v1/work-queue/")
    assert api_after == api_before and json.loads(body)["count"] == len(after)

    # every task links to a page its person can open
    for kind in TaskKind:
        task = next(t for t in before if t.kind == kind)
        assert client.get(task.path).status_code == 200, (kind, task.path)
