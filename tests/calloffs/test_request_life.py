"""Sourcing requests through their whole life: a draft cancelled and a
published package withdrawn with a reason (bidders told once; bids not yet
opened never are), a request published again linked to the first and counted
once, and the need structured (client group, primary need), shown to the
invited providers and filterable, through the services, the pages and the API."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from shared_catalogue.models import ClientGroup, OpportunityProjection
from tenants.calloffs import sealing, selectors, services
from tenants.calloffs.models import Bid, Package, SealedAccess, Withdrawal
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
BASE = "/a/alpha/staff/calloffs"
API = "/a/alpha/api/v1/calloffs/packages"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Brightday", "Meadow Farm"])


def _dementia():
    return ClientGroup.objects.get(code="dementia")


def _withdraw(market, package, reason="person_declined", note="", capture=None):
    with schema_context("alpha"):
        if capture is None:
            return services.package_withdraw(actor=market.broker, package=package, reason=reason, note=note)
        with capture(execute=True):
            return services.package_withdraw(actor=market.broker, package=package, reason=reason, note=note)


# --- Withdraw and cancel: the services ------------------------------------------------------

def test_a_draft_is_cancelled_with_a_reason_and_nobody_is_told(market, mailoutbox):
    draft = stage2.package(market, publish=False)
    with schema_context("alpha"):
        with pytest.raises(ValidationError) as missing:
            services.package_cancel(actor=market.broker, package=draft, reason="other", note="")
        assert "Say what the other reason is" in missing.value.message_dict["note"][0]
        with pytest.raises(ValidationError) as unknown:
            services.package_cancel(actor=market.broker, package=draft, reason="bored")
        assert "reason" in unknown.value.message_dict
        # a draft is cancelled, not withdrawn
        with pytest.raises(ValidationError, match="cancel it instead"):
            services.package_withdraw(actor=market.broker, package=draft, reason="needs_changed")
        with pytest.raises(PermissionDenied):
            services.package_cancel(actor=market.setup.evaluators[0], package=draft, reason="needs_changed")
        made = services.package_cancel(actor=market.broker, package=draft, reason="direct_payment",
                                       note="Family arranging it themselves")
        draft.refresh_from_db()
        assert draft.status == "cancelled" and made.status_before == "draft" and not made.bids_unopened
        event = AuditEvent.objects.get(action="package.cancelled")
        assert event.after == {"reason": "direct_payment"} and event.reason == "Family arranging it themselves"
        # once cancelled, neither again nor a withdrawal
        with pytest.raises(ValidationError, match="cancelled: it cannot be cancelled"):
            services.package_cancel(actor=market.broker, package=draft, reason="needs_changed")
        with pytest.raises(ValidationError, match="cannot be withdrawn"):
            services.package_withdraw(actor=market.broker, package=draft, reason="needs_changed")
    assert mailoutbox == []


def test_withdrawn_while_open_its_bids_are_never_opened_and_every_invitee_is_told_once(
        market, mailoutbox, django_capture_on_commit_callbacks):
    package = stage2.package(market)
    stage2.submit(market, package, market.providers[0])
    with schema_context("alpha"):
        with pytest.raises(ValidationError) as guarded:  # the note goes to every invitee
            services.package_withdraw(actor=market.broker, package=package, reason="other",
                                      note="Margaret Okoro moved to her daughter's")
        assert "note" in guarded.value.message_dict
    made = _withdraw(market, package, reason="direct_payment", capture=django_capture_on_commit_callbacks)
    assert made.bids_unopened and made.status_before == "published"
    with schema_context("alpha"):
        package.refresh_from_db()
        assert package.status == "withdrawn" and package.closed_at is None
        event = AuditEvent.objects.get(action="package.withdrawn")
        assert event.after == {"reason": "direct_payment", "bids_unopened": True}

        # the deadline comes: closing finds nothing open, and opens nothing
        assert not services.package_close(package_id=package.pk, by="deadline",
                                          now=package.bid_deadline + timedelta(minutes=1))
        assert services.packages_close_due(now=package.bid_deadline + timedelta(hours=1)) == 0
        bid = Bid.objects.get(package=package)
        assert bid.opened_at is None and bid.content is None and bid.weekly_price is None
        assert not AuditEvent.objects.filter(action=sealing.OPENED).exists()
        # nobody at the authority reads it, ever; the attempt is recorded
        with pytest.raises(PermissionDenied, match="never opened"):
            sealing.read_bid(bid, user=market.setup.commissioner, channel="page")
        assert SealedAccess.objects.filter(bid=bid, allowed=False,
                                           reason="withdrawn before closing: never opened").exists()
        with pytest.raises(PermissionDenied, match="never opened"):
            services.bids_export(actor=market.setup.commissioner, package=package)
        # bidders can do nothing more with it
        with pytest.raises(ValidationError, match="withdrawn by the authority"):
            stage2.submit(market, package, market.providers[1])
        # the opportunity is cancelled for the providers
        statuses = set(OpportunityProjection.objects.filter(package_id=package.pk).values_list("status", flat=True))
        assert statuses == {"cancelled"}

    # one e-mail per invited provider (each to its own people), once
    withdrawn = [m for m in mailoutbox if m.subject.startswith("Withdrawn:")]
    assert len(withdrawn) == 2
    assert sorted(m.to[0] for m in withdrawn) == sorted(catalogue.admin_of(p).email for p in market.providers)
    assert all("The person chose a direct payment" in m.body and "never will be" in m.body for m in withdrawn)
    with schema_context("alpha"):
        assert services.withdrawal_notify(withdrawal_id=made.pk) == 0  # run again: nobody told twice
        made.refresh_from_db()
        assert sorted(made.notified_providers) == sorted(p.pk for p in market.providers)
    assert len([m for m in mailoutbox if m.subject.startswith("Withdrawn:")]) == 2


def test_withdrawn_after_closing_the_opened_bids_stay_readable_and_award_is_refused(
        market, mailoutbox, django_capture_on_commit_callbacks):
    package = ss.closed_with_bids(market, ["420.00", "430.00"])
    made = _withdraw(market, package, reason="no_capacity", capture=django_capture_on_commit_callbacks)
    assert not made.bids_unopened and made.status_before == "closed"
    assert all("bids were opened at the deadline" in m.body for m in mailoutbox if m.subject.startswith("Withdrawn"))
    with schema_context("alpha"):
        bid = Bid.objects.filter(package=package).first()
        assert sealing.read_bid(bid, user=market.setup.commissioner, channel="page")["weekly_price"]
        with pytest.raises(ValidationError, match="withdrawn: it cannot be awarded"):
            services.award(actor=market.broker, package=package, bid=bid)


def test_withdrawn_after_the_deadline_but_before_closing_its_bids_are_never_opened(market):
    package = stage2.package(market)
    stage2.submit(market, package, market.providers[0])
    with schema_context("alpha"):
        package.refresh_from_db()
        assert sealing.closing(package, now=package.bid_deadline + timedelta(seconds=5))
        made = services.package_withdraw(actor=market.broker, package=package, reason="needs_changed",
                                         now=package.bid_deadline + timedelta(seconds=5))
        assert made.bids_unopened
        # the closing task arrives after the withdrawal: nothing to close, nothing opened
        assert not services.package_close(package_id=package.pk, by="deadline",
                                          now=package.bid_deadline + timedelta(seconds=10))
        assert Bid.objects.get(package=package).opened_at is None


def test_the_page_cancels_a_draft_after_checking_and_tells_nobody(client, market, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    draft = stage2.package(market, publish=False)
    client.force_login(market.broker)
    assert "Cancel the request" in client.get(f"{BASE}/{draft.pk}/").content.decode()
    check = client.post(f"{BASE}/{draft.pk}/withdraw/", {"reason": "person_declined", "note": ""}).content.decode()
    assert "Check before you cancel the request" in check and "The bids" not in check
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"{BASE}/{draft.pk}/withdraw/", {"reason": "person_declined", "confirm": "1"})
    assert done.status_code == 302
    page = client.get(done.url).content.decode()
    assert "Cancelled as a draft" in page and "the person declined the support" in page
    assert f'href="{BASE}/{draft.pk}/republish/"' not in page
    assert mailoutbox == []
    # an evaluator may not
    client.force_login(market.setup.evaluators[0])
    assert client.get(f"{BASE}/{stage2.package(market, publish=False).pk}/withdraw/").status_code == 403


def test_the_migration_links_follow_ons_published_again_before_it(market):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("tenants.calloffs.migrations.0006_withdrawal_republish_needs")
    first = ss.closed_with_bids(market, ["420.00"])
    with schema_context("alpha"):
        follow_on = services.no_award(actor=market.broker, package=first, next_step="republish",
                                      reason="Over budget").follow_on
        Package.objects.filter(pk=follow_on.pk).update(republished_from=None, original=None)  # as before 0006
        assert selectors.sourcing_requests_count() == 2
        migration.link_follow_ons(apps, None)
        follow_on.refresh_from_db()
        assert (follow_on.republished_from_id, follow_on.original_id) == (first.pk, first.pk)
        assert selectors.sourcing_requests_count() == 1


def test_an_awarded_or_ended_package_cannot_be_withdrawn(market):
    made = ss.awarded(market)
    with schema_context("alpha"):
        with pytest.raises(ValidationError, match="awarded: it cannot be withdrawn"):
            services.package_withdraw(actor=market.broker, package=made.package, reason="needs_changed")
    package = ss.closed_with_bids(market, ["420.00"])
    with schema_context("alpha"):
        services.no_award(actor=market.broker, package=package, next_step="exception", reason="Nothing fits")
        with pytest.raises(ValidationError, match="not awarded: it cannot be withdrawn"):
            services.package_withdraw(actor=market.broker, package=package, reason="needs_changed")
    other = stage2.package(market)
    _withdraw(market, other)
    with schema_context("alpha"), pytest.raises(ValidationError, match="withdrawn: it cannot be withdrawn"):
        services.package_withdraw(actor=market.broker, package=other, reason="needs_changed")


# --- Withdraw and cancel: the API ---------------------------------------------------------------

def test_the_api_withdraws_cancels_and_refuses_wrong_states_with_409(client, market, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(market.broker)
    draft = stage2.package(market, publish=False)
    published = stage2.package(market)
    stage2.submit(market, published, market.providers[0])

    refused = client.post(f"{API}/{draft.pk}/withdraw/", {"reason": "needs_changed"}, content_type="application/json")
    assert refused.status_code == 409 and "cancel it instead" in refused.json()["detail"]
    refused = client.post(f"{API}/{published.pk}/cancel/", {"reason": "needs_changed"},
                          content_type="application/json")
    assert refused.status_code == 409 and "only a draft can be" in refused.json()["detail"]
    bad = client.post(f"{API}/{published.pk}/withdraw/", {"reason": "bored"}, content_type="application/json")
    assert bad.status_code == 400
    bad = client.post(f"{API}/{published.pk}/withdraw/", {"reason": "other", "colour": "red"},
                      content_type="application/json")
    assert bad.status_code == 400  # unknown fields are refused

    cancelled = client.post(f"{API}/{draft.pk}/cancel/", {"reason": "person_declined"},
                            content_type="application/json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["withdrawal"]["reason"] == "person_declined"
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = client.post(f"{API}/{published.pk}/withdraw/", {"reason": "other", "note": "Service closing"},
                                content_type="application/json")
    assert withdrawn.status_code == 200, withdrawn.content
    body = withdrawn.json()
    assert body["status"] == "withdrawn" and body["bids_received"] is None  # still sealed: not even the number
    assert body["withdrawal"]["bids_unopened"] is True and body["withdrawal"]["note"] == "Service closing"
    assert len([m for m in mailoutbox if m.subject.startswith("Withdrawn:")]) == 2
    again = client.post(f"{API}/{published.pk}/withdraw/", {"reason": "other", "note": "Again"},
                        content_type="application/json")
    assert again.status_code == 409 and "withdrawn: it cannot be withdrawn" in again.json()["detail"]
    bids = client.get(f"{API}/{published.pk}/bids/")
    assert bids.status_code == 403 and "never opened" in bids.json()["detail"]


# --- Withdraw: the pages ------------------------------------------------------------------------

def test_the_page_asks_why_shows_the_answers_to_check_then_withdraws(client, market, mailoutbox,
                                                                      django_capture_on_commit_callbacks):
    package = stage2.package(market)
    stage2.submit(market, package, market.providers[0])
    client.force_login(market.broker)
    detail = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert f'href="{BASE}/{package.pk}/withdraw/"' in detail and "Withdraw the package" in detail
    form = client.get(f"{BASE}/{package.pk}/withdraw/").content.decode()
    assert "never opened" in form and "The person chose a direct payment" in form
    missing = client.post(f"{BASE}/{package.pk}/withdraw/", {"reason": "other", "note": ""})
    assert missing.status_code == 400 and "Say what the other reason is" in missing.content.decode()

    check = client.post(f"{BASE}/{package.pk}/withdraw/", {"reason": "needs_changed", "note": ""})
    page = check.content.decode()
    assert check.status_code == 200 and "Check before you withdraw the package" in page
    assert "Never opened" in page and "Every invited provider (2)" in page
    with schema_context("alpha"):
        package.refresh_from_db()
        assert package.status == "published"  # nothing changes before confirming
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"{BASE}/{package.pk}/withdraw/", {"reason": "needs_changed", "note": "",
                                                              "confirm": "1"})
    assert done.status_code == 302
    page = client.get(done.url).content.decode()
    assert "Withdrawn on" in page and "its bids are never opened" in page
    assert f'href="{BASE}/{package.pk}/republish/"' in page
    assert len([m for m in mailoutbox if m.subject.startswith("Withdrawn:")]) == 2

    # the provider reads why, and that the bid was never opened
    client.force_login(catalogue.admin_of(market.providers[0]))
    seen = client.get(f"/a/alpha/provider/calloffs/{package.pk}/").content.decode()
    assert "withdrew this package" in seen and "never opened" in seen


# --- Published again: one sourcing request ------------------------------------------------------

def test_republished_requests_link_to_the_first_and_count_once(market):
    first = stage2.package(market, client_group=_dementia(), primary_need="dementia")
    _withdraw(market, first, reason="no_capacity")
    with schema_context("alpha"):
        with pytest.raises(ValidationError, match="only a withdrawn or not awarded package"):
            services.package_republish(actor=market.broker, package=stage2.package(market, publish=False))
        second = services.package_republish(actor=market.broker, package=first)
        assert (second.republished_from_id, second.original_id, second.status) == (first.pk, first.pk, "draft")
        assert (second.client_group.code, second.primary_need) == ("dementia", "dementia")
        assert list(second.people.all()) == list(first.people.all())
        with pytest.raises(ValidationError, match="already been published again"):
            services.package_republish(actor=market.broker, package=first)
        assert AuditEvent.objects.filter(action="package.republished").count() == 1
        # publish it, nothing fits, publish again through no award: still the same request
        now = second.created_at
        services.package_update(actor=market.broker, package=second, clarification_deadline=now + timedelta(days=11),
                                bid_deadline=now + timedelta(days=14))
        services.package_publish(actor=market.broker, package=second)
    stage2.submit(market, second, market.providers[0])
    with schema_context("alpha"):
        second.refresh_from_db()
        assert services.package_close(package_id=second.pk, by="deadline", now=second.bid_deadline)
        second.refresh_from_db()
        third = services.no_award(actor=market.broker, package=second, next_step="republish",
                                  reason="Over budget").follow_on
        assert (third.republished_from_id, third.original_id) == (second.pk, first.pk)
        assert [p.pk for p in selectors.package_chain(third)] == [first.pk, second.pk, third.pk]

        # a separate request for someone else
        stage2.package(market, publish=False)
        assert Package.objects.count() == 5
        assert selectors.sourcing_requests_count() == 3
        assert selectors.sourcing_requests_count(Package.objects.filter(pk__in=[second.pk, third.pk])) == 1
        rows = selectors.utilisation()
        assert sum(row["requests"] for row in rows) == 3
        assert sum(row["published"] for row in rows) == 2


def test_the_chain_is_shown_on_the_page_and_the_api_and_the_list_counts_requests(client, market):
    first = stage2.package(market)
    _withdraw(market, first)
    client.force_login(market.broker)
    form = client.get(f"{BASE}/{first.pk}/republish/")
    assert form.status_code == 200 and "Publish the request again" in form.content.decode()
    made = client.post(f"{BASE}/{first.pk}/republish/", {"lot": str(market.lot.pk)})
    assert made.status_code == 302
    with schema_context("alpha"):
        second = Package.objects.get(republished_from=first)
    assert made.url.rstrip("/").endswith(str(second.pk))
    page = client.get(made.url).content.decode()
    assert "One sourcing request, published 2 times" in page and first.reference in page

    listing = client.get(f"{BASE}/").content.decode()
    assert "2 packages for 1 sourcing request" in listing

    body = client.get(f"{API}/{second.pk}/").json()
    assert body["sourcing_request"] == first.pk and body["republished_from"] == first.pk
    assert [step["id"] for step in body["chain"]] == [first.pk, second.pk]
    again = client.post(f"{API}/{first.pk}/republish/", {}, content_type="application/json")
    assert again.status_code == 409 and second.reference in again.json()["detail"]
    draft = client.post(f"{API}/{second.pk}/republish/", {}, content_type="application/json")
    assert draft.status_code == 409


# --- The need, structured -----------------------------------------------------------------------

def test_structured_needs_are_saved_validated_filtered_and_shown_to_invited_providers(client, market):
    client.force_login(market.broker)
    with schema_context("alpha"):
        person = stage2.person(market)
    payload = {"agreement": market.agreement.pk, "lot": market.lot.pk, "people": [person.pk],
               "title": "Day opportunities", "outcomes": "Keep active.", "support_needed": "Two days a week.",
               "sessions_per_week": 2, "start_on": "2031-01-06", "locality": "Crewe", "budget_weekly": "300.00",
               "clarification_deadline": "2031-01-01T12:00:00", "bid_deadline": "2031-01-03T17:00:00"}
    unknown = client.post(f"{API}/", payload | {"client_group": "giraffes"}, content_type="application/json")
    assert unknown.status_code == 400 and "not a client group" in unknown.json()["errors"]["client_group"][0]
    unknown = client.post(f"{API}/", payload | {"primary_need": "boredom"}, content_type="application/json")
    assert unknown.status_code == 400 and "primary_need" in unknown.json()["errors"]
    made = client.post(f"{API}/", payload | {"client_group": "dementia", "primary_need": "dementia"},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["client_group"] == {"code": "dementia", "name": "Dementia"}
    assert made.json()["primary_need"] == "dementia"
    changed = client.patch(f"{API}/{made.json()['id']}/", {"primary_need": "learning_disability"},
                           content_type="application/json")
    assert changed.status_code == 200 and changed.json()["primary_need"] == "learning_disability"

    # the staff form
    page_made = client.post(f"{BASE}/new/?people={person.pk}", ss.package_data(
        market, client_group="dementia", primary_need="older_people_frailty"))
    assert page_made.status_code == 302, page_made.content.decode()[:2000]
    wrong = client.post(f"{BASE}/new/?people={person.pk}", ss.package_data(market, primary_need="boredom"))
    assert wrong.status_code == 400 and "Choose one of the needs listed" in wrong.content.decode()
    with schema_context("alpha"):
        by_form = Package.objects.get(pk=int(page_made.url.rstrip("/").split("/")[-1]))
        assert (by_form.client_group.code, by_form.primary_need) == ("dementia", "older_people_frailty")
    stage2.package(market, primary_need="autism")  # published, with no client group

    # filtered, in the API and on the list
    frail = client.get(f"{API}/?primary_need=older_people_frailty").json()["results"]
    assert [row["id"] for row in frail] == [by_form.pk]
    assert len(client.get(f"{API}/?client_group=dementia").json()["results"]) == 2
    assert client.get(f"{API}/?client_group=giraffes").status_code == 400
    assert client.get(f"{API}/?primary_need=boredom").status_code == 400
    listing = client.get(f"{BASE}/?primary_need=older_people_frailty").content.decode()
    assert by_form.reference in listing and "1 package for 1 sourcing request matching the filters" in listing
    assert client.get(f"{BASE}/?primary_need=boredom").status_code == 400

    # shown to the invited providers: page and API
    with schema_context("alpha"):
        services.package_publish(actor=market.broker, package=by_form)
    client.force_login(catalogue.admin_of(market.providers[0]))
    seen = client.get(f"/a/alpha/provider/calloffs/{by_form.pk}/").content.decode()
    assert "Dementia" in seen and "Older people: frailty" in seen
    offer = client.get(f"/a/alpha/api/v1/provider/calloffs/{by_form.pk}/").json()
    assert offer["client_group"]["code"] == "dementia" and offer["primary_need"] == "older_people_frailty"


def test_a_package_made_before_the_need_was_asked_has_nulls(market):
    package = stage2.package(market, publish=False)
    with schema_context("alpha"):
        package.refresh_from_db()
        assert package.client_group is None and package.primary_need is None
        assert Withdrawal.objects.count() == 0


def test_the_invitation_e_mail_gives_the_structured_need(market, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        stage2.package(market, client_group=_dementia(), primary_need="dementia")
    invitations = [m for m in mailoutbox if m.subject.startswith("New opportunity")]
    assert len(invitations) == 2
    assert all("For: Dementia\nPrimary need: Dementia\n" in m.body for m in invitations)
