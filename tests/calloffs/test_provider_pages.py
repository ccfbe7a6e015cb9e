"""The provider's side of stage 2 through the pages: an invited bid writer
reads the anonymised package, asks a question, saves, submits, revises and
withdraws a sealed bid with its receipt; a double click is one receipt; one
second late is refused with the reason; other providers' bids are never
readable and the attempt is recorded; viewers read but do not bid; bad input
gives form errors, never a 500. On the regional site, the opportunities in
every authority cost the same number of queries however many there are."""

import re
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from accounts.roles import ProviderRole
from audit.models import AuditEvent
from tenants.calloffs import services
from tenants.calloffs.models import Bid, BidReceipt, Clarification, SealedAccess
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
BASE = "/a/alpha/provider/calloffs"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Brightday", "Rival Care"])


@pytest.fixture
def package(market):
    return stage2.package(market)


@pytest.fixture
def writer(market):
    return catalogue.add_person(market.providers[0], ProviderRole.BID_WRITER)


def key_of(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)


def bid_form(key: str, price="425.50", **fields) -> dict:
    data = {"weekly_price": price, "hourly_rate": "21.25", "hours_per_week": "20",
            "breakdown": "20 hours at £21.25", "outcomes_response": "Travel training with a named worker.",
            "start_available_on_0": "1", "start_available_on_1": "12", "start_available_on_2": "2030",
            "social_value": "Staff recruited locally", "idempotency_key": key, "action": "submit"}
    return data | fields


def test_the_package_page_shows_what_providers_may_see_and_nothing_else(client, market, package, writer):
    rival = market.providers[1]
    stage2.submit(market, package, rival, price="399.99")
    with schema_context("alpha"):
        asked = services.clarification_ask(actor=catalogue.admin_of(rival), package=package, provider=rival,
                                           question="Does the rival's question show who asked?")
        services.clarification_answer(actor=market.broker, clarification=asked,
                                      answer="Transport is paid separately.", question="Is transport included?")
        services.clarification_ask(actor=catalogue.admin_of(rival), package=package, provider=rival,
                                   question="A rival's question still waiting")
    client.force_login(writer)
    page = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert package.title in page and "Build confidence to travel independently" in page
    assert "£450.00 a week" in page and "Bids close at" in page
    assert "Is transport included?" in page and "Transport is paid separately." in page
    # never the person, who else was invited, their questions or their bids
    for hidden in ("Margaret", "Okoro", "9434765919", "CW1 2AB", "Mill Lane", "Sam Reid", "Rival Care",
                   "399.99", "A rival's question", "rival's question show", "Priya Broker"):
        assert hidden not in page, hidden
    assert "Write a bid" in page and 'data-testid="ask-' in page
    listing = client.get(f"{BASE}/").content.decode()
    assert package.title in listing and "Not started" in listing and "Rival" not in listing


def test_a_bid_writer_asks_saves_submits_revises_and_withdraws(client, market, package, writer):
    brightday = market.providers[0]
    client.force_login(writer)
    url = f"{BASE}/{package.pk}/bid/"
    asked = client.post(f"{BASE}/{package.pk}/questions/", {"question": "Can the days be Monday and Friday?"})
    assert asked.status_code == 302
    page = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert "Can the days be Monday and Friday?" in page and 'data-testid="waiting"' in page
    with schema_context("alpha"):
        assert Clarification.objects.get(package=package).provider == brightday

    form = client.get(url).content.decode()
    assert "Save draft" in form and "The personal budget is £450.00 a week" in form
    draft = client.post(url, bid_form(key_of(form), action="save"))
    assert draft.status_code == 302
    with schema_context("alpha"):
        bid = Bid.objects.get(package=package, provider=brightday)
        assert bid.status == "draft" and not BidReceipt.objects.filter(bid=bid).exists()

    form = client.get(url).content.decode()
    assert 'value="425.50"' in form and "Travel training with a named worker." in form   # read back, unsealed
    submitted = client.post(url, bid_form(key_of(form)), follow=True)
    page = submitted.content.decode()
    with schema_context("alpha"):
        receipt = BidReceipt.objects.get(bid__package=package)
    assert "Bid submitted: received at" in page and receipt.content_sha256 in page and "(version 1)" in page
    assert 'data-testid="receipt"' in page and "Submit the revised bid" in page and "Save draft" not in page
    with schema_context("alpha"):   # every read of the bid's content went through the seal, and was recorded
        reads = SealedAccess.objects.filter(bid__package=package, channel="page")
        assert reads.count() >= 2 and all(r.allowed and r.user_id == writer.pk for r in reads)

    revised = client.post(url, bid_form(key_of(page), price="410.00"), follow=True).content.decode()
    assert "(version 2)" in revised and "Earlier versions" in revised
    withdraw = client.get(f"{BASE}/{package.pk}/bid/withdraw/?provider={brightday.pk}")
    assert "Withdraw your bid" in withdraw.content.decode()
    done = client.post(f"{BASE}/{package.pk}/bid/withdraw/?provider={brightday.pk}", {}, follow=True)
    assert "Bid withdrawn" in done.content.decode() and "Withdrawn" in done.content.decode()
    with schema_context("alpha"):
        bid.refresh_from_db()
        assert bid.status == "withdrawn" and bid.version == 2
    # and a new bid can be made before the deadline
    again = client.post(url, bid_form(key_of(client.get(url).content.decode())), follow=True).content.decode()
    assert "(version 3)" in again


