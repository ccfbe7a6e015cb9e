"""Payments on the pages: the finance officer makes a period, generates,
issues and approves; the provider confirms, queries and invoices on its
page; a second export says the schedule was exported before."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenants.payments.models import PaymentPeriod, Schedule
from tests.calloffs import staff_support as ss
from tests.payments.support import month_start, payments_market
from tests.placements.support import copies

pytestmark = pytest.mark.django_db
STAFF = "/a/alpha/staff/payments/"
PROVIDER = "/a/alpha/provider/payments/"


def test_a_schedule_from_the_staff_pages_to_the_providers_and_back(client, region):
    pay = payments_market(region.alpha, started=month_start(2))
    client.force_login(pay.finance)
    home = client.get(STAFF)
    assert home.status_code == 200 and "Direct payments to people are not made here" in home.content.decode()
    made = client.post(f"{STAFF}periods/", ss.date_parts("day", month_start(2)))
    assert made.status_code == 302
    with schema_context("alpha"):
        period = PaymentPeriod.objects.get()
    assert client.post(f"{STAFF}periods/{period.pk}/generate/").status_code == 302
    with schema_context("alpha"):
        schedule = Schedule.objects.get()
    page = client.get(f"{STAFF}{schedule.pk}/").content.decode()
    assert pay.placement.package.reference in page and "at £420.00 a week" in page
    assert client.post(f"{STAFF}{schedule.pk}/issue/").status_code == 302
    with schema_context("alpha"):
        [waiting] = copies(pay.placement, 1)
    said = client.post(f"{STAFF}periods/{period.pk}/generate/", follow=True).content.decode()
    assert f"{period.label}: nothing new to add." in said
    assert (f"Left as it is: {schedule.reference} (issued to the provider: 1 placement with care in the period is "
            "not on it; regenerate it to add it).") in said

    client.force_login(pay.provider_admin)
    listed = client.get(PROVIDER).content.decode()
    assert period.label in listed
    mine = client.get(f"{PROVIDER}{schedule.pk}/")
    assert mine.status_code == 200 and "Confirm the schedule is right" in mine.content.decode()
    refused = client.post(f"{PROVIDER}{schedule.pk}/", {"action": "invoice", "number": "",
                                                         **ss.date_parts("invoice_date", month_start(0)),
                                                         "amount": "1"})
    assert refused.status_code == 400 and "Enter the invoice number" in refused.content.decode()
    sent = client.post(f"{PROVIDER}{schedule.pk}/", {"action": "invoice", "number": "BD-1",
                                                      **ss.date_parts("invoice_date", month_start(0)),
                                                      "amount": "1.00"}, follow=True)
    assert "we have raised a query" in sent.content.decode()
    used = client.post(f"{PROVIDER}{schedule.pk}/", {"action": "invoice", "number": "bd-1",
                                                      **ss.date_parts("invoice_date", month_start(0)),
                                                      "amount": "1.00"})
    assert used.status_code == 409 and "Invoice number BD-1 is already used" in used.content.decode()
    with schema_context("alpha"):
        schedule.refresh_from_db()
        query = schedule.queries.get()
    assert schedule.status == "queried"

    client.force_login(pay.finance)
    refused = client.post(f"{STAFF}{schedule.pk}/approve/")
    assert refused.status_code == 409 and "no open query" in refused.content.decode()
    assert client.post(f"{STAFF}{schedule.pk}/queries/{query.pk}/answer/",
                       {"answer": "The schedule stands; please send a corrected invoice."}).status_code == 302
    assert client.post(f"{STAFF}{schedule.pk}/approve/").status_code == 302
    twice = client.post(f"{STAFF}{schedule.pk}/approve/")
    assert twice.status_code == 409 and "already approved" in twice.content.decode()
    first = client.post(f"{STAFF}export/", {"schedule": [schedule.pk], "format": "csv"})
    assert first.status_code == 200 and first["Content-Type"].startswith("text/csv")
    assert schedule.reference in first.content.decode()
    again = client.post(f"{STAFF}export/", {"schedule": [schedule.pk], "format": "xlsx"})
    assert again.status_code == 200 and "Already exported" in again.content.decode()
    confirmed = client.post(f"{STAFF}export/", {"schedule": [schedule.pk], "format": "xlsx", "again": "yes"})
    assert confirmed.content[:2] == b"PK"

    # a broker reads none of it; a provider never reaches the staff side
    client.force_login(pay.broker)
    assert client.get(STAFF).status_code == 403
    client.force_login(pay.provider_admin)
    assert client.get(f"{STAFF}{schedule.pk}/").status_code in (403, 404)


def test_the_generate_message_says_care_left_off_an_approved_schedule_is_paid_next_period(client, region):
    from datetime import timedelta

    from tests.payments.support import approved, period_of
    from tests.placements.support import live_placement

    pay = payments_market(region.alpha, started=month_start(2))
    period = period_of(pay, month_start(2))
    schedule = approved(pay, period)
    live_placement(pay.market, started=month_start(2) + timedelta(days=2))
    client.force_login(pay.finance)
    said = client.post(f"{STAFF}periods/{period.pk}/generate/", follow=True).content.decode()
    assert (f"Left as it is: {schedule.reference} (approved for payment: 1 placement with care in the period is "
            "not on it; it is approved, so its care will be paid as an adjustment in the next "
            "period&#x27;s schedule).") in said
    made = client.post(f"{STAFF}periods/", ss.date_parts("day", month_start(1)))
    assert made.status_code == 302
    with schema_context("alpha"):
        following = PaymentPeriod.objects.exclude(pk=period.pk).get()
    assert client.post(f"{STAFF}periods/{following.pk}/generate/").status_code == 302
    with schema_context("alpha"):
        later = Schedule.objects.get(period=following)
    page = client.get(f"{STAFF}{later.pk}/").content.decode()
    assert "not on the approved schedule" in page and "Care from 3 to " in page
