"""A placement goes live on or after its start, never before (confirmed six
weeks early, utilisation counted care that had not begun), and only after
the broker has checked the answers."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.placements import services as placements
from tenants.placements.models import Placement
from tests import support
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2

pytestmark = pytest.mark.django_db


@pytest.fixture
def placement(region):
    market = stage2.live_market(region.alpha, providers=1)
    return market, ss.awarded(market).package.placement


def test_the_service_refuses_to_confirm_before_the_planned_start(placement):
    market, placement = placement
    assert placement.start_on > date.today()
    with schema_context("alpha"), pytest.raises(ValidationError) as refused:
        placements.placement_go_live(actor=market.broker, placement=placement)
    assert refused.value.status == 409
    assert f"{placement.start_on:%-d %B %Y}" in refused.value.messages[0]
    with schema_context("alpha"), pytest.raises(ValidationError):
        placements.placement_go_live(actor=market.broker, placement=placement,
                                     start_on=date.today() + timedelta(days=1))
    with schema_context("alpha"):
        assert Placement.objects.get(pk=placement.pk).status == "pending"
        live = placements.placement_go_live(actor=market.broker, placement=placement, start_on=date.today())
        assert live.status == "live" and live.start_on == date.today()


def test_the_api_answers_409_with_the_reason(placement):
    market, placement = placement
    api = APIClient()
    support.confirm_second_factor(api, market.broker)
    early = api.post(f"/a/alpha/api/v1/placements/{placement.pk}/go-live/", {}, format="json")
    assert early.status_code == 409 and "before it starts" in early.json()["detail"]


def test_the_page_checks_the_answers_before_confirming(client, placement):
    market, placement = placement
    client.force_login(market.broker)
    url = f"/a/alpha/staff/placements/{placement.pk}/go-live/"
    early = client.post(url, {})
    assert early.status_code == 400 and "before it starts" in early.content.decode()
    began = ss.date_parts("start_on", date.today())
    check = client.post(url, began)
    page = check.content.decode()
    assert check.status_code == 200 and "Check before the placement goes live" in page
    assert f"{date.today():%-d %B %Y}" in page and 'name="confirm"' in page
    with schema_context("alpha"):
        assert Placement.objects.get(pk=placement.pk).status == "pending"
    assert client.post(url, {**began, "confirm": "1"}).status_code == 302
    with schema_context("alpha"):
        assert Placement.objects.get(pk=placement.pk).status == "live"
