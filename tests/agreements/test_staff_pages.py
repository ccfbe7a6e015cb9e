"""Agreements through the staff pages: a commissioner sets one up, with its
lots, round and questionnaire, and opens it; bad input is shown against the
fields; other roles read but cannot change; partners see the partnership's
agreements and nobody else's."""

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from tenants.agreements.models import Agreement, AgreementModification, Question, QuestionnaireVersion
from tests import support
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
BASE = "/a/alpha/staff/agreements/"


def _create_data(**overrides):
    today = date.today()
    data = {
        "kind": "fps", "title": "Day Opportunities FPS", "reference": support.unique("CEC-DAYOPS-"),
        "service_area": "Day opportunities for adults", "decision_working_days": "10",
        "decision_extended_working_days": "15", "onboarding_checklist": "Contract signed\nSafeguarding assurance",
        **stage1.dates("starts_on", today), **stage1.dates("ends_on", today + timedelta(days=900)),
    }
    data.update(overrides)
    return data


def _page(response) -> str:
    return response.content.decode()


def test_a_commissioner_sets_up_an_fps_and_opens_it_through_the_pages(client, region):
    commissioner = support.make_staff(region.alpha, AuthorityRole.COMMISSIONER)
    client.force_login(commissioner)
    assert "PCR 2015 reg 34" in _page(client.get(f"{BASE}new/"))  # the rules of each kind, with sources

    created = client.post(f"{BASE}new/", _create_data(estimated_value="15000000"))
    assert created.status_code == 302
    with schema_context("alpha"):
        agreement = Agreement.objects.get()
        assert agreement.status == "draft" and agreement.estimated_value == 15000000
        assert list(agreement.call_off_authorities.all()) == [region.alpha]
    detail = f"{BASE}{agreement.pk}/"
    assert created.url == detail
    page = _page(client.get(detail))
    assert "Day Opportunities FPS" in page and "Draft" in page
    # the rules it runs under, with their sources
    assert "PCR 2015 reg 76" in page and "in the rounds the authority publishes" in page

    for number, title in (("1", "Building Based Services"), ("2", "Community Support"),
                          ("3", "Employment, Skills and Training")):
        assert client.post(f"{detail}lots/new/", {"number": number, "title": title}).status_code == 302
    round_page = client.get(f"{detail}rounds/new/")
    assert "Source: The authority&#x27;s own procedure under the light touch regime" in _page(round_page)
    today = date.today()
    added = client.post(f"{detail}rounds/new/", {**stage1.dates("opens_on", today),
                                                 **stage1.dates("closes_on", today + timedelta(days=28))})
    assert added.status_code == 302

    # the questionnaire: a draft, its settings, questions, then published
    drafted = client.post(f"{detail}questionnaire/draft/")
    with schema_context("alpha"):
        version = QuestionnaireVersion.objects.get(agreement=agreement)
        lot3 = agreement.lots.get(number="3")
    version_url = f"{detail}questionnaire/{version.pk}/"
    assert drafted.url == version_url
    assert client.post(f"{version_url}settings/", {"pass_threshold": "60", "scale_max": "5"}).status_code == 302
    questions = [
        {"kind": "compliance", "text": "Do you hold public liability insurance of at least £5 million?",
         "evidence_types": ["public_liability"]},
        {"kind": "quality", "text": "How will you help people achieve their outcomes?", "weight": "40"},
        {"kind": "quality", "text": "How do you support people into work?", "weight": "30", "lot": str(lot3.pk)},
    ]
    for question in questions:
        assert client.post(f"{version_url}questions/new/", question).status_code == 302
    page = _page(client.get(version_url))
    assert "Lot 3" in page and "weight 40" in page and "public_liability" in page
    assert client.post(f"{version_url}publish/").status_code == 302

    opened = client.post(f"{detail}open/")
    assert opened.status_code == 302
    with schema_context("alpha"):
        agreement.refresh_from_db()
        assert agreement.status == "open"
        version.refresh_from_db()
        assert version.status == "published"
        assert [(q.position, q.kind, q.lot_id) for q in version.questions.all()] == [
            (1, "compliance", None), (2, "quality", None), (3, "quality", lot3.pk)]
        assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
            "agreement.created", "agreement.lot_added", "agreement.round_added", "questionnaire.drafted",
            "questionnaire.settings_changed", "questionnaire.question_added", "questionnaire.published",
            "agreement.opened"}
    page = _page(client.get(detail))
    assert "Open for applications" in page and "Round 1 is open until" in page
    listing = _page(client.get(BASE))
    assert "Day Opportunities FPS" in listing and "Open for applications" in listing


