"""KPIs and providers' returns: what is owed each period, what a return may
say, validating and querying it, and chasing the late ones."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from common.errors import Conflict, Invalid
from tenants.quality import selectors, services
from tenants.quality.models import KpiReturn
from tests import support
from tests.quality.support import AFTER_TWO_QUARTERS, monitored, opened, submit
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def test_each_ended_period_opens_one_return_per_provider_and_kpi_once(region):
    m = monitored(region.alpha, providers=2)
    rows = opened(m)
    # two quarters ended by mid-October (April-June, July-September), 2 KPIs, 2 providers
    assert len(rows) == 8
    assert {(r.period_start, r.period_end, r.due_on) for r in rows} == {
        (date(2025, 4, 1), date(2025, 6, 30), date(2025, 7, 28)),
        (date(2025, 7, 1), date(2025, 9, 30), date(2025, 10, 28)),
    }
    assert {r.status for r in rows} == {KpiReturn.Status.DUE}
    with schema_context(m.schema):
        assert services.returns_open_due(today=AFTER_TWO_QUARTERS) == 0  # safe to run again


def test_only_providers_with_people_placed_owe_a_placement_kpi(region):
    """A KPI covering placements is owed by a provider only for periods in
    which someone was placed with it."""
    from tests.calloffs import staff_support

    m = monitored(region.alpha, providers=2, covers="placements")
    placed = staff_support.awarded(m.market)  # the first provider's bid, the only one
    with schema_context(m.schema):
        placement = placed.package.placement
    today = placement.start_on + timedelta(days=200)
    rows = opened(m, today)
    owing = {r.provider_id for r in rows}
    assert owing == {placement.provider_id} == {m.market.providers[0].pk}  # the other provider owes nothing
    assert min(r.period_end for r in rows) >= placement.start_on


def test_a_return_outside_0_to_100_or_with_a_numerator_above_its_denominator_is_refused(region):
    m = monitored(region.alpha, providers=1)
    row = opened(m)[0]
    for figures, field in [({"numerator": 808, "denominator": 807}, "numerator"),
                           ({"numerator": 5, "denominator": 0}, "denominator"),
                           ({"numerator": -1, "denominator": 10}, "numerator"),
                           ({"value": "100.01"}, "value"), ({"value": "-3"}, "value"), ({}, "value"),
                           ({"numerator": 600, "denominator": 807,
                             "breakdown": [{"label": "in training", "count": 300}]}, "breakdown")]:
        with pytest.raises(Invalid) as refused:
            submit(m, row, **figures)
        assert field in refused.value.message_dict, figures
    with schema_context(m.schema):
        row.refresh_from_db()
        assert row.status == KpiReturn.Status.DUE and row.value is None  # nothing half-written

    # the same through the API: a 400 naming the field, nothing stored
    client = APIClient()
    client.force_authenticate(catalogue.admin_of(m.market.providers[0]))
    url = f"/a/alpha/api/v1/provider/kpi-returns/{row.pk}/submit/"
    refused = client.post(url, {"numerator": 900, "denominator": 807}, format="json")
    assert refused.status_code == 400 and "numerator" in refused.json()["errors"]
    refused = client.post(url, {"value": "150"}, format="json")
    assert refused.status_code == 400 and "value" in refused.json()["errors"]
    taken = client.post(url, {"numerator": 654, "denominator": 807, "comment": "Two new trainers started."},
                        format="json")
    assert taken.status_code == 200, taken.content
    assert taken.json()["value"] == "81.04" and taken.json()["status"] == "submitted"


def test_a_return_that_identifies_a_person_is_refused(region):
    m = monitored(region.alpha, providers=1)
    row = opened(m)[0]
    with pytest.raises(Invalid) as refused:
        submit(m, row, numerator=1, denominator=2, comment="Mrs Okoro, NHS 943 476 5919, declined the sensor.")
    assert "comment" in refused.value.message_dict


def test_staff_validate_or_query_and_the_provider_answers_the_query(region, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    m = monitored(region.alpha, providers=1)
    row = opened(m)[0]
    submit(m, row, numerator=70, denominator=100)
    with schema_context(m.schema):
        with pytest.raises(PermissionDenied):
            services.return_validate(actor=m.market.broker, kpi_return=row)  # brokers do not review returns
        with django_capture_on_commit_callbacks(execute=True):
            services.return_query(actor=m.officer, kpi_return=row, query="The denominator looks like last quarter's.")
    assert len(mailoutbox) == 1 and "queried your KPI 1 return" in mailoutbox[0].subject
    assert "last quarter's" in mailoutbox[0].body
    submit(m, row, numerator=72, denominator=100)  # answered
    with schema_context(m.schema):
        services.return_validate(actor=m.officer, kpi_return=row)
        row.refresh_from_db()
        assert row.status == KpiReturn.Status.VALIDATED and row.value == 72
    with pytest.raises(Conflict):
        submit(m, row, numerator=73, denominator=100)  # settled once validated


def test_a_late_return_is_chased_and_shown_as_missing(region, mailoutbox):
    m = monitored(region.alpha, providers=2)
    rows = opened(m)
    late_provider, prompt_provider = m.market.providers
    for row in rows:
        if row.provider_id == prompt_provider.pk:
            submit(m, row, numerator=8, denominator=10)
    with schema_context(m.schema):
        missing = list(selectors.returns_for_staff(missing=True))
        assert {r.provider_id for r in missing} == {late_provider.pk} and len(missing) == 4
        assert services.returns_chase(today=date(2025, 11, 1)) == 1
        assert services.returns_chase(today=date(2025, 11, 2)) == 0  # not again within the week
    assert len(mailoutbox) == 1
    chase = mailoutbox[0]
    assert chase.to == [catalogue.admin_of(late_provider).email]
    assert "KPI 1 Utilising assistive technology" in chase.body and "28 July 2025" in chase.body

    # staff see it as missing through the API, with the reminder recorded
    client = APIClient()
    client.force_authenticate(m.officer)
    listed = client.get("/a/alpha/api/v1/kpi-returns/?missing=true").json()
    assert listed["count"] == 4
    assert all(r["missing"] and r["chase_count"] == 1 and r["provider"]["id"] == late_provider.pk
               for r in listed["results"])
    assert client.get("/a/alpha/api/v1/kpi-returns/?status=lost").status_code == 400


def test_the_kpi_table_shows_the_lot_figure_rag_and_trend(region, django_assert_num_queries):
    m = monitored(region.alpha, providers=2)
    rows = opened(m)
    first, second = m.market.providers
    figures = {  # (kpi, quarter start month, provider) -> (numerator, denominator)
        ("KPI 2", 4, first): (300, 400), ("KPI 2", 4, second): (300, 407),
        ("KPI 2", 7, first): (330, 400), ("KPI 2", 7, second): (324, 407),  # 654 of 807: 81.0%
        ("KPI 1", 7, first): (70, 100), ("KPI 1", 7, second): (74, 100),    # 144 of 200: 72.0%
    }
    for row in rows:
        provider = first if row.provider_id == first.pk else second
        key = (row.kpi.code, row.period_start.month, provider)
        if key in figures:
            submit(m, row, numerator=figures[key][0], denominator=figures[key][1])
    with schema_context(m.schema):
        KpiReturn.objects.exists()  # the schema's search_path is set on the first query
        with django_assert_num_queries(2):
            table = {r.kpi.code: r for r in selectors.kpi_table(m.market.agreement)}
    training, technology = table["KPI 2"], table["KPI 1"]
    assert (training.latest.numerator, training.latest.denominator, str(training.latest.value)) == (654, 807, "81.04")
    assert training.latest.rag == "red" and training.trend.direction == "up"
    assert str(technology.latest.value) == "72.00" and technology.latest.rag == "amber"  # within 10 points of 75%
    assert technology.trend.direction == ""  # nothing in the first quarter to compare with
    assert {p.provider.pk: str(p.figure.value) for p in training.providers} == {first.pk: "82.50", second.pk: "79.61"}


def test_the_kpi_table_takes_the_same_queries_for_more_kpis_and_providers(region, django_assert_num_queries):
    small, large = monitored(region.alpha, providers=1), monitored(region.beta, providers=3)
    for m in (small, large):
        for row in opened(m):
            submit(m, row, numerator=1, denominator=2)
        with schema_context(m.schema):
            KpiReturn.objects.exists()  # the schema's search_path is set on the first query
            with django_assert_num_queries(2):
                selectors.kpi_table(m.market.agreement)


def test_another_provider_cannot_see_or_submit_a_return_and_staff_elsewhere_cannot_read_it(region):
    m = monitored(region.alpha, providers=1)
    row = opened(m)[0]
    stranger = support.make_provider_person(None, mfa=True)
    client = APIClient()
    client.force_authenticate(stranger)
    assert client.get(f"/a/alpha/api/v1/provider/kpi-returns/{row.pk}/").status_code == 404
    assert client.post(f"/a/alpha/api/v1/provider/kpi-returns/{row.pk}/submit/", {"value": "50"},
                       format="json").status_code == 404
    client.force_authenticate(support.make_staff(region.beta, *support.ALL_STAFF_ROLES))
    assert client.get(f"/a/alpha/api/v1/kpi-returns/{row.pk}/").status_code == 403


def test_commissioners_add_kpis_through_the_api_and_others_cannot(region):
    m = monitored(region.alpha, providers=0)
    client = APIClient()
    client.force_authenticate(m.officer)
    url = f"/a/alpha/api/v1/agreements/{m.market.agreement.pk}/kpis/"
    body = {"code": "KPI 3", "title": "Level 2 qualifications", "target": "100", "measure": "percentage"}
    assert client.post(url, body, format="json").status_code == 403
    client.force_authenticate(m.market.setup.commissioner)
    made = client.post(url, body, format="json")
    assert made.status_code == 201 and made.json()["period"] == "quarterly"
    assert client.post(url, body, format="json").status_code == 409  # one KPI 3 per agreement
    bad = client.post(url, body | {"code": "KPI 4", "target": "120"}, format="json")
    assert bad.status_code == 400 and "target" in bad.json()["errors"]
    assert [k["code"] for k in client.get(url).json()] == ["KPI 1", "KPI 2", "KPI 3"]
