"""A quality assessment's standards and follow-up at the service layer: the
provider self-assesses each standard and cannot change a submitted
self-assessment; the officer validates each standard before the draft can
go; improvement actions are followed up through the work queue; the final
rating reaches the partner authorities that use the provider."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.policy import access_compute
from audit.models import AuditEvent
from common.errors import Conflict, Invalid
from tenants.quality import assessments, oversight
from tenants.quality.models import DOMAINS, StandardAssessment
from tenants.quality.standards import STANDARDS, suggest
from tenants.workspace import queue
from tenants.workspace.models import TaskKind
from tests import support
from tests.calloffs import support as stage2
from tests.quality.support import monitored, self_assess, validate_all
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

ALL_GOOD = {key: "good" for key, _ in DOMAINS}


def _scheduled(m, provider, **kwargs):
    with schema_context(m.schema):
        return oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care, Crewe",
                                             visit_on=date.today() + timedelta(days=14), **kwargs)


def _actions(schema) -> list[str]:
    with schema_context(schema):
        return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_the_sixteen_standards_sit_in_the_five_domains():
    assert len(STANDARDS) == 16 and len({s.key for s in STANDARDS}) == 16
    assert {s.domain for s in STANDARDS} == {key for key, _ in DOMAINS}
    assert all(s.source.startswith("CQC essential standards") for s in STANDARDS)
    # a suggestion is the average, never more than a step above the worst
    assert suggest(["excellent", "excellent", "poor"]) == "requires_improvement"
    assert suggest(["good", "excellent"]) == "good" and suggest(["good", ""]) == ""


def test_a_provider_self_assesses_saves_a_draft_submits_and_cannot_change_it_after(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    admin = catalogue.admin_of(provider)
    assessment = _scheduled(m, provider)
    assert assessment.self_assessment_due == assessment.visit_on - timedelta(days=7)
    with schema_context(m.schema):
        assert assessment.standards.count() == 16
        # a draft may be partial
        assessments.self_assessment_save(actor=admin, assessment=assessment, entries={
            "medicines": {"self_rating": "good", "narrative": "MAR charts audited weekly."}})
        with pytest.raises(Invalid) as incomplete:
            assessments.self_assessment_submit(actor=admin, assessment=assessment)
        assert "consent-self_rating" in incomplete.value.message_dict
        assert "medicines-self_rating" not in incomplete.value.message_dict
        # the narrative goes to the authority: the identifier guard applies
        with pytest.raises(Invalid) as named:
            assessments.self_assessment_save(actor=admin, assessment=assessment, entries={
                "consent": {"self_rating": "good", "narrative": "See the file for NHS number 943 476 5919."}})
        assert "consent-narrative" in named.value.message_dict
    self_assess(m.schema, assessment, provider, rating="excellent")
    with schema_context(m.schema):
        assessment.refresh_from_db()
        assert assessment.self_assessment_submitted_at and assessment.self_assessment_submitted_by == admin
        with pytest.raises(Conflict, match="can no longer be changed"):
            assessments.self_assessment_save(actor=admin, assessment=assessment, entries={
                "medicines": {"self_rating": "poor", "narrative": "Changed our mind."}})
        with pytest.raises(Conflict):
            assessments.self_assessment_submit(actor=admin, assessment=assessment)
        assert StandardAssessment.objects.get(assessment=assessment, standard="medicines").self_rating == "excellent"
    assert {"assessment.self_assessment_saved", "assessment.self_assessment_submitted"} <= set(_actions(m.schema))


def test_evidence_must_come_from_the_providers_own_locker(region):
    m = monitored(region.alpha, providers=2)
    first, second = m.market.providers
    assessment = _scheduled(m, first)
    theirs = catalogue.upload(second, evidence_type="business_continuity")
    ours = catalogue.upload(first, evidence_type="business_continuity")
    with schema_context(m.schema):
        with pytest.raises(Invalid) as refused:
            assessments.self_assessment_save(actor=catalogue.admin_of(first), assessment=assessment, entries={
                "records": {"self_rating": "good", "narrative": "Policy attached.", "evidence": theirs}})
        assert "records-evidence" in refused.value.message_dict
        assessments.self_assessment_save(actor=catalogue.admin_of(first), assessment=assessment, entries={
            "records": {"self_rating": "good", "narrative": "Policy attached.", "evidence": ours}})
        assert assessment.standards.get(standard="records").evidence_id == ours.pk


def test_a_provider_of_another_company_cannot_self_assess_and_a_viewer_cannot_either(region):
    m = monitored(region.alpha, providers=2)
    first, second = m.market.providers
    assessment = _scheduled(m, first)
    viewer = catalogue.add_person(first, role="viewer")
    with schema_context(m.schema):
        for person in (catalogue.admin_of(second), viewer, m.officer):
            with pytest.raises(PermissionDenied):
                assessments.self_assessment_save(actor=person, assessment=assessment, entries={
                    "medicines": {"self_rating": "good", "narrative": "Not ours."}})
            with pytest.raises(PermissionDenied):
                assessments.self_assessment_submit(actor=person, assessment=assessment)
        # a bid writer of the provider may
        writer = catalogue.add_person(first, role="bid_writer")
        assessments.self_assessment_save(actor=writer, assessment=assessment, entries={
            "medicines": {"self_rating": "good", "narrative": "Ours."}})


def test_the_self_assessment_closes_on_its_date(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    due = date.today() + timedelta(days=2)
    assessment = _scheduled(m, provider, self_assessment_due=due)
    with schema_context(m.schema):
        with pytest.raises(Conflict, match="was due by"):
            assessments.self_assessment_save(actor=catalogue.admin_of(provider), assessment=assessment, entries={
                "medicines": {"self_rating": "good", "narrative": "Late."}}, today=due + timedelta(days=1))
        # the officer gives more time; the provider may then carry on
        with pytest.raises(PermissionDenied):
            assessments.self_assessment_due_change(actor=catalogue.admin_of(provider), assessment=assessment,
                                                   due_on=due + timedelta(days=7))
        assessments.self_assessment_due_change(actor=m.officer, assessment=assessment,
                                               due_on=due + timedelta(days=7), reason="Manager on leave.")
        assessments.self_assessment_save(actor=catalogue.admin_of(provider), assessment=assessment, entries={
            "medicines": {"self_rating": "good", "narrative": "In time now."}}, today=due + timedelta(days=1))
        with pytest.raises(Invalid) as past:
            oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care",
                                          visit_on=date.today(), self_assessment_due=date.today() - timedelta(days=1))
        assert "self_assessment_due" in past.value.message_dict


def test_the_officer_cannot_send_the_draft_until_every_standard_is_validated(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    assessment = _scheduled(m, provider)
    with schema_context(m.schema):
        # nothing to validate before the provider submits (or its date passes)
        with pytest.raises(Conflict, match="has not submitted"):
            assessments.standard_validate(actor=m.officer, assessment=assessment, standard="medicines", agree=True)
    self_assess(m.schema, assessment, provider, rating="good")
    with schema_context(m.schema):
        # disagreeing takes a rating and a reason, which pass the identifier guard
        with pytest.raises(Invalid) as refused:
            assessments.standard_validate(actor=m.officer, assessment=assessment, standard="medicines", agree=False)
        assert set(refused.value.message_dict) == {"rating", "note"}
        with pytest.raises(Invalid) as named:
            assessments.standard_validate(actor=m.officer, assessment=assessment, standard="medicines", agree=False,
                                          rating="poor", note="Mrs Jones's MAR chart, born 3/4/1941, was blank.")
        assert "note" in named.value.message_dict
        assessments.standard_validate(actor=m.officer, assessment=assessment, standard="medicines", agree=False,
                                      rating="poor", note="Three MAR charts had gaps on the visit.")
        with pytest.raises(Conflict, match="15 of 16 still to validate"):
            oversight.assessment_send_draft(actor=m.officer, assessment=assessment, domain_ratings=ALL_GOOD,
                                            rating="good", findings="Mostly good.")
        with pytest.raises(PermissionDenied):
            assessments.standard_validate(actor=catalogue.admin_of(provider), assessment=assessment,
                                          standard="records", agree=True)
    validate_all(m.schema, assessment, m.officer)  # agrees with the rest (and now with medicines too)
    with schema_context(m.schema):
        assessments.standard_validate(actor=m.officer, assessment=assessment, standard="medicines", agree=False,
                                      rating="poor", note="Three MAR charts had gaps on the visit.")
        domains, overall = assessments.suggestions(assessment.standards.all())
        assert domains["safeguarding"] == "requires_improvement" and domains["staffing"] == "good"
        assert overall == "good"
        sent = oversight.assessment_send_draft(actor=m.officer, assessment=assessment, domain_ratings=ALL_GOOD | {
            "safeguarding": "requires_improvement"}, rating="good", findings="Medicines need attention.")
        assert sent.status == "draft_sent"
        with pytest.raises(Conflict, match="no longer be changed"):
            assessments.standard_validate(actor=m.officer, assessment=assessment, standard="records", agree=True)
    assert _actions(m.schema).count("assessment.standard_validated") == 18


def test_the_officer_validates_alone_once_the_providers_date_has_passed(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    assessment = _scheduled(m, provider)
    after = assessment.self_assessment_due + timedelta(days=1)
    with schema_context(m.schema):
        with pytest.raises(Invalid, match="gave no rating"):
            assessments.standard_validate(actor=m.officer, assessment=assessment, standard="medicines", agree=True,
                                          today=after)
        row = assessments.standard_validate(actor=m.officer, assessment=assessment, standard="medicines",
                                            agree=False, rating="poor", note="No self-assessment was submitted.",
                                            today=after)
        assert (row.officer_rating, row.agreed) == ("poor", False)


def _queue_keys(person, authority, today=None) -> set[str]:
    with schema_context(authority.schema_name):
        access = access_compute(user=person, authority=authority)
        return {t.key.split(":")[1] for t in queue.queue_for(access=access, authority=authority, today=today)
                if t.kind == TaskKind.FOLLOW_UP}


def test_an_overdue_follow_up_action_is_in_the_officers_queue_until_verified(region):
    from tenants.quality.models import FollowUp

    m = monitored(region.alpha, providers=2)
    provider, other = m.market.providers
    assessment = _scheduled(m, provider)
    broker = m.market.broker
    admin = catalogue.admin_of(provider)
    due = date.today() + timedelta(days=3)
    with schema_context(m.schema):
        with pytest.raises(Invalid) as refused:
            assessments.follow_up_add(actor=m.officer, assessment=assessment, what="Audit MAR charts weekly.",
                                      standard="medicines", owner=catalogue.admin_of(other), owner_side="provider",
                                      due_on=due)
        assert "owner" in refused.value.message_dict  # a person at another company cannot own it
        action = assessments.follow_up_add(actor=m.officer, assessment=assessment, what="Audit MAR charts weekly.",
                                           standard="medicines", owner=admin, owner_side="provider", due_on=due)
        assert action.domain == "safeguarding"
    assert str(action.pk) not in _queue_keys(m.officer, region.alpha)  # not yet due
    late = due + timedelta(days=1)
    assert str(action.pk) in _queue_keys(m.officer, region.alpha, today=late)
    assert str(action.pk) not in _queue_keys(broker, region.alpha, today=late)  # not a broker's task
    with schema_context(m.schema):
        assert FollowUp.objects.get(pk=action.pk).is_overdue(late)
        with pytest.raises(PermissionDenied):
            assessments.follow_up_done(actor=catalogue.admin_of(other), follow_up=action, note="Done.")
        with pytest.raises(Conflict, match="still open"):
            assessments.follow_up_verify(actor=m.officer, follow_up=action)
        assessments.follow_up_done(actor=admin, follow_up=action, note="Weekly audits since Monday; two done.")
    assert str(action.pk) in _queue_keys(m.officer, region.alpha, today=late)  # now to verify
    with schema_context(m.schema):
        assessments.follow_up_reopen(actor=m.officer, follow_up=action, reason="Send the audit results too.")
        assert FollowUp.objects.get(pk=action.pk).status == "open"
        assessments.follow_up_done(actor=admin, follow_up=action, note="Audit results are in our locker.")
        assessments.follow_up_verify(actor=m.officer, follow_up=action)
        with pytest.raises(Conflict, match="already been verified"):
            assessments.follow_up_verify(actor=m.officer, follow_up=action)
    assert str(action.pk) not in _queue_keys(m.officer, region.alpha, today=late)
    assert {"assessment.follow_up_added", "assessment.follow_up_done", "assessment.follow_up_reopened",
            "assessment.follow_up_verified"} <= set(_actions(m.schema))


def test_the_final_rating_is_published_to_partner_authorities_without_the_restricted_words(region):
    from shared_catalogue.models import SharedIntelligence

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    stage2.admit(stage2.live_market(region.beta, 0), provider=provider)  # beta uses the provider too
    assessment = _scheduled(m, provider)
    self_assess(m.schema, assessment, provider)
    validate_all(m.schema, assessment, m.officer)
    with schema_context(m.schema):
        oversight.assessment_send_draft(actor=m.officer, assessment=assessment, domain_ratings=ALL_GOOD | {
            "staffing": "requires_improvement"}, rating="good", findings="Rotas were short on two weekends.")
        oversight.assessment_respond(actor=catalogue.admin_of(provider), assessment=assessment,
                                     response="The weekend rota was covered by agency staff.")
        oversight.assessment_finalise(actor=m.officer, assessment=assessment)
    with schema_context(region.beta.schema_name):
        access = access_compute(user=support.make_staff(region.beta, "quality_officer"), authority=region.beta)
        assert access.is_staff
        seen = list(oversight.shared_with_here([provider.pk]))
    assert [(r.kind, r.authority_id) for r in seen] == [("quality_rating", region.alpha.pk)]
    summary = seen[0].summary
    assert "rated Good" in summary and "Suitability of staffing Requires improvement" in summary
    assert "Rotas" not in summary and "agency" not in summary
    assert SharedIntelligence.objects.filter(provider=provider, kind="quality_rating").count() == 1


def test_a_service_named_with_an_identifier_is_refused_when_scheduled(region):
    m = monitored(region.alpha, providers=1)
    with schema_context(m.schema), pytest.raises(Invalid) as refused:
        oversight.assessment_schedule(actor=m.officer, provider=m.market.providers[0],
                                      service="Home care for NHS 943 476 5919", visit_on=timezone.localdate())
    assert "service" in refused.value.message_dict


def test_an_action_owned_by_an_officer_here_is_marked_done_by_them_not_by_the_provider(region, client):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    assessment = _scheduled(m, provider)
    owner = support.make_staff(region.alpha, "commissioner")
    with schema_context(m.schema):
        with pytest.raises(Invalid) as refused:  # an owner here follows quality up
            assessments.follow_up_add(actor=m.officer, assessment=assessment, domain="management", what="Check.",
                                      owner=m.market.broker, owner_side="authority",
                                      due_on=date.today() + timedelta(days=10))
        assert "owner" in refused.value.message_dict
        action = assessments.follow_up_add(actor=m.officer, assessment=assessment, domain="management",
                                           what="Check the provider's complaints log at the next visit.",
                                           owner=owner, owner_side="authority",
                                           due_on=date.today() + timedelta(days=10))
        with pytest.raises(PermissionDenied):
            assessments.follow_up_done(actor=catalogue.admin_of(provider), follow_up=action, note="Done.")
        with pytest.raises(PermissionDenied):
            assessments.follow_up_done(actor=m.market.broker, follow_up=action, note="Done.")
    client.force_login(owner)
    assert client.post(f"/a/alpha/staff/quality/follow-ups/{action.pk}/done/",
                       {"note": "Log checked: three complaints, all answered in time."}).status_code == 302
    client.force_login(catalogue.admin_of(provider))
    assert client.get(f"/a/alpha/provider/quality/follow-ups/{action.pk}/").status_code == 404
    with schema_context(m.schema):
        action.refresh_from_db()
        assert action.status == "done" and action.done_by == owner
