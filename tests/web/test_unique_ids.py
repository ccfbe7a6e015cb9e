"""No page uses an element id twice: a label, a radio or an error link that
points at an id belonging to another form ticks the wrong box. The main
staff, provider and public pages are read here with realistic data (a live
agreement, providers with several documents each, a published package with a
bid); the browser tests check every page they visit the same way."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from tenants.admissions.models import Application
from tenants.calloffs.models import Bid
from tests import support
from tests.calloffs import support as stage2
from tests.placements.support import live_placement
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1


def duplicate_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return sorted(f"{id_} ({n} times)" for id_, n in parser.ids.items() if n > 1)


@pytest.fixture
def busy(region):
    market = stage2.live_market(region.alpha, providers=2)
    provider = market.providers[0]
    for kind in ("employers_liability", "cqc_registration", "business_continuity"):
        catalogue.upload(provider, evidence_type=kind)
    package = stage2.package(market)
    stage2.submit(market, package, provider)
    return market, package


def _pages(client, paths) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        duplicates = duplicate_ids(response.content.decode())
        if duplicates:
            found[path] = duplicates
    return found


def test_the_staff_pages_use_each_id_once(client, region, busy):
    market, package = busy
    provider = market.providers[0]
    staff = market.setup.commissioner
    for role in (AuthorityRole.BROKER, AuthorityRole.QUALITY_OFFICER):
        from accounts.services import membership_grant

        membership_grant(actor=None, authority=region.alpha, user=staff, role=role)
    with schema_context("alpha"):
        application = Application.objects.filter(provider=provider).first()
    client.force_login(staff)
    agreement = market.agreement.pk
    assert _pages(client, [
        "/a/alpha/staff/", "/a/alpha/staff/applications/", f"/a/alpha/staff/applications/{application.pk}/",
        f"/a/alpha/staff/applications/{application.pk}/moderation/",
        "/a/alpha/staff/admissions/", "/a/alpha/staff/catalogue/", f"/a/alpha/staff/catalogue/{provider.pk}/",
        "/a/alpha/staff/agreements/", f"/a/alpha/staff/agreements/{agreement}/",
        f"/a/alpha/staff/agreements/{agreement}/questionnaire/",
        "/a/alpha/staff/calloffs/", f"/a/alpha/staff/calloffs/{package.pk}/", "/a/alpha/staff/calloffs/new/person/",
        "/a/alpha/staff/placements/", "/a/alpha/staff/team/", "/account/",
    ]) == {}


def test_the_provider_and_public_pages_use_each_id_once(client, region, busy):
    market, package = busy
    provider = market.providers[0]
    client.force_login(catalogue.admin_of(provider))
    with schema_context("alpha"):
        assert Bid.objects.filter(package=package).exists()
    assert _pages(client, [
        "/a/alpha/provider/", "/a/alpha/provider/calloffs/", f"/a/alpha/provider/calloffs/{package.pk}/",
        f"/a/alpha/provider/calloffs/{package.pk}/bid/", "/a/alpha/provider/agreements/",
        "/a/alpha/provider/applications/", "/providers/opportunities/", "/providers/admissions/",
        f"/providers/{provider.pk}/", f"/providers/{provider.pk}/evidence/", f"/providers/{provider.pk}/people/",
        f"/providers/{provider.pk}/profile/", "/account/",
    ]) == {}
    client.logout()
    assert _pages(client, ["/", "/directory/", "/directory/?q=care", "/accessibility/", "/privacy/",
                           "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]) == {}


def test_the_check_finds_a_duplicate():
    assert duplicate_ids('<p id="a"></p><input id="a"><input id="b">') == ["a (2 times)"]


def test_staff_with_three_documents_to_check_get_three_sets_of_ids(client, region, busy):
    market, _ = busy
    provider = market.providers[0]
    officer = support.make_staff(region.alpha, AuthorityRole.QUALITY_OFFICER)
    client.force_login(officer)
    page = client.get(f"/a/alpha/staff/catalogue/{provider.pk}/").content.decode()
    evidence = list(provider.evidence.values_list("pk", flat=True))
    assert len(evidence) >= 3
    for pk in evidence:
        assert f'id="id_evidence-{pk}-decision_1"' in page or f'id="id_evidence-{pk}-decision"' in page


def test_the_payments_pages_use_each_id_once_on_both_sides(client, region):
    """A queried schedule shows an answer form for the query, an adjust form
    for each line and the form to make it again: each with its own ids."""
    from tenants.payments import services as payments
    from tests.payments.support import month_start, payments_market, period_of

    pay = payments_market(region.alpha, started=month_start(3))
    second = live_placement(pay.market, started=month_start(3))
    with schema_context("alpha"):
        [schedule] = payments.schedules_generate(actor=pay.finance, period=period_of(pay, month_start(1)))
        payments.schedule_issue(actor=pay.finance, schedule=schedule)
        payments.schedule_query(actor=pay.provider_admin, schedule=schedule, reason="A day was not delivered.")
        assert schedule.lines.count() == 2 and second.provider_id == pay.provider.pk
    client.force_login(pay.finance)
    page = client.get(f"/a/alpha/staff/payments/{schedule.pk}/").content.decode()
    assert page.count('name="amount"') == 2 and page.count('name="answer"') == 1 and 'name="reason"' in page
    assert _pages(client, ["/a/alpha/staff/payments/", f"/a/alpha/staff/payments/{schedule.pk}/"]) == {}
    client.force_login(pay.provider_admin)
    page = client.get(f"/a/alpha/provider/payments/{schedule.pk}/").content.decode()
    assert 'name="line"' in page and 'name="number"' in page  # the query may name a line; the invoice form
    assert _pages(client, ["/a/alpha/provider/payments/", f"/a/alpha/provider/payments/{schedule.pk}/"]) == {}


def test_the_reports_history_and_grants_pages_use_each_id_once(client, region):
    from tests.grants import support as gs

    g = gs.granted(region)
    staff = support.make_staff(region.alpha, AuthorityRole.COMMISSIONER, AuthorityRole.FINANCE_VIEWER)
    client.force_login(staff)
    agreement = g.market.agreement.pk
    assert _pages(client, [
        "/a/alpha/staff/reports/", f"/a/alpha/staff/reports/agreements/{agreement}/",
        "/a/alpha/staff/reports/calloff-outcomes/", "/a/alpha/staff/history/", "/a/alpha/staff/grants/",
        "/a/alpha/staff/grants/recharges/", f"/a/alpha/staff/agreements/{agreement}/grants/new/",
        f"/a/alpha/staff/agreements/{agreement}/grants/{g.grant.pk}/revoke/",
    ]) == {}
    client.force_login(g.icb_broker)
    assert _pages(client, ["/a/alpha/staff/grants/", "/a/nhs-north/staff/grants/"]) == {}


def test_the_quality_pages_use_each_id_once_on_both_sides(client, region):
    from datetime import date, timedelta

    from tenants.quality import oversight
    from tests.quality.support import monitored, opened

    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    kpi_return = opened(m)[0]
    with schema_context("alpha"):
        assessment = oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care, Crewe",
                                                   visit_on=date.today() + timedelta(days=14))
    from accounts.services import membership_grant

    membership_grant(actor=None, authority=region.alpha, user=m.officer, role=AuthorityRole.COMMISSIONER)  # KPIs too
    client.force_login(m.officer)
    staff = "/a/alpha/staff/quality/"
    assert _pages(client, [
        staff, f"{staff}agreements/{m.market.agreement.pk}/", f"{staff}agreements/{m.market.agreement.pk}/kpis/new/",
        f"{staff}returns/", f"{staff}returns/{kpi_return.pk}/", f"{staff}risk/", f"{staff}providers/{provider.pk}/",
        f"{staff}providers/{provider.pk}/intelligence/new/", f"{staff}providers/{provider.pk}/actions/new/",
        f"{staff}providers/{provider.pk}/assessments/new/", f"{staff}providers/{provider.pk}/feedback-links/new/",
        f"{staff}assessments/{assessment.pk}/", f"{staff}feedback/",
    ]) == {}
    client.force_login(catalogue.admin_of(provider))
    mine = "/a/alpha/provider/quality/"
    assert _pages(client, [mine, f"{mine}{kpi_return.pk}/", f"{mine}assessments/{assessment.pk}/",
                           f"{mine}assessments/{assessment.pk}/self-assessment/"]) == {}
