"""Evaluation is fair: conflicts declared first, scores independent until
moderation, the decision clock counted in working days."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from accounts.policy import access_compute
from tenants.admissions import selectors, services
from tenants.admissions.models import Score
from tenants.agreements import services as agreements
from tenants.agreements.models import Agreement
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def submitted(region, **agreement_fields):
    fps = stage1.agreement(region.alpha, rounds=[(date.today(), date.today().replace(year=date.today().year + 1))],
                           ends_on=date.today().replace(year=date.today().year + 2), starts_on=date.today(),
                           **agreement_fields)
    with schema_context("alpha"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
    provider = stage1.provider_with_evidence(region.alpha)
    application = stage1.apply(fps, provider, ["1"])
    with schema_context("alpha"):
        services.evaluators_assign(actor=fps.commissioner, application=application, evaluators=fps.evaluators)
    return fps, application


def test_a_conflicted_evaluator_cannot_see_or_score(region):
    fps, application = submitted(region)
    first, second = fps.evaluators
    question = fps.questions["outcomes"]
    with schema_context("alpha"):
        # nobody scores, or sees the answers, before declaring
        with pytest.raises(PermissionDenied, match="Declare whether you have a conflict"):
            services.score_record(actor=first, application=application, question=question, score=3, comment="ok")
        with pytest.raises(PermissionDenied, match="Declare whether"):
            selectors.application_for_evaluator(first, application)
        with pytest.raises(ValidationError, match="Describe the conflict"):
            services.conflict_declare(actor=first, application=application, conflicted=True)
        services.conflict_declare(actor=first, application=application, conflicted=True,
                                  details="I was a director of this provider until last year.")
        with pytest.raises(PermissionDenied, match="declared a conflict of interest"):
            services.score_record(actor=first, application=application, question=question, score=3, comment="ok")
        with pytest.raises(PermissionDenied, match="declared a conflict"):
            selectors.application_for_evaluator(first, application)

        # declaring a conflict after scoring sets the scores aside
        services.conflict_declare(actor=second, application=application, conflicted=False)
        services.score_record(actor=second, application=application, question=question, score=4, comment="Good")
        services.conflict_declare(actor=second, application=application, conflicted=True,
                                  details="Realised my sister works there.")
        assert not selectors.scores_visible_to(second, access_compute(user=second, authority=region.alpha),
                                               application)
        with pytest.raises(ValidationError, match="Every evaluator declared a conflict"):
            services.moderation_open(actor=fps.commissioner, application=application)
        # someone without the evaluator role cannot be given it
        with pytest.raises(ValidationError, match="Not evaluators here"):
            services.evaluators_assign(actor=fps.commissioner, application=application,
                                       evaluators=[stage1.support.make_staff(region.alpha, "broker")])


def test_scores_stay_hidden_from_other_evaluators_until_moderation(region):
    fps, application = submitted(region)
    first, second = fps.evaluators
    lead = fps.commissioner
    access = {user: access_compute(user=user, authority=region.alpha) for user in (first, second, lead)}
    with schema_context("alpha"):
        for evaluator, score in ((first, 2), (second, 5)):
            services.conflict_declare(actor=evaluator, application=application, conflicted=False)
            for key in ("outcomes", "workforce"):
                services.score_record(actor=evaluator, application=application, question=fps.questions[key],
                                      score=score, comment=f"{evaluator.full_name} thinks {score}")

        seen = {user: {(s.assignment.evaluator_id, s.score)
                       for s in selectors.scores_visible_to(user, access[user], application)}
                for user in (first, second, lead)}
        assert seen[first] == {(first.pk, 2)}
        assert seen[second] == {(second.pk, 5)}
        assert seen[lead] == set()  # the lead sees progress, not scores
        assert [(p.declared, p.submitted) for p in selectors.evaluation_progress(application)] == [
            (True, False), (True, False)]
        with pytest.raises(ValidationError, match="Still waiting for"):
            services.moderation_open(actor=lead, application=application)

        for evaluator in (first, second):
            services.scores_submit(actor=evaluator, application=application)
        with pytest.raises(ValidationError, match="submitted your scores"):
            services.score_record(actor=first, application=application, question=fps.questions["outcomes"],
                                  score=5, comment="changed my mind")
        services.moderation_open(actor=lead, application=application)
        application.refresh_from_db()
        for user in (first, second, lead):
            assert {s.score for s in selectors.scores_visible_to(user, access[user], application)} == {2, 5}


def test_score_out_of_scale_or_without_reason_is_refused(region):
    fps, application = submitted(region)
    evaluator = fps.evaluators[0]
    with schema_context("alpha"):
        services.conflict_declare(actor=evaluator, application=application, conflicted=False)
        with pytest.raises(ValidationError, match="Score from 0 to 5"):
            services.score_record(actor=evaluator, application=application, question=fps.questions["outcomes"],
                                  score=6, comment="Excellent")
        with pytest.raises(ValidationError, match="Score from 0 to 5"):
            services.score_record(actor=evaluator, application=application, question=fps.questions["outcomes"],
                                  score=True, comment="yes")
        with pytest.raises(ValidationError, match="Give the reason"):
            services.score_record(actor=evaluator, application=application, question=fps.questions["outcomes"],
                                  score=3, comment=" ")
        with pytest.raises(ValidationError, match="compliance"):
            services.score_record(actor=evaluator, application=application, question=fps.questions["insurance"],
                                  score=3, comment="n/a")


def test_an_application_received_on_a_bank_holiday_weekend_gets_the_right_decision_date(region, time_machine):
    """PCR reg 34: 10 working days from receipt. Received Saturday 23 August
    2025; Monday 25th is the late summer bank holiday; due Monday 8 September."""
    time_machine.move_to(datetime(2025, 7, 1, 9, tzinfo=LONDON), tick=False)
    dps = stage1.agreement(region.alpha, kind=Agreement.Kind.DPS, starts_on=date(2025, 7, 1),
                           ends_on=date(2029, 2, 23))
    with schema_context("alpha"):
        agreements.agreement_open(actor=dps.commissioner, agreement=dps.agreement,
                                  initial_period_ends_on=date(2025, 8, 1))
    provider = stage1.provider_with_evidence(region.alpha)
    time_machine.move_to(datetime(2025, 8, 23, 22, 30, tzinfo=LONDON), tick=False)
    application = stage1.apply(dps, provider, ["1"])
    assert application.decision_due_on == date(2025, 9, 8)
    with schema_context("alpha"):
        clock = selectors.decision_clock(application, today=date(2025, 9, 4))
        assert (clock.state, clock.working_days_left) == ("due_soon", 2)
        assert "PCR 2015 reg 34" in str(clock.rule)
        assert selectors.decision_clock(application, today=date(2025, 9, 9)).label == "Overdue by 1 working day"
        # extended once, with a reason, to 15 working days
        with pytest.raises(ValidationError, match="Say why"):
            services.decision_extend(actor=dps.commissioner, application=application, reason="")
        services.decision_extend(actor=dps.commissioner, application=application,
                                 reason="Clarification needed on the safeguarding policy.")
        application.refresh_from_db()
        assert application.decision_due_on == date(2025, 9, 15)
        with pytest.raises(ValidationError, match="already been extended"):
            services.decision_extend(actor=dps.commissioner, application=application, reason="Again")


def test_a_declaration_after_moderation_has_opened_leaves_the_scores_alone(region):
    fps, application = submitted(region)
    with schema_context("alpha"):
        for evaluator in fps.evaluators:
            services.conflict_declare(actor=evaluator, application=application, conflicted=False)
            for key in ("outcomes", "workforce"):
                services.score_record(actor=evaluator, application=application, question=fps.questions[key],
                                      score=3, comment="Sound")
            services.scores_submit(actor=evaluator, application=application)
        services.moderation_open(actor=fps.commissioner, application=application)
        with pytest.raises(ValidationError, match="Declarations are made during evaluation"):
            services.conflict_declare(actor=fps.evaluators[0], application=application, conflicted=True,
                                      details="Remembered something")
        assert Score.objects.filter(assignment__application=application).count() == 4
