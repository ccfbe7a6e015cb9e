"""Applications and admissions through the staff pages: the lead assigns
evaluators; each declares before seeing the answers and scores alone; the
lead moderates, previews the outcome and confirms it; admissions follow and
are onboarded, suspended, reinstated and removed. Bad input is shown against
the fields; the wrong role is refused."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from shared_catalogue.models import AdmissionProjection
from tenants.admissions import services
from tenants.admissions.models import Admission, Application, Score
from tests import support
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
APPS = "/a/alpha/staff/applications/"
ADMISSIONS = "/a/alpha/staff/admissions/"
LONDON = ZoneInfo("Europe/London")


def _page(response) -> str:
    return response.content.decode()


@pytest.fixture
def submitted(region):
    setup = stage1.open_agreement(region.alpha)
    provider = stage1.provider_with_evidence(region.alpha, "Brightday Support")
    application = stage1.apply(setup, provider, ["1"])
    return setup, application


def _scores(setup, values: dict, comment: str) -> dict:
    data = {}
    for key, score in values.items():
        question = setup.questions[key]
        data[f"score_{question.pk}"] = str(score)
        data[f"comment_{question.pk}"] = f"{comment} on {key}"
    return data


def test_evaluators_declare_first_score_alone_and_the_lead_decides(client, submitted, region):
    setup, application = submitted
    lead, (first, second) = setup.commissioner, setup.evaluators
    detail = f"{APPS}{application.pk}/"

    # the lead sees it with its decision clock, reads the answers, and assigns two evaluators
    client.force_login(lead)
    listing = _page(client.get(APPS))
    assert "Brightday Support" in listing and "working days left" in listing and "PCR 2015 reg 76" in listing
    page = _page(client.get(detail))
    assert "Our answer to: How will you help people" in page
    assert first.email in page and second.email in page  # the evaluators on offer
    assigned = client.post(f"{detail}evaluators/", {"evaluators": [first.pk, second.pk]})
    assert assigned.status_code == 302

    # an evaluator declares before seeing anything of the answers
    client.force_login(first)
    assert "Brightday Support" in _page(client.get(f"{APPS}assigned/"))
    page = _page(client.get(f"{APPS}{application.pk}/evaluate/"))
    assert 'data-testid="declaration-form"' in page and "Brightday Support" in page
    assert "Our answer to" not in page
    assert client.get(detail).url == f"{APPS}{application.pk}/evaluate/"  # not the lead's view
    assert client.post(f"{APPS}{application.pk}/declaration/", {"conflicted": "no"}).status_code == 302
    page = _page(client.get(f"{APPS}{application.pk}/evaluate/"))
    assert "Our answer to: How will you help people" in page and 'data-testid="scores-form"' in page
    saved = client.post(f"{APPS}{application.pk}/scores/",
                        _scores(setup, {"outcomes": 2, "workforce": 3}, "First thinks"))
    assert saved.status_code == 302

    # the second cannot see the first's scores, nor the first the second's
    client.force_login(second)
    client.post(f"{APPS}{application.pk}/declaration/", {"conflicted": "no"})
    assert "First thinks" not in _page(client.get(f"{APPS}{application.pk}/evaluate/"))
    client.post(f"{APPS}{application.pk}/scores/",
                {**_scores(setup, {"outcomes": 4, "workforce": 4}, "Second thinks"), "submit_scores": ""})
    client.force_login(first)
    page = _page(client.get(f"{APPS}{application.pk}/evaluate/"))
    assert "First thinks on outcomes" in page and "Second thinks" not in page

    # nor does the lead, before moderation: progress only
    client.force_login(lead)
    page = _page(client.get(detail))
    assert "First thinks" not in page and "Second thinks" not in page and "Submitted" in page
    assert 'data-testid="not-open"' in _page(client.get(f"{detail}moderation/"))
    waiting = client.post(f"{detail}moderation/open/")
    assert waiting.status_code == 400 and f"Still waiting for {first.email}" in _page(waiting)

    client.force_login(first)
    submitted_scores = client.post(f"{APPS}{application.pk}/scores/",
                                   {**_scores(setup, {"outcomes": 2, "workforce": 3}, "First thinks"),
                                    "submit_scores": ""})
    assert submitted_scores.status_code == 302
    assert 'data-testid="submitted"' in _page(client.get(f"{APPS}{application.pk}/evaluate/"))

    # moderation opens: every score is visible to the lead and to the evaluators
    client.force_login(lead)
    assert client.post(f"{detail}moderation/open/").url == f"{detail}moderation/"
    page = _page(client.get(f"{detail}moderation/"))
    assert "First thinks on outcomes" in page and "Second thinks on outcomes" in page
    client.force_login(first)
    assert "Second thinks on workforce" in _page(client.get(f"{APPS}{application.pk}/evaluate/"))

    # the lead moderates each scored question, previews the outcome and confirms it
    client.force_login(lead)
    for key, score in (("outcomes", 3), ("workforce", 4)):
        question = setup.questions[key]
        moderated = client.post(f"{detail}moderation/{question.pk}/",
                                {f"q{question.pk}-score": str(score),
                                 f"q{question.pk}-rationale": f"Agreed {score} for {key}."})
        assert moderated.status_code == 302
    preview = _page(client.get(f"{detail}decision/"))
    # (40 x 3 + 30 x 4) / (70 x 5) = 68.57%
    assert "68.57%" in preview and "pass mark 60%" in preview and "Passed" in preview
    assert "Confirm decision" in preview
    with schema_context("alpha"):
        assert Application.objects.get(pk=application.pk).status == "moderation"  # the preview changes nothing
    decided = client.post(f"{detail}decision/")
    assert decided.url == f"{detail}letter/"
    letter = _page(client.get(decided.url))
    assert "Your application was successful" in letter and "Agreed 3 for outcomes." in letter
    assert "/L1/001" in letter
    admissions = _page(client.get(ADMISSIONS))
    assert "Brightday Support" in admissions and "Pending onboarding" in admissions
    assert "2 items outstanding" in admissions
    with schema_context("alpha"):
        admission = Admission.objects.get(application=application)
    assert AdmissionProjection.objects.get(authority=region.alpha, admission_id=admission.pk).status == (
        "pending_onboarding")


def test_a_conflicted_evaluator_sees_nothing_and_cannot_score(client, submitted):
    setup, application = submitted
    first = setup.evaluators[0]
    with schema_context("alpha"):
        services.evaluators_assign(actor=setup.commissioner, application=application, evaluators=[first])
    client.force_login(first)
    evaluate = f"{APPS}{application.pk}/evaluate/"
    refused = client.post(f"{APPS}{application.pk}/declaration/", {"conflicted": "yes"})
    assert refused.status_code == 400 and "Describe the conflict" in _page(refused)
    assert client.post(f"{APPS}{application.pk}/declaration/", {}).status_code == 400
    client.post(f"{APPS}{application.pk}/declaration/",
                {"conflicted": "yes", "details": "I was a director of Brightday until last year."})
    page = _page(client.get(evaluate))
    assert 'data-testid="conflicted"' in page and "Our answer to" not in page
    posted = client.post(f"{APPS}{application.pk}/scores/", _scores(setup, {"outcomes": 5}, "Sneaky"))
    assert posted.status_code == 403
    with schema_context("alpha"):
        assert not Score.objects.exists()
    # someone not given the application cannot reach it at all
    client.force_login(setup.evaluators[1])
    assert client.get(evaluate).status_code == 404
    assert client.post(f"{APPS}{application.pk}/declaration/", {"conflicted": "no"}).status_code == 404
    assert "Brightday" not in _page(client.get(APPS))


def test_bad_input_on_the_evaluation_pages_is_shown_against_the_fields(client, submitted):
    setup, application = submitted
    lead, first = setup.commissioner, setup.evaluators[0]
    detail = f"{APPS}{application.pk}/"
    client.force_login(lead)
    nobody = client.post(f"{detail}evaluators/", {})
    assert nobody.status_code == 400 and "Choose at least one evaluator." in _page(nobody)
    broker = support.make_staff(setup.authority, AuthorityRole.BROKER)
    not_offered = client.post(f"{detail}evaluators/", {"evaluators": [broker.pk]})
    assert not_offered.status_code == 400 and "Select a valid choice" in _page(not_offered)
    no_reason = client.post(f"{detail}extension/", {"reason": " "})
    assert no_reason.status_code == 400 and "Say why the decision needs longer." in _page(no_reason)
    extended = client.post(f"{detail}extension/", {"reason": "Clarification on the safeguarding policy."})
    assert extended.status_code == 302
    page = _page(client.get(detail))
    assert "Clarification on the safeguarding policy." in page and 'action="/a/alpha/staff/applications/' \
        f'{application.pk}/extension/"' not in page  # extended once only
    client.post(f"{detail}evaluators/", {"evaluators": [first.pk]})

    client.force_login(first)
    client.post(f"{detail}declaration/", {"conflicted": "no"})
    outcomes, workforce = setup.questions["outcomes"], setup.questions["workforce"]
    no_comment = client.post(f"{detail}scores/", {f"score_{outcomes.pk}": "3", f"comment_{outcomes.pk}": "",
                                                  f"score_{workforce.pk}": "4", f"comment_{workforce.pk}": "Fine"})
    assert no_comment.status_code == 400 and "Give the reason for your score" in _page(no_comment)
    with schema_context("alpha"):
        assert not Score.objects.exists()  # all or nothing: the good one was not kept either
    out_of_scale = client.post(f"{detail}scores/", {f"score_{outcomes.pk}": "6", f"comment_{outcomes.pk}": "Wow"})
    assert out_of_scale.status_code == 400 and "Select a valid choice" in _page(out_of_scale)
    incomplete = client.post(f"{detail}scores/", {f"score_{outcomes.pk}": "3", f"comment_{outcomes.pk}": "Good",
                                                  "submit_scores": ""})
    assert incomplete.status_code == 400 and "Score every quality question first (questions 4)" in _page(incomplete)
    with schema_context("alpha"):
        assert Score.objects.count() == 1  # saved, though not submitted
    client.post(f"{detail}scores/", {**_scores(setup, {"outcomes": 3, "workforce": 4}, "OK"), "submit_scores": ""})

    client.force_login(lead)
    client.post(f"{detail}moderation/open/")
    no_rationale = client.post(f"{detail}moderation/{outcomes.pk}/", {f"q{outcomes.pk}-score": "3"})
    assert no_rationale.status_code == 400 and "Give the rationale" in _page(no_rationale)
    early = client.post(f"{detail}decision/")
    assert early.status_code == 400 and "Moderate every quality question first (questions 3, 4)" in _page(early)
    assert client.get(f"{detail}moderation/999999/").status_code == 405
    assert client.post(f"{detail}moderation/999999/", {}).status_code == 404
    assert client.get(f"{APPS}999999/").status_code == 404
    assert client.get(f"{detail}letter/").status_code == 404  # not decided yet


def test_the_list_warns_when_a_decision_is_due_soon_or_overdue(client, region, time_machine):
    time_machine.move_to(datetime(2025, 9, 1, 9, tzinfo=LONDON), tick=False)
    setup = stage1.open_agreement(region.alpha)
    application = stage1.apply(setup, stage1.provider_with_evidence(region.alpha, "Clockwork Care"), ["2"])
    assert application.decision_due_on == date(2025, 9, 15)  # 10 working days from Monday 1 September

    def listing_on(day: date) -> str:
        time_machine.move_to(datetime(day.year, day.month, day.day, 9, tzinfo=LONDON), tick=False)
        client.force_login(setup.commissioner)  # sessions last a working day
        return _page(client.get(APPS))

    page = listing_on(date(2025, 9, 3))
    assert 'data-testid="clock-on_track"' in page and "8 working days left" in page
    page = listing_on(date(2025, 9, 12))
    assert 'data-testid="clock-due_soon"' in page and "Due soon" in page and "1 working day left" in page
    page = listing_on(date(2025, 9, 17))
    assert "Overdue" in page and "Overdue by 2 working days" in page


@pytest.mark.parametrize("role", [AuthorityRole.BROKER, AuthorityRole.FINANCE_VIEWER])
def test_brokers_and_finance_viewers_cannot_evaluate_or_decide(client, submitted, role):
    setup, application = submitted
    client.force_login(support.make_staff(setup.authority, role))
    detail = f"{APPS}{application.pk}/"
    assert client.get(APPS).status_code == 403
    assert client.get(detail).status_code == 403
    assert client.get(f"{APPS}assigned/").status_code == 403
    assert client.post(f"{detail}evaluators/", {"evaluators": [setup.evaluators[0].pk]}).status_code == 403
    assert client.post(f"{detail}decision/").status_code == 403
    assert client.get(f"{detail}moderation/").status_code == 403
    assert 'href="/a/alpha/staff/applications/"' not in _page(client.get("/a/alpha/staff/"))


def test_a_quality_officer_reads_applications_but_does_not_lead(client, submitted):
    setup, application = submitted
    client.force_login(support.make_staff(setup.authority, AuthorityRole.QUALITY_OFFICER))
    detail = f"{APPS}{application.pk}/"
    page = _page(client.get(detail))
    assert "Our answer to" in page and "Assign evaluators" not in page
    assert client.post(f"{detail}evaluators/", {"evaluators": [setup.evaluators[0].pk]}).status_code == 403
    assert client.post(f"{detail}extension/", {"reason": "Why not"}).status_code == 403
    assert client.post(f"{detail}decision/").status_code == 403


def test_admissions_are_onboarded_activated_suspended_reinstated_and_removed(client, submitted, region):
    setup, application = submitted
    stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 4})
    with schema_context("alpha"):
        admission = Admission.objects.get(application=application)
        items = list(admission.onboarding.all())
    detail = f"{ADMISSIONS}{admission.pk}/"

    # other staff read it, but only a commissioner changes it
    client.force_login(support.make_staff(region.alpha, AuthorityRole.BROKER))
    page = _page(client.get(detail))
    assert "Contract signed" in page and "Mark as done" not in page
    assert client.post(f"{detail}activate/").status_code == 403
    assert client.post(f"{detail}onboarding/{items[0].pk}/", {}).status_code == 403

    client.force_login(setup.commissioner)
    early = client.post(f"{detail}activate/")
    assert early.status_code == 400 and "Onboarding is not finished: Contract signed, Safeguarding" in _page(early)
    for item in items:
        assert client.post(f"{detail}onboarding/{item.pk}/", {f"item{item.pk}-note": "Seen"}).status_code == 302
    assert "Complete" in _page(client.get(ADMISSIONS))
    assert client.post(f"{detail}activate/").status_code == 302

    no_reason = client.post(f"{detail}suspend/", {"reason": ""})
    assert no_reason.status_code == 400 and "Say why the provider is suspended" in _page(no_reason)
    past = client.post(f"{detail}suspend/", {"reason": "Safeguarding concern",
                                             **stage1.dates("until", date.today() - timedelta(days=1))})
    assert past.status_code == 400 and "The end date must be in the future." in _page(past)
    bad_date = client.post(f"{detail}suspend/", {"reason": "Concern", "until_0": "31", "until_1": "2",
                                                 "until_2": "2030"})
    assert bad_date.status_code == 400 and "day is out of range for month" in _page(bad_date)
    assert client.post(f"{detail}suspend/", {"reason": "Safeguarding concern under investigation"}).status_code == 302
    assert AdmissionProjection.objects.get(authority=region.alpha, admission_id=admission.pk).status == "suspended"
    assert "Safeguarding concern under investigation" in _page(client.get(detail))
    assert client.post(f"{detail}reinstate/", {"reason": "Concern not substantiated"}).status_code == 302
    no_grounds = client.post(f"{detail}remove/", {"grounds": ""})
    assert no_grounds.status_code == 400 and "State the grounds for removal." in _page(no_grounds)
    assert client.post(f"{detail}remove/", {"grounds": "Breach of clause 12."}).status_code == 302
    with schema_context("alpha"):
        admission.refresh_from_db()
        assert admission.status == "removed" and admission.removed_grounds == "Breach of clause 12."
    again = client.post(f"{detail}suspend/", {"reason": "x"})
    assert again.status_code == 400 and "The admission is removed: it cannot become suspended." in _page(again)
    assert client.get(f"{ADMISSIONS}999999/").status_code == 404
    assert client.post(f"{detail}onboarding/999999/", {}).status_code == 404
