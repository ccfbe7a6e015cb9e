"""The provider's side of stage 1 through the API: a bid writer applies from
the open agreements to the decision letter; windows, one live application per
lot, withdrawal, roles and other providers are respected; bad input is a 400
problem with field errors, a clash with the state of things a 409."""

import pytest
from django_tenants.utils import schema_context

from accounts.roles import ProviderRole
from accounts.services import provider_membership_grant
from tenants.admissions import services
from tenants.admissions.models import Application
from tests.admissions import provider_support as ps
from tests.admissions import support as stage1
from tests.api_support import client_for, problem
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1/provider"


@pytest.fixture
def fps(region, time_machine):
    time_machine.move_to(ps.at(ps.TODAY), tick=False)
    return ps.open_fps(region.alpha)


@pytest.fixture
def team(region, fps):
    return ps.team(region.alpha, "Brightday")


def start(api, fps, lots=("1",), **extra):
    return api.post(f"{API}/applications/", {"agreement": fps.agreement.pk,
                                             "lots": [fps.lots[n].pk for n in lots], **extra}, format="json")


def answer_all(api, fps, application_id, lots=("1",)):
    lot_ids = {fps.lots[n].pk for n in lots}
    for question in fps.questions.values():
        if question.lot_id and question.lot_id not in lot_ids:
            continue
        body = {"complies": True} if question.kind == "compliance" else {"response": f"We do: {question.text}"}
        response = api.put(f"{API}/applications/{application_id}/answers/{question.pk}/", body, format="json")
        assert response.status_code == 200, response.json()


def test_a_bid_writer_applies_through_the_api(fps, team):
    api = client_for(team.writer)
    [listed] = api.get(f"{API}/agreements/").json()["results"]
    assert listed["window"]["open"] is True and listed["window"]["round"]["number"] == 1
    assert listed["window"]["rule"]["source"].endswith("PCR 2015 reg 76")
    assert listed["regime"]["decision"]["source"] == "PCR 2015 reg 76 (time limits reasonable and proportionate)"
    assert [lot["number"] for lot in listed["lots"]] == ["1", "2", "3"]
    detail = api.get(f"{API}/agreements/{fps.agreement.pk}/").json()
    assert len(detail["questionnaire"]["questions"]) == 5 and detail["questionnaire"]["pass_threshold"] == "60.00"

    created = start(api, fps, lots=("1", "2"))
    assert created.status_code == 201, created.json()
    application = created.json()
    assert application["status"] == "draft" and application["provider"]["name"] == "Brightday"
    assert application["declaration"] == services.DECLARATION
    reusable = {row["question"]["id"]: row["reusable_evidence"] for row in application["questions"]}
    insurance = fps.questions["insurance"]
    assert reusable[insurance.pk]["evidence_type"] == "public_liability"
    assert reusable[insurance.pk]["verification"] == "verified"
    assert reusable[fps.questions["outcomes"].pk] is None
    assert application["decision_clock"]["state"] == "not_started"

    url = f"{API}/applications/{application['id']}"
    answer_all(api, fps, application["id"])
    # PATCH changes only what is sent
    patched = api.patch(f"{url}/answers/{insurance.pk}/", {"response": "Cover of £10m."}, format="json").json()
    assert patched["complies"] is True and patched["response"] == "Cover of £10m."
    row = api.get(f"{url}/answers/{insurance.pk}/").json()
    assert row["answered"] is True and row["reusable_evidence"]["evidence_type"] == "public_liability"

    refused = problem(api.post(f"{url}/submit/", {"declaration_accepted": False}, format="json"), 400)
    assert refused["errors"] == {"declaration_accepted": ["Confirm the declaration to submit."]}
    submitted = api.post(f"{url}/submit/", {"declaration_accepted": True}, format="json")
    assert submitted.status_code == 200, submitted.json()
    body = submitted.json()
    assert body["status"] == "submitted" and body["submitted_at"] == "2026-03-03T10:00:00Z"
    assert body["decision_due_on"] == "2026-03-17"
    assert body["decision_clock"]["state"] == "on_track" and body["decision_clock"]["working_days_left"] == 10
    assert body["decision_clock"]["rule"]["source"].startswith("PCR 2015 reg 76")
    answered = {row["question"]["id"]: row["answer"] for row in body["questions"]}
    assert answered[insurance.pk]["evidence"]["evidence_type"] == "public_liability"   # reused
    again = problem(api.put(f"{url}/answers/{insurance.pk}/", {"complies": False}, format="json"), 409)
    assert "submitted" in again["detail"]

    [mine] = api.get(f"{API}/applications/").json()["results"]
    assert mine["id"] == application["id"] and mine["letter_available"] is False
    problem(api.get(f"{url}/letter/"), 404)
    with schema_context("alpha"):
        stage1.evaluate(fps, Application.objects.get(pk=application["id"]), {"outcomes": 4, "workforce": 3})
    decided = api.get(f"{url}/").json()
    assert decided["status"] == "decided" and decided["letter_available"] is True
    assert {(lot["number"], lot["outcome"], lot["quality_score"]) for lot in decided["lots"]} == {
        ("1", "passed", "71.43"), ("2", "passed", "71.43")}
    letter = api.get(f"{url}/letter/").json()
    assert letter["kind"] == "successful" and "the pass mark is 60%" in letter["body"]


