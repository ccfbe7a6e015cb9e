"""The provider's side of stage 1 through the pages: a bid writer applies
from the authority's provider home to the decision letter; windows, one live
application per lot, withdrawal, roles and other providers are respected;
bad input gives form errors, never a 500."""


import pytest
from django_tenants.utils import schema_context

from accounts.roles import ProviderRole
from tenants.admissions import services
from tenants.admissions.models import Answer, Application
from tests.admissions import provider_support as ps
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
BASE = "/a/alpha/provider"


@pytest.fixture
def fps(region, time_machine):
    time_machine.move_to(ps.at(ps.TODAY), tick=False)
    return ps.open_fps(region.alpha)


@pytest.fixture
def team(region, fps):
    return ps.team(region.alpha, "Brightday")


def _start(client, fps, lots=("1",), **extra):
    return client.post(f"{BASE}/agreements/{fps.agreement.pk}/apply/",
                       {"lots": [fps.lots[n].pk for n in lots], **extra})


def _application_id(response) -> int:
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(response.url.rstrip("/").split("/")[-2])


def test_a_bid_writer_applies_end_to_end_and_sees_the_decision_date(client, fps, team):
    client.force_login(team.writer)
    home = client.get(f"{BASE}/").content.decode()
    assert f'href="{BASE}/agreements/"' in home and f'href="{BASE}/applications/"' in home

    listing = client.get(f"{BASE}/agreements/").content.decode()
    assert fps.agreement.title in listing and "Open now" in listing
    assert "Round 1 is open until 31 March 2026" in listing
    assert "PCR 2015 reg 76" in listing                         # the rule's source is shown
    assert "Lot 3: Employment, Skills and Training" in listing

    detail = client.get(f"{BASE}/agreements/{fps.agreement.pk}/").content.decode()
    assert "Start an application" in detail and "How do you recruit, train and supervise staff?" in detail

    form = client.get(f"{BASE}/agreements/{fps.agreement.pk}/apply/").content.decode()
    assert "Applying for <strong>Brightday</strong>" in form and 'name="provider"' not in form
    application_id = _application_id(_start(client, fps, lots=("1", "3")))

    answers_url = f"{BASE}/applications/{application_id}/answers/"
    page = client.get(answers_url).content.decode()
    # the verified catalogue documents are shown as reused: the provider is not asked again
    assert page.count('data-testid="reused"') == 2
    assert "Reused from your evidence locker: your verified public liability insurance" in page
    assert "How do you support people into volunteering and paid work?" in page   # lot 3's own question

    # save a partial draft, then come back and finish
    insurance = fps.questions["insurance"]
    saved = client.post(answers_url, {"action": "save", f"q{insurance.pk}-complies": "yes"})
    assert saved.status_code == 302 and saved.url == answers_url
    with schema_context("alpha"):
        assert Answer.objects.get(application_id=application_id, question=insurance).complies is True
    done = client.post(answers_url, ps.full_answers(fps, lots=("1", "3")))
    assert done.status_code == 302 and done.url == f"{BASE}/applications/{application_id}/submit/"

    submit_url = done.url
    check = client.get(submit_url).content.decode()
    assert services.DECLARATION in check and "Reused from your evidence locker" in check
    refused = client.post(submit_url, {})
    assert refused.status_code == 400 and "Confirm the declaration to submit." in refused.content.decode()

    submitted = client.post(submit_url, {"declaration": "on"}, follow=True)
    page = submitted.content.decode()
    assert "Application submitted. Received at 10:00:00 on 3 March 2026" in page
    assert "a decision is due by 17 March 2026" in page
    assert 'data-testid="decision-due"' in page and "17 March 2026" in page
    assert "PCR 2015 reg 76" in page                            # the decision rule's source
    with schema_context("alpha"):
        application = Application.objects.get(pk=application_id)
        assert application.status == "submitted" and application.decision_due_on == ps.DUE
        assert application.declared_by == team.writer
        reused = application.answers.get(question=insurance).evidence
        assert reused.evidence_type == "public_liability" and reused.verification == "verified"

    # answers cannot change now
    assert client.get(answers_url).status_code == 302
    assert client.post(answers_url, ps.full_answers(fps)).status_code == 302

    listing = client.get(f"{BASE}/applications/").content.decode()
    assert f"Application {application_id}" in listing and "Submitted" in listing
    assert "Decision due by 17 March 2026" in listing

    # the authority decides; the outcome per lot and the letter are there for the provider
    assert client.get(f"{BASE}/applications/{application_id}/letter/").status_code == 404
    stage1.evaluate(fps, application, {"outcomes": 4, "workforce": 3, "employment": 0})
    listing = client.get(f"{BASE}/applications/").content.decode()
    assert "Lot 1: passed (71.43%)" in listing and "Lot 3: not successful (50.00%)" in listing
    letter = client.get(f"{BASE}/applications/{application_id}/letter/").content.decode()
    assert "Your application was successful for some lots" in letter and "the pass mark is 60%" in letter


