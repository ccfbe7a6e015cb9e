"""Every text staff write that reaches a provider passes the identifier
guard, whatever the channel (page, API, e-mail, letter), and is refused
before anything is stored or sent: the reason for moving a deadline (e-mailed
to every invitee), compliance notes and an exception's reason (quoted in the
bid letters), the reason nothing was awarded, a clarification's answer, the
package itself; and in admissions the rationale quoted in the decision letter
and the reason the decision period was extended."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from tenants.calloffs import services
from tenants.calloffs.models import (
    Award,
    BidEvaluation,
    BidLetter,
    Clarification,
    DeadlineChange,
    NoAward,
    Package,
)
from tests import support
from tests.api_support import client_for, problem
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1"
PAGES = "/a/alpha/staff/calloffs"
NHS = "943 476 5919"  # a valid NHS number (the person's own, in the fixtures)
GUARD = "Remove what could identify the person"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Brightday", "Meadow Farm"])


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<span id="id_{field}(?:_\d+)?_error" class="govuk-error-message">\s*<span class="govuk-'
                      rf'visually-hidden">Error:</span>\s*(.*?)\s*</span>', page, re.S)
    assert match, f"no error shown against {field}"
    return match.group(1)


# --- The reason for moving a deadline: e-mailed to every invitee ----------------------------

@pytest.mark.parametrize("reason, found", [
    (f"Mrs Okoro (NHS {NHS}) is in hospital", NHS),
    ("MRS OKORO\u2019S daughter asked for more time", "OKORO"),
    ("Marg\u200baret’s review moved", "Marg\u200baret"),
])
def test_a_deadline_move_reason_that_identifies_the_person_is_refused_before_any_email(
        market, mailoutbox, django_capture_on_commit_callbacks, reason, found):
    package = stage2.package(market)
    mailoutbox.clear()
    with schema_context("alpha"):
        before = package.bid_deadline
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
            services.deadline_move(actor=market.setup.commissioner, package=package,
                                   bid_deadline=before + timedelta(days=3), reason=reason)
        package.refresh_from_db()
        assert package.bid_deadline == before
        assert not DeadlineChange.objects.exists()
        assert not AuditEvent.objects.filter(action="package.deadline_moved").exists()
    message = refused.value.message_dict["reason"][0]
    assert GUARD in message and found in message
    assert mailoutbox == []


def test_a_deadline_move_reason_with_an_nhs_number_is_a_400_in_the_api_and_nothing_is_sent(
        market, mailoutbox, django_capture_on_commit_callbacks):
    package = stage2.package(market)
    mailoutbox.clear()
    new = (package.bid_deadline + timedelta(days=3)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        body = problem(client_for(market.setup.commissioner).post(
            f"{API}/calloffs/packages/{package.pk}/deadline/",
            {"bid_deadline": new, "reason": "Waiting for the assessment of 943\u00a0476\u00a05919"},
            format="json"), 400)
    assert GUARD in body["errors"]["reason"][0] and "476" in body["errors"]["reason"][0]
    assert mailoutbox == []
    with schema_context("alpha"):
        assert Package.objects.get(pk=package.pk).bid_deadline == package.bid_deadline
        assert not DeadlineChange.objects.exists()


def test_a_deadline_move_reason_with_an_nhs_number_is_a_form_error_on_the_page(
        client, market, mailoutbox, django_capture_on_commit_callbacks):
    package = stage2.package(market)
    mailoutbox.clear()
    new_day = timezone.localdate(package.bid_deadline) + timedelta(days=7)
    client.force_login(market.setup.commissioner)
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(f"{PAGES}/{package.pk}/deadline/", {
            **ss.date_parts("bid_deadline", new_day), "bid_deadline_time": "16:30",
            "reason": f"Assessment of {NHS} delayed"})
    assert refused.status_code == 400
    assert NHS in field_error(refused.content.decode(), "reason")
    assert mailoutbox == []
    with schema_context("alpha"):
        assert not DeadlineChange.objects.exists()


# --- Evaluation notes and award reasons: quoted in the bid letters ----------------------------

def _closed(market):
    package = ss.closed_with_bids(market, ["430.00", "445.00"])
    return package, ss.bids_by_name(market, package)


def test_compliance_notes_with_an_nhs_number_are_refused_before_any_letter(
        market, mailoutbox, django_capture_on_commit_callbacks):
    package, bids = _closed(market)
    with schema_context("alpha"):
        with pytest.raises(ValidationError) as refused:
            services.bid_evaluate(actor=market.setup.commissioner, bid=bids["Brightday"], compliant=False,
                                  quality=50, outcomes=50, social_value=50,
                                  compliance_notes="No plan for 943-476-5919's seizures")
        assert "943-476-5919" in refused.value.message_dict["compliance_notes"][0]
        assert not BidEvaluation.objects.exists()
        services.bid_evaluate(actor=market.setup.commissioner, bid=bids["Meadow Farm"], compliant=True, quality=70,
                              outcomes=70, social_value=70)
        with django_capture_on_commit_callbacks(execute=True):
            services.award(actor=market.broker, package=package, bid=bids["Meadow Farm"])
        letter = BidLetter.objects.get(bid=bids["Brightday"])
    assert "476" not in letter.body and all("476" not in m.body for m in mailoutbox)


def test_compliance_notes_with_an_nhs_number_are_a_400_in_the_api_and_a_form_error_on_the_page(client, market):
    package, bids = _closed(market)
    evaluator = support.make_staff(market.authority, AuthorityRole.EVALUATOR)
    url = f"{API}/calloffs/packages/{package.pk}/bids/{bids['Brightday'].pk}/evaluation/"
    body = problem(client_for(evaluator).post(url, {
        "compliant": False, "quality": 50, "outcomes": 50, "social_value": 50,
        "compliance_notes": "Did not answer for ９４３４７６５９１９"}, format="json"), 400)
    assert GUARD in body["errors"]["compliance_notes"][0]
    client.force_login(evaluator)
    page = client.post(f"{PAGES}/{package.pk}/bids/{bids['Brightday'].pk}/evaluate/", {
        "compliant": "no", "quality": "50", "outcomes": "50", "social_value": "50",
        "compliance_notes": f"Does not meet Margaret Okoro's needs ({NHS})"})
    assert page.status_code == 400 and NHS in field_error(page.content.decode(), "compliance_notes")
    with schema_context("alpha"):
        assert not BidEvaluation.objects.exists()


def test_notes_written_before_the_guard_stop_the_award_before_any_letter(
        market, mailoutbox, django_capture_on_commit_callbacks):
    package, bids = _closed(market)
    with schema_context("alpha"):
        for name in bids:
            services.bid_evaluate(actor=market.setup.commissioner, bid=bids[name], compliant=name != "Brightday",
                                  quality=70, outcomes=70, social_value=70, compliance_notes="No night cover")
        BidEvaluation.objects.filter(bid=bids["Brightday"]).update(compliance_notes=f"No plan for {NHS}")
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
            services.award(actor=market.broker, package=package, bid=bids["Meadow Farm"])
        assert "Brightday" in refused.value.messages[0] and NHS in refused.value.messages[0]
        assert not Award.objects.exists() and not BidLetter.objects.exists()
    assert mailoutbox == []


def test_an_exception_reason_that_names_the_person_is_refused_in_the_api(market, mailoutbox):
    package, bids = _closed(market)
    with schema_context("alpha"):
        for name in bids:
            services.bid_evaluate(actor=market.setup.commissioner, bid=bids[name], compliant=False, quality=70,
                                  outcomes=70, social_value=70, compliance_notes="No night cover")
    body = problem(client_for(market.broker).post(f"{API}/calloffs/packages/{package.pk}/award/", {
        "bid": bids["Meadow Farm"].pk, "exception_reason": "Mrs Okoro’s family chose them"}, format="json"), 400)
    assert GUARD in body["errors"]["exception_reason"][0] and "Okoro" in body["errors"]["exception_reason"][0]
    with schema_context("alpha"):
        assert not Award.objects.exists() and not BidLetter.objects.exists()
    assert mailoutbox == []


def test_a_no_award_reason_that_identifies_the_person_is_refused(client, market):
    package, _bids = _closed(market)
    client.force_login(market.broker)
    refused = client.post(f"{PAGES}/{package.pk}/no-award/", {
        "next_step": "republish", "reason": "Family (07700\u202f900123) turned both down"})
    assert refused.status_code == 400
    assert "07700" in field_error(refused.content.decode(), "reason")
    with schema_context("alpha"):
        assert not NoAward.objects.exists()
        assert Package.objects.get(pk=package.pk).status == Package.Status.CLOSED


# --- Clarifications and the package: what every invitee reads ---------------------------------

def test_a_clarification_answer_with_a_hidden_identifier_is_refused(market):
    package = stage2.package(market)
    provider = market.providers[0]
    with schema_context("alpha"):
        question = services.clarification_ask(actor=catalogue.admin_of(provider), package=package,
                                              provider=provider, question="Is transport included?")
    body = problem(client_for(market.broker).post(
        f"{API}/calloffs/packages/{package.pk}/clarifications/{question.pk}/answer/",
        {"answer": "Yes: ring her on 0044\u00a07700\u00a0900123", "question": "Is transport included?"},
        format="json"), 400)
    assert "0044" in body["errors"]["answer"][0]
    with schema_context("alpha"):
        assert Clarification.objects.get(pk=question.pk).published_at is None


@pytest.mark.parametrize("field, text", [
    ("title", "Day service for Mrs Оkoro"),                # Cyrillic О
    ("outcomes", "Mar\u00adgaret wants to swim"),          # soft hyphen
    ("support_needed", "D.O.B: 1961-03-03; needs hoisting"),
    ("other_requirements", "email marg [at] gmail [dot] com"),
    ("locality", "Crewe CW1\u20092AB"),                   # thin space
])
def test_an_identifier_typed_to_get_past_the_guard_is_refused_in_a_package(market, field, text):
    with pytest.raises(ValidationError) as refused:
        stage2.package(market, publish=False, **{field: text})
    assert GUARD in refused.value.message_dict[field][0]
    with schema_context("alpha"):
        assert not Package.objects.exists()


def test_ordinary_care_text_with_unicode_punctuation_is_accepted_by_the_api(market):
    """No false alarms: the corpus of ordinary text goes through the API as a
    package's fields, with the person's own names in play."""
    from tests.common.test_identifier_corpus import ORDINARY

    person = stage2.person(market)
    deadline = timezone.localtime(timezone.now() + timedelta(days=14)).replace(hour=17, minute=0, second=0,
                                                                              microsecond=0)
    quarter = len(ORDINARY) // 4
    body = {"agreement": market.agreement.pk, "lot": market.lot.pk, "people": [person.pk],
            "title": "Support at home – Monday–Friday, 2:1 for transfers", "outcomes": "\n".join(ORDINARY[:quarter]),
            "support_needed": "\n".join(ORDINARY[quarter:2 * quarter]),
            "skills": "\n".join(ORDINARY[2 * quarter:3 * quarter]),
            "other_requirements": "\n".join(ORDINARY[3 * quarter:]), "pattern": "09:00–17:30, 10–12 hours",
            "locality": "Nantwich (CW5)", "transport": "Own car; mileage at £0.45/mile", "language": "Polish…",
            "start_on": (timezone.localdate() + timedelta(days=30)).isoformat(), "postcode_district": "CW5",
            "budget_weekly": "450.00",
            "clarification_deadline": (deadline - timedelta(days=3)).replace(tzinfo=None).isoformat(),
            "bid_deadline": deadline.replace(tzinfo=None).isoformat()}
    created = client_for(market.broker).post(f"{API}/calloffs/packages/", body, format="json")
    assert created.status_code == 201, created.json()