def test_outside_a_window_the_start_is_a_409_with_the_next_opening_date(region, time_machine):
    time_machine.move_to(ps.at(ps.TODAY), tick=False)
    fps = ps.open_fps(region.alpha)
    draft = stage1.apply(fps, ps.team(region.alpha).provider, ["1"], submit=False)
    time_machine.move_to(ps.at(ps.BETWEEN_ROUNDS), tick=False)
    team = ps.team(region.alpha)
    api = client_for(team.writer)
    [listed] = api.get(f"{API}/agreements/").json()["results"]
    assert listed["window"]["open"] is False and listed["window"]["next_opens_on"] == "2027-03-01"
    body = problem(start(api, fps), 409)
    assert body["type"] == "urn:jointly:problem:conflict"
    assert "The next round opens on 1 March 2027" in body["errors"]["window"][0]
    # a draft started in the round cannot be submitted after it closed
    owner = client_for(catalogue.admin_of(draft.provider))
    answer_all(owner, fps, draft.pk)
    late = problem(owner.post(f"{API}/applications/{draft.pk}/submit/", {"declaration_accepted": True},
                              format="json"), 409)
    assert "The next round opens on 1 March 2027" in late["errors"]["window"][0]


def test_one_live_application_per_lot_then_withdraw_and_apply_again(fps, team):
    api = client_for(team.writer)
    first = start(api, fps, lots=("1", "2")).json()
    clash = problem(start(api, fps, lots=("2", "3")), 409)
    assert "already has an application in progress" in clash["errors"]["lots"][0]
    withdrawn = api.post(f"{API}/applications/{first['id']}/withdraw/", {"reason": "Wrong lots"}, format="json")
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["withdrawn_reason"] == "Wrong lots"
    problem(api.post(f"{API}/applications/{first['id']}/withdraw/", {}, format="json"), 409)
    assert start(api, fps, lots=("2", "3")).status_code == 201


def test_a_viewer_reads_but_cannot_write(fps, team):
    draft = stage1.apply(fps, team.provider, ["1"], submit=False)
    api = client_for(team.viewer)
    assert api.get(f"{API}/agreements/").status_code == 200
    assert api.get(f"{API}/applications/{draft.pk}/").status_code == 200
    question = fps.questions["outcomes"]
    assert api.get(f"{API}/applications/{draft.pk}/answers/{question.pk}/").status_code == 200
    problem(start(api, fps, lots=("2",)), 403)
    problem(start(api, fps, lots=("2",), provider=team.provider.pk), 403)
    problem(api.put(f"{API}/applications/{draft.pk}/answers/{question.pk}/", {"response": "x"}, format="json"), 403)
    problem(api.patch(f"{API}/applications/{draft.pk}/answers/{question.pk}/", {"response": "x"}, format="json"),
            403)
    problem(api.post(f"{API}/applications/{draft.pk}/submit/", {"declaration_accepted": True}, format="json"), 403)
    problem(api.post(f"{API}/applications/{draft.pk}/withdraw/", {}, format="json"), 403)
    with schema_context("alpha"):
        assert Application.objects.get(pk=draft.pk).status == "draft"


def test_another_provider_finds_nothing_and_staff_endpoints_are_refused(region, fps, team):
    application = stage1.apply(fps, team.provider, ["1"])
    stage1.evaluate(fps, application, {"outcomes": 4, "workforce": 4})
    rival = client_for(ps.team(region.alpha, "Rival Care").admin)
    url = f"{API}/applications/{application.pk}"
    question = fps.questions["outcomes"]
    for path in (f"{url}/", f"{url}/letter/", f"{url}/answers/{question.pk}/"):
        problem(rival.get(path), 404)
    problem(rival.put(f"{url}/answers/{question.pk}/", {"response": "x"}, format="json"), 404)
    problem(rival.post(f"{url}/submit/", {"declaration_accepted": True}, format="json"), 404)
    problem(rival.post(f"{url}/withdraw/", {}, format="json"), 404)
    assert rival.get(f"{API}/applications/").json()["results"] == []
    owner = client_for(team.writer)
    problem(owner.get(f"/a/beta/api/v1/provider/applications/{application.pk}/"), 404)   # another authority's
    assert owner.get(f"{url}/letter/").status_code == 200
    for path in ("/a/alpha/api/v1/team/", "/a/alpha/api/v1/catalogue/providers/", "/a/alpha/api/v1/audit-events/"):
        problem(owner.get(path), 403)


