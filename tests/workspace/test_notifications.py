"""Telling staff about their tasks: each person's choice per kind (straight
away or the daily digest), the kinds that are always sent straight away,
each task e-mailed once, and one digest a day."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from common.errors import Invalid
from shared_catalogue.models import Evidence
from tenants.admissions import services as admissions
from tenants.workspace import services
from tenants.workspace.models import Delivery, TaskKind
from tests import support
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def _to(outbox, person) -> list:
    return [m for m in outbox if person.email in m.to]


def test_everyone_starts_with_the_digest_except_for_what_is_always_sent_straight_away(region):
    person = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER)
    with schema_context("beta"):
        chosen = services.preferences_for(person)
        assert list(chosen) == list(TaskKind.values)
        assert chosen[TaskKind.EVIDENCE_TO_VERIFY] == Delivery.DIGEST
        assert chosen[TaskKind.MY_EVALUATION] == chosen[TaskKind.NEEDS_EVALUATORS] == \
            chosen[TaskKind.DECISION_DUE] == Delivery.IMMEDIATE
        # the contract-monitoring and payment kinds too
        for kind in ("return_to_validate", "return_overdue", "self_assessment", "assessment_visit",
                     "assessment_finalise", "feedback", "action_review", "payment_query", "invoice_mismatch",
                     "schedule_approval"):
            assert chosen[kind] == Delivery.DIGEST, kind
        after = services.preferences_set(actor=person, choices={"evidence_to_verify": "immediate"})
        assert after[TaskKind.EVIDENCE_TO_VERIFY] == Delivery.IMMEDIATE
        with pytest.raises(Invalid) as refused:
            services.preferences_set(actor=person, choices={"my_evaluation": "digest"})
        assert "always e-mailed straight away" in str(refused.value)
        with pytest.raises(Invalid):
            services.preferences_set(actor=person, choices={"lunch": "immediate"})
        with pytest.raises(Invalid):
            services.preferences_set(actor=person, choices={"evidence_to_verify": "weekly"})
        assert services.preferences_for(person)[TaskKind.EVIDENCE_TO_VERIFY] == Delivery.IMMEDIATE
    # choices are per authority; where the person has no role, they have none to make
    with schema_context(region.nhs.schema_name):
        assert services.preferences_for(person)[TaskKind.EVIDENCE_TO_VERIFY] == Delivery.DIGEST
        with pytest.raises(PermissionDenied):
            services.preferences_set(actor=person, choices={"evidence_to_verify": "immediate"})


def test_a_new_application_and_an_assignment_are_e_mailed_straight_away_once(region, mailoutbox):
    setup = stage1.open_agreement(region.beta)
    provider = stage1.provider_with_evidence(region.beta, support.unique("Oakfield Care "))
    application = stage1.apply(setup, provider, ["1"])
    lead, first = setup.commissioner, setup.evaluators[0]
    with schema_context("beta"):
        services.tasks_notify()
    [mail] = [m for m in _to(mailoutbox, lead) if provider.name in m.subject]
    assert mail.subject == f"Give {provider.name}'s application to evaluators (Beta Council)"
    assert f"http://127.0.0.1:8000/a/beta/staff/applications/{application.pk}/" in mail.body
    assert "10 working days left" in mail.body
    assert "We always e-mail you straight away about applications needing evaluators." in mail.body
    assert "http://127.0.0.1:8000/a/beta/staff/notifications/" in mail.body
    assert not _to(mailoutbox, first)  # evaluators do not lead

    mailoutbox.clear()
    with schema_context("beta"):
        services.tasks_notify()
        assert not [m for m in _to(mailoutbox, lead) if provider.name in m.subject]  # once
        admissions.evaluators_assign(actor=lead, application=application, evaluators=[first])
        services.tasks_notify()
    [mail] = _to(mailoutbox, first)
    assert mail.subject.startswith(f"Declare any conflict of interest, then evaluate {provider.name}'s application")
    assert f"/a/beta/staff/applications/{application.pk}/declaration/" in mail.body


def test_evidence_is_e_mailed_straight_away_only_to_those_who_asked_and_only_while_new(region, mailoutbox):
    eager = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER)
    patient = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER)
    with schema_context("beta"):
        services.preferences_set(actor=eager, choices={"evidence_to_verify": "immediate"})
    provider = catalogue.register(name=support.unique("Riverside Homecare "))
    catalogue.upload(provider)
    stale = catalogue.upload(provider, evidence_type="business_continuity")
    Evidence.objects.filter(pk=stale.pk).update(uploaded_at=timezone.now() - timedelta(days=3))
    with schema_context("beta"):
        services.tasks_notify()
    mine = [m for m in _to(mailoutbox, eager) if provider.name in m.subject]
    assert [m.subject for m in mine] == [f"Check {provider.name}'s safeguarding policy (Beta Council)"]
    assert "You asked to hear straight away about provider evidence to verify." in mine[0].body
    assert f"/a/beta/staff/catalogue/{provider.pk}/" in mine[0].body
    assert not [m for m in _to(mailoutbox, patient) if provider.name in m.subject]


def test_the_digest_lists_each_persons_digest_tasks_once_a_day(region, mailoutbox):
    officer = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER, full_name="Rita Officer")
    immediate = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER)
    broker = support.make_staff(region.beta, AuthorityRole.BROKER)
    with schema_context("beta"):
        services.preferences_set(actor=immediate, choices={"evidence_to_verify": "immediate"})
    provider = catalogue.register(name=support.unique("Meadow Lodge "))
    catalogue.upload(provider)
    today = timezone.localdate()
    with schema_context("beta"):
        services.digest_send(today=today)
    [digest] = _to(mailoutbox, officer)
    assert digest.subject.endswith("waiting for you in Beta Council")
    assert digest.body.startswith("Hello Rita,")
    assert "Provider evidence to verify" in digest.body
    assert f"- Check {provider.name}'s safeguarding policy" in digest.body
    assert f"http://127.0.0.1:8000/a/beta/staff/catalogue/{provider.pk}/" \
        in digest.body
    assert not _to(mailoutbox, immediate)  # their evidence comes straight away
    assert not [m for m in _to(mailoutbox, broker) if provider.name in m.body]

    mailoutbox.clear()
    with schema_context("beta"):
        assert services.digest_send(today=today) == 0 or not _to(mailoutbox, officer)
    assert not _to(mailoutbox, officer)  # once a day
    with schema_context("beta"):
        services.digest_send(today=today + timedelta(days=1))
    assert len(_to(mailoutbox, officer)) == 1


def test_feedback_to_moderate_comes_straight_away_to_those_who_asked_and_in_the_digest_to_the_others(
        region, mailoutbox):
    from tenants.quality import oversight

    eager = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER)
    patient = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER, full_name="Pat Officer")
    provider = catalogue.register(name=support.unique("Hazel Court "))
    with schema_context("beta"):
        services.preferences_set(actor=eager, choices={"feedback": "immediate"})
        link = oversight.feedback_link_create(actor=eager, provider=provider, label="annual reviews")
        said = oversight.feedback_submit(token=link.token, relation="self", experience="poor",
                                         comments="My carer rarely stays the full half hour.")
        services.tasks_notify()
    [mail] = [m for m in _to(mailoutbox, eager) if provider.name in m.subject]
    assert mail.subject == f"Moderate feedback about {provider.name} (Beta Council)"
    assert f"http://127.0.0.1:8000/a/beta/staff/quality/feedback/{said.pk}/" in mail.body
    assert "half hour" not in mail.body  # the words stay on the moderation page
    assert not _to(mailoutbox, patient)
    mailoutbox.clear()
    with schema_context("beta"):
        services.digest_send()
    [digest] = _to(mailoutbox, patient)
    assert "Feedback from people who use services to moderate" in digest.body
    assert f"- Moderate feedback about {provider.name}" in digest.body
    assert not [m for m in _to(mailoutbox, eager) if f"Moderate feedback about {provider.name}" in m.body]
