"""Pricing schedules: the rate for a package, opened bids flagged against it
(never before the deadline), a low bid's explanation asked, answered and
decided before it can be awarded (PCR 2015 regulation 69), published
schedules fixed, and the award at the schedule's rate by preference."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from common.errors import Conflict
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Award, Negotiation
from tenants.pricing import checks, services
from tenants.pricing.models import BidPriceCheck, PricingSchedule, Rate
from tests.calloffs import support as stage2
from tests.pricing import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=3, names=["Cheap", "Fair", "Dear"])


def test_the_most_specific_rate_that_prices_the_package_is_found(market):
    schedule = support.schedule(market, publish=False, rates=(("week", "500.00"), ("session", "210.00")))
    lead = market.setup.commissioner
    with schema_context("alpha"):
        dementia = services.rate_add(actor=lead, schedule=schedule, lot=market.lot, unit="session",
                                     need_level="dementia", amount=Decimal("240.00"))
        services.rate_add(actor=lead, schedule=schedule, lot=market.lot, unit="hour", amount=Decimal("22.50"))
        services.schedule_publish(actor=lead, schedule=schedule)
        lot = market.lot
        # a dementia package with sessions: the dementia sessional rate, two sessions a week
        assert checks.rate_lookup(schedule=schedule, lot=lot, need_level="dementia") == dementia
        plain = checks.rate_lookup(schedule=schedule, lot=lot, need_level="autism")
        assert plain.need_level == "" and plain.unit != "week"   # a unit the package asks for beats a week
    package = stage2.package(market, publish=False, primary_need="dementia", sessions_per_week=2)
    hours = stage2.package(market, publish=False, sessions_per_week=None, hours_per_week=Decimal("10"))
    weekly_only = stage2.package(market, publish=False, sessions_per_week=None)
    with schema_context("alpha"):
        assert checks.package_rate(package) == (dementia, Decimal("480.00"))
        rate, weekly = checks.package_rate(hours)
        assert (rate.unit, weekly) == ("hour", Decimal("225.00"))
        assert checks.package_rate(weekly_only)[1] == Decimal("500.00")
        # outside the schedule's dates there is no rate
        later = stage2.package(market, publish=False, start_on=date.today() + timedelta(days=400))
        assert checks.package_rate(later) == (None, None)


def test_a_low_bid_is_flagged_at_opening_and_is_not_awardable_until_its_explanation_is_accepted(
        market, mailoutbox, django_capture_on_commit_callbacks):
    support.schedule(market)   # £210 a session: £420 a week for two sessions
    package = stage2.package(market, budget_weekly=Decimal("650.00"))
    cheap_provider = market.providers[0]
    stage2.submit(market, package, cheap_provider, price="300.00")
    with schema_context("alpha"):
        # sealed: nothing is compared before the deadline
        assert not BidPriceCheck.objects.exists()
        calloffs.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline + timedelta(seconds=1))
        check = BidPriceCheck.objects.get()
        assert (check.flag, check.weekly_rate, check.percent_of_rate) == ("low", Decimal("420.00"),
                                                                            Decimal("71.43"))
        assert check.explanation_status == "needed"
        bid = check.bid
        lead = market.setup.commissioner
        calloffs.bid_evaluate(actor=lead, bid=bid, compliant=True, quality=70, outcomes=70, social_value=70)
        with pytest.raises(Conflict, match="abnormally low .* regulation 69"):
            calloffs.award(actor=market.broker, package=package, bid=bid)
        with django_capture_on_commit_callbacks(execute=True):
            services.explanation_request(actor=lead, check=check, request="Show how £300 pays at least the National "
                                                                          "Minimum Wage, travel time included.")
        asked = [m for m in mailoutbox if m.subject.startswith("Please explain your price")]
        assert [m.to for m in asked] == [[catalogue.admin_of(cheap_provider).email]]
        assert "National Minimum Wage" in asked[0].body
        # the authority cannot decide before the provider answers; another provider cannot answer
        with pytest.raises(Conflict, match="once the provider has explained"):
            services.explanation_decide(actor=lead, check=check, accepted=True, reason="Fine")
        with pytest.raises(PermissionDenied):
            services.explanation_give(actor=catalogue.admin_of(market.providers[1]), check=check,
                                      explanation="Nothing to do with us")
        services.explanation_give(actor=catalogue.admin_of(cheap_provider), check=check,
                                  explanation="We share a building we own, so no rent; staff paid £12.60 an hour.")
        with pytest.raises(Conflict, match="abnormally low"):
            calloffs.award(actor=market.broker, package=package, bid=bid)
        with pytest.raises(ValidationError, match="reason"):
            services.explanation_decide(actor=lead, check=check, accepted=True, reason=" ")
        services.explanation_decide(actor=lead, check=check, accepted=True,
                                    reason="Owned premises explain the price; wages are above the minimum.")
        made = calloffs.award(actor=market.broker, package=package, bid=bid)
        assert made.package.placement.weekly_cost == Decimal("300.00")
        actions = list(AuditEvent.objects.filter(object_id=str(bid.pk)).values_list("action", flat=True))
        assert {"bid.price_explanation_requested", "bid.price_explained",
                "bid.price_explanation_decided"} <= set(actions)


def test_a_rejected_explanation_keeps_the_bid_from_award(market):
    support.schedule(market)
    package, (cheap, fair, dear) = support.closed_with_bids(market, ["250.00", "420.00", "430.00"])
    lead = market.setup.commissioner
    with schema_context("alpha"):
        check = cheap.price_check
        services.explanation_request(actor=lead, check=check, request="Explain the price.")
        services.explanation_give(actor=catalogue.admin_of(market.providers[0]), check=check,
                                  explanation="Volunteers cover the second session.")
        services.explanation_decide(actor=lead, check=check, accepted=False,
                                    reason="Unpaid staff would break labour law (regulation 69(5)).")
        calloffs.bid_evaluate(actor=lead, bid=cheap, compliant=True, quality=90, outcomes=90, social_value=90)
        with pytest.raises(Conflict, match="was not accepted"):
            calloffs.award(actor=market.broker, package=package, bid=cheap)
        # the bids within the band need nothing
        assert (fair.price_check.flag, fair.price_check.explanation_status) == ("within", "not_needed")


def test_a_high_bid_is_flagged_and_a_negotiation_checks_it_again(market):
    support.schedule(market)
    package, (_, fair, dear) = support.closed_with_bids(market, ["420.00", "440.00", "560.00"])
    with schema_context("alpha"):
        check = dear.price_check
        assert (check.flag, check.percent_of_rate, check.blocks_award) == ("high", Decimal("133.33"), False)
        calloffs.negotiation_record(actor=market.broker, bid=dear, note="Agreed a lower price",
                                    price_after="520.00")
        check.refresh_from_db()
        assert (check.flag, check.weekly_price) == ("within", Decimal("520.00"))


def test_without_a_published_rate_nothing_is_flagged(market):
    support.schedule(market, publish=False)   # a draft does not apply
    package, bids = support.closed_with_bids(market, ["100.00", "420.00", "900.00"])
    with schema_context("alpha"):
        assert {b.price_check.flag for b in bids} == {"no_rate"}
        calloffs.bid_evaluate(actor=market.setup.commissioner, bid=bids[0], compliant=True, quality=70,
                              outcomes=70, social_value=70)


def test_a_published_schedule_is_fixed_and_next_year_is_a_new_schedule(market, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    lead = market.setup.commissioner
    with django_capture_on_commit_callbacks(execute=True):
        schedule = support.schedule(market)
    # every admitted provider is told, one e-mail each
    told = [m.to for m in mailoutbox if m.subject.startswith(f"Fees for {schedule.year}")]
    assert sorted(told) == sorted([catalogue.admin_of(p).email] for p in market.providers)
    with schema_context("alpha"):
        rate = schedule.rates.get()
        with pytest.raises(Conflict, match="cannot be changed"):
            services.schedule_update(actor=lead, schedule=schedule, low_band_percent=Decimal("80"))
        with pytest.raises(Conflict, match="cannot be changed"):
            services.rate_update(actor=lead, rate=rate, amount=Decimal("1.00"))
        with pytest.raises(Conflict, match="cannot be changed"):
            services.rate_add(actor=lead, schedule=schedule, lot=market.lot, unit="hour", amount=Decimal("20"))
        with pytest.raises(Conflict, match="cannot be changed"):
            services.rate_remove(actor=lead, rate=rate)
        rate.refresh_from_db()
        assert rate.amount == Decimal("210.00")
        # the same year again is refused; an overlapping next year cannot be published
        with pytest.raises(Conflict, match="already has a pricing schedule"):
            services.schedule_create(actor=lead, agreement=market.agreement, year=schedule.year,
                                     effective_from=schedule.effective_to + timedelta(days=1),
                                     effective_to=schedule.effective_to + timedelta(days=365))
        overlapping = services.schedule_create(actor=lead, agreement=market.agreement, year=schedule.year + 1,
                                               effective_from=schedule.effective_to,
                                               effective_to=schedule.effective_to + timedelta(days=365))
        services.rate_add(actor=lead, schedule=overlapping, lot=market.lot, unit="session", amount=Decimal("220"))
        with pytest.raises(Conflict, match="overlap"):
            services.schedule_publish(actor=lead, schedule=overlapping)
        services.schedule_update(actor=lead, schedule=overlapping,
                                 effective_from=schedule.effective_to + timedelta(days=1))
        services.schedule_publish(actor=lead, schedule=overlapping)
        assert PricingSchedule.objects.filter(status="published").count() == 2
        assert AuditEvent.objects.filter(action="pricing.schedule_published").count() == 2
        # a broker cannot set fees
        with pytest.raises(PermissionDenied):
            services.schedule_create(actor=market.broker, agreement=market.agreement, year=2040,
                                     effective_from=date(2040, 4, 1), effective_to=date(2041, 3, 31))


def test_bad_rates_and_bands_are_refused_on_their_fields(market):
    schedule = support.schedule(market, publish=False, rates=())
    lead = market.setup.commissioner
    with schema_context("alpha"):
        for fields, field in (({"unit": "month", "amount": "10"}, "unit"),
                              ({"unit": "hour", "amount": "-1"}, "amount"),
                              ({"unit": "hour", "amount": "NaN"}, "amount"),
                              ({"unit": "hour", "amount": "20", "fair_cost_note": "Call 07700 900123"},
                               "fair_cost_note")):
            with pytest.raises(ValidationError) as refused:
                services.rate_add(actor=lead, schedule=schedule, lot=market.lot, **fields)
            assert field in refused.value.message_dict
        services.rate_add(actor=lead, schedule=schedule, lot=market.lot, unit="hour", amount="20")
        with pytest.raises(Conflict, match="already has a rate"):
            services.rate_add(actor=lead, schedule=schedule, lot=market.lot, unit="hour", amount="21")
        with pytest.raises(ValidationError) as refused:
            services.schedule_update(actor=lead, schedule=schedule, low_band_percent="120")
        assert "low_band_percent" in refused.value.message_dict
        assert Rate.objects.count() == 1


def test_on_an_agreement_priced_by_schedule_the_preferred_provider_is_awarded_at_the_rate(
        market, mailoutbox, django_capture_on_commit_callbacks):
    support.schedule(market)
    package, (cheap, fair, dear) = support.closed_with_bids(market, ["300.00", "420.00", "560.00"])
    lead = market.setup.commissioner
    with schema_context("alpha"):
        with pytest.raises(Conflict, match="not priced by schedule"):
            services.award_at_rate(actor=market.broker, package=package, bid=dear, expressed_by="The person",
                                   reason="Knows the staff")
        with pytest.raises(ValidationError, match="reason"):
            services.agreement_price_by_schedule(actor=lead, agreement=market.agreement, priced_by_schedule=True,
                                                 reason="")
        services.agreement_price_by_schedule(actor=lead, agreement=market.agreement, priced_by_schedule=True,
                                             reason="Fees are set annually; choice by preference.")
        with pytest.raises(ValidationError, match="whose preference"):
            services.award_at_rate(actor=market.broker, package=package, bid=dear, expressed_by="",
                                   reason="Knows the staff")
        with pytest.raises(PermissionDenied):
            services.award_at_rate(actor=catalogue.admin_of(market.providers[2]), package=package, bid=dear,
                                   expressed_by="The person", reason="Knows the staff")
        # no evaluation, no competition on price: the preferred provider at the schedule's rate
        with django_capture_on_commit_callbacks(execute=True):
            made = services.award_at_rate(actor=market.broker, package=package, bid=dear,
                                          expressed_by="The person, at her review",
                                          reason="She already attends this centre on Fridays.")
        assert made.basis == Award.Basis.SCHEDULE_RATE
        placement = made.package.placement
        assert (placement.weekly_cost, placement.provider_id) == (Decimal("420.00"), market.providers[2].pk)
        assert package.preference.expressed_by == "The person, at her review"
        negotiation = Negotiation.objects.get(bid=dear)
        assert (negotiation.price_before, negotiation.price_after) == (Decimal("560.00"), Decimal("420.00"))
        event = AuditEvent.objects.get(action="package.awarded", object_id=str(package.pk))
        assert event.after["basis"] == "schedule_rate" and event.after["weekly_price"] == "420.00"
        assert sorted(m.subject.split(":")[0] for m in mailoutbox if "Fees" not in m.subject) == [
            "Awarded", "Not successful", "Not successful"]
        awarded = next(m for m in mailoutbox if m.subject.startswith("Awarded"))
        assert "at £420.00 a week: this agreement pays its published fees" in awarded.body
        assert all("scored None" not in m.body for m in mailoutbox)


def test_an_explanation_waiting_for_a_decision_is_in_the_evaluators_work_queue_until_decided(market, region):
    from accounts.policy import access_compute
    from tenants.workspace import queue
    from tenants.workspace.models import TaskKind
    from tests import support as base

    support.schedule(market)
    package, (cheap, _fair, _dear) = support.closed_with_bids(market, ["250.00", "420.00", "430.00"])
    lead = market.setup.commissioner
    evaluator = base.make_staff(region.alpha, "evaluator")
    finance = base.make_staff(region.alpha, "finance_viewer")

    def waiting(user):
        with schema_context("alpha"):
            access = access_compute(user=user, authority=region.alpha)
            return [t for t in queue.queue_for(access=access, authority=region.alpha)
                    if t.kind == TaskKind.PRICE_EXPLANATION]

    with schema_context("alpha"):
        check = cheap.price_check
        services.explanation_request(actor=lead, check=check, request="Explain the price.")
    assert waiting(evaluator) == []  # asked, not yet answered: nothing to decide
    with schema_context("alpha"):
        services.explanation_give(actor=catalogue.admin_of(market.providers[0]), check=check,
                                  explanation="Volunteers cover the second session.")
    [task] = waiting(evaluator)
    assert package.reference in task.title and "Cheap" in task.title and "£250.00 a week" in task.detail
    assert task.path.endswith(f"/staff/pricing/price-checks/{check.pk}/")
    assert [t.key for t in waiting(lead)] == [task.key] and waiting(finance) == []
    with schema_context("alpha"):
        services.explanation_decide(actor=evaluator, check=check, accepted=False,
                                    reason="Unpaid staff would break labour law (regulation 69(5)).")
    assert waiting(evaluator) == []
