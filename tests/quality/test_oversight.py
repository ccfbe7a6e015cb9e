"""Intelligence, quality assessments, contract actions and the early
warning: due process is followed, the colour always comes with its reasons,
an embargo stops new invitations until it is lifted, and nothing a provider
or another authority reads identifies a person."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context

from common.errors import Conflict, Invalid
from tenants.quality import oversight, risk
from tenants.quality.models import DOMAINS, Intelligence
from tests import support
from tests.calloffs import support as stage2
from tests.quality.support import monitored
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

ALL_GOOD = {key: "good" for key, _ in DOMAINS}


def _draft(m, provider, rating="poor", **domains):
    with schema_context(m.schema):
        assessment = oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care, Crewe",
                                                   visit_on=date.today() - timedelta(days=3))
        return oversight.assessment_send_draft(actor=m.officer, assessment=assessment,
                                               domain_ratings=ALL_GOOD | domains, rating=rating,
                                               findings="Medication records were incomplete on two rounds.")


def test_an_assessment_cannot_be_finalised_before_the_providers_window_ends_unless_they_respond(region):
    m = monitored(region.alpha, providers=2)
    first, second = m.market.providers
    waiting, answered = _draft(m, first), _draft(m, second)
    with schema_context(m.schema):
        with pytest.raises(Conflict, match="has until"):
            oversight.assessment_finalise(actor=m.officer, assessment=waiting)
        oversight.assessment_respond(actor=catalogue.admin_of(second), assessment=answered,
                                     response="The second round's records were in the office, not missing.")
        assert oversight.assessment_finalise(actor=m.officer, assessment=answered).status == "final"
        # after the window, it may be finalised without a response
        later = waiting.respond_by + timedelta(days=1)
        assert oversight.assessment_finalise(actor=m.officer, assessment=waiting, today=later).status == "final"
        # the final rating is intelligence here
        assert Intelligence.objects.filter(provider=first, kind="quality_rating").exists()


def test_a_draft_needs_every_domain_rated_and_a_provider_cannot_answer_anothers(region):
    m = monitored(region.alpha, providers=2)
    first, second = m.market.providers
    with schema_context(m.schema):
        assessment = oversight.assessment_schedule(actor=m.officer, provider=first, service="Home care",
                                                   visit_on=date.today())
        with pytest.raises(Invalid) as refused:
            oversight.assessment_send_draft(actor=m.officer, assessment=assessment,
                                            domain_ratings={"safeguarding": "poor"}, rating="poor", findings="x")
        assert "domain_ratings" in refused.value.message_dict
    draft = _draft(m, first)
    with schema_context(m.schema), pytest.raises(PermissionDenied):
        oversight.assessment_respond(actor=catalogue.admin_of(second), assessment=draft, response="Not us.")


def test_a_safeguarding_decision_and_a_poor_rating_make_a_provider_red_with_both_reasons(region):
    m = monitored(region.alpha, providers=2)
    flagged, fine = m.market.providers
    with schema_context(m.schema):
        oversight.intelligence_record(actor=m.officer, provider=flagged, kind="safeguarding_decision",
                                      occurred_on=date.today() - timedelta(days=10), source="Safeguarding adults board",
                                      severity="high", summary="Neglect substantiated: missed medication visits.")
    draft = _draft(m, flagged)
    with schema_context(m.schema):
        oversight.assessment_finalise(actor=m.officer, assessment=draft, today=draft.respond_by + timedelta(days=1))
        found = risk.assess([flagged.pk, fine.pk])
    assert found[fine.pk].colour == "green" and found[fine.pk].reasons == []
    red = found[flagged.pk]
    assert red.colour == "red"
    assert any("safeguarding decision" in reason.lower() for reason in red.reasons)
    assert any("rated Poor" in reason for reason in red.reasons)
    assert all(reason.startswith(("Red:", "Amber:")) for reason in red.reasons)  # never a colour alone


def test_a_change_of_colour_is_recorded_and_audited_once(region):
    from audit.models import AuditEvent

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    with schema_context(m.schema):
        risk.refresh()
        oversight.intelligence_record(actor=m.officer, provider=provider, kind="manager_vacancy",
                                      occurred_on=date.today(), source="CQC notification",
                                      summary="The registered manager left; an acting manager is in post.")
        assert risk.refresh() == [(provider.pk, "green", "amber")]
        assert risk.refresh() == []
        assert AuditEvent.objects.filter(action="provider.risk_changed").count() == 2  # unknown to green, then amber


def test_an_embargo_stops_invitations_to_a_new_call_off_and_lifting_it_restores_them(region):
    m = monitored(region.alpha, providers=2)
    embargoed, other = m.market.providers
    with schema_context(m.schema):
        action = oversight.action_take(actor=m.officer, provider=embargoed, kind="embargo",
                                       grounds="Two substantiated safeguarding concerns this quarter.")
    package = stage2.package(m.market)
    with schema_context(m.schema):
        invited = set(package.invitations.values_list("provider_id", flat=True))
        assert invited == {other.pk}
        reason = package.not_invited.get(provider=embargoed).reason
        assert "embargo on new placements" in reason and "safeguarding concerns" in reason
        oversight.action_lift(actor=m.officer, action=action, reason="Improvement plan completed.")
    again = stage2.package(m.market)
    with schema_context(m.schema):
        assert set(again.invitations.values_list("provider_id", flat=True)) == {embargoed.pk, other.pk}
        # the embargo and its lifting are on the record
        assert Intelligence.objects.filter(provider=embargoed, kind="action").exists()


def test_an_embargo_under_one_agreement_leaves_the_others_alone(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    elsewhere = stage2.live_market(region.alpha, 0)
    with schema_context(m.schema):
        oversight.action_take(actor=m.officer, provider=provider, kind="suspension", agreement=elsewhere.agreement,
                              grounds="Suspended from the other agreement.")
        assert oversight.restrictions([provider.pk], agreement=m.market.agreement, today=timezone.localdate()) == {}
        assert provider.pk in oversight.restrictions([provider.pk], agreement=elsewhere.agreement,
                                                     today=timezone.localdate())


def test_intelligence_that_identifies_a_person_is_refused_and_only_quality_staff_record_it(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    with schema_context(m.schema):
        with pytest.raises(Invalid) as refused:
            oversight.intelligence_record(actor=m.officer, provider=provider, kind="complaint",
                                          occurred_on=date.today(), source="Family",
                                          summary="Complaint from the daughter of Mrs Okoro, DOB 03/03/1961.")
        assert "summary" in refused.value.message_dict
        with pytest.raises(PermissionDenied):
            oversight.intelligence_record(actor=m.market.broker, provider=provider, kind="complaint",
                                          occurred_on=date.today(), source="Family", summary="Late calls.")
        with pytest.raises(PermissionDenied):
            oversight.intelligence_record(actor=support.make_staff(region.beta, "quality_officer"),
                                          provider=provider, kind="complaint", occurred_on=date.today(),
                                          source="Family", summary="Late calls.")