def test_a_double_click_or_a_resent_form_is_one_receipt(client, market, package, writer):
    client.force_login(writer)
    url = f"{BASE}/{package.pk}/bid/"
    data = bid_form(key_of(client.get(url).content.decode()))
    first = client.post(url, data, follow=True).content.decode()
    second = client.post(url, data, follow=True).content.decode()
    assert "Bid submitted" in first
    assert "This submission had already been received" in second and "Nothing was sent twice" in second
    with schema_context("alpha"):
        assert BidReceipt.objects.filter(bid__package=package).count() == 1
        assert Bid.objects.get(package=package).version == 1
    # the same form sent again with other content (after going back) is not a silent no-op
    changed = client.post(url, data | {"weekly_price": "401.00"})
    page = changed.content.decode()
    assert changed.status_code == 409 and "This key was already used for version 1" in page
    assert 'value="401.00"' in page and key_of(page) != data["idempotency_key"]   # a fresh key to revise with
    assert client.post(url, data | {"weekly_price": "401.00", "idempotency_key": key_of(page)}).status_code == 302
    with schema_context("alpha"):
        assert BidReceipt.objects.filter(bid__package=package).count() == 2


def test_a_bid_one_second_late_is_refused_with_the_reason(client, market, package, writer, time_machine):
    client.force_login(writer)
    url = f"{BASE}/{package.pk}/bid/"
    data = bid_form(key_of(client.get(url).content.decode()))
    time_machine.move_to(package.bid_deadline + timedelta(seconds=1), tick=False)
    client.force_login(writer)  # a fresh session: the first has expired by now
    late = client.post(url, data)
    page = late.content.decode()
    assert late.status_code == 409 and 'data-testid="refusal"' in page
    assert re.search(r"Bids closed at \d\d:\d\d:\d\d on .*; this one arrived at \d\d:\d\d:\d\d", page)
    assert 'data-testid="bid-form"' not in page and "Bids can no longer be submitted" in page
    with schema_context("alpha"):
        assert not Bid.objects.filter(package=package).exists()
        assert AuditEvent.objects.filter(action="bid.late_refused").count() == 1
    shown = client.get(url).content.decode()
    assert 'data-testid="closed"' in shown and 'data-testid="bid-form"' not in shown
    assert "Write a bid" not in client.get(f"{BASE}/{package.pk}/").content.decode()
    # and questions closed three days before
    refused = client.post(f"{BASE}/{package.pk}/questions/", {"question": "Too late?"})
    assert refused.status_code == 409 and "Clarification questions have closed" in refused.content.decode()


def test_another_providers_bid_is_never_readable_and_the_attempt_is_recorded(client, market, package, writer):
    brightday, rival = market.providers
    stage2.submit(market, package, brightday, price="431.25")
    client.force_login(catalogue.admin_of(rival))
    for path in (f"{BASE}/{package.pk}/bid/?provider={brightday.pk}",
                 f"{BASE}/{package.pk}/bid/withdraw/?provider={brightday.pk}"):
        response = client.get(path)
        assert response.status_code == 403 and "431.25" not in response.content.decode()
        assert "this attempt has been recorded" in response.content.decode()
    assert client.post(f"{BASE}/{package.pk}/bid/?provider={brightday.pk}", bid_form("k")).status_code == 403
    # the same answer for an organisation that has not bid, or does not exist: even that is sealed
    with schema_context("alpha"):
        other = stage2.admit(market, "Quiet Care")
    assert client.get(f"{BASE}/{package.pk}/bid/?provider={other.pk}").status_code == 403
    assert client.get(f"{BASE}/{package.pk}/bid/?provider=999999").status_code == 403
    with schema_context("alpha"):
        refused = SealedAccess.objects.filter(bid__provider=brightday, allowed=False)
        assert refused.count() == 3 and {r.channel for r in refused} == {"page"}
        assert AuditEvent.objects.filter(action="bid.read_refused").count() == 5
    # after closing too: the rival's own pages never show another's bid
    with schema_context("alpha"):
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
    assert client.get(f"{BASE}/{package.pk}/bid/?provider={brightday.pk}").status_code == 403
    assert "431.25" not in client.get(f"{BASE}/{package.pk}/").content.decode()


