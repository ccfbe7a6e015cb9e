"""Payments in a real browser: a finance officer makes two months' periods,
generates and issues the schedules; the provider's admin confirms one and
queries the other; the officer answers the query, approves both and exports
them as CSV. Every page visited is checked for duplicate ids and by axe-core
(conftest's page fixtures); each person signs in once, in their own context."""

import csv
import io
import re

import pytest
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenants.payments.models import Schedule
from tests import support
from tests.browser import page_checks
from tests.browser.conftest import sign_in, submit
from tests.calloffs import support as stage2
from tests.payments.support import Payments, month_end, month_start
from tests.placements.support import live_placement
from tests.shared_catalogue import support as catalogue

pytestmark = [pytest.mark.browser]
STAFF = "/a/alpha/staff/payments/"
PROVIDER = "/a/alpha/provider/payments/"


def _label(first) -> str:
    return f"{first:%-d %B %Y} to {month_end(first):%-d %B %Y}"


def _schedule(provider, first) -> Schedule:
    with schema_context("alpha"):
        return Schedule.objects.select_related("period").get(provider=provider, period__starts_on=first)


def test_schedules_are_issued_confirmed_queried_answered_approved_and_exported(
    committed_db, region, server, page, other_page
):
    earlier, later = month_start(2), month_start(1)
    market = stage2.live_market(region.alpha, providers=1)  # uniquely named: the data is committed
    pay = Payments(
        market,
        support.make_staff(region.alpha, AuthorityRole.FINANCE_VIEWER, full_name="Fran Finance"),
        live_placement(market, started=month_start(3)),
        catalogue.admin_of(market.providers[0]),
    )
    finance, provider_page = page, other_page
    sign_in(finance, server, pay.finance)
    sign_in(provider_page, server, pay.provider_admin)

    # the finance officer makes the two months' periods and generates their drafts
    finance.goto(f"{server}{STAFF}")
    for first in (earlier, later):
        for part, value in enumerate((first.day, first.month, first.year)):
            finance.locator(f'input[name="day_{part}"]').fill(str(value))
        submit(finance, finance.get_by_role("button", name="Make the period"), r".*/staff/payments/$")
        assert "is ready to generate" in finance.locator(".govuk-notification-banner").inner_text()
    periods = finance.get_by_test_id("periods")
    for first in (earlier, later):
        label = _label(first)
        submit(
            finance,
            periods.get_by_role("button", name=f"Generate the drafts for {label}"),
            r".*/staff/payments/\?period=\d+$",
        )
        assert f"{label}: added 1 draft schedule" in finance.locator(".govuk-notification-banner").inner_text()
    confirmed, queried = _schedule(pay.provider, earlier), _schedule(pay.provider, later)

    # ...opens each from the list and issues it
    for schedule in (confirmed, queried):
        finance.goto(f"{server}{STAFF}?status=draft")
        finance.get_by_test_id("schedules").get_by_role("link", name=schedule.reference).click()
        finance.wait_for_url(re.compile(rf".*/staff/payments/{schedule.pk}/$"))
        assert "at £420.00 a week" in finance.get_by_test_id("lines").inner_text()
        submit(
            finance, finance.get_by_role("button", name="Issue to the provider"), rf".*/staff/payments/{schedule.pk}/$"
        )
        assert "issued to the provider" in finance.locator(".govuk-notification-banner").inner_text()

    # the provider confirms the earlier month and queries a line of the later one
    provider_page.goto(f"{server}{PROVIDER}")
    provider_page.get_by_test_id("schedules").get_by_role("link", name=_label(earlier)).click()
    provider_page.wait_for_url(re.compile(rf".*/provider/payments/{confirmed.pk}/$"))
    submit(
        provider_page,
        provider_page.get_by_role("button", name="Confirm the schedule is right"),
        rf".*/provider/payments/{confirmed.pk}/$",
    )
    assert "the schedule is confirmed" in provider_page.locator(".govuk-notification-banner").inner_text()
    provider_page.goto(f"{server}{PROVIDER}")
    provider_page.get_by_test_id("schedules").get_by_role("link", name=_label(later)).click()
    provider_page.wait_for_url(re.compile(rf".*/provider/payments/{queried.pk}/$"))
    # nothing said: the page says so, at the field
    submit(
        provider_page,
        provider_page.get_by_role("button", name="Send the query"),
        rf".*/provider/payments/{queried.pk}/$",
    )
    assert "Say what is wrong" in provider_page.locator(".govuk-error-summary").inner_text()
    provider_page.get_by_label("Which line (optional)").select_option(index=1)
    provider_page.get_by_label("What is wrong").fill("Two days in the second week were not delivered.")
    submit(
        provider_page,
        provider_page.get_by_role("button", name="Send the query"),
        rf".*/provider/payments/{queried.pk}/$",
    )
    assert "Your query is sent" in provider_page.locator(".govuk-notification-banner").inner_text()
    with schema_context("alpha"):
        assert Schedule.objects.get(pk=confirmed.pk).status == "confirmed"
        assert Schedule.objects.get(pk=queried.pk).status == "queried"

    # the officer answers the query, and approves both
    finance.goto(f"{server}{STAFF}?status=queried")
    finance.get_by_test_id("schedules").get_by_role("link", name=queried.reference).click()
    finance.wait_for_url(re.compile(rf".*/staff/payments/{queried.pk}/$"))
    assert "not delivered" in finance.get_by_test_id("query").inner_text()
    finance.get_by_label("Answer").fill("We have checked the visit records: both days were delivered.")
    submit(finance, finance.get_by_role("button", name="Send the answer"), rf".*/staff/payments/{queried.pk}/$")
    assert "Answer: We have checked" in finance.get_by_test_id("query").inner_text()
    for schedule in (queried, confirmed):
        finance.goto(f"{server}{STAFF}{schedule.pk}/")
        submit(
            finance, finance.get_by_role("button", name="Approve for payment"), rf".*/staff/payments/{schedule.pk}/$"
        )
        assert "approved for payment" in finance.locator(".govuk-notification-banner").inner_text()

    # ...and exports the two approved schedules for the finance system
    finance.goto(f"{server}{STAFF}?provider={pay.provider.pk}")
    for schedule in (confirmed, queried):
        finance.get_by_label(f"Export {schedule.reference}").check()
    finance.get_by_label("Export the chosen approved schedules as").select_option("csv")
    with finance.expect_download() as download:
        finance.get_by_role("button", name="Export for the finance system").click()
    assert download.value.suggested_filename == "payments.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert sorted(row["Schedule reference"] for row in rows) == sorted([confirmed.reference, queried.reference])
    with schema_context("alpha"):
        totals = {s.reference: s.total for s in Schedule.objects.filter(pk__in=[confirmed.pk, queried.pk])}
        assert all(s.export_count == 1 for s in Schedule.objects.filter(pk__in=[confirmed.pk, queried.pk]))
    for row in rows:
        assert row["Provider name"] == pay.provider.name and row["Approved by"] == pay.finance.email
        assert row["Placement reference"] == pay.placement.package.reference
        assert row["Amount"] == row["Schedule total"] == f"{totals[row['Schedule reference']]:.2f}"
        assert int(row["Days"]) >= 28

    # the pages fit a 320 pixel screen: the tables scroll in their region
    too_wide = {}
    for on, path in [
        (finance, STAFF),
        (finance, f"{STAFF}{queried.pk}/"),
        (provider_page, PROVIDER),
        (provider_page, f"{PROVIDER}{queried.pk}/"),
    ]:
        on.set_viewport_size({"width": 320, "height": 800})
        on.goto(f"{server}{path}")
        if page_checks.too_wide(on):
            too_wide[path] = page_checks.too_wide(on)
    assert too_wide == {}
