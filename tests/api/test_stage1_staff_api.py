"""Stage 1 through an authority's API, for its staff: agreements and their
questionnaire, evaluation with declarations first and hidden scores,
moderation, the decision and the admissions that follow. Errors are problem
details: 400 with the field named, 409 for the wrong state, 403 for the wrong
role, 404 for an unknown id. Partners see the partnership's agreements and
nobody sees another authority's."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from shared_catalogue.models import AdmissionProjection
from tenants.admissions import services
from tenants.admissions.models import Admission
from tenants.agreements.models import Agreement
from tests import support
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1/"


def _post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def _problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_a_commissioner_sets_up_and_runs_an_agreement_through_the_api(client, region):
    client.force_login(support.make_staff(region.alpha, AuthorityRole.COMMISSIONER))
    today = date.today()
    body = {"kind": "dps", "title": "Home Care DPS", "reference": support.unique("HC-DPS-"),
            "service_area": "Home care", "starts_on": str(today), "ends_on": str(today + timedelta(days=1400)),
            "estimated_value": "2500000.00"}

    refused = _problem(_post(client, f"{API}agreements/", body | {"ends_on": str(today)}), 400)
    assert refused["errors"]["ends_on"] == ["The agreement must end after it starts."]
    refused = _problem(_post(client, f"{API}agreements/", body | {"decision_working_days": 12}), 400)
    assert "At most 10 working days" in refused["errors"]["decision_working_days"][0]
    assert "PCR 2015 reg 34" in refused["errors"]["decision_working_days"][0]
    refused = _problem(_post(client, f"{API}agreements/", body | {"call_off_authorities": ["beta"]}), 400)
    assert "call_off_authorities" in refused["errors"]
    assert "kind" in _problem(_post(client, f"{API}agreements/", body | {"kind": "framework"}), 400)["errors"]

    created = _post(client, f"{API}agreements/", body)
    assert created.status_code == 201
    agreement = created.json()
    assert agreement["status"] == "draft" and agreement["estimated_value"] == "2500000.00"
    assert agreement["call_off_authorities"] == ["alpha"] and agreement["moves"] == ["open"]
    assert agreement["rules"]["initial_period"]["source"] == "PCR 2015 reg 34"
    url = f"{API}agreements/{agreement['id']}/"

    assert _post(client, f"{url}lots/", {"number": "1", "title": "Tier 1", "service_type": "home-care"}
                 ).status_code == 201
    assert _problem(_post(client, f"{url}lots/", {"number": "1", "title": "Again"}), 400)["errors"] == {
        "number": ["There is already a lot 1."]}
    assert "service_type" in _problem(_post(client, f"{url}lots/", {"number": "2", "title": "X",
                                                                     "service_type": "nonsense"}), 400)["errors"]
    # a DPS takes applications at any time: no rounds, and the rule says why
    no_round = _problem(_post(client, f"{url}rounds/", {"opens_on": str(today), "closes_on": str(today)}), 409)
    assert "at any time" in no_round["detail"] and "PCR 2015 reg 34" in no_round["detail"]

    # the questionnaire: draft, settings, questions, publish
    draft = _post(client, f"{url}questionnaire/versions/")
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    version = f"{url}questionnaire/versions/{draft.json()['id']}/"
    assert "pass_threshold" in _problem(client.patch(version, {"pass_threshold": "120"},
                                                     content_type="application/json"), 400)["errors"]
    assert client.patch(version, {"pass_threshold": "65", "scale_max": 4},
                        content_type="application/json").json()["pass_threshold"] == "65.00"
    assert _problem(_post(client, f"{version}publish/"), 409)["detail"].startswith("Add at least one scored")
    assert _problem(_post(client, f"{version}questions/", {"kind": "quality", "text": "How?"}), 400)["errors"] == {
        "weight": ["A scored question needs a weight above zero."]}
    assert "lot" in _problem(_post(client, f"{version}questions/", {"kind": "quality", "text": "How?",
                                                                     "weight": "10", "lot": "9"}), 400)["errors"]
    assert _post(client, f"{version}questions/", {"kind": "compliance", "text": "Insured?",
                                                  "evidence_types": ["public_liability"]}).status_code == 201
    added = _post(client, f"{version}questions/", {"kind": "quality", "text": "How do you recruit?", "weight": "50",
                                                   "lot": "1"})
    assert added.status_code == 201 and added.json()["lot"] == "1" and added.json()["position"] == 2
    published = _post(client, f"{version}publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    current = client.get(f"{url}questionnaire/").json()
    assert [q["kind"] for q in current["questions"]] == ["compliance", "quality"]
    assert _problem(_post(client, f"{version}questions/", {"kind": "quality", "text": "Late", "weight": "5"}),
                    409)["detail"].startswith("A published questionnaire is never changed")

    # open: the DPS's initial period is at least 30 days
    short = _problem(_post(client, f"{url}open/", {"initial_period_ends_on": str(today + timedelta(days=10))}), 409)
    assert "PCR 2015 reg 34" in short["errors"]["initial_period_ends_on"][0]
    opened = _post(client, f"{url}open/", {"initial_period_ends_on": str(today + timedelta(days=31))})
    assert opened.status_code == 200 and opened.json()["status"] == "open"
    assert opened.json()["window"]["open"] is True
    assert _problem(_post(client, f"{url}open/"), 409)["detail"].startswith("The agreement is open")
    early = _problem(_post(client, f"{url}go-live/"), 409)
    assert "No call-off before the initial period ends" in early["detail"]
    assert _problem(_post(client, f"{url}end/", {"reason": ""}), 400)["errors"]["reason"]
    ended = _post(client, f"{url}end/", {"reason": "Replaced by the dynamic market."})
    assert ended.json()["status"] == "ended" and ended.json()["moves"] == []

    detail = client.get(url).json()
    assert [lot["number"] for lot in detail["lots"]] == ["1"]
    assert [v["status"] for v in detail["questionnaire_versions"]] == ["published"]
    listed = client.get(f"{API}agreements/").json()["results"]
    assert [(a["reference"], a["lot_count"]) for a in listed] == [(body["reference"], 1)]
    assert _problem(client.get(f"{API}agreements/999999/"), 404)["detail"] == "No such agreement here."
    assert _problem(_post(client, f"{API}agreements/999999/lots/", {"number": "1", "title": "X"}), 404)


def test_a_modification_once_live_needs_a_reason(client, region):
    setup = stage1.open_agreement(region.alpha)
    client.force_login(setup.commissioner)
    url = f"{API}agreements/{setup.agreement.pk}/"
    assert _post(client, f"{url}go-live/").json()["status"] == "live"
    refused = _problem(_post(client, f"{url}lots/", {"number": "4", "title": "Supported employment"}), 400)
    assert "say why it is being changed" in refused["errors"]["reason"][0]
    assert _post(client, f"{url}lots/", {"number": "4", "title": "Supported employment",
                                         "reason": "New demand"}).status_code == 201
    assert client.get(url).json()["modifications"][0]["reason"] == "New demand"
    assert _problem(client.put(f"{url}call-off-authorities/", {"authorities": ["nhs-north"]},
                               content_type="application/json"), 400)["errors"]["authorities"]


def _submitted(region):
    setup = stage1.open_agreement(region.alpha)
    provider = stage1.provider_with_evidence(region.alpha, "Meadow Farm")
    return setup, stage1.apply(setup, provider, ["1"])


def test_evaluators_declare_first_and_see_only_their_own_scores_until_moderation(client, region):
    setup, application = _submitted(region)
    lead, (first, second) = setup.commissioner, setup.evaluators
    url = f"{API}applications/{application.pk}/"
    outcomes, workforce = setup.questions["outcomes"], setup.questions["workforce"]

    client.force_login(lead)
    listed = client.get(f"{API}applications/").json()["results"]
    assert listed[0]["id"] == application.pk and listed[0]["clock"]["state"] == "on_track"
    assert listed[0]["clock"]["rule"]["source"].startswith("PCR 2015 reg 76")
    assert _problem(_post(client, f"{url}evaluators/", {"evaluators": []}), 400)["errors"]["evaluators"]
    broker = support.make_staff(region.alpha, AuthorityRole.BROKER)
    assert "evaluators" in _problem(_post(client, f"{url}evaluators/", {"evaluators": [broker.pk]}), 400)["errors"]
    assigned = _post(client, f"{url}evaluators/", {"evaluators": [first.pk, second.pk]})
    assert assigned.status_code == 200 and assigned.json()["status"] == "evaluation"
    assert [p["declared"] for p in assigned.json()["progress"]] == [False, False]

    # before declaring: no answers, no scoring
    client.force_login(first)
    assert [a["id"] for a in client.get(f"{API}applications/assigned/").json()["results"]] == [application.pk]
    seen = client.get(url).json()
    assert seen["answers"] is None and seen["answers_hidden_because"].startswith("Declare whether")
    assert seen["progress"] is None
    refused = _problem(_post(client, f"{url}scores/", {"question": outcomes.pk, "score": 3, "comment": "ok"}), 403)
    assert "Declare whether you have a conflict" in refused["detail"]
    assert _post(client, f"{url}declaration/", {"conflicted": False}).json()["conflicted"] is False
    seen = client.get(url).json()
    assert any(a["response"].startswith("Our answer to") for a in seen["answers"])
    assert _problem(_post(client, f"{url}scores/", {"question": outcomes.pk, "score": 6, "comment": "Wow"}),
                    400)["errors"] == {"score": ["Score from 0 to 5."]}
    assert _problem(_post(client, f"{url}scores/", {"question": 999999, "score": 3, "comment": "x"}),
                    400)["errors"]["question"]
    assert _problem(_post(client, f"{url}scores/", {"question": setup.questions["insurance"].pk, "score": 3,
                                                    "comment": "x"}), 400)["errors"]["question"]
    assert _problem(_post(client, f"{url}scores/", {"question": outcomes.pk, "score": "three"}), 400)["errors"]
    for question, score in ((outcomes, 2), (workforce, 3)):
        assert _post(client, f"{url}scores/", {"question": question.pk, "score": score,
                                               "comment": f"First: {score}"}).status_code == 201

    client.force_login(second)
    _post(client, f"{url}declaration/", {"conflicted": False})
    for question in (outcomes, workforce):
        _post(client, f"{url}scores/", {"question": question.pk, "score": 5, "comment": "Second: 5"})
    assert {s["comment"] for s in client.get(f"{url}scores/").json()} == {"Second: 5"}
    client.force_login(first)
    assert {s["comment"] for s in client.get(f"{url}scores/").json()} == {"First: 2", "First: 3"}
    client.force_login(lead)
    assert client.get(f"{url}scores/").json() == []
    assert "score" not in str(client.get(url).json()["progress"])
    assert _problem(_post(client, f"{url}moderation/open/"), 409)["detail"].startswith("Still waiting for")
    assert _problem(client.get(f"{url}outcomes/"), 409)

    for evaluator in (first, second):
        client.force_login(evaluator)
        assert _post(client, f"{url}scores/submit/").json()["scores_submitted_at"]
    client.force_login(lead)
    assert _post(client, f"{url}moderation/open/").json()["status"] == "moderation"
    assert len(client.get(f"{url}scores/").json()) == 4
    client.force_login(first)
    assert len(client.get(f"{url}scores/").json()) == 4  # moderation opens them to the evaluators too

    client.force_login(lead)
    assert _problem(_post(client, f"{url}moderation/", {"question": outcomes.pk, "score": 3, "rationale": ""}),
                    400)["errors"]["rationale"]
    assert _problem(_post(client, f"{url}decision/"), 409)["detail"].startswith("Moderate every quality question")
    for question, score in ((outcomes, 4), (workforce, 4)):
        assert _post(client, f"{url}moderation/", {"question": question.pk, "score": score,
                                                   "rationale": "Agreed at moderation."}).status_code == 200
    preview = client.get(f"{url}outcomes/").json()
    assert preview["pass_threshold"] == "60.00"
    assert preview["outcomes"] == [{"lot": "1", "lot_title": "Building Based Services", "passed": True,
                                    "quality_score": "80.00", "failed_compliance": [], "missing": []}]
    letter = _post(client, f"{url}decision/")
    assert letter.status_code == 200 and letter.json()["kind"] == "successful"
    assert client.get(f"{url}letter/").json()["subject"] == letter.json()["subject"]
    decided = client.get(url).json()
    assert decided["status"] == "decided" and decided["lots"][0]["outcome"] == "passed"
    assert {m["score"] for m in decided["moderated"]} == {4}


def test_a_conflicted_evaluator_is_refused_a_score(client, region):
    setup, application = _submitted(region)
    first = setup.evaluators[0]
    with schema_context("alpha"):
        services.evaluators_assign(actor=setup.commissioner, application=application, evaluators=[first])
    client.force_login(first)
    url = f"{API}applications/{application.pk}/"
    assert _problem(_post(client, f"{url}declaration/", {"conflicted": True}), 400)["errors"]["details"]
    _post(client, f"{url}declaration/", {"conflicted": True, "details": "My brother runs Meadow Farm."})
    seen = client.get(url).json()
    assert seen["answers"] is None and "declared a conflict" in seen["answers_hidden_because"]
    refused = _problem(_post(client, f"{url}scores/", {"question": setup.questions["outcomes"].pk, "score": 4,
                                                       "comment": "Great"}), 403)
    assert "declared a conflict of interest" in refused["detail"]
    assert _problem(_post(client, f"{url}scores/submit/"), 403)
    # an evaluator not given the application does not find it
    client.force_login(setup.evaluators[1])
    assert _problem(client.get(url), 404)
    assert _problem(_post(client, f"{url}declaration/", {"conflicted": False}), 404)


@pytest.mark.parametrize("role", [AuthorityRole.BROKER, AuthorityRole.FINANCE_VIEWER])
def test_brokers_and_finance_viewers_cannot_set_up_agreements_or_decide(client, region, role):
    setup, application = _submitted(region)
    client.force_login(support.make_staff(region.alpha, role))
    assert client.get(f"{API}agreements/").status_code == 200  # they read them
    refused = _problem(_post(client, f"{API}agreements/", {"kind": "fps", "title": "X"}), 403)
    assert refused["detail"] == "Only commissioners set up and change agreements."
    assert _problem(_post(client, f"{API}agreements/{setup.agreement.pk}/end/", {"reason": "x"}), 403)
    assert _problem(client.get(f"{API}applications/"), 403)
    assert _problem(_post(client, f"{API}applications/{application.pk}/decision/"), 403)
    assert _problem(_post(client, f"{API}applications/{application.pk}/evaluators/", {"evaluators": []}), 403)
    with schema_context("alpha"):
        assert Agreement.objects.count() == 1


def test_admissions_through_the_api(client, region):
    setup, application = _submitted(region)
    stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 3})
    with schema_context("alpha"):
        admission = Admission.objects.get(application=application)
    url = f"{API}admissions/{admission.pk}/"

    client.force_login(support.make_staff(region.alpha, AuthorityRole.BROKER))
    assert client.get(url).json()["outstanding"] == 2
    assert _problem(_post(client, f"{url}activate/"), 403)

    client.force_login(setup.commissioner)
    listed = client.get(f"{API}admissions/?status=pending_onboarding").json()["results"]
    assert [(a["id"], a["outstanding"], a["moves"]) for a in listed] == [
        (admission.pk, 2, ["activate", "suspend", "remove"])]
    assert _problem(client.get(f"{API}admissions/?status=nonsense"), 400)["errors"]["status"]
    assert _problem(_post(client, f"{url}activate/"), 409)["detail"].startswith("Onboarding is not finished")
    for item in client.get(url).json()["onboarding"]:
        done = _post(client, f"{url}onboarding/{item['id']}/", {"note": "Signed copy on file"})
        assert done.status_code == 200
    assert _post(client, f"{url}activate/").json()["status"] == "active"
    past = _problem(_post(client, f"{url}suspend/", {"reason": "Concern", "until": str(date.today())}), 400)
    assert past["errors"] == {"until": ["The end date must be in the future."]}
    assert _problem(_post(client, f"{url}suspend/", {"reason": " "}), 400)["errors"]["reason"]
    suspended = _post(client, f"{url}suspend/", {"reason": "Safeguarding concern",
                                                 "until": str(date.today() + timedelta(days=30))})
    assert suspended.json()["status"] == "suspended"
    assert AdmissionProjection.objects.get(authority=region.alpha, admission_id=admission.pk).status == "suspended"
    assert _post(client, f"{url}reinstate/", {"reason": "Resolved"}).json()["status"] == "active"
    assert _problem(_post(client, f"{url}remove/", {"grounds": ""}), 400)["errors"]["grounds"]
    assert _post(client, f"{url}remove/", {"grounds": "Breach of clause 12"}).json()["status"] == "removed"
    assert _problem(_post(client, f"{url}reinstate/"), 409)
    assert _problem(client.get(f"{API}admissions/999999/"), 404)
    assert _problem(_post(client, f"{url}onboarding/999999/"), 404)


def test_partners_see_the_partnership_but_never_another_authoritys_agreements(client, region):
    joint = stage1.open_agreement(region.partners, reference=support.unique("JOINT-"))
    provider = stage1.provider_with_evidence(region.partners, "Joint Provider")
    stage1.evaluate(joint, stage1.apply(joint, provider, ["1"]), {"outcomes": 5, "workforce": 4})
    beta_own = stage1.agreement(region.beta, reference=support.unique("BETA-OWN-"))

    client.force_login(support.make_staff(region.alpha, AuthorityRole.COMMISSIONER))
    partnership = "/a/alpha-nhs/api/v1/"
    agreements = client.get(f"{partnership}agreements/").json()["results"]
    assert [a["reference"] for a in agreements] == [joint.agreement.reference]
    assert agreements[0]["call_off_authorities"] == ["alpha", "nhs-north"] and agreements[0]["admitted"] == 0
    admissions = client.get(f"{partnership}admissions/").json()["results"]
    assert [(a["provider"]["name"], a["agreement"]["reference"]) for a in admissions] == [
        ("Joint Provider", joint.agreement.reference)]
    assert client.get(f"{partnership}agreements/{joint.agreement.pk}/").json()["lots"][0]["admissions"][0][
        "provider"] == "Joint Provider"

    assert _problem(client.get("/a/beta/api/v1/agreements/"), 403)
    assert _problem(client.get(f"/a/beta/api/v1/agreements/{beta_own.agreement.pk}/"), 403)
    assert _problem(client.get("/a/beta/api/v1/admissions/"), 403)
    for path in (f"{API}agreements/", f"{partnership}agreements/", f"{partnership}admissions/",
                 f"{partnership}applications/"):
        assert beta_own.agreement.reference not in client.get(path).content.decode(), path


@pytest.mark.parametrize("path", ["agreements/", "applications/", "admissions/"])
def test_list_endpoints_take_the_same_number_of_queries_for_more_rows(client, region, path):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}{path}").status_code == 200
        return len(captured)

    setup = stage1.open_agreement(region.alpha)
    client.force_login(setup.commissioner)

    def more(n: int):
        for _ in range(n):
            application = stage1.apply(setup, stage1.provider_with_evidence(region.alpha), ["1", "2"])
            stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 4})
        stage1.agreement(region.alpha)

    more(1)
    queries()  # the first request also fills the route and session caches
    few = queries()
    more(2)
    assert queries() == few


def test_the_openapi_schema_documents_the_staff_api(client):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    for path in ("agreements/", "agreements/{agreement_id}/open/", "agreements/{agreement_id}/questionnaire/",
                 "applications/{application_id}/scores/", "applications/{application_id}/decision/",
                 "admissions/{admission_id}/suspend/"):
        assert f"/a/{{authority}}/api/v1/{path}" in paths, path
