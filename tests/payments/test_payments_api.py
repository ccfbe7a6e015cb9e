"""Payments through the API: a schedule's life from generation to export,
approving twice is a 409 with a reason, providers see only their own issued
schedules here, and another authority sees nothing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tenants.payments import services as payments
from tests import support
from tests.api_support import client_for, ok, problem
from tests.payments.support import month_start, payments_market, period_of
from tests.placements.support import copies

pytestmark = pytest.mark.django_db
ALPHA = "/a/alpha/api/v1"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def pay(region):
    return payments_market(region.alpha, started=month_start(2))


def test_a_schedule_through_its_life_and_approving_twice_is_a_409(pay):
    finance = client_for(pay.finance)
    provider = client_for(pay.provider_admin)
    assert ok(finance.put(f"{ALPHA}/payments/settings/", {"cadence": "monthly"}, format="json")) == {
        "cadence": "monthly", "anchor_on": None}
    period = ok(finance.post(f"{ALPHA}/payments/periods/", {"day": str(month_start(2))}, format="json"), 201)
    generated = ok(finance.post(f"{ALPHA}/payments/periods/{period['id']}/generate/", {}, format="json"))
    [made] = generated["added"]
    assert (generated["remade"], generated["left"]) == ([], [])
    assert made["status"] == "draft" and made["payer"]["slug"] == "alpha"
    # a draft is not the provider's to see
    problem(provider.get(f"{ALPHA}/provider/payments/schedules/{made['id']}/"), 404)
    issued = ok(finance.post(f"{ALPHA}/payments/schedules/{made['id']}/issue/"))
    # generating again leaves the issued schedule as it is, and says so, with what waits to be added
    with schema_context("alpha"):
        [waiting] = copies(pay.placement, 1)
    again = ok(finance.post(f"{ALPHA}/payments/periods/{period['id']}/generate/", {}, format="json"))
    assert (again["added"], again["remade"]) == ([], [])
    assert [(row["schedule"]["id"], row["schedule"]["status"], row["waiting"]) for row in again["left"]] == [
        (made["id"], "issued", [waiting.pk])]
    [line] = issued["lines"]
    assert line["days"] == period["days"] and line["cost_lines"][0]["from"] == str(month_start(2))
    assert Decimal(line["amount"]) == 60 * period["days"]
    seen = ok(provider.get(f"{ALPHA}/provider/payments/schedules/"))
    assert [s["id"] for s in seen["results"]] == [made["id"]]
    queried = ok(provider.post(f"{ALPHA}/provider/payments/schedules/{made['id']}/query/",
                               {"reason": "We think a day is missing", "line": line["id"]}, format="json"), 201)
    assert queried["status"] == "queried"
    refused = problem(finance.post(f"{ALPHA}/payments/schedules/{made['id']}/approve/"), 409)
    assert "no open query" in refused["detail"]
    query = queried["queries"][0]["id"]
    ok(finance.post(f"{ALPHA}/payments/schedules/{made['id']}/queries/{query}/answer/",
                    {"answer": "Every day of the month is on the schedule."}, format="json"))
    invoice = provider.post(f"{ALPHA}/provider/payments/schedules/{made['id']}/invoices/",
                            {"number": "BD-0042", "invoice_date": str(month_start(0)), "amount": line["amount"],
                             "file": io.BytesIO(PDF)}, format="multipart")
    assert ok(invoice, 201)["invoices"][0]["matched"] is True
    ok(provider.post(f"{ALPHA}/provider/payments/schedules/{made['id']}/confirm/"))
    # a commissioner prepares, a finance officer approves
    problem(client_for(pay.market.setup.commissioner).post(f"{ALPHA}/payments/schedules/{made['id']}/approve/"), 403)
    assert ok(finance.post(f"{ALPHA}/payments/schedules/{made['id']}/approve/"))["status"] == "approved"
    again = problem(finance.post(f"{ALPHA}/payments/schedules/{made['id']}/approve/"), 409)
    assert "already approved" in again["detail"] and "a period is approved once" in again["detail"]
    problem(finance.post(f"{ALPHA}/payments/schedules/{made['id']}/regenerate/", {"reason": "Again"},
                         format="json"), 409)
    # the export, then a re-export that says so
    exported = finance.post(f"{ALPHA}/payments/export/", {"schedules": [made["id"]], "format": "csv"}, format="json")
    assert exported.status_code == 200 and "Jointly-Already-Exported" not in exported
    assert exported.content.decode().splitlines()[1].split(",")[7] == made["reference"]
    xlsx = finance.post(f"{ALPHA}/payments/export/", {"schedules": [made["id"]], "format": "xlsx"}, format="json")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert xlsx["Jointly-Already-Exported"] == made["reference"]
    listed = ok(finance.get(f"{ALPHA}/payments/schedules/", {"status": "exported", "period": period["id"]}))
    assert [s["export_count"] for s in listed["results"]] == [2]
    problem(finance.get(f"{ALPHA}/payments/schedules/", {"status": "paid"}), 400)
    problem(finance.get(f"{ALPHA}/payments/schedules/", {"colour": "red"}), 400)
    file_id = ok(finance.get(f"{ALPHA}/payments/schedules/{made['id']}/"))["invoices"][0]["id"]
    download = finance.get(f"{ALPHA}/payments/invoices/{file_id}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_an_invoice_that_differs_raises_a_query_and_a_duplicate_number_is_refused(pay):
    finance = client_for(pay.finance)
    provider = client_for(pay.provider_admin)
    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period)
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        schedule.refresh_from_db()
    body = {"number": "BD-7", "invoice_date": str(month_start(0)), "amount": str(schedule.total - 120)}
    made = ok(provider.post(f"{ALPHA}/provider/payments/schedules/{schedule.pk}/invoices/", body, format="json"), 201)
    assert made["status"] == "queried"
    [query] = made["queries"]
    assert Decimal(query["difference"]) == Decimal("-120.00") and "£120.00 less than" in query["reason"]
    again = problem(provider.post(f"{ALPHA}/provider/payments/schedules/{schedule.pk}/invoices/",
                                  body | {"number": "bd-7"}, format="json"), 409)
    # the refusal names the number already used, as it was entered
    assert again["errors"]["number"][0].startswith(f"Invoice number BD-7 is already used, on {schedule.reference}")
    problem(provider.post(f"{ALPHA}/provider/payments/schedules/{schedule.pk}/invoices/",
                          body | {"number": "BD-8", "colour": "red"}, format="json"), 400)
    assert ok(finance.get(f"{ALPHA}/payments/schedules/{schedule.pk}/"))["open_queries"] == 1


def test_providers_see_only_their_own_schedules_and_other_authorities_see_none(pay, region):
    other = support.make_provider("Elsewhere Care")
    period = period_of(pay, month_start(2))
    with schema_context("alpha"):
        [copy] = copies(pay.placement, 1)
        copy.provider = other
        copy.save(update_fields=["provider"])
        made = payments.schedules_generate(actor=pay.finance, period=period)
        for schedule in made:
            payments.schedule_issue(actor=pay.finance, schedule=schedule)
    mine = next(s for s in made if s.provider_id == pay.provider.pk)
    theirs = next(s for s in made if s.provider_id == other.pk)
    provider = client_for(pay.provider_admin)
    assert [s["id"] for s in ok(provider.get(f"{ALPHA}/provider/payments/schedules/"))["results"]] == [mine.pk]
    problem(provider.get(f"{ALPHA}/provider/payments/schedules/{theirs.pk}/"), 404)
    problem(provider.post(f"{ALPHA}/provider/payments/schedules/{theirs.pk}/confirm/"), 404)
    problem(provider.post(f"{ALPHA}/provider/payments/schedules/{theirs.pk}/invoices/",
                          {"number": "X-1", "invoice_date": str(month_start(0)), "amount": "1"}, format="json"), 404)
    problem(provider.get(f"{ALPHA}/payments/schedules/"), 403)  # the staff side is not a provider's
    # the same provider in another authority sees nothing of this one's schedules there
    assert ok(provider.get("/a/beta/api/v1/provider/payments/schedules/"))["results"] == []
    problem(provider.get(f"/a/beta/api/v1/provider/payments/schedules/{mine.pk}/"), 404)
    beta_finance = client_for(support.make_staff(region.beta, "finance_viewer"))
    assert ok(beta_finance.get("/a/beta/api/v1/payments/schedules/"))["results"] == []
    problem(beta_finance.get(f"/a/beta/api/v1/payments/schedules/{mine.pk}/"), 404)
    problem(beta_finance.get(f"{ALPHA}/payments/schedules/{mine.pk}/"), 403)


def test_care_left_off_an_approved_schedule_is_named_and_shown_as_an_adjustment_next_period(pay):
    from datetime import timedelta

    from tests.payments.support import approved, month_end
    from tests.placements.support import live_placement

    finance = client_for(pay.finance)
    first = month_start(2)
    period = period_of(pay, first)
    schedule = approved(pay, period)
    late = live_placement(pay.market, started=first + timedelta(days=2))
    # the approved schedule is left, naming the placement whose care it does not pay
    again = ok(finance.post(f"{ALPHA}/payments/periods/{period.pk}/generate/", {}, format="json"))
    assert [(row["schedule"]["id"], row["schedule"]["status"], row["waiting"]) for row in again["left"]] == [
        (schedule.pk, "approved", [late.pk])]
    following = ok(finance.post(f"{ALPHA}/payments/periods/", {"day": str(month_start(1))}, format="json"), 201)
    [made] = ok(finance.post(f"{ALPHA}/payments/periods/{following['id']}/generate/", {}, format="json"))["added"]
    lines = ok(finance.get(f"{ALPHA}/payments/schedules/{made['id']}/"))["lines"]
    [adjustment] = [line for line in lines if line["kind"] == "adjustment"]
    days = period.days - 2
    last = month_end(first)
    assert (adjustment["placement"], adjustment["covers"]["id"], adjustment["days"]) == (late.pk, period.pk, days)
    assert Decimal(adjustment["amount"]) == 60 * days and adjustment["paid_before"] is None
    assert adjustment["label"] == f"Care from 3 to {last:%-d %B %Y} not on the approved schedule"
    assert {line["label"] for line in lines if line["kind"] == "care"} == {
        f"Care from 1 to {month_end(month_start(1)):%-d %B %Y}"}
    # generating again does not add it twice
    ok(finance.post(f"{ALPHA}/payments/periods/{following['id']}/generate/", {}, format="json"))
    lines = ok(finance.get(f"{ALPHA}/payments/schedules/{made['id']}/"))["lines"]
    assert [line["placement"] for line in lines if line["kind"] == "adjustment"] == [late.pk]