def test_bad_input_is_shown_against_the_fields_never_a_500(client, region):
    commissioner = support.make_staff(region.alpha, AuthorityRole.COMMISSIONER)
    client.force_login(commissioner)
    today = date.today()

    # ends before it starts; the extension shorter than the normal period; a DPS allows at most 10 days
    refused = client.post(f"{BASE}new/", _create_data(**stage1.dates("ends_on", today - timedelta(days=1)),
                                                      decision_extended_working_days="5"))
    assert refused.status_code == 400
    page = _page(refused)
    assert "There is a problem" in page and "The agreement must end after it starts." in page
    assert "The extended period cannot be shorter than the normal one." in page
    refused = client.post(f"{BASE}new/", _create_data(kind="dps", decision_working_days="12"))
    assert refused.status_code == 400 and "At most 10 working days" in _page(refused)
    refused = client.post(f"{BASE}new/", _create_data(**{"starts_on_1": "13"}, estimated_value="lots"))
    assert refused.status_code == 400 and "Enter a number." in _page(refused)
    assert client.post(f"{BASE}new/", {}).status_code == 400
    with schema_context("alpha"):
        assert not Agreement.objects.exists()

    setup = stage1.agreement(region.alpha, commissioner=commissioner)
    detail = f"{BASE}{setup.agreement.pk}/"
    duplicate = client.post(f"{detail}lots/new/", {"number": "1", "title": "Again"})
    assert duplicate.status_code == 400 and "There is already a lot 1." in _page(duplicate)
    round_outside = client.post(f"{detail}rounds/new/", {**stage1.dates("opens_on", date(2030, 1, 1)),
                                                          **stage1.dates("closes_on", date(2030, 2, 1))})
    assert round_outside.status_code == 400 and "Rounds fall within the term" in _page(round_outside)
    backwards = client.post(f"{detail}rounds/new/", {**stage1.dates("opens_on", date(2023, 3, 1)),
                                                     **stage1.dates("closes_on", date(2023, 2, 1))})
    assert backwards.status_code == 400 and "A round cannot close before it opens." in _page(backwards)

    # the published version is never changed; a new draft refuses a scored question without a weight
    with schema_context("alpha"):
        published = setup.agreement.questionnaires.get()
    changed = client.post(f"{detail}questionnaire/{published.pk}/questions/new/",
                          {"kind": "quality", "text": "Another", "weight": "10"})
    assert changed.status_code == 400 and "A published questionnaire is never changed" in _page(changed)
    client.post(f"{detail}questionnaire/draft/")
    with schema_context("alpha"):
        draft = setup.agreement.questionnaires.get(status="draft")
    no_weight = client.post(f"{detail}questionnaire/{draft.pk}/questions/new/", {"kind": "quality", "text": "How?"})
    assert no_weight.status_code == 400 and "A scored question needs a weight above zero." in _page(no_weight)
    threshold = client.post(f"{detail}questionnaire/{draft.pk}/settings/", {"pass_threshold": "160",
                                                                           "scale_max": "5"})
    assert threshold.status_code == 400 and "less than or equal to 100" in _page(threshold)

    # the FPS cannot open without a round: the rule and its source are in the message
    refused = client.post(f"{detail}open/")
    assert refused.status_code == 400
    assert "Add an application round first" in _page(refused) and "PCR 2015 reg 76" in _page(refused)
    # suspending needs a reason, and a draft cannot be suspended anyway
    assert client.post(f"{detail}suspend/", {"reason": ""}).status_code == 400
    # unknown ids are 404s
    assert client.get(f"{BASE}999999/").status_code == 404
    assert client.get(f"{detail}questionnaire/999999/").status_code == 404


def test_a_lot_added_once_live_needs_a_reason_and_is_a_modification(client, region):
    setup = stage1.open_agreement(region.alpha)
    client.force_login(setup.commissioner)
    detail = f"{BASE}{setup.agreement.pk}/"
    assert client.post(f"{detail}go-live/").status_code == 302
    page = _page(client.get(f"{detail}lots/new/"))
    assert "Adding a lot is a modification" in page
    refused = client.post(f"{detail}lots/new/", {"number": "4", "title": "Supported Employment"})
    assert refused.status_code == 400 and "say why it is being changed" in _page(refused)
    added = client.post(f"{detail}lots/new/", {"number": "4", "title": "Supported Employment",
                                               "reason": "Market engagement showed demand."})
    assert added.status_code == 302
    with schema_context("alpha"):
        modification = AgreementModification.objects.get(agreement=setup.agreement)
    assert modification.what == "lot_added" and modification.reason == "Market engagement showed demand."
    assert "Market engagement showed demand." in _page(client.get(detail))

    # who may call off: only the authority itself can be named; a change once live needs a reason
    refused = client.post(f"{detail}call-off/", {"authorities": [str(region.alpha.pk), str(region.beta.pk)]})
    assert refused.status_code == 400 and "Select a valid choice" in _page(refused)
    assert client.post(f"{detail}suspend/", {"reason": "Provider market review."}).status_code == 302
    assert client.post(f"{detail}resume/", {"reason": ""}).status_code == 302
    assert client.post(f"{detail}end/", {"reason": ""}).status_code == 400
    assert client.post(f"{detail}end/", {"reason": "Term expired."}).status_code == 302
    with schema_context("alpha"):
        setup.agreement.refresh_from_db()
        assert setup.agreement.status == "ended"
    # nothing more to do with an ended agreement: no moves are offered, and a move is refused
    assert 'data-testid="moves"' not in _page(client.get(detail))
    refused = client.post(f"{detail}suspend/", {"reason": "Again"})
    assert refused.status_code == 400 and "cannot be suspended from there" in _page(refused)


