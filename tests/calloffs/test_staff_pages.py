"""The staff side of stage 2 through the pages: a broker records who a
package is for, writes the anonymised request, sees who will be invited and
publishes; identifiers are refused on the field that holds them; bids stay
sealed (and every attempt is logged) until the deadline; a commissioner, not
a broker, moves it; bids are evaluated and awarded by preference; placements
are jointly funded; the utilisation report; roles and bad input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import resolve, reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from tenancy.routing import urlconf_for
from tenants.admissions import services as admissions
from tenants.admissions.models import Admission
from tenants.calloffs import services
from tenants.calloffs.models import (
    Award,
    DeadlineChange,
    IdentityAccess,
    Invitation,
    Package,
    Person,
    SealedAccess,
)
from tenants.placements.models import Placement
from tests import support
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2

pytestmark = pytest.mark.django_db
BASE = "/a/alpha/staff/calloffs"
PLACEMENTS = "/a/alpha/staff/placements"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=3, names=["Brightday", "Meadow Farm", "Suspended Care"])


def _id_from(response) -> int:
    assert response.status_code == 302, response.content.decode()[:3000]
    return int(response.url.split("?")[0].rstrip("/").split("/")[-1])


def _field_error(page: str, field: str) -> str:
    """The error message crispy-forms-gds shows against a field."""
    import re

    match = re.search(rf'<span id="id_{field}_\d+_error" class="govuk-error-message">\s*<span class="govuk-visually-'
                      rf'hidden">Error:</span>\s*(.*?)\s*</span>', page, re.S)
    assert match, f"no error shown against {field}"
    return match.group(1)


def test_a_broker_records_who_it_is_for_writes_the_package_publishes_and_sees_the_invitations(client, market):
    with schema_context("alpha"):
        admissions.admission_suspend(actor=market.setup.commissioner,
                                     admission=Admission.objects.get(provider=market.providers[2]),
                                     reason="Embargo after a safeguarding enquiry", until=date.today() + timedelta(30))
    client.force_login(market.broker)
    home = client.get("/a/alpha/staff/").content.decode()
    assert f'href="{BASE}/"' in home and f'href="{PLACEMENTS}/"' in home
    listing = client.get(f"{BASE}/").content.decode()
    assert f'href="{BASE}/new/person/"' in listing and "New sourcing request" in listing

    # without a person first, the package form sends you to "who is it for"
    assert client.get(f"{BASE}/new/").url == f"{BASE}/new/person/"
    typo = client.post(f"{BASE}/new/person/", ss.person_data(nhs_number="943 476 5918", last_name=""))
    assert typo.status_code == 400 and "Enter their last name" in typo.content.decode()
    typo = client.post(f"{BASE}/new/person/", ss.person_data(nhs_number="943 476 5918"))
    assert "Enter a valid NHS number" in _field_error(typo.content.decode(), "nhs_number")
    recorded = client.post(f"{BASE}/new/person/", ss.person_data())
    assert recorded.status_code == 302 and recorded.url.startswith(f"{BASE}/new/?people=")
    person_id = int(recorded.url.split("=")[-1])
    with schema_context("alpha"):
        person = Person.objects.get(pk=person_id)
        assert (person.nhs_number, person.postcode) == ("9434765919", "CW1 2AB")   # as typed, normalised

    form = client.get(recorded.url).content.decode()
    assert "For the person you recorded" in form and "Okoro" not in form and f"Person {person_id}" not in form
    assert market.agreement.title in form and "Lot 1" in form
    created = client.post(recorded.url, ss.package_data(market))
    package_id = _id_from(created)

    page = client.get(f"{BASE}/{package_id}/").content.decode()
    assert "Draft" in page and "Okoro" not in page
    assert f'href="{BASE}/{package_id}/people/{person_id}/"' in page          # a broker may ask who it is
    assert "17:00" in page and "CW1" in page

    check = client.get(f"{BASE}/{package_id}/publish/").content.decode()
    assert "Will be invited (2)" in check and "Brightday" in check and "Meadow Farm" in check
    assert "Will not be invited (1)" in check and "suspended: Embargo after a safeguarding enquiry" in check
    published = client.post(f"{BASE}/{package_id}/publish/", follow=True)
    page = published.content.decode()
    assert "published: 2 providers invited" in page
    assert 'data-testid="invited"' in page and 'data-testid="not-invited"' in page
    assert "Suspended Care" in page and "suspended: Embargo after a safeguarding enquiry" in page
    assert "Bids are sealed until the deadline" in page
    with schema_context("alpha"):
        package = Package.objects.get(pk=package_id)
        assert package.status == "published" and list(package.people.all()) == [person]
        assert sorted(Invitation.objects.filter(package=package).values_list("provider__name", flat=True)) == [
            "Brightday", "Meadow Farm"]
        local = timezone.localtime(package.bid_deadline)
        assert (local.hour, local.minute) == (17, 0)
    listing = client.get(f"{BASE}/").content.decode()
    assert package.reference in listing and f'data-testid="bids-{package_id}">Sealed<' in listing

    # the draft cannot change now
    assert client.get(f"{BASE}/{package_id}/edit/").status_code == 302


@pytest.mark.parametrize("field, text, found", [
    ("outcomes", "Ring her daughter on 07700 900123", "07700 900123"),
    ("title", "Day service for Mrs Okoro", "Okoro"),
    ("locality", "Crewe, CW1 2AB", "CW1 2AB"),
])
def test_an_identifier_typed_in_a_provider_facing_field_is_refused_on_that_field(client, market, field, text,
                                                                                  found):
    client.force_login(market.broker)
    person = stage2.person(market)
    response = client.post(f"{BASE}/new/?people={person.pk}", ss.package_data(market, **{field: text}))
    assert response.status_code == 400
    page = response.content.decode()
    message = _field_error(page, field)
    assert found in message and "Remove what could identify the person" in message
    assert 'class="govuk-error-summary"' in page
    with schema_context("alpha"):
        assert not Package.objects.filter(agreement=market.agreement).exists()


def test_a_draft_is_changed_through_the_page_and_identifiers_are_refused_there_too(client, market):
    package = stage2.package(market, publish=False)
    client.force_login(market.broker)
    form = client.get(f"{BASE}/{package.pk}/edit/").content.decode()
    saved = timezone.localtime(package.bid_deadline)
    assert 'value="Crewe"' in form and f'value="{saved:%H:%M}"' in form and f'value="{saved.day}"' in form
    refused = client.post(f"{BASE}/{package.pk}/edit/", ss.package_data(support_needed="Support at home, NHS "
                                                                                        "number 943 476 5919"))
    assert refused.status_code == 400
    assert "943 476 5919" in _field_error(refused.content.decode(), "support_needed")
    changed = client.post(f"{BASE}/{package.pk}/edit/", ss.package_data(title="Day opportunities, three days"))
    assert changed.status_code == 302
    with schema_context("alpha"):
        package.refresh_from_db()
        assert package.title == "Day opportunities, three days"


def test_identity_is_shown_only_with_a_recorded_purpose_and_only_to_brokers_and_commissioners(client, market):
    package = stage2.package(market)
    with schema_context("alpha"):
        person = package.people.get()
    url = f"{BASE}/{package.pk}/people/{person.pk}/"
    client.force_login(market.broker)
    ask = client.get(url)
    assert ask.status_code == 200 and "Okoro" not in ask.content.decode()
    assert "no-store" in ask["Cache-Control"]
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 400 and "Say why you need to see who this is" in refused.content.decode()
    shown = client.post(url, {"purpose": "Arranging the first review"})
    assert shown.status_code == 200 and "Okoro" in shown.content.decode()
    with schema_context("alpha"):
        access = IdentityAccess.objects.get(person=person)
        assert (access.user, access.purpose, access.package_id) == (market.broker, "Arranging the first review",
                                                                     package.pk)
    # an evaluator or finance viewer never gets a link, and is refused at the address
    for role in (AuthorityRole.EVALUATOR, AuthorityRole.FINANCE_VIEWER, AuthorityRole.QUALITY_OFFICER):
        client.force_login(support.make_staff(market.authority, role))
        page = client.get(f"{BASE}/{package.pk}/").content.decode()
        assert "The person" in page and f"Person {person.pk}" not in page and url not in page
        assert client.get(url).status_code == 403
        assert client.post(url, {"purpose": "curious"}).status_code == 403
    with schema_context("alpha"):
        assert IdentityAccess.objects.count() == 1


def test_bids_are_sealed_on_the_pages_until_the_deadline_and_every_attempt_is_logged(client, market):
    package = stage2.package(market)
    stage2.submit(market, package, market.providers[0], price="431.25")
    bid = ss.bids_by_name(market, package)["Brightday"]
    client.force_login(market.setup.commissioner)
    detail = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert f"{BASE}/{package.pk}/bids/" not in detail     # nothing to open yet
    for path in (f"{BASE}/{package.pk}/bids/", f"{BASE}/{package.pk}/bids/{bid.pk}/",
                 f"{BASE}/{package.pk}/bids.csv"):
        response = client.get(path)
        page = response.content.decode()
        assert response.status_code == 403, path
        assert "Bids are sealed until the deadline" in page and "431.25" not in page and "Brightday" not in page
    # a bid number that does not exist gets the same answer: no clue whether there are bids
    missing = client.get(f"{BASE}/{package.pk}/bids/999999/")
    assert missing.status_code == 403 and "sealed until the deadline" in missing.content.decode()
    with schema_context("alpha"):
        refused = SealedAccess.objects.filter(bid=bid, allowed=False)
        assert sorted(refused.values_list("channel", flat=True)) == ["export", "page", "page"]
        assert all(a.user == market.setup.commissioner for a in refused)
        # one event per attempt, on the package, the missing bid's included: the trail cannot tell them apart
        refusals = AuditEvent.objects.filter(action="bid.read_refused")
        assert refusals.count() == 4
        assert set(refusals.values_list("object_type", "object_id")) == {("calloffs.package", str(package.pk))}


def test_a_commissioner_moves_the_deadline_through_the_page_and_a_broker_cannot(client, market, mailoutbox,
                                                                               django_capture_on_commit_callbacks):
    package = stage2.package(market)
    url = f"{BASE}/{package.pk}/deadline/"
    new_day = timezone.localdate(package.bid_deadline) + timedelta(days=7)
    data = {**ss.date_parts("bid_deadline", new_day), "bid_deadline_time": "16:30",
            "reason": "A clarification changed the hours"}
    client.force_login(market.broker)
    assert f"{url}" not in client.get(f"{BASE}/{package.pk}/").content.decode()
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403

    client.force_login(market.setup.commissioner)
    assert f'href="{url}"' in client.get(f"{BASE}/{package.pk}/").content.decode()
    refused = client.post(url, {**data, "reason": ""})
    assert refused.status_code == 400 and "Say why the deadline moves" in refused.content.decode()
    past = client.post(url, {**data, **ss.date_parts("bid_deadline", date.today() - timedelta(days=1))})
    assert past.status_code == 400 and "must be in the future" in _field_error(past.content.decode(), "bid_deadline")
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(url, data)
    assert moved.status_code == 302
    with schema_context("alpha"):
        package.refresh_from_db()
        change = DeadlineChange.objects.get(package=package)
    local = timezone.localtime(package.bid_deadline)
    assert (local.date(), local.hour, local.minute) == (new_day, 16, 30)
    assert change.reason == "A clarification changed the hours" and change.changed_by == market.setup.commissioner
    assert any("Deadline changed" in m.subject for m in mailoutbox)


def test_a_commissioner_moves_the_clarification_deadline_and_invitees_are_told(
        client, market, mailoutbox, django_capture_on_commit_callbacks):
    package = stage2.package(market)
    url = f"{BASE}/{package.pk}/clarification-deadline/"
    new_day = timezone.localdate(package.clarification_deadline) + timedelta(days=2)
    data = {**ss.date_parts("clarification_deadline", new_day), "clarification_deadline_time": "12:00",
            "reason": "More time to ask about the weekend hours"}
    client.force_login(market.broker)
    assert client.post(url, data).status_code == 403

    client.force_login(market.setup.commissioner)
    assert f'href="{url}"' in client.get(f"{BASE}/{package.pk}/").content.decode()
    # the reason reaches every invitee: the identifier guard stops it before anything changes or is sent
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(url, {**data, "reason": "Extended at the request of 943 476 5919's family"})
    assert refused.status_code == 400 and "NHS number" in refused.content.decode()
    assert mailoutbox == []
    late = client.post(url, {**data, **ss.date_parts("clarification_deadline",
                                                     timezone.localdate(package.bid_deadline) + timedelta(days=1))})
    assert late.status_code == 400 and "before the bid deadline" in late.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(url, data)
    assert moved.status_code == 302
    with schema_context("alpha"):
        package.refresh_from_db()
    local = timezone.localtime(package.clarification_deadline)
    assert (local.date(), local.hour, local.minute) == (new_day, 12, 0)
    told = [m for m in mailoutbox if m.subject.startswith("Clarification deadline changed")]
    assert told and "More time to ask about the weekend hours" in told[0].body
    assert f"{new_day:%-d %B %Y} at 12:00" in told[0].body


def test_bids_are_evaluated_and_awarded_by_preference_through_the_pages(client, market):
    package = ss.closed_with_bids(market, ["430.00", "445.00", "480.00"])
    bids = ss.bids_by_name(market, package)
    evaluator = support.make_staff(market.authority, AuthorityRole.EVALUATOR)
    client.force_login(evaluator)
    listing = client.get(f"{BASE}/{package.pk}/bids/").content.decode()
    assert all(name in listing for name in bids) and "£430.00" in listing
    page = client.get(f"{BASE}/{package.pk}/bids/{bids['Brightday'].pk}/").content.decode()
    assert "Travel training with a named worker" in page and "Save the evaluation" in page
    assert "Record the negotiation" not in page            # evaluators score; brokers negotiate

    bad = client.post(f"{BASE}/{package.pk}/bids/{bids['Brightday'].pk}/evaluate/",
                      {"compliant": "no", "quality": "140", "outcomes": "x", "social_value": "50"})
    assert bad.status_code == 400
    assert _field_error(bad.content.decode(), "quality") == "Score from 0 to 100"
    not_said = client.post(f"{BASE}/{package.pk}/bids/{bids['Brightday'].pk}/evaluate/",
                           {"compliant": "no", "quality": "40", "outcomes": "40", "social_value": "40"})
    assert "Say which requirement the bid does not meet" in not_said.content.decode()
    for name, quality in (("Brightday", 80), ("Meadow Farm", 70), ("Suspended Care", 90)):
        done = client.post(f"{BASE}/{package.pk}/bids/{bids[name].pk}/evaluate/",
                           {"compliant": "yes", "quality": str(quality), "outcomes": "75", "social_value": "50"})
        assert done.status_code == 302, done.content.decode()[:2000]
    # an evaluator does not award
    assert client.get(f"{BASE}/{package.pk}/award/").status_code == 403

    client.force_login(market.broker)
    negotiated = client.post(f"{BASE}/{package.pk}/bids/{bids['Meadow Farm'].pk}/negotiate/",
                             {"note": "Agreed to share transport with another service", "price_after": "440.00"})
    assert negotiated.status_code == 302
    award_page = client.get(f"{BASE}/{package.pk}/award/").content.decode()
    assert "2 compliant bids fit the budget" in award_page
    candidates = award_page.split('data-testid="candidates"')[1].split("</table>")[0]
    assert "Brightday" in candidates and "Meadow Farm" in candidates and "Suspended Care" not in candidates
    refused = client.post(f"{BASE}/{package.pk}/award/", {"bid": bids["Meadow Farm"].pk})
    assert refused.status_code == 400
    assert "record whose preference chose this one" in _field_error(refused.content.decode(), "expressed_by")
    over = client.post(f"{BASE}/{package.pk}/award/", {"bid": bids["Suspended Care"].pk})
    assert "only as an exception" in _field_error(over.content.decode(), "bid")
    answers = {"bid": bids["Meadow Farm"].pk, "expressed_by": "Her mother, at the review meeting",
               "preference_notes": "Wants the farm: she loves animals."}
    check = client.post(f"{BASE}/{package.pk}/award/", answers)
    assert check.status_code == 200 and "Check the award before you make it" in check.content.decode()
    assert "The preference of Her mother, at the review meeting" in check.content.decode()
    with schema_context("alpha"):
        assert not Award.objects.filter(package=package).exists()  # nothing until confirmed
    made = client.post(f"{BASE}/{package.pk}/award/", {**answers, "confirm": "1"}, follow=True)
    page = made.content.decode()
    assert "awarded to Meadow Farm" in page and "£440.00" in page
    with schema_context("alpha"):
        award = Award.objects.get(package=package)
        assert award.basis == "preference" and award.bid == bids["Meadow Farm"]
        assert package.preference.expressed_by == "Her mother, at the review meeting"
        placement = Placement.objects.get(package=package)
    assert made.redirect_chain[-1][0] == f"{PLACEMENTS}/{placement.pk}/"
    detail = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert "Awarded to Meadow Farm" in detail and "expressed by Her mother, at the review meeting" in detail
    csv = client.get(f"{BASE}/{package.pk}/bids.csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[0].startswith("Provider,Received,Receipt digest,Weekly price")


def test_no_award_publishes_again_as_a_new_draft(client, market):
    package = ss.closed_with_bids(market, ["480.00"])
    client.force_login(market.broker)
    refused = client.post(f"{BASE}/{package.pk}/no-award/", {"next_step": "republish", "reason": ""})
    assert refused.status_code == 400 and "Say why nothing was awarded" in refused.content.decode()
    done = client.post(f"{BASE}/{package.pk}/no-award/", {"next_step": "republish",
                                                          "reason": "The only bid was over the budget"}, follow=True)
    assert "A new draft" in done.content.decode()
    with schema_context("alpha"):
        package.refresh_from_db()
        assert package.status == "no_award" and package.no_award.follow_on.status == "draft"


def test_clarifications_show_the_asker_to_staff_and_answers_are_checked_for_identifiers(client, market):
    package = stage2.package(market)
    from tests.shared_catalogue import support as catalogue

    with schema_context("alpha"):
        question = services.clarification_ask(actor=catalogue.admin_of(market.providers[0]), package=package,
                                              provider=market.providers[0], question="Is transport included?")
    client.force_login(market.broker)
    listing = client.get(f"{BASE}/{package.pk}/clarifications/").content.decode()
    assert "Is transport included?" in listing and "Brightday" in listing
    url = f"{BASE}/{package.pk}/clarifications/{question.pk}/"
    refused = client.post(url, {"question": "Is transport included?", "answer": "Ask Margaret on 07700 900123"})
    assert refused.status_code == 400
    assert "07700 900123" in _field_error(refused.content.decode(), "answer")
    published = client.post(url, {"question": "Is transport to the centre included?", "answer": "Yes, both ways."})
    assert published.status_code == 302
    with schema_context("alpha"):
        question.refresh_from_db()
        assert question.published_at and question.question == "Is transport to the centre included?"


def test_a_joint_placements_shares_must_total_100_on_the_page(client, region):
    market = stage2.live_market(region.partners, providers=1)
    award = ss.awarded(market, called_off_by=region.alpha)
    placement = award.package.placement
    base = f"/a/{region.partners.slug}/staff/placements/{placement.pk}"
    client.force_login(market.broker)
    form = client.get(f"{base}/funders/").content.decode()
    assert "Alpha Council’s share" in form and "NHS North ICB’s share" in form and "Beta" not in form
    shares = {f"share_{region.alpha.pk}": "60", f"share_{region.nhs.pk}": "30"}
    refused = client.post(f"{base}/funders/", shares)
    assert refused.status_code == 400
    assert "The shares must total 100%; they total 90.00%." in refused.content.decode()
    done = client.post(f"{base}/funders/", {f"share_{region.alpha.pk}": "62.5", f"share_{region.nhs.pk}": "37.5",
                                            f"share_{region.partners.pk}": ""})
    assert done.status_code == 302
    page = client.get(f"{base}/").content.decode()
    assert "62.50%" in page and "37.50%" in page and "£262.50" in page and "£157.50" in page

    # go live, vary, end: each through its page
    early = client.post(f"{base}/go-live/", {})
    assert early.status_code == 400 and "before it starts" in early.content.decode()
    began = ss.date_parts("start_on", date.today())
    check = client.post(f"{base}/go-live/", began)
    assert check.status_code == 200 and "Check before the placement goes live" in check.content.decode()
    with schema_context(region.partners.schema_name):
        assert Placement.objects.get(pk=placement.pk).status == "pending"  # nothing changes until confirmed
    assert client.post(f"{base}/go-live/", {**began, "confirm": "1"}).status_code == 302
    varied = client.post(f"{base}/vary/", {**ss.date_parts("effective_on", date.today()), "weekly_cost": "400",
                                           "reason": "Fewer hours after review"})
    assert varied.status_code == 302
    early = client.post(f"{base}/end/", {**ss.date_parts("ended_on", date.today() - timedelta(days=400)),
                                         "reason": "Moved away"})
    assert early.status_code == 400 and "cannot end before it starts" in _field_error(early.content.decode(),
                                                                                       "ended_on")
    with schema_context(region.partners.schema_name):
        placement.refresh_from_db()
        assert placement.status == "live" and placement.weekly_cost == 400


def test_rate_schedules_are_set_by_commissioners_and_applied_once(client, market):
    award = ss.awarded(market)
    placement = award.package.placement
    with schema_context("alpha"):
        from tenants.placements import services as placements

        placements.placement_go_live(actor=market.broker, placement=placement, start_on=date.today())
    client.force_login(market.broker)
    assert "Add a rate schedule" not in client.get(f"{PLACEMENTS}/rates/").content.decode()
    data = {"scope": f"a{market.agreement.pk}", **ss.date_parts("effective_from", date.today()),
            "uplift_percent": "4.5", "note": "Annual uplift"}
    assert client.post(f"{PLACEMENTS}/rates/", data).status_code == 403
    client.force_login(market.setup.commissioner)
    bad = client.post(f"{PLACEMENTS}/rates/", {**data, "uplift_percent": "75"})
    assert bad.status_code == 400 and "between -50% and 50%" in _field_error(bad.content.decode(), "uplift_percent")
    assert client.post(f"{PLACEMENTS}/rates/", data).status_code == 302
    client.force_login(market.broker)
    with schema_context("alpha"):
        schedule = placement.package.agreement.rate_schedules.get()
    for _ in range(2):
        applied = client.post(f"{PLACEMENTS}/rates/{schedule.pk}/apply/", follow=True)
    assert "Uplift applied to 0 placements" in applied.content.decode()
    with schema_context("alpha"):
        placement.refresh_from_db()
        assert placement.weekly_cost == Decimal("438.90")
        assert placement.uplifts.count() == 1


def test_utilisation_page_and_csv_count_by_lot_and_month(client, market):
    ss.closed_with_bids(market, ["430.00", "445.00"])
    stage2.package(market)                                 # open: its bids are not counted
    stage2.package(market, publish=False)                  # a request not yet published
    client.force_login(support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER))
    page = client.get(f"{BASE}/utilisation/").content.decode()
    assert "Lot 1: Building Based Services" in page
    response = client.get(f"{BASE}/utilisation.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "Month,Agreement,Lot,Lot title,Sourcing requests,Published,Bids received,Awarded,Gone live"
    month = timezone.localdate().strftime("%Y-%m")
    ours = [line for line in lines if f",{market.agreement.reference}," in line]
    assert ours == [f"{month},{market.agreement.reference},1,Building Based Services,3,2,2,0,0"]
    later = (timezone.localdate() + timedelta(days=40)).isoformat()
    assert market.agreement.reference not in client.get(f"{BASE}/utilisation.csv?start={later}").content.decode()
    bad = client.get(f"{BASE}/utilisation/?start=not-a-date&end=2020-01-01")
    assert bad.status_code == 400 and "Enter a date like 2026-04-01" in bad.content.decode()
    assert client.get(f"{BASE}/utilisation.csv?start=31/02/2026").status_code == 400


def test_a_finance_viewer_reads_placements_and_the_report_but_does_not_source(client, market):
    award = ss.awarded(market)
    finance = support.make_staff(market.authority, AuthorityRole.FINANCE_VIEWER)
    client.force_login(finance)
    assert "New sourcing request" not in client.get(f"{BASE}/").content.decode()
    assert client.get(f"{BASE}/new/person/").status_code == 403
    assert client.post(f"{BASE}/new/person/", ss.person_data()).status_code == 403
    person = stage2.person(market)
    assert client.post(f"{BASE}/new/?people={person.pk}", ss.package_data(market)).status_code == 403
    listing = client.get(f"{PLACEMENTS}/").content.decode()
    assert "Meadow Farm" not in listing and award.bid.provider.name in listing and "£420.00" in listing
    detail = client.get(f"{PLACEMENTS}/{award.package.placement.pk}/")
    assert detail.status_code == 200 and "Set the funders" not in detail.content.decode()
    assert client.get(f"{PLACEMENTS}/{award.package.placement.pk}/funders/").status_code == 403
    assert client.get(f"{BASE}/utilisation/").status_code == 200
    # a quality officer reads neither
    client.force_login(support.make_staff(market.authority, AuthorityRole.QUALITY_OFFICER))
    assert client.get(f"{PLACEMENTS}/").status_code == 403
    assert f'href="{PLACEMENTS}/"' not in client.get("/a/alpha/staff/").content.decode()


def test_another_authoritys_staff_are_refused_on_real_objects(client, market):
    award = ss.awarded(market)
    client.force_login(support.make_staff(market.authority.__class__.objects.get(slug="beta"),
                                          *support.ALL_STAFF_ROLES))
    for path in (f"{BASE}/", f"{BASE}/{award.package_id}/", f"{BASE}/{award.package_id}/bids/",
                 f"{BASE}/{award.package_id}/bids/{award.bid_id}/", f"{PLACEMENTS}/{award.package.placement.pk}/",
                 f"{BASE}/utilisation.csv"):
        assert client.get(path).status_code == 403, path


def test_bad_input_on_every_staff_page_is_an_error_never_a_500(client, market):
    """Every call-off and placement page, with real and unknown ids, empty
    and nonsense forms, answers with a page, a redirect or an error."""
    award = ss.awarded(market)
    draft = stage2.package(market, publish=False)
    ids = {"package_id": draft.pk, "bid_id": award.bid_id, "person_id": 999999, "clarification_id": 999999,
           "placement_id": award.package.placement.pk, "schedule_id": 999999}
    junk = {"lot": "abc", "called_off_by": "x", "budget_weekly": "lots", "start_on_0": "99", "start_on_1": "13",
            "start_on_2": "99999", "bid_deadline_time": "25:99", "weight_quality": "NaN", "quality": "1e999",
            "bid": "'; drop table", "share_1": "Infinity", "uplift_percent": "-inf", "scope": "l999999",
            "next_step": "sideways", "weekly_cost": "1e30", "price_after": "-1", "purpose": "x" * 500,
            "status": "nonsense", "start": "2026-13-45"}
    client.force_login(support.make_staff(market.authority, AuthorityRole.BROKER, AuthorityRole.COMMISSIONER))
    urlconf = urlconf_for("alpha")
    endpoints = [e for e in support.tenant_endpoints("alpha")
                 if e.name.startswith(("calloffs-staff:", "placements-staff:"))]
    assert len(endpoints) >= 25
    for endpoint in endpoints:
        names = list(resolve(endpoint.path, urlconf=urlconf).kwargs)
        for sample in (ids, dict.fromkeys(ids, 999999)):
            path = reverse(endpoint.name, kwargs={n: sample[n] for n in names}, urlconf=urlconf)
            for method, data in (("get", None), ("post", {}), ("post", junk), ("get", junk)):
                response = getattr(client, method)(path, data or {})
                assert response.status_code in (200, 302, 400, 403, 404, 405), (method, path, data,
                                                                                  response.status_code)


def test_in_a_partnership_the_page_asks_which_member_calls_off(client, region):
    market = stage2.live_market(region.partners, providers=1)
    person = stage2.person(market)
    url = f"/a/{region.partners.slug}/staff/calloffs/new/?people={person.pk}"
    client.force_login(market.broker)
    form = client.get(url).content.decode()
    assert "Which authority is calling off?" in form and "Alpha Council" in form and "NHS North ICB" in form
    unsaid = client.post(url, ss.package_data(market))
    assert unsaid.status_code == 400
    assert "Say which authority is calling off" in _field_error(unsaid.content.decode(), "called_off_by")
    made = client.post(url, ss.package_data(market, called_off_by=str(region.nhs.pk)))
    with schema_context(region.partners.schema_name):
        assert Package.objects.get(pk=_id_from(made)).called_off_by == region.nhs
    # a council calling off only from its own agreements is not asked
    alpha = stage2.live_market(region.alpha, providers=1)
    client.force_login(alpha.broker)
    own = client.get(f"{BASE}/new/?people={stage2.person(alpha).pk}").content.decode()
    assert "Which authority is calling off?" not in own


def test_deadlines_are_uk_wall_clock_times_and_a_skipped_hour_is_refused(client, market):
    from datetime import time

    from tenants.calloffs.staff_forms import uk_time

    assert uk_time(date(2027, 3, 28), time(1, 30)) is None                   # the clocks go forward at 01:00
    assert uk_time(date(2027, 3, 28), time(2, 30)).utcoffset() == timedelta(hours=1)
    assert uk_time(date(2027, 1, 15), time(17, 0)).utcoffset() == timedelta(0)
    assert uk_time(date(2027, 10, 31), time(1, 30)).utcoffset() == timedelta(hours=1)   # the first 01:30 (BST)
    person = stage2.person(market)
    client.force_login(market.broker)
    refused = client.post(f"{BASE}/new/?people={person.pk}", ss.package_data(
        market, bid_deadline_time="01:30", **ss.date_parts("bid_deadline", date(2027, 3, 28))))
    assert refused.status_code == 400
    assert "There is no 01:30 on 28 March 2027 in the UK" in _field_error(refused.content.decode(),
                                                                          "bid_deadline_time")
