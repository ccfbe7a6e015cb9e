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
from tests.quality.support import monitored, self_assess, validate_all
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

ALL_GOOD = {key: "good" for key, _ in DOMAINS}


def _draft(m, provider, rating="poor", **domains):
    with schema_context(m.schema):
        assessment = oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care, Crewe",
                                                   visit_on=date.today() - timedelta(days=3))
    self_assess(m.schema, assessment, provider)
    validate_all(m.schema, assessment, m.officer)
    with schema_context(m.schema):
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


def test_the_risk_dashboard_through_the_api_lists_reasons_and_filters(region):
    from rest_framework.test import APIClient

    m = monitored(region.alpha, providers=2)
    flagged, fine = m.market.providers
    with schema_context(m.schema):
        oversight.intelligence_record(actor=m.officer, provider=flagged, kind="safeguarding_decision",
                                      occurred_on=date.today(), source="Safeguarding adults board",
                                      summary="Neglect substantiated.")
    client = APIClient()
    client.force_authenticate(m.market.broker)  # brokers see the colours
    rows = client.get("/a/alpha/api/v1/risk/?page_size=100").json()["results"]
    mine = [r for r in rows if r["provider"]["id"] in (flagged.pk, fine.pk)]
    assert [r["colour"] for r in mine] == ["red", "green"]  # riskiest first
    assert mine[0]["reasons"] and "safeguarding decision" in mine[0]["reasons"][0].lower()
    assert {r["provider"]["id"] for r in client.get("/a/alpha/api/v1/risk/?colour=red").json()["results"]} >= {
        flagged.pk}
    assert client.get("/a/alpha/api/v1/risk/?colour=purple").status_code == 400
    # brokers do not read the intelligence itself
    assert client.get("/a/alpha/api/v1/intelligence/").status_code == 403


def test_providers_never_read_intelligence_and_other_authorities_never_see_it(region):
    from rest_framework.test import APIClient

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    with schema_context(m.schema):
        oversight.intelligence_record(actor=m.officer, provider=provider, kind="complaint", occurred_on=date.today(),
                                      source="Family", summary="Late calls three times in a week.",
                                      restricted_notes="Caller: the person's son (see case file).",
                                      share="here")
    client = APIClient()
    client.force_authenticate(catalogue.admin_of(provider))
    assert client.get("/a/alpha/api/v1/intelligence/").status_code == 403
    assert "son" not in client.get("/a/alpha/api/v1/provider/actions/").content.decode()
    client.force_authenticate(support.make_staff(region.beta, *support.ALL_STAFF_ROLES))
    assert client.get("/a/alpha/api/v1/intelligence/").status_code == 403
    listed = client.get("/a/beta/api/v1/intelligence/").json()
    assert all(r["provider"]["id"] != provider.pk for r in listed["results"])


def test_an_action_through_the_api_with_the_providers_response_and_lifting(region):
    from rest_framework.test import APIClient

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    staff, them = APIClient(), APIClient()
    staff.force_authenticate(m.officer)
    them.force_authenticate(catalogue.admin_of(provider))
    refused = staff.post("/a/alpha/api/v1/actions/", {"provider": provider.pk, "kind": "embargo", "grounds": ""},
                         format="json")
    assert refused.status_code == 400
    made = staff.post("/a/alpha/api/v1/actions/", {"provider": provider.pk, "kind": "embargo",
                                                   "grounds": "Repeated missed calls."}, format="json")
    assert made.status_code == 201, made.content
    action = made.json()["id"]
    seen = them.get("/a/alpha/api/v1/provider/actions/").json()["results"]
    assert [a["grounds"] for a in seen] == ["Repeated missed calls."]
    answered = them.post(f"/a/alpha/api/v1/provider/actions/{action}/respond/",
                         {"response": "New rostering system from Monday."}, format="json")
    assert answered.status_code == 200 and answered.json()["provider_response"]
    lifted = staff.post(f"/a/alpha/api/v1/actions/{action}/lift/", {"reason": "Calls on time for a month."},
                        format="json")
    assert lifted.status_code == 200 and lifted.json()["status"] == "lifted"
    assert staff.post(f"/a/alpha/api/v1/actions/{action}/lift/", {"reason": "again"},
                      format="json").status_code == 409


def test_the_dashboard_takes_the_same_queries_for_more_providers_and_records(region, django_assert_num_queries):
    from tenants.quality.risk import dashboard

    small, large = monitored(region.alpha, providers=1), monitored(region.beta, providers=3)
    for m in (small, large):
        with schema_context(m.schema):
            for provider in m.market.providers:
                for kind in ("complaint", "safeguarding_concern", "manager_vacancy"):
                    oversight.intelligence_record(actor=m.officer, provider=provider, kind=kind,
                                                  occurred_on=date.today(), source="Test", summary="Something.")
            Intelligence.objects.exists()  # the schema's search_path is set on the first query
            # admissions, rules, intelligence, ratings, returns, CQC, actions, last colours, latest ratings
            with django_assert_num_queries(9):
                rows = dashboard()
            assert all(row.risk.colour == "amber" for row in rows if row.provider in m.market.providers)