def test_a_provider_not_invited_gets_404_for_the_package(client, region, market, package):
    outsider = catalogue.register(name="Not Invited Care")
    client.force_login(outsider.memberships.get().user)
    for path in (f"{BASE}/{package.pk}/", f"{BASE}/{package.pk}/bid/", f"{BASE}/{package.pk}/bid/withdraw/",
                 f"{BASE}/999999/", f"{BASE}/999999/bid/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{BASE}/{package.pk}/questions/", {"question": "?"}).status_code == 404
    assert client.post(f"{BASE}/{package.pk}/bid/", bid_form("k")).status_code == 404
    assert package.title not in client.get(f"{BASE}/").content.decode()
    # a draft package is invisible to the providers on its lot too
    draft = stage2.package(market, publish=False, title="Not yet published")
    client.force_login(catalogue.admin_of(market.providers[0]))
    assert client.get(f"{BASE}/{draft.pk}/").status_code == 404


def test_a_viewer_reads_the_bid_but_cannot_bid_or_ask(client, market, package):
    brightday = market.providers[0]
    stage2.submit(market, package, brightday, price="431.25")
    viewer = catalogue.add_person(brightday, ProviderRole.VIEWER)
    client.force_login(viewer)
    page = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert "Read your bid" in page and "Write a bid" not in page and 'data-testid="ask-' not in page
    bid = client.get(f"{BASE}/{package.pk}/bid/").content.decode()
    assert "431.25" in bid and 'data-testid="bid-form"' not in bid and 'data-testid="read-only"' in bid
    assert client.post(f"{BASE}/{package.pk}/bid/", bid_form("viewer-key")).status_code == 403
    assert client.post(f"{BASE}/{package.pk}/questions/", {"question": "May I?"}).status_code == 403
    assert client.post(f"{BASE}/{package.pk}/bid/withdraw/", {}).status_code == 403
    with schema_context("alpha"):
        assert Bid.objects.get(package=package).version == 1 and not Clarification.objects.exists()


@pytest.mark.parametrize("fields, field, message", [
    ({"weekly_price": ""}, "weekly_price", "Enter the weekly price."),
    ({"weekly_price": "lots"}, "weekly_price", "Enter an amount in pounds and pence, like 425.50."),
    ({"hourly_rate": "-3"}, "hourly_rate", "Enter an amount above zero."),
    ({"outcomes_response": "  "}, "outcomes_response", "Say how you will achieve the outcomes."),
    ({"start_available_on_0": "", "start_available_on_1": "", "start_available_on_2": ""}, "start_available_on",
     "Say when you could start."),
    ({"start_available_on_0": "31", "start_available_on_1": "2"}, "start_available_on", ""),
    ({"weekly_price": "9" * 30}, "weekly_price", "Ensure this value has at most 20 characters"),
    ({"idempotency_key": ""}, None, "Send a unique key"),
])
def test_bad_input_gives_form_errors_never_a_500(client, market, package, writer, fields, field, message):
    client.force_login(writer)
    response = client.post(f"{BASE}/{package.pk}/bid/", bid_form("a-key") | fields)
    page = response.content.decode()
    assert response.status_code == 400, page[:3000]
    assert "govuk-error-summary" in page and message in page
    if field:
        assert f'href="#id_{field}' in page
    with schema_context("alpha"):
        assert not Bid.objects.filter(package=package).exists()


def test_odd_requests_are_not_errors(client, market, package, writer):
    client.force_login(writer)
    assert client.post(f"{BASE}/{package.pk}/questions/", {"question": ""}).status_code == 400
    assert client.get(f"{BASE}/{package.pk}/questions/").status_code == 302
    assert client.get(f"{BASE}/{package.pk}/bid/?provider=abc").status_code == 302
    assert client.get(f"{BASE}/{package.pk}/bid/withdraw/").status_code == 302   # nothing to withdraw yet
    assert client.post(f"{BASE}/{package.pk}/bid/withdraw/", {}).status_code == 302


def test_someone_in_two_invited_organisations_chooses_which_one_bids(client, market, package):
    brightday, rival = market.providers
    both = catalogue.add_person(brightday, ProviderRole.BID_WRITER)
    from accounts.services import provider_membership_grant
    provider_membership_grant(actor=None, provider=rival, user=both, role=ProviderRole.BID_WRITER)
    client.force_login(both)
    page = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert f"?provider={brightday.pk}" in page and f"?provider={rival.pk}" in page
    chooser = client.get(f"{BASE}/{package.pk}/bid/")
    assert chooser.status_code == 302 and chooser.url == f"{BASE}/{package.pk}/"
    url = f"{BASE}/{package.pk}/bid/?provider={rival.pk}"
    assert client.post(url, bid_form(key_of(client.get(url).content.decode()))).status_code == 302
    with schema_context("alpha"):
        assert list(Bid.objects.filter(package=package).values_list("provider_id", flat=True)) == [rival.pk]
