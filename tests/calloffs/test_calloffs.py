"""Stage 2: anonymised packages, invitations, sealed bids, closing, award by
preference, placements and joint funding."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from tenants.admissions import services as admissions
from tenants.admissions.models import Admission
from tenants.calloffs import sealing, services
from tenants.calloffs.models import Bid, BidReceipt, Invitation, NotInvited, Package, SealedAccess
from tenants.placements import services as placements
from tests import support
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field, text, found", [
    ("outcomes", "Margaret wants to join a walking group", "Margaret"),
    ("support_needed", "Support at home, NHS number 943 476 5919", "943 476 5919"),
    ("locality", "Crewe, CW1 2AB", "CW1 2AB"),
    ("other_requirements", "Ring her daughter on 07700 900123", "07700 900123"),
    ("skills", "Contact sam.reid@cheshireeast.gov.uk", "sam.reid@cheshireeast.gov.uk"),
    ("title", "Day service for Mrs Okoro", "Okoro"),
    ("pattern", "DOB 03/03/1961; mornings", "03/03/1961"),
])
def test_an_identifier_in_any_provider_facing_field_is_refused(region, field, text, found):
    market = stage2.live_market(region.alpha, providers=1)
    with pytest.raises(ValidationError) as refused:
        stage2.package(market, publish=False, **{field: text})
    message = refused.value.message_dict[field][0]
    assert found in message and "Remove what could identify the person" in message
    with schema_context("alpha"):
        assert not Package.objects.exists()
        # and the same check applies to a change of a draft, and to a published answer
        draft = stage2.package(market, publish=False)
        with pytest.raises(ValidationError, match=found.split()[0]):
            services.package_update(actor=market.broker, package=draft, **{field: text})


def test_publication_invites_eligible_providers_only_and_freezes_the_list(region, mailoutbox,
                                                                           django_capture_on_commit_callbacks):
    market = stage2.live_market(region.alpha, providers=4, names=["Active", "Suspended", "Lapsed", "Removed"])
    active, suspended, lapsed, removed = market.providers
    late_joiner_application = stage2.stage1.apply(market.setup, stage2.stage1.provider_with_evidence(
        region.alpha, "Pending"), ["1"])
    stage2.stage1.evaluate(market.setup, late_joiner_application, {"outcomes": 4, "workforce": 4})
    with schema_context("alpha"):
        lead = market.setup.commissioner
        admissions.admission_suspend(actor=lead, admission=Admission.objects.get(provider=suspended),
                                     reason="Embargo after a safeguarding enquiry", until=date.today() + timedelta(30))
        admissions.admission_remove(actor=lead, admission=Admission.objects.get(provider=removed),
                                    grounds="Ceased trading")
    # the lapsed provider's insurance is no longer in date
    insurance = lapsed.evidence.get(evidence_type="public_liability")
    type(insurance).objects.filter(pk=insurance.pk).update(expires_on=date.today() - timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        package = stage2.package(market)
    with schema_context("alpha"):
        assert list(Invitation.objects.filter(package=package).values_list("provider__name", flat=True)) == ["Active"]
        reasons = dict(NotInvited.objects.filter(package=package).values_list("provider__name", "reason"))
    assert reasons == {"Suspended": "suspended: Embargo after a safeguarding enquiry",
                       "Lapsed": "evidence not verified or out of date: public liability",
                       "Pending": "onboarding not finished"}
    assert [m.to for m in mailoutbox if "New opportunity" in m.subject] == [[catalogue.admin_of(active).email]]
    with schema_context("alpha"):
        # a provider admitted later is not added to a published package's list
        stage2.admit(market, "Newcomer")
        assert Invitation.objects.filter(package=package).count() == 1
        event = AuditEvent.objects.get(action="package.published", object_id=str(package.pk))
        assert event.after["invited"] == ["Active"]


def test_sealed_bids_hold_before_the_deadline_and_every_attempt_is_logged(region, client):
    market = stage2.live_market(region.alpha, providers=2)
    bidder, rival = market.providers
    package = stage2.package(market)
    stage2.submit(market, package, bidder, price="431.25")
    with schema_context("alpha"):
        bid = Bid.objects.get(package=package, provider=bidder)
        # the stored content is ciphertext: the admin, an export or a raw query sees no price
        with connection.cursor() as cursor:
            cursor.execute("SELECT sealed, content, weekly_price FROM calloffs_bid WHERE id = %s", [bid.pk])
            sealed, content, price = cursor.fetchone()
        sealed = bytes(sealed)
        assert sealed.startswith(b"gAAAAA") and b"431.25" not in sealed and b"weekly_price" not in sealed
        assert content is None and price is None
        # the bidder's own people read it
        assert sealing.read_bid(bid, user=catalogue.admin_of(bidder), channel="page")["weekly_price"] == "431.25"
        # nobody else does, and each attempt is recorded
        commissioner = market.setup.commissioner
        attempts = [(commissioner, "page"), (market.broker, "api"), (catalogue.admin_of(rival), "page"),
                    (None, "task"), (support.make_staff(region.alpha, "evaluator"), "export")]
        for user, channel in attempts:
            with pytest.raises(PermissionDenied, match="recorded"):
                sealing.read_bid(bid, user=user, channel=channel)
        with pytest.raises(PermissionDenied):
            services.bids_export(actor=commissioner, package=package)
        refused = SealedAccess.objects.filter(bid=bid, allowed=False)
        assert sorted(refused.values_list("channel", flat=True)) == ["api", "export", "export", "page", "page",
                                                                     "task"]
        assert AuditEvent.objects.filter(action="bid.read_refused").count() == 6
    # the regional admin has no way in: bids live only in the authority's schema
    from django.contrib import admin
    assert Bid not in admin.site._registry


def test_a_bid_one_second_late_is_refused_and_a_retry_is_not_a_second_bid(region):
    market = stage2.live_market(region.alpha, providers=1)
    provider = market.providers[0]
    package = stage2.package(market)
    first = stage2.submit(market, package, provider, key="retry-me")
    again = stage2.submit(market, package, provider, key="retry-me")
    assert first.pk == again.pk
    with schema_context("alpha"):
        assert BidReceipt.objects.filter(bid__package=package).count() == 1
        assert Bid.objects.get(package=package).version == 1
    revised = stage2.submit(market, package, provider, price="410.00", key="revision")
    assert revised.version == 2
    with pytest.raises(ValidationError) as refused:
        stage2.submit(market, package, provider, now=package.bid_deadline + timedelta(seconds=1))
    assert "Bids closed at" in refused.value.message_dict["bid_deadline"][0]
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="bid.late_refused").count() == 1
        assert Bid.objects.get(package=package).version == 2
    # at the deadline exactly, it is already too late
    with pytest.raises(ValidationError):
        stage2.submit(market, package, provider, now=package.bid_deadline)


def test_only_a_commissioner_moves_a_deadline_with_a_reason(region, mailoutbox, django_capture_on_commit_callbacks):
    market = stage2.live_market(region.alpha, providers=2)
    package = stage2.package(market)
    new = package.bid_deadline + timedelta(days=2)
    with schema_context("alpha"):
        with pytest.raises(PermissionDenied, match="Only commissioners"):
            services.deadline_move(actor=market.broker, package=package, bid_deadline=new, reason="Holidays")
        with pytest.raises(ValidationError, match="Say why"):
            services.deadline_move(actor=market.setup.commissioner, package=package, bid_deadline=new, reason="")
        with django_capture_on_commit_callbacks(execute=True):
            services.deadline_move(actor=market.setup.commissioner, package=package, bid_deadline=new,
                                   reason="A clarification changed the hours")
        package.refresh_from_db()
    assert package.bid_deadline == new
    moved = [m for m in mailoutbox if "Deadline changed" in m.subject]
    assert all("A clarification changed the hours" in m.body for m in moved)
    # each invited provider's people get their own message: no competitor is named on the To line
    assert sorted(m.to for m in moved) == sorted([catalogue.admin_of(p).email] for p in market.providers)


def _closed_with_bids(market, prices, budget="450.00"):
    package = stage2.package(market, budget_weekly=Decimal(budget))
    for provider, price in zip(market.providers, prices, strict=True):
        stage2.submit(market, package, provider, price=price)
    with schema_context("alpha"):
        assert services.package_close(package_id=package.pk, by="deadline",
                                      now=package.bid_deadline + timedelta(seconds=1))
        assert not services.package_close(package_id=package.pk, by="sweep",
                                          now=package.bid_deadline + timedelta(minutes=1))
        package.refresh_from_db()
    return package


def test_preference_decides_between_compliant_bids_within_budget_and_is_recorded(
        region, mailoutbox, django_capture_on_commit_callbacks):
    market = stage2.live_market(region.alpha, providers=3, names=["Brightday", "Meadow Farm", "Pricey"])
    package = _closed_with_bids(market, ["430.00", "445.00", "480.00"])
    lead = market.setup.commissioner
    with schema_context("alpha"):
        bids = {b.provider.name: b for b in Bid.objects.filter(package=package).select_related("provider")}
        for name, quality in (("Brightday", 80), ("Meadow Farm", 70), ("Pricey", 90)):
            services.bid_evaluate(actor=lead, bid=bids[name], compliant=True, quality=quality, outcomes=75,
                                  social_value=50)
        assert [b.provider.name for b in services.candidates(package)] == ["Brightday", "Meadow Farm"]
        # two fit the budget: the award needs whose preference it was
        with pytest.raises(ValidationError, match="2 compliant bids fit the budget"):
            services.award(actor=market.broker, package=package, bid=bids["Meadow Farm"])
        # a bid over budget is only an exception
        with pytest.raises(ValidationError, match="only as an exception"):
            services.award(actor=market.broker, package=package, bid=bids["Pricey"])
        with django_capture_on_commit_callbacks(execute=True):
            made = services.award(actor=market.broker, package=package, bid=bids["Meadow Farm"],
                                  expressed_by="Her mother, at the review meeting",
                                  preference_notes="Wants the farm: she loves animals.")
        assert made.basis == "preference"
        assert package.preference.expressed_by == "Her mother, at the review meeting"
        event = AuditEvent.objects.get(action="package.awarded", object_id=str(package.pk))
        assert event.after["preference_of"] == "Her mother, at the review meeting"
        placement = made.package.placement
        assert placement.weekly_cost == Decimal("445.00") and placement.provider.name == "Meadow Farm"
        # an award letter for the winner, feedback with scores for the others, each sent once
        letters = {m.subject.split(":")[0]: m for m in mailoutbox}
        assert sorted(m.subject.split(":")[0] for m in mailoutbox) == ["Awarded", "Not successful",
                                                                       "Not successful"]
        assert "the person's preference chose yours" in letters["Awarded"].body
        feedback = next(m for m in mailoutbox if catalogue.admin_of(bids["Pricey"].provider).email in m.to)
        assert "Within the personal budget of £450.00 a week: no (£480.00)" in feedback.body
        assert "Total" in feedback.body and "The successful bid scored" in feedback.body
        # after award the awarded provider may see who it is for, and the look is recorded
        person = package.people.get()
        winner = catalogue.admin_of(bids["Meadow Farm"].provider)
        assert services.person_identity(actor=winner, person=person, package=package,
                                        purpose="Plan the first visit").last_name == "Okoro"
        with pytest.raises(PermissionDenied):
            services.person_identity(actor=catalogue.admin_of(bids["Brightday"].provider), person=person,
                                     package=package, purpose="curious")
        assert person.accesses.count() == 1


def test_a_joint_placements_shares_must_total_100(region):
    partnership = region.partners  # Alpha and NHS North
    market = stage2.live_market(partnership, providers=1)
    with pytest.raises(ValidationError, match="Say which authority is calling off"):
        stage2.package(market)
    package = stage2.package(market, called_off_by=region.alpha)
    stage2.submit(market, package, market.providers[0])
    with schema_context(partnership.schema_name):
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline)
        bid = Bid.objects.get(package=package)
        services.bid_evaluate(actor=market.setup.commissioner, bid=bid, compliant=True, quality=70, outcomes=70,
                              social_value=70)
        placement = services.award(actor=market.broker, package=package, bid=bid).package.placement
        with pytest.raises(ValidationError, match="must total 100%; they total 90.00%"):
            placements.placement_set_funders(actor=market.broker, placement=placement,
                                             shares=[(region.alpha, 60), (region.nhs, 30)])
        with pytest.raises(ValidationError, match="Beta Council cannot co-fund placements under .*holds no grant"):
            placements.placement_set_funders(actor=market.broker, placement=placement,
                                             shares=[(region.alpha, 50), (region.beta, 50)])
        placements.placement_set_funders(actor=market.broker, placement=placement,
                                         shares=[(region.alpha, "62.5"), (region.nhs, "37.5")])
        assert sorted(placement.funders.values_list("authority__slug", "share")) == [
            ("alpha", Decimal("62.50")), ("nhs-north", Decimal("37.50"))]
        placements.placement_go_live(actor=market.broker, placement=placement, start_on=date.today())
        schedule = placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                                effective_from=date.today() - timedelta(days=1),
                                                uplift_percent="4.5")
        placements.placement_vary(actor=market.broker, placement=placement, effective_on=date.today(),
                                  weekly_cost="400.00", reason="Fewer hours after review")
        assert len(placements.uplift_apply(actor=market.broker, schedule=schedule)) == 0  # started after the date
        placement.refresh_from_db()
        assert placement.weekly_cost == Decimal("400.00")


def test_partner_staff_call_off_for_their_own_authority_only(region):
    partnership = region.partners  # Alpha and NHS North
    market = stage2.live_market(partnership, providers=1)
    alpha_broker = support.make_staff(region.alpha, "broker")
    with schema_context(partnership.schema_name):
        people = [services.person_create(actor=alpha_broker, first_name="Ann", last_name="Lee")]
    fields = {"title": "Community support", "outcomes": "Confidence outdoors", "support_needed": "Six hours a week",
              "start_on": date.today() + timedelta(days=30), "locality": "Crewe", "budget_weekly": Decimal("300"),
              "clarification_deadline": stage2.timezone.now() + timedelta(days=5),
              "bid_deadline": stage2.timezone.now() + timedelta(days=10)}
    with schema_context(partnership.schema_name):
        with pytest.raises(PermissionDenied, match="You do not work for NHS North ICB"):
            services.package_create(actor=alpha_broker, agreement=market.agreement, lot=market.lot, people=people,
                                    called_off_by=region.nhs, **fields)
        made = services.package_create(actor=alpha_broker, agreement=market.agreement, lot=market.lot,
                                       people=people, **fields)  # their own authority, found for them
        assert made.called_off_by == region.alpha


def test_a_key_sent_again_with_other_content_is_refused_and_only_a_submitted_bid_is_withdrawn(region):
    market = stage2.live_market(region.alpha, providers=1)
    provider = market.providers[0]
    package = stage2.package(market)
    admin = catalogue.admin_of(provider)
    with schema_context("alpha"):
        draft = services.bid_save(actor=admin, package=package, provider=provider, content=stage2.bid_content())
        with pytest.raises(ValidationError, match="Only a submitted bid can be withdrawn: this one is draft"):
            services.bid_withdraw(actor=admin, bid=draft)
    first = stage2.submit(market, package, provider, key="same")
    again = stage2.submit(market, package, provider, key="same")
    assert first.replayed is False and again.replayed is True and again.pk == first.pk
    # a revision sent under the old key (a form resent after going back) is not taken for a retry
    with pytest.raises(ValidationError) as refused:
        stage2.submit(market, package, provider, price="401.00", key="same")
    assert "This key was already used for version 1" in refused.value.message_dict["idempotency_key"][0]
    with schema_context("alpha"):
        bid = Bid.objects.get(package=package)
        assert bid.version == 1 and BidReceipt.objects.filter(bid=bid).count() == 1
        assert sealing.read_bid(bid, user=admin, channel="page")["weekly_price"] == "420.00"
        services.bid_withdraw(actor=admin, bid=bid)
        with pytest.raises(ValidationError, match="this one is withdrawn"):
            services.bid_withdraw(actor=admin, bid=bid)


def test_eligibility_costs_the_same_queries_however_many_providers_are_on_the_lot(region):
    from django.test.utils import CaptureQueriesContext

    market = stage2.live_market(region.alpha, providers=1)
    draft = stage2.package(market, publish=False)

    def counted():
        with schema_context("alpha"), CaptureQueriesContext(connection) as queries:
            results = services.eligibility(draft)
        return len(results), len(queries)

    one = counted()
    stage2.admit(market)
    stage2.admit(market)
    three = counted()
    assert (one[0], three[0]) == (1, 3) and one[1] == three[1]
