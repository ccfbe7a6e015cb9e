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