def test_outside_a_window_the_next_opening_date_is_shown_and_the_start_refused(client, region, time_machine):
    time_machine.move_to(ps.at(ps.TODAY), tick=False)
    fps = ps.open_fps(region.alpha)
    time_machine.move_to(ps.at(ps.BETWEEN_ROUNDS), tick=False)
    team = ps.team(region.alpha)
    client.force_login(team.writer)
    listing = client.get(f"{BASE}/agreements/").content.decode()
    assert "Opens 1 March 2027" in listing and "The next round opens on 1 March 2027" in listing
    detail = client.get(f"{BASE}/agreements/{fps.agreement.pk}/").content.decode()
    assert "Start an application" not in detail
    page = client.get(f"{BASE}/agreements/{fps.agreement.pk}/apply/").content.decode()
    assert "The next round opens on 1 March 2027" in page and "You cannot start an application now" in page
    refused = _start(client, fps)
    assert refused.status_code == 400
    assert "Applications are closed. The next round opens on 1 March 2027." in refused.content.decode()
    with schema_context("alpha"):
        assert not Application.objects.filter(provider=team.provider).exists()


def test_one_live_application_per_lot_then_withdraw_and_apply_again(client, fps, team):
    client.force_login(team.writer)
    first = _application_id(_start(client, fps, lots=("1", "2")))
    again = _start(client, fps, lots=("2",))
    assert again.status_code == 400
    assert "already has an application in progress for one of these lots" in again.content.decode()

    withdraw_url = f"{BASE}/applications/{first}/withdraw/"
    assert "Withdraw application" in client.get(withdraw_url).content.decode()
    withdrawn = client.post(withdraw_url, {"reason": "We chose the wrong lots."}, follow=True)
    page = withdrawn.content.decode()
    assert "Application withdrawn" in page and "We chose the wrong lots." in page
    with schema_context("alpha"):
        application = Application.objects.get(pk=first)
        assert application.status == "withdrawn" and not application.lots.filter(live=True).exists()
    assert client.post(withdraw_url, {}).status_code == 400         # not twice
    assert client.get(withdraw_url).status_code == 302

    second = _application_id(_start(client, fps, lots=("2",)))
    assert second != first


def test_a_submitted_application_can_be_withdrawn_before_the_decision(client, fps, team):
    application = stage1.apply(fps, team.provider, ["1"])
    client.force_login(team.writer)
    response = client.post(f"{BASE}/applications/{application.pk}/withdraw/", {})
    assert response.status_code == 302
    with schema_context("alpha"):
        assert Application.objects.get(pk=application.pk).status == "withdrawn"


def test_someone_in_several_organisations_chooses_which_one_applies(client, region, fps, team):
    other = catalogue.register(name="Meadow Farm")
    catalogue.add_person(other, ProviderRole.BID_WRITER, email=None)
    read_only = catalogue.register(name="Corner Cafe")
    from accounts.services import provider_membership_grant

    provider_membership_grant(actor=None, provider=other, user=team.writer, role=ProviderRole.BID_WRITER)
    provider_membership_grant(actor=None, provider=read_only, user=team.writer, role=ProviderRole.VIEWER)
    client.force_login(team.writer)
    page = client.get(f"{BASE}/agreements/{fps.agreement.pk}/apply/").content.decode()
    assert "Which organisation is applying?" in page
    assert "Brightday" in page and "Meadow Farm" in page and "Corner Cafe" not in page   # viewer there

    assert "Which organisation is applying?" in _start(client, fps).content.decode()        # must choose
    assert _start(client, fps, provider=read_only.pk).status_code == 400
    application_id = _application_id(_start(client, fps, provider=other.pk))
    with schema_context("alpha"):
        assert Application.objects.get(pk=application_id).provider == other


def test_a_viewer_reads_but_cannot_write(client, fps, team):
    draft = stage1.apply(fps, team.provider, ["1"], submit=False)
    client.force_login(team.viewer)
    assert client.get(f"{BASE}/agreements/").status_code == 200
    assert "Start an application" not in client.get(f"{BASE}/agreements/{fps.agreement.pk}/").content.decode()
    page = client.get(f"{BASE}/applications/{draft.pk}/")
    assert page.status_code == 200 and "Answer the questions" not in page.content.decode()
    assert client.get(f"{BASE}/applications/").status_code == 200

    assert client.get(f"{BASE}/agreements/{fps.agreement.pk}/apply/").status_code == 403
    assert _start(client, fps, lots=("2",)).status_code == 403
    for action in ("answers", "submit", "withdraw"):
        url = f"{BASE}/applications/{draft.pk}/{action}/"
        assert client.post(url, {**ps.full_answers(fps), "declaration": "on"}).status_code == 403, action
    with schema_context("alpha"):
        assert Application.objects.get(pk=draft.pk).status == "draft"