@pytest.mark.parametrize("role", [AuthorityRole.BROKER, AuthorityRole.FINANCE_VIEWER, AuthorityRole.EVALUATOR])
def test_other_staff_read_agreements_but_cannot_set_them_up(client, region, role):
    setup = stage1.agreement(region.alpha)
    client.force_login(support.make_staff(region.alpha, role))
    detail = f"{BASE}{setup.agreement.pk}/"
    page = _page(client.get(BASE))
    assert setup.agreement.title in page and "Set up an agreement" not in page
    assert "Add a lot" not in _page(client.get(detail))
    assert client.get(f"{BASE}new/").status_code == 403
    assert client.post(f"{BASE}new/", _create_data()).status_code == 403
    assert client.post(f"{detail}lots/new/", {"number": "9", "title": "X"}).status_code == 403
    assert client.post(f"{detail}open/").status_code == 403
    assert client.post(f"{detail}questionnaire/draft/").status_code == 403
    with schema_context("alpha"):
        assert Agreement.objects.count() == 1 and setup.agreement.lots.count() == 3


def test_partners_see_the_partnership_agreement_and_its_admissions_but_not_another_authoritys(client, region):
    """Alpha and NHS North commission together in the alpha-nhs partnership;
    Beta's own agreements are Beta's alone."""
    joint = stage1.open_agreement(region.partners, reference=support.unique("JOINT-"))
    provider = stage1.provider_with_evidence(region.partners, "Partnership Provider")
    stage1.evaluate(joint, stage1.apply(joint, provider, ["2"]), {"outcomes": 4, "workforce": 4})
    beta_own = stage1.agreement(region.beta, reference=support.unique("BETA-OWN-"))
    beta_ref = beta_own.agreement.reference

    alpha_commissioner = support.make_staff(region.alpha, AuthorityRole.COMMISSIONER)
    client.force_login(alpha_commissioner)
    # Alpha's own list points to the partnership's agreements
    assert "/a/alpha-nhs/staff/agreements/" in _page(client.get(BASE))
    listing = _page(client.get("/a/alpha-nhs/staff/agreements/"))
    assert joint.agreement.reference in listing and beta_ref not in listing
    detail = _page(client.get(f"/a/alpha-nhs/staff/agreements/{joint.agreement.pk}/"))
    assert "Partnership Provider" in detail
    admissions = _page(client.get("/a/alpha-nhs/staff/admissions/"))
    assert "Partnership Provider" in admissions and joint.agreement.title in admissions
    # who may call off a partnership's agreement: its members
    assert "Alpha Council" in detail and "NHS North ICB" in detail

    # Beta's own agreement: refused at Beta, and not reachable by its id from the partnership either
    assert client.get("/a/beta/staff/agreements/").status_code == 403
    assert client.get(f"/a/beta/staff/agreements/{beta_own.agreement.pk}/").status_code == 403
    assert client.get("/a/beta/staff/admissions/").status_code == 403
    with schema_context("alpha_nhs"):
        beta_id_taken = Agreement.objects.filter(pk=beta_own.agreement.pk).exists()
    if not beta_id_taken:
        assert client.get(f"/a/alpha-nhs/staff/agreements/{beta_own.agreement.pk}/").status_code == 404
    for path in ("/a/alpha/staff/agreements/", "/a/alpha-nhs/staff/agreements/", "/a/alpha-nhs/staff/admissions/",
                 "/a/alpha/staff/admissions/"):
        page = _page(client.get(path))
        assert beta_ref not in page, path

    # and a partner commissioner can set up a joint agreement there, with the members calling off by default
    created = client.post("/a/alpha-nhs/staff/agreements/new/", _create_data(title="Joint Home Care"))
    assert created.status_code == 302
    with schema_context("alpha_nhs"):
        made = Agreement.objects.get(title="Joint Home Care")
        assert set(made.call_off_authorities.all()) == {region.alpha, region.nhs}
        assert Question.objects.filter(version__agreement=made).count() == 0
