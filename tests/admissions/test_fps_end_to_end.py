"""Cheshire East's day-opportunities FPS from set-up to admissions (seeds 000
and 001): three lots, two application rounds a year apart, a 60% quality
threshold and compliance questions met by verified catalogue evidence."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from shared_catalogue.models import AdmissionProjection
from tenants.admissions import services
from tenants.admissions.models import Admission, ApplicationLot, DecisionLetter
from tenants.agreements import services as agreements
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
ROUND_1 = (date(2022, 4, 1), date(2022, 4, 29))
ROUND_2 = (date(2024, 3, 1), date(2024, 3, 28))


def at(day: date, hour=10):
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def test_a_day_opportunities_fps_from_set_up_to_admissions(region, time_machine, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    alpha = region.alpha
    time_machine.move_to(at(date(2022, 3, 20)), tick=False)
    fps = stage1.agreement(alpha, rounds=[ROUND_1, ROUND_2])
    with schema_context(alpha.schema_name):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)

    brightday = stage1.provider_with_evidence(alpha, "Brightday")
    meadow = stage1.provider_with_evidence(alpha, "Meadow Farm")
    cafe = stage1.provider_with_evidence(alpha, "Corner Cafe")
    hopeful = stage1.provider_with_evidence(alpha, "Hopeful Care")

    # Before the first round opens, an application is refused with the date it opens
    with pytest.raises(ValidationError) as refused:
        stage1.apply(fps, brightday, ["1"])
    assert "The next round opens on 1 April 2022" in refused.value.message_dict["window"][0]

    # Round 1: four providers apply
    time_machine.move_to(at(date(2022, 4, 5)), tick=False)
    a = stage1.apply(fps, brightday, ["1", "2"])
    b = stage1.apply(fps, meadow, ["1", "3"])
    c = stage1.apply(fps, cafe, ["2"])
    d = stage1.apply(fps, hopeful, ["1"], complies={"safeguarding"})
    # Received Tuesday 5 April; Good Friday and Easter Monday do not count
    assert a.decision_due_on == date(2022, 4, 21)
    with schema_context(alpha.schema_name):
        answer = a.answers.get(question=fps.questions["insurance"])
        assert answer.evidence.evidence_type == "public_liability"  # reused from the catalogue, not asked again

    time_machine.move_to(at(date(2022, 4, 12)), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        stage1.evaluate(fps, a, {"outcomes": 4, "workforce": 3})                      # 71.43%
        stage1.evaluate(fps, b, {"outcomes": 4, "workforce": 4, "employment": 3})     # lot 1 80%, lot 3 74%
        stage1.evaluate(fps, c, {"outcomes": 2, "workforce": 3})                      # 48.57%: below 60%
        stage1.evaluate(fps, d, {"outcomes": 5, "workforce": 5})                      # fails compliance

    with schema_context(alpha.schema_name):
        outcomes = {(row.application.provider.name, row.lot.number): (row.outcome, row.quality_score)
                    for row in ApplicationLot.objects.select_related("application__provider", "lot")}
        assert outcomes[("Brightday", "1")] == ("passed", Decimal("71.43"))
        assert outcomes[("Brightday", "2")][0] == "passed"
        assert outcomes[("Meadow Farm", "1")] == ("passed", 80)
        assert outcomes[("Meadow Farm", "3")] == ("passed", 74)
        assert outcomes[("Corner Cafe", "2")] == ("failed", Decimal("48.57"))
        assert outcomes[("Hopeful Care", "1")][0] == "failed"
        assert ApplicationLot.objects.get(application=d).failed_compliance == [2]

        letters = {letter.application.provider.name: letter
                   for letter in DecisionLetter.objects.select_related("application__provider")}
        assert letters["Brightday"].kind == "successful" and letters["Corner Cafe"].kind == "unsuccessful"
        assert "48.57%" in letters["Corner Cafe"].body and "the pass mark is 60%" in letters["Corner Cafe"].body
        assert "Compliance requirements not met: question 2" in letters["Hopeful Care"].body
        assert all(letter.sent_at for letter in letters.values())
    assert {m.subject for m in mailoutbox} >= {
        "Your application was successful: Day Opportunities Flexible Purchasing System",
        "Your application was not successful: Day Opportunities Flexible Purchasing System"}
    assert catalogue.admin_of(cafe).email in [m.to[0] for m in mailoutbox if "not successful" in m.subject]

    # Onboarding (contract signed, safeguarding assurance); some stay pending
    with schema_context(alpha.schema_name):
        first = Admission.objects.get(provider=brightday, lot=fps.lots["1"])
        assert first.status == "pending_onboarding" and first.reference.endswith("/L1/001")
        with pytest.raises(ValidationError, match="Onboarding is not finished: Contract signed, Safeguarding"):
            services.admission_activate(actor=fps.commissioner, admission=first)
        for item in first.onboarding.all():
            services.onboarding_complete(actor=fps.commissioner, item=item)
        services.admission_activate(actor=fps.commissioner, admission=first)

    time_machine.move_to(at(date(2022, 8, 1)), tick=False)
    with schema_context(alpha.schema_name):
        agreements.agreement_go_live(actor=fps.commissioner, agreement=fps.agreement)
    listed = AdmissionProjection.objects.filter(authority=alpha, agreement_live=True, status="active")
    assert [(p.provider.name, p.lot_number) for p in listed] == [("Brightday", "1")]
    assert AdmissionProjection.objects.filter(authority=alpha, status="pending_onboarding").count() == 3

    # Between rounds, an application is refused with the next opening date
    time_machine.move_to(at(date(2023, 6, 1)), tick=False)
    latecomer = stage1.provider_with_evidence(alpha, "Latecomer")
    with pytest.raises(ValidationError, match="The next round opens on 1 March 2024"):
        stage1.apply(fps, latecomer, ["2"])

    # Round 2: the provider rejected below the threshold applies again and passes;
    # a provider already admitted to a lot cannot apply for it again
    time_machine.move_to(at(date(2024, 3, 4)), tick=False)
    for kind in ("public_liability", "safeguarding_policy"):   # last year's documents have expired
        stage1.verify(alpha, catalogue.upload(cafe, evidence_type=kind))
    again = stage1.apply(fps, cafe, ["2"])
    with schema_context(alpha.schema_name):
        assert again.round.number == 2
    with django_capture_on_commit_callbacks(execute=True):
        stage1.evaluate(fps, again, {"outcomes": 4, "workforce": 4})
    with pytest.raises(ValidationError, match="Already admitted to lot 1"):
        stage1.apply(fps, brightday, ["1"])

    with schema_context(alpha.schema_name):
        standing = {(adm.provider.name, adm.lot.number): adm.status
                    for adm in Admission.objects.select_related("provider", "lot")}
        assert standing == {
            ("Brightday", "1"): "active", ("Brightday", "2"): "pending_onboarding",
            ("Meadow Farm", "1"): "pending_onboarding", ("Meadow Farm", "3"): "pending_onboarding",
            ("Corner Cafe", "2"): "pending_onboarding",
        }
        # every transition is in the authority's audit trail
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert actions >= {
        "agreement.created", "agreement.lot_added", "agreement.round_added", "questionnaire.published",
        "agreement.opened", "application.started", "application.submitted", "evaluation.assigned",
        "evaluation.conflict_declared", "evaluation.scored", "evaluation.scores_submitted",
        "evaluation.moderation_opened", "evaluation.moderated", "application.decided", "admission.admitted",
        "application.letter_sent", "admission.onboarding_done", "admission.activated", "agreement.went_live",
    }
