"""The lead moderates every question of an application with one form: one
press of the button saves all four, and a refusal on one keeps what was
typed in every question and saves none."""

import pytest
from django_tenants.utils import schema_context

from tenants.admissions import services
from tenants.admissions.models import ModeratedResult
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
APPS = "/a/alpha/staff/applications/"


def in_moderation(setup, application):
    lead = setup.commissioner
    with schema_context(setup.authority.schema_name):
        services.evaluators_assign(actor=lead, application=application, evaluators=setup.evaluators)
        for evaluator in setup.evaluators:
            services.conflict_declare(actor=evaluator, application=application, conflicted=False)
            for key in ("outcomes", "workforce"):
                services.score_record(actor=evaluator, application=application, question=setup.questions[key],
                                      score=3, comment="As the answer shows.")
            services.scores_submit(actor=evaluator, application=application)
        services.moderation_open(actor=lead, application=application)
    return application


@pytest.fixture
def moderation(region):
    setup = stage1.open_agreement(region.alpha)
    provider = stage1.provider_with_evidence(region.alpha, "Fourfold Care")
    application = in_moderation(setup, stage1.apply(setup, provider, ["1"]))
    return setup, application


def _all_four(setup, **override) -> dict:
    q = setup.questions
    data = {
        f"q{q['insurance'].pk}-met": "yes", f"q{q['insurance'].pk}-rationale": "Insurance verified.",
        f"q{q['safeguarding'].pk}-met": "no", f"q{q['safeguarding'].pk}-rationale": "Policy out of date.",
        f"q{q['outcomes'].pk}-score": "4", f"q{q['outcomes'].pk}-rationale": "Clear outcomes.",
        f"q{q['workforce'].pk}-score": "2", f"q{q['workforce'].pk}-rationale": "Thin on supervision.",
    }
    data.update(override)
    return data


def test_one_form_saves_all_four_questions(client, moderation):
    setup, application = moderation
    client.force_login(setup.commissioner)
    url = f"{APPS}{application.pk}/moderation/"
    page = client.get(url).content.decode()
    assert page.count("<form") == page.count("</form>") and page.count("Save the moderated results") == 1
    saved = client.post(url, _all_four(setup))
    assert saved.status_code == 302
    with schema_context("alpha"):
        results = {r.question_id: r for r in ModeratedResult.objects.filter(application=application)}
    q = setup.questions
    assert len(results) == 4
    assert results[q["insurance"].pk].met is True and results[q["safeguarding"].pk].met is False
    assert results[q["outcomes"].pk].score == 4 and results[q["workforce"].pk].score == 2
    assert results[q["workforce"].pk].rationale == "Thin on supervision."
    assert "4 questions moderated." in client.get(url).content.decode()


def test_a_refusal_on_one_question_saves_none_and_keeps_every_answer(client, moderation):
    setup, application = moderation
    client.force_login(setup.commissioner)
    url = f"{APPS}{application.pk}/moderation/"
    workforce = setup.questions["workforce"]
    refused = client.post(url, _all_four(setup, **{f"q{workforce.pk}-rationale": ""}))
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Give the rationale" in page
    assert "Clear outcomes." in page and "Policy out of date." in page and "Insurance verified." in page
    with schema_context("alpha"):
        assert not ModeratedResult.objects.filter(application=application).exists()


def test_the_service_saves_all_or_none(moderation):
    setup, application = moderation
    q = setup.questions
    with schema_context("alpha"):
        with pytest.raises(services.ModerationRefused) as refused:
            services.moderate_all(actor=setup.commissioner, application=application, results=[
                (q["outcomes"], {"rationale": "Good.", "score": 4}),
                (q["workforce"], {"rationale": "Too high.", "score": 99}),
            ])
        assert list(refused.value.by_question) == [q["workforce"].pk]
        assert not ModeratedResult.objects.filter(application=application).exists()
        saved = services.moderate_all(actor=setup.commissioner, application=application, results=[
            (q["outcomes"], {"rationale": "Good.", "score": 4}),
            (q["workforce"], {"rationale": "Fair.", "score": 3}),
        ])
        assert [r.score for r in saved] == [4, 3]