def test_intelligence_marked_for_one_authority_is_not_visible_to_another_and_shared_only_where_used(region):
    """Alpha shares one record and keeps another to itself. Beta, which also
    uses the provider, reads the shared summary (never the notes or the
    source); the NHS body, which does not use it, reads nothing."""
    from rest_framework.test import APIClient

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    stage2.admit(stage2.live_market(region.beta, 0), provider=provider)  # beta uses it too
    with schema_context(m.schema):
        oversight.intelligence_record(actor=m.officer, provider=provider, kind="complaint", occurred_on=date.today(),
                                      source="Complaint from Mr Reid", summary="Carers arrived late all week.",
                                      restricted_notes="Caller's number in the case file.", share="here")
        shared = oversight.intelligence_record(actor=m.officer, provider=provider, kind="manager_vacancy",
                                               occurred_on=date.today(), source="CQC notification",
                                               summary="The registered manager has left.")
    client = APIClient()
    client.force_authenticate(support.make_staff(region.beta, "quality_officer"))
    seen = client.get("/a/beta/api/v1/intelligence/shared/").json()["results"]
    assert [(r["kind"], r["summary"], r["authority"]) for r in seen] == [
        ("manager_vacancy", "The registered manager has left.", region.alpha.name)]
    assert "Reid" not in str(seen) and "case file" not in str(seen)
    client.force_authenticate(support.make_staff(region.nhs, "quality_officer"))
    assert client.get("/a/nhs-north/api/v1/intelligence/shared/").json()["results"] == []
    # closing it here closes it for the partners
    with schema_context(m.schema):
        oversight.intelligence_close(actor=m.officer, record=shared)
    client.force_authenticate(support.make_staff(region.beta, "quality_officer"))
    assert client.get("/a/beta/api/v1/intelligence/shared/").json()["results"][0]["closed_on"]
    # and the provider reads none of it
    client.force_authenticate(catalogue.admin_of(provider))
    assert client.get("/a/beta/api/v1/intelligence/shared/").status_code == 403


def test_a_cqc_rating_of_inadequate_makes_a_provider_red_with_the_location_named(region):
    from shared_catalogue.models import CQCLocation

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    CQCLocation.objects.create(location_id="1-9999999999", provider=provider, name="Riverside House",
                               overall_rating="Inadequate", rating_published_on=date(2026, 10, 2))
    with schema_context(m.schema):
        found = risk.assess([provider.pk])[provider.pk]
    assert found.colour == "red" and found.reasons == ["Red: CQC rated Riverside House Inadequate on 2 October 2026"]


def test_feedback_through_a_link_is_moderated_into_intelligence_and_the_provider_never_sees_it(client, region):
    from rest_framework.test import APIClient

    from tenants.quality.models import Feedback

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    with schema_context(m.schema):
        link = oversight.feedback_link_create(actor=m.officer, provider=provider, label="Annual reviews")
    # without signing in, on the page and through the API
    url = f"/a/alpha/feedback/{link.token}/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"relation": "family", "comments": ""})
    assert refused.status_code == 400 and "Say how the support has been" in refused.content.decode()
    taken = client.post(url, {"relation": "family", "experience": "poor", "contact": "Sam Reid, 07700 900123",
                              "comments": "Mum's carers (Mrs Okoro, 4 Mill Lane) often come an hour late."})
    assert taken.status_code == 200 and "Thank you" in taken.content.decode()
    api = APIClient()
    assert api.post(f"/a/alpha/api/v1/feedback/from-link/{link.token}/",
                    {"relation": "self", "experience": "good", "comments": "Kind staff."},
                    format="json").status_code == 201
    assert api.post("/a/alpha/api/v1/feedback/from-link/not-a-link/", {"relation": "self", "experience": "good",
                    "comments": "x"}, format="json").status_code == 404
    with schema_context(m.schema):
        first = Feedback.objects.get(experience="poor")
        with pytest.raises(Invalid):  # the record's summary may not carry what the words did
            oversight.feedback_moderate(actor=m.officer, feedback=first, accept=True,
                                        summary="Carers late at CW1 2AB; the family's number is 07700 900123.")
        oversight.feedback_moderate(actor=m.officer, feedback=first, accept=True,
                                    summary="A family reports carers often an hour late.", severity="medium")
        record = Intelligence.objects.get(provider=provider, kind="feedback")
        assert record.summary == "A family reports carers often an hour late." and record.share == "here"
    # the provider reads none of it, anywhere
    api.force_authenticate(catalogue.admin_of(provider))
    assert api.get("/a/alpha/api/v1/feedback/").status_code == 403
    for path in ("/a/alpha/provider/quality/", "/a/alpha/api/v1/provider/actions/"):
        client.force_login(catalogue.admin_of(provider))
        page = client.get(path).content.decode()
        assert "Okoro" not in page and "Sam Reid" not in page and "an hour late" not in page
    # quality staff moderate through the API too
    api.force_authenticate(m.officer)
    listed = api.get("/a/alpha/api/v1/feedback/").json()["results"]
    second = next(f for f in listed if f["experience"] == "good")
    done = api.post(f"/a/alpha/api/v1/feedback/{second['id']}/moderate/", {"accept": False}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    assert api.post(f"/a/alpha/api/v1/feedback/{second['id']}/moderate/", {"accept": False},
                    format="json").status_code == 409