def test_bad_input_is_a_400_with_field_errors(region, fps, team):
    api = client_for(team.writer)
    other = stage1.agreement(region.alpha)    # a draft: not open to providers
    assert problem(api.post(f"{API}/applications/", {}, format="json"), 400)["errors"].keys() >= {"agreement", "lots"}
    assert "lots" in problem(api.post(f"{API}/applications/", {"agreement": fps.agreement.pk, "lots": ["x"]},
                                      format="json"), 400)["errors"]
    body = problem(start(api, fps, lots=()), 400)
    assert body["errors"] == {"lots": ["Choose at least one lot."]}
    body = problem(api.post(f"{API}/applications/", {"agreement": fps.agreement.pk,
                                                     "lots": [other.lots["1"].pk]}, format="json"), 400)
    assert "Not lots of this agreement" in body["errors"]["lots"][0]
    body = problem(api.post(f"{API}/applications/", {"agreement": other.agreement.pk, "lots": []}, format="json"),
                   400)
    assert body["errors"] == {"agreement": ["No such agreement is open to providers here."]}
    assert "provider" in problem(start(api, fps, provider=999999), 400)["errors"]
    problem(api.post(f"{API}/applications/", "{not json", content_type="application/json"), 400)
    problem(api.get(f"{API}/agreements/{other.agreement.pk}/"), 404)

    # someone writing for two organisations says which one applies
    second = catalogue.register(name="Meadow Farm")
    provider_membership_grant(actor=None, provider=second, user=team.writer, role=ProviderRole.BID_WRITER)
    assert "more than one" in problem(start(api, fps), 400)["errors"]["provider"][0]
    application = start(api, fps, provider=team.provider.pk).json()
    url = f"{API}/applications/{application['id']}"

    safeguarding = fps.questions["safeguarding"]
    assert "complies" in problem(api.put(f"{url}/answers/{safeguarding.pk}/", {"complies": "maybe"},
                                         format="json"), 400)["errors"]
    body = problem(api.put(f"{url}/answers/{safeguarding.pk}/", {"response": ""}, format="json"), 400)
    assert body["errors"] == {"complies": ["Answer yes or no."]}
    body = problem(api.put(f"{url}/answers/{safeguarding.pk}/", {"complies": True, "evidence": 999999},
                           format="json"), 400)
    assert "evidence" in body["errors"]
    theirs = catalogue.upload(second, evidence_type="safeguarding_policy")   # another organisation's document
    problem(api.put(f"{url}/answers/{safeguarding.pk}/", {"complies": True, "evidence": theirs.pk}, format="json"),
            400)
    insurance_doc = catalogue.upload(team.provider, evidence_type="public_liability")
    body = problem(api.put(f"{url}/answers/{safeguarding.pk}/", {"complies": True, "evidence": insurance_doc.pk},
                           format="json"), 400)
    assert body["errors"] == {"evidence": ["This question asks for: safeguarding policy."]}
    problem(api.put(f"{url}/answers/{fps.questions['employment'].pk}/", {"response": "x"}, format="json"), 404)
    problem(api.put(f"{url}/answers/999999/", {"response": "x"}, format="json"), 404)
    body = problem(api.post(f"{url}/submit/", {}, format="json"), 400)
    assert "declaration_accepted" in body["errors"]
    body = problem(api.post(f"{url}/submit/", {"declaration_accepted": True}, format="json"), 400)
    assert "Answer every question before submitting (questions 1, 2, 3, 4)" in body["errors"]["answers"][0]
    problem(api.post(f"{url}/withdraw/", {"reason": "x" * 3000}, format="json"), 400)
    problem(api.get(f"{API}/applications/999999/"), 404)


def test_list_endpoints_cost_the_same_whatever_their_length(region, fps, team, django_assert_num_queries):
    api = client_for(team.writer)
    api.get(f"{API}/agreements/")                                   # the route cache warms up
    with django_assert_num_queries(AGREEMENTS_QUERIES):
        assert len(api.get(f"{API}/agreements/").json()["results"]) == 1
    stage1.apply(fps, team.provider, ["1"])
    with django_assert_num_queries(APPLICATIONS_QUERIES):
        assert len(api.get(f"{API}/applications/").json()["results"]) == 1

    for _ in range(2):
        ps.open_fps(region.alpha)
    stage1.apply(fps, team.provider, ["2"], submit=False)
    stage1.apply(fps, team.provider, ["3"])
    with django_assert_num_queries(AGREEMENTS_QUERIES):
        assert len(api.get(f"{API}/agreements/").json()["results"]) == 3
    with django_assert_num_queries(APPLICATIONS_QUERIES):
        assert len(api.get(f"{API}/applications/").json()["results"]) == 3


# SET search_path, the person's roles (two queries), the page count, then the
# agreements with their lots and rounds (three) or the applications with their lots (two).
AGREEMENTS_QUERIES = 7
APPLICATIONS_QUERIES = 6


def test_the_endpoints_are_documented(client):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    assert "/api/v1/admissions/" in paths
    for path in ("agreements/", "agreements/{agreement_id}/", "applications/", "applications/{application_id}/",
                 "applications/{application_id}/answers/{question_id}/", "applications/{application_id}/submit/",
                 "applications/{application_id}/withdraw/", "applications/{application_id}/letter/"):
        assert f"/a/{{authority}}/api/v1/provider/{path}" in paths, path
    answers = paths["/a/{authority}/api/v1/provider/applications/{application_id}/answers/{question_id}/"]
    assert set(answers) >= {"get", "put", "patch"}
