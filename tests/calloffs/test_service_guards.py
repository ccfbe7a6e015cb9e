"""Guards the staff pages and API rely on: bad values are refused with a
message, never a database error; an export before the deadline is refused
even when there is nothing to open; the sealed message gives UK time."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from tenants.calloffs import sealing, services
from tenants.calloffs.models import Bid, Package
from tenants.placements import services as placements
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2

pytestmark = pytest.mark.django_db


def test_a_persons_nhs_number_and_postcode_are_stored_as_matched_and_a_wrong_number_refused(region):
    market = stage2.live_market(region.alpha, providers=1)
    person = stage2.person(market, nhs_number="943-476-5919", postcode=" cw1  2ab")
    assert (person.nhs_number, person.postcode) == ("9434765919", "CW1 2AB")
    with pytest.raises(ValidationError) as refused:
        stage2.person(market, nhs_number="943 476 5918")
    assert "valid NHS number" in refused.value.message_dict["nhs_number"][0]


def test_changing_a_draft_checks_every_field_like_creating_it(region):
    market = stage2.live_market(region.alpha, providers=1)
    draft = stage2.package(market, publish=False)
    with schema_context("alpha"):
        for fields, field, words in (
                ({"title": "x" * 201}, "title", "at most 200"),
                ({"budget_weekly": "lots"}, "budget_weekly", "decimal"),
                ({"postcode_district": "CW1 2AB"}, "postcode_district", "never a full postcode"),
                ({"clarification_deadline": draft.bid_deadline}, "clarification_deadline", "before the bid deadline"),
        ):
            with pytest.raises(ValidationError) as refused:
                services.package_update(actor=market.broker, package=draft, **fields)
            assert words in refused.value.message_dict[field][0], fields
        assert Package.objects.get(pk=draft.pk).title == draft.title


def test_a_full_postcode_as_the_district_gets_the_district_message(region):
    market = stage2.live_market(region.alpha, providers=1)
    with pytest.raises(ValidationError) as refused:
        stage2.package(market, publish=False, postcode_district="CW1 2AB")
    assert refused.value.message_dict["postcode_district"] == [services.DISTRICT_MESSAGE]


def test_an_export_before_the_deadline_is_refused_even_with_no_bids(region):
    market = stage2.live_market(region.alpha, providers=1)
    package = stage2.package(market)
    with schema_context("alpha"):
        with pytest.raises(PermissionDenied, match="sealed until the deadline"):
            services.bids_export(actor=market.setup.commissioner, package=package)
        assert AuditEvent.objects.filter(action="bid.read_refused", context__channel="export").count() == 1


def test_the_sealed_message_gives_the_deadline_in_uk_time(region):
    market = stage2.live_market(region.alpha, providers=1)
    summer = datetime(2031, 7, 1, 17, 0, tzinfo=ZoneInfo("Europe/London"))     # 16:00 UTC
    package = stage2.package(market, deadline=summer)
    assert sealing.sealed_message(package).startswith("Bids are sealed until the deadline (1 July 2031 17:00)")


def test_negotiation_and_scores_refuse_nonsense(region):
    market = stage2.live_market(region.alpha, providers=1)
    package = ss.closed_with_bids(market, ["430.00"])
    with schema_context("alpha"):
        bid = Bid.objects.get(package=package)
        for value in ("abc", "NaN", "-1", "1e30"):
            with pytest.raises(ValidationError):
                services.negotiation_record(actor=market.broker, bid=bid, note="Talked", price_after=value)
            with pytest.raises(ValidationError):
                services.bid_evaluate(actor=market.broker, bid=bid, compliant=True, quality=value, outcomes=50,
                                      social_value=50)
        assert Bid.objects.get(pk=bid.pk).weekly_price == Decimal("430.00")


def test_placement_changes_refuse_nonsense_numbers(region):
    market = stage2.live_market(region.alpha, providers=1)
    placement = ss.awarded(market).package.placement
    with schema_context("alpha"):
        placements.placement_go_live(actor=market.broker, placement=placement, start_on=date.today())
        for value in ("NaN", "Infinity", "1e30"):
            with pytest.raises(ValidationError):
                placements.placement_vary(actor=market.broker, placement=placement, effective_on=placement.start_on,
                                          weekly_cost=value, reason="Review")
            with pytest.raises(ValidationError):
                placements.placement_set_funders(actor=market.broker, placement=placement,
                                                 shares=[(market.authority, value)])
            with pytest.raises(ValidationError):
                placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                             effective_from=placement.start_on, uplift_percent=value)
        other = stage2.stage1.agreement(market.authority, lots=stage2.stage1.DAY_OPPORTUNITY_LOTS[:1])
        with pytest.raises(ValidationError, match="another agreement"):
            placements.rate_schedule_add(actor=market.setup.commissioner, agreement=market.agreement,
                                         lot=other.lots["1"], effective_from=placement.start_on, uplift_percent=2)