def test_another_provider_cannot_see_it_and_providers_cannot_reach_staff_pages(client, region, fps, team):
    application = stage1.apply(fps, team.provider, ["1"])
    stage1.evaluate(fps, application, {"outcomes": 4, "workforce": 4})
    rival = ps.team(region.alpha, "Rival Care")
    client.force_login(rival.admin)
    for suffix in ("", "answers/", "submit/", "withdraw/", "letter/"):
        assert client.get(f"{BASE}/applications/{application.pk}/{suffix}").status_code == 404, suffix
    for suffix in ("answers/", "submit/", "withdraw/"):
        assert client.post(f"{BASE}/applications/{application.pk}/{suffix}", {}).status_code == 404, suffix
    assert f"Application {application.pk}" not in client.get(f"{BASE}/applications/").content.decode()
    # the same application number in another authority is another authority's (or nothing)
    client.force_login(team.admin)
    assert client.get(f"/a/beta/provider/applications/{application.pk}/").status_code == 404
    assert client.get(f"{BASE}/applications/{application.pk}/letter/").status_code == 200
    # authority staff pages are not for providers
    for path in ("/a/alpha/staff/", "/a/alpha/staff/catalogue/", "/a/alpha/staff/audit/"):
        assert client.get(path).status_code == 403, path


def test_a_draft_agreement_is_not_found(client, region, time_machine):
    time_machine.move_to(ps.at(ps.TODAY), tick=False)
    draft = stage1.agreement(region.alpha)
    client.force_login(ps.team(region.alpha).writer)
    assert client.get(f"{BASE}/agreements/{draft.agreement.pk}/").status_code == 404
    assert client.post(f"{BASE}/agreements/{draft.agreement.pk}/apply/", {}).status_code == 404
    assert draft.agreement.title not in client.get(f"{BASE}/agreements/").content.decode()


def test_bad_input_gives_form_errors_never_a_500(client, region, fps, team):
    client.force_login(team.writer)
    other = stage1.agreement(region.alpha)
    no_lots = client.post(f"{BASE}/agreements/{fps.agreement.pk}/apply/", {})
    assert no_lots.status_code == 400 and "Choose at least one lot." in no_lots.content.decode()
    for lots in (["999999"], ["not-a-number"], [other.lots["1"].pk]):
        response = client.post(f"{BASE}/agreements/{fps.agreement.pk}/apply/", {"lots": lots})
        assert response.status_code == 400, lots
        assert "govuk-error-summary" in response.content.decode()
    assert client.get(f"{BASE}/applications/999999/").status_code == 404

    application_id = _application_id(_start(client, fps))
    url = f"{BASE}/applications/{application_id}/answers/"
    insurance, safeguarding = fps.questions["insurance"], fps.questions["safeguarding"]
    outcomes = fps.questions["outcomes"]
    bogus = client.post(url, {"action": "save", f"q{insurance.pk}-evidence": "999999",
                              f"q{insurance.pk}-complies": "maybe"})
    assert bogus.status_code == 400 and "Select a valid choice" in bogus.content.decode()

    # a document chosen without saying yes or no: refused on that question, and nothing else saved either
    document = catalogue.upload(team.provider, evidence_type="safeguarding_policy", title="2026 policy")
    page = client.get(url).content.decode()
    assert "2026 policy" in page
    refused = client.post(url, {"action": "save", f"q{safeguarding.pk}-evidence": str(document.pk),
                                f"q{outcomes.pk}-response": "We plan with each person."})
    content = refused.content.decode()
    assert refused.status_code == 400 and "Answer yes or no." in content and "Nothing was saved" in content
    assert "We plan with each person." in content                  # what they typed is still there
    with schema_context("alpha"):
        assert not Answer.objects.filter(application_id=application_id).exists()

    # an insurance document cannot be offered for the safeguarding question
    insurance_doc = catalogue.upload(team.provider, evidence_type="public_liability")
    wrong = client.post(url, {"action": "save", f"q{safeguarding.pk}-complies": "yes",
                              f"q{safeguarding.pk}-evidence": str(insurance_doc.pk)})
    assert wrong.status_code == 400 and "Select a valid choice" in wrong.content.decode()

    # submitting with questions unanswered names them
    submit = client.post(f"{BASE}/applications/{application_id}/submit/", {"declaration": "on"})
    assert submit.status_code == 400 and "Answer every question before submitting (questions" in submit.content.decode()
