"""The work queue's contract-monitoring and payment tasks at the service
layer: which returns, assessments, feedback, contract actions, payment
queries, invoices and schedules each kind lists and which it leaves out,
for whom, with what clock."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenants.payments import services as payments
from tenants.payments.models import Query
from tenants.quality import oversight
from tenants.quality import services as quality
from tenants.quality.models import DOMAINS, Action, KpiReturn
from tenants.workspace.models import TaskKind
from tests import support
from tests.payments.support import month_start, payments_market, period_of
from tests.quality.support import monitored, opened, self_assess, submit, validate_all
from tests.shared_catalogue import support as catalogue
from tests.workspace.test_work_queue import _keys, _queue

pytestmark = pytest.mark.django_db
ALL_GOOD = {key: "good" for key, _ in DOMAINS}


def _task(person, authority, key, today=None):
    found = [t for t in _queue(person, authority, today=today) if t.key == key]
    return found[0] if found else None


def test_kpi_returns_are_chased_when_late_and_validated_when_in(region):
    m = monitored(region.alpha, providers=2)
    broker = m.market.broker
    returns = opened(m)
    late, other = returns[0], returns[1]
    key = f"return-overdue:{late.pk}:due"
    # past its due date and not in: the quality officers chase it; a broker does not
    task = _task(m.officer, region.alpha, key)
    assert task and task.kind == TaskKind.RETURN_OVERDUE and task.clock.state == "overdue"
    assert task.title == f"Chase {late.provider.name}'s {late.kpi.code} return for April to June 2025"
    assert task.path == f"/a/alpha/staff/quality/returns/{late.pk}/" and task.due_on == late.due_on
    assert key not in _keys(_queue(broker, region.alpha), TaskKind.RETURN_OVERDUE)
    # not yet late on its due date
    assert key not in _keys(_queue(m.officer, region.alpha, today=late.due_on), TaskKind.RETURN_OVERDUE)

    # in: no longer chased, waiting for validation instead
    late = submit(m, late, numerator=60, denominator=80)
    validate_key = f"return-validate:{late.pk}:{late.submitted_at:%Y%m%d%H%M%S}"
    assert not any(
        k.startswith(f"return-overdue:{late.pk}:")
        for k in _keys(_queue(m.officer, region.alpha), TaskKind.RETURN_OVERDUE)
    )
    task = _task(m.officer, region.alpha, validate_key)
    assert task.kind == TaskKind.RETURN_TO_VALIDATE and task.title.startswith("Validate ")
    assert "(late)" in task.detail and task.since == late.submitted_at
    assert validate_key not in _keys(_queue(broker, region.alpha), TaskKind.RETURN_TO_VALIDATE)
    assert f"return-overdue:{other.pk}:due" in _keys(_queue(m.officer, region.alpha), TaskKind.RETURN_OVERDUE)

    # queried: off the validation list; still late until the provider answers
    with schema_context(m.schema):
        quality.return_query(actor=m.officer, kpi_return=late, query="Which month were the 80 counted in?")
    assert validate_key not in _keys(_queue(m.officer, region.alpha), TaskKind.RETURN_TO_VALIDATE)
    queried = _task(m.officer, region.alpha, f"return-overdue:{late.pk}:queried")
    assert queried and "has not answered your query" in queried.title
    # answered: back for validation, saying so
    with schema_context(m.schema):
        late = KpiReturn.objects.get(pk=late.pk)
    late = submit(m, late, numerator=60, denominator=80, comment="Counted in June.")
    answered = [
        t
        for t in _queue(m.officer, region.alpha)
        if t.kind == TaskKind.RETURN_TO_VALIDATE and t.key.startswith(f"return-validate:{late.pk}:")
    ]
    assert len(answered) == 1 and "has answered your query" in answered[0].title
    with schema_context(m.schema):
        quality.return_validate(actor=m.officer, kpi_return=late)
    mine = _queue(m.officer, region.alpha)
    assert not any(t.key.startswith((f"return-validate:{late.pk}:", f"return-overdue:{late.pk}:")) for t in mine)


def test_an_assessment_is_its_officers_from_the_visit_to_the_final_rating(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    colleague = support.make_staff(region.alpha, AuthorityRole.QUALITY_OFFICER)
    today = timezone.localdate()
    visit = today + timedelta(days=20)
    with schema_context(m.schema):
        assessment = oversight.assessment_schedule(
            actor=m.officer, provider=provider, service="Home care, Crewe", visit_on=visit
        )
    visit_key = f"assessment-visit:{assessment.pk}:{visit:%Y-%m-%d}"
    # a visit is listed from 14 days before, for the assessing officer only
    assert visit_key not in _keys(_queue(m.officer, region.alpha), TaskKind.ASSESSMENT_VISIT)
    fortnight_before = _task(m.officer, region.alpha, visit_key, today=visit - timedelta(days=14))
    assert fortnight_before and fortnight_before.due_on == visit
    assert fortnight_before.title == f"Visit {provider.name} to assess Home care, Crewe"
    assert fortnight_before.path == f"/a/alpha/staff/quality/assessments/{assessment.pk}/"
    due = assessment.self_assessment_due
    assert fortnight_before.detail == f"The provider's self-assessment is due by {due:%-d %B %Y}"
    on_the_day = _task(m.officer, region.alpha, visit_key, today=visit)
    assert on_the_day.detail == f"The provider's self-assessment was due by {due:%-d %B %Y} and is not in"
    assert visit_key not in _keys(
        _queue(colleague, region.alpha, today=visit - timedelta(days=14)), TaskKind.ASSESSMENT_VISIT
    )
    assert visit_key not in _keys(_queue(m.market.broker, region.alpha, today=visit), TaskKind.ASSESSMENT_VISIT)
    # after the visit day, the draft report is still to send
    after = _task(m.officer, region.alpha, f"assessment-draft:{assessment.pk}", today=visit + timedelta(days=1))
    assert after and after.title.startswith("Send ") and after.due_on is None

    # the self-assessment: listed once submitted, until every standard is validated
    key = f"self-assessment:{assessment.pk}"
    self_assess(m.schema, assessment, provider, submit=False)
    assert key not in _keys(_queue(m.officer, region.alpha), TaskKind.SELF_ASSESSMENT)
    with schema_context(m.schema):
        from tenants.quality import assessments

        assessments.self_assessment_submit(actor=catalogue.admin_of(provider), assessment=assessment)
    task = _task(m.officer, region.alpha, key)
    assert task and task.due_on == visit and task.detail.startswith("16 standards still to validate")
    assert key not in _keys(_queue(colleague, region.alpha), TaskKind.SELF_ASSESSMENT)
    validate_all(m.schema, assessment, m.officer)
    assert key not in _keys(_queue(m.officer, region.alpha), TaskKind.SELF_ASSESSMENT)

    # the draft sent: nothing to finalise while the provider's window is open
    with schema_context(m.schema):
        assessment = oversight.assessment_send_draft(
            actor=m.officer,
            assessment=assessment,
            domain_ratings=ALL_GOOD,
            rating="good",
            findings="Care plans are current.",
        )
    final_key = f"assessment-final:{assessment.pk}"
    assert not _keys(_queue(m.officer, region.alpha, today=visit), TaskKind.ASSESSMENT_VISIT) & {
        visit_key,
        f"assessment-draft:{assessment.pk}",
    }
    assert final_key not in _keys(_queue(m.officer, region.alpha), TaskKind.ASSESSMENT_FINALISE)
    closed = _task(m.officer, region.alpha, final_key, today=assessment.respond_by + timedelta(days=1))
    assert closed and closed.title.startswith("Finalise the rating")
    # or as soon as the provider comments
    with schema_context(m.schema):
        oversight.assessment_respond(
            actor=catalogue.admin_of(provider), assessment=assessment, response="The visit date in the draft is wrong."
        )
    commented = _task(m.officer, region.alpha, final_key)
    assert commented and "has commented on the draft report" in commented.title
    assert final_key not in _keys(_queue(colleague, region.alpha), TaskKind.ASSESSMENT_FINALISE)
    with schema_context(m.schema):
        oversight.assessment_finalise(actor=m.officer, assessment=assessment)
    assert final_key not in _keys(_queue(m.officer, region.alpha), TaskKind.ASSESSMENT_FINALISE)


def test_feedback_waits_for_moderation_and_an_answered_or_due_action_for_review(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    broker = m.market.broker
    today = timezone.localdate()
    with schema_context(m.schema):
        link = oversight.feedback_link_create(actor=m.officer, provider=provider, label="annual reviews")
        said = oversight.feedback_submit(
            token=link.token, relation="family", experience="poor", comments="Visits are often late and rushed."
        )
    key = f"feedback:{said.pk}"
    task = _task(m.officer, region.alpha, key)
    assert task and task.title == f"Moderate feedback about {provider.name}"
    assert "rushed" not in task.title + task.detail  # the words stay on the moderation page
    assert task.path == f"/a/alpha/staff/quality/feedback/{said.pk}/"
    assert key not in _keys(_queue(broker, region.alpha), TaskKind.FEEDBACK)
    with schema_context(m.schema):
        oversight.feedback_moderate(
            actor=m.officer, feedback=said, accept=True, summary="Visits late and rushed.", severity="medium"
        )
    assert key not in _keys(_queue(m.officer, region.alpha), TaskKind.FEEDBACK)

    review_on = today + timedelta(days=30)
    with schema_context(m.schema):
        action = oversight.action_take(
            actor=m.officer,
            provider=provider,
            kind="improvement_plan",
            grounds="Missed visits in October.",
            review_on=review_on,
        )
    review_key = f"action:{action.pk}:review:{review_on:%Y-%m-%d}"
    # in force, unanswered, its review a month away: nothing to do yet
    assert review_key not in _keys(_queue(m.officer, region.alpha), TaskKind.ACTION_REVIEW)
    due = _task(m.officer, region.alpha, review_key, today=review_on - timedelta(days=14))
    assert due and due.due_on == review_on and due.title == f"Review the improvement plan on {provider.name}"
    assert due.path == f"/a/alpha/staff/quality/actions/{action.pk}/"
    assert review_key not in _keys(_queue(broker, region.alpha, today=review_on), TaskKind.ACTION_REVIEW)
    # the provider responds: listed now, due at the review
    with schema_context(m.schema):
        oversight.action_respond(
            actor=catalogue.admin_of(provider), action=action, response="Two more care workers start next week."
        )
    responded = _task(m.officer, region.alpha, f"action:{action.pk}:responded:{review_on:%Y-%m-%d}")
    assert responded and "has responded to the improvement plan" in responded.title
    assert responded.due_on == review_on
    with schema_context(m.schema):
        oversight.action_lift(actor=m.officer, action=action, reason="Visits are on time again.")
    assert not any(
        k.startswith(f"action:{action.pk}:")
        for k in _keys(_queue(m.officer, region.alpha, today=review_on), TaskKind.ACTION_REVIEW)
    )


def test_a_reviewed_action_leaves_the_queue_until_the_provider_responds_again_or_its_next_review_nears(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    admin = catalogue.admin_of(provider)
    today = timezone.localdate()
    with schema_context(m.schema):
        action = oversight.action_take(
            actor=m.officer,
            provider=provider,
            kind="default_notice",
            grounds="Missed visits in October.",
            review_on=today + timedelta(days=3),
        )
        never = oversight.action_take(
            actor=m.officer, provider=provider, kind="embargo", grounds="Safeguarding concern substantiated."
        )

    def listed(on=None):
        return {
            k
            for k in _keys(_queue(m.officer, region.alpha, today=on), TaskKind.ACTION_REVIEW)
            if k.startswith(f"action:{action.pk}:")
        }

    # its review is within the look-ahead: listed; the other, never reviewed nor answered, has no date: not listed
    assert listed() == {f"action:{action.pk}:review:{today + timedelta(days=3):%Y-%m-%d}"}
    assert not any(
        k.startswith(f"action:{never.pk}:") for k in _keys(_queue(m.officer, region.alpha), TaskKind.ACTION_REVIEW)
    )
    with schema_context(m.schema):
        oversight.action_respond(actor=admin, action=action, response="New rota from Monday.")
    answered = _task(m.officer, region.alpha, f"action:{action.pk}:responded:{today + timedelta(days=3):%Y-%m-%d}")
    assert answered and "has responded" in answered.title

    # reviewed, to continue with the next review two months away: it leaves the queue
    next_review = today + timedelta(days=60)
    with schema_context(m.schema):
        oversight.action_review(
            actor=m.officer,
            action=action,
            outcome="continue",
            notes="The new rota is working; keep the notice in place.",
            next_review_on=next_review,
        )
    assert listed() == set()
    # back when the next review nears (within 14 days), saying when it was last reviewed
    due = _task(
        m.officer,
        region.alpha,
        f"action:{action.pk}:review:{next_review:%Y-%m-%d}",
        today=next_review - timedelta(days=14),
    )
    assert due and due.title == f"Review the contract default notice on {provider.name}"
    assert f"last reviewed {today:%-d %B %Y}" in due.detail and due.due_on == next_review
    assert listed(next_review - timedelta(days=15)) == set()
    # or as soon as the provider responds after the review
    with schema_context(m.schema):
        Action.objects.filter(pk=action.pk).update(responded_at=timezone.now() - timedelta(days=1))  # before it
    assert listed() == set()
    with schema_context(m.schema):
        oversight.action_respond(actor=admin, action=action, response="Weekend cover is now in place too.")
    assert listed() == {f"action:{action.pk}:responded:{next_review:%Y-%m-%d}"}


def test_payment_queries_invoices_that_differ_and_schedules_to_approve(region):
    pay = payments_market(region.alpha, started=month_start(2) + timedelta(days=10))
    commissioner, broker = pay.market.setup.commissioner, pay.broker
    period = period_of(pay, month_start(2))
    today = timezone.localdate()
    with schema_context("alpha"):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        query = payments.schedule_query(
            actor=pay.provider_admin, schedule=schedule, reason="Two days in the first week were not delivered."
        )
    key = f"payment-query:{query.pk}"
    task = _task(pay.finance, region.alpha, key)
    assert task and task.title == f"Answer {pay.provider.name}'s query on payment schedule {schedule.reference}"
    assert task.path == f"/a/alpha/staff/payments/{schedule.pk}/" and task.due_on is None
    assert key in _keys(_queue(commissioner, region.alpha), TaskKind.PAYMENT_QUERY)  # commissioners prepare too
    assert key not in _keys(_queue(broker, region.alpha), TaskKind.PAYMENT_QUERY)
    with schema_context("alpha"):
        payments.query_answer(actor=pay.finance, query=query, answer="Both days are taken off.")
        schedule.refresh_from_db()
    assert key not in _keys(_queue(pay.finance, region.alpha), TaskKind.PAYMENT_QUERY)

    # an invoice for more than the schedule: its own kind, due within the 30 payment days
    with schema_context("alpha"):
        invoice = payments.invoice_add(
            actor=pay.provider_admin,
            schedule=schedule,
            number="INV-7",
            invoice_date=today,
            amount=schedule.total + Decimal("60"),
        )
        difference = Query.objects.get(invoice=invoice)
    key = f"invoice-mismatch:{difference.pk}"
    task = _task(pay.finance, region.alpha, key)
    assert task and task.kind == TaskKind.INVOICE_MISMATCH
    assert f"£60.00 more than the schedule's total of £{schedule.total:,.2f}" in task.detail
    assert task.due_on == today + timedelta(days=29)
    assert f"payment-query:{difference.pk}" not in _keys(_queue(pay.finance, region.alpha), TaskKind.PAYMENT_QUERY)
    assert key not in _keys(_queue(broker, region.alpha), TaskKind.INVOICE_MISMATCH)
    with schema_context("alpha"):
        payments.query_answer(actor=pay.finance, query=difference, answer="We pay the schedule's total.")
    assert key not in _keys(_queue(pay.finance, region.alpha), TaskKind.INVOICE_MISMATCH)

    # issued is not yet ready; confirmed by the provider, for a finance officer only
    approval = f"schedule-approval:{schedule.pk}"
    assert approval not in _keys(_queue(pay.finance, region.alpha), TaskKind.SCHEDULE_APPROVAL)
    with schema_context("alpha"):
        schedule.refresh_from_db()
        payments.invoice_add(
            actor=pay.provider_admin, schedule=schedule, number="INV-8", invoice_date=today, amount=schedule.total
        )
        payments.schedule_confirm(actor=pay.provider_admin, schedule=schedule)
    task = _task(pay.finance, region.alpha, approval)
    assert task and task.title == f"Approve payment schedule {schedule.reference} for {pay.provider.name}"
    assert task.due_on == today + timedelta(days=29) and "invoice received" in task.detail
    assert approval not in _keys(_queue(commissioner, region.alpha), TaskKind.SCHEDULE_APPROVAL)
    with schema_context("alpha"):
        payments.schedule_approve(actor=pay.finance, schedule=schedule)
    assert approval not in _keys(_queue(pay.finance, region.alpha), TaskKind.SCHEDULE_APPROVAL)


def test_a_confirmed_schedule_with_no_invoice_has_no_deadline(region):
    pay = payments_market(region.alpha, started=month_start(2) + timedelta(days=10))
    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        payments.schedule_confirm(actor=pay.provider_admin, schedule=schedule)
    task = _task(pay.finance, region.alpha, f"schedule-approval:{schedule.pk}")
    assert task and task.due_on is None and task.clock.label == "No deadline" and "no invoice yet" in task.detail
