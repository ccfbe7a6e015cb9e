"""The grant pages: a commissioner grants and revokes from the agreement's
page; the ICB's broker sees its own call-offs and placements at the council's
address, and the ICB's staff the placement in their own authority; Beta,
with no grant, is refused; recharges for a period, and a bad period is a 400."""

from datetime import date

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.agreements.models import CallOffGrant
from tenants.placements import services as placements
from tests import support
from tests.calloffs import staff_support as ss
from tests.calloffs import support as stage2
from tests.grants import support as gs

pytestmark = pytest.mark.django_db


def test_a_commissioner_grants_and_revokes_from_the_agreements_page(client, region):
    market = stage2.live_market(region.alpha, providers=1)
    detail = f"/a/alpha/staff/agreements/{market.agreement.pk}/"
    client.force_login(market.setup.commissioner)
    assert f'href="{detail}grants/new/"' in client.get(detail).content.decode()
    refused = client.post(f"{detail}grants/new/", {"grantee": region.nhs.pk, **ss.date_parts("starts_on", date.today()),
                                                   "purchasing_agreement": "NHS-N-1", "reason": "Board 14/2026"})
    assert refused.status_code == 400 and "at least one right" in refused.content.decode()
    made = client.post(f"{detail}grants/new/", {"grantee": region.nhs.pk, "may_call_off": "on", "may_co_fund": "on",
                                                **ss.date_parts("starts_on", date.today()),
                                                "purchasing_agreement": "NHS-N-1", "reason": "Board 14/2026"})
    assert made.status_code == 302
    with schema_context("alpha"):
        grant = CallOffGrant.objects.get()
    page = client.get(detail).content.decode()
    assert "NHS North ICB" in page and "Call off and co-fund" in page
    assert client.post(f"{detail}grants/{grant.pk}/revoke/", {"reason": "Pooled budget"}).status_code == 302
    assert "Revoked" in client.get(detail).content.decode()
    client.force_login(market.broker)
    assert client.get(f"{detail}grants/new/").status_code == 403


def test_each_sees_the_placement_and_an_authority_without_a_grant_is_refused(client, region):
    g = gs.granted(region)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    with schema_context("alpha"):
        placements.placement_set_funders(actor=g.market.broker, placement=placement,
                                         shares=[(region.alpha, 60), (region.nhs, 40)])
        placement.status, placement.start_on = "live", date(2026, 3, 11)
        placement.went_live_at = timezone.now()  # live as going live makes it: the cost lines then count
        placement.save()
    client.force_login(g.icb_broker)
    page = client.get("/a/alpha/staff/grants/")
    assert page.status_code == 200
    text = page.content.decode()
    assert placement.package.reference in text and "NHS North ICB 40%" in text
    assert client.get("/a/alpha/staff/placements/").status_code == 403  # not the council's staff
    own = client.get("/a/nhs-north/staff/grants/").content.decode()
    assert placement.package.reference in own and "Alpha Council" in own

    client.force_login(support.make_staff(region.nhs, "finance_viewer"))
    recharges = client.get("/a/alpha/staff/grants/recharges/?period=monthly&starts_on=2026-03-01").content.decode()
    assert "£756.00" in recharges and "1 March 2026 to 31 March 2026" in recharges
    bad = client.get("/a/alpha/staff/grants/recharges/?period=monthly&starts_on=2026-03-02")
    assert bad.status_code == 400 and "first day of a month" in bad.content.decode()

    client.force_login(support.make_staff(region.beta, "broker", "finance_viewer"))
    assert client.get("/a/alpha/staff/grants/").status_code == 403
    assert client.get("/a/alpha/staff/grants/recharges/").status_code == 403
    assert placement.package.reference not in client.get("/a/beta/staff/grants/").content.decode()


def test_every_grant_endpoint_refuses_provider_people_and_the_icb_without_a_grant(client, region):
    from accounts.policy import Audience
    from accounts.roles import ProviderRole

    granted = [e for e in support.tenant_endpoints("alpha") if e.audience is Audience.GRANTED]
    assert any(e.is_api for e in granted) and any(not e.is_api for e in granted)
    icb_commissioner = support.make_staff(region.nhs, "commissioner", "broker", "finance_viewer")
    for user in (support.make_provider_person(None, ProviderRole.PROVIDER_ADMIN, mfa=True), icb_commissioner):
        client.force_login(user)
        for endpoint in granted:
            assert client.get(endpoint.path).status_code == 403, endpoint.path


def test_the_icb_evaluates_awards_goes_live_and_sets_shares_through_the_council_pages(client, region, time_machine):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from tenants.calloffs import services as calloffs
    from tenants.placements.models import Placement

    g = gs.granted(region)
    package = gs.icb_calls_off(g)
    own = stage2.package(g.market)  # the council's own: never the ICB's to see
    stage2.submit(g.market, package, g.market.providers[0])
    base = f"/a/alpha/staff/calloffs/{package.pk}"
    client.force_login(g.icb_broker)
    page = client.get(f"{base}/")
    assert page.status_code == 200 and package.reference in page.content.decode()
    assert "/a/alpha/staff/grants/" in page.content.decode()  # its way back is the grants page
    assert client.get(f"{base}/bids/").status_code == 403  # sealed until the deadline, as for the council
    assert client.get(f"/a/alpha/staff/calloffs/{own.pk}/").status_code == 404
    assert client.get("/a/alpha/staff/calloffs/").status_code == 403  # the council's list stays closed

    time_machine.move_to(package.bid_deadline + timedelta(minutes=1), tick=False)
    with schema_context("alpha"):
        calloffs.packages_close_due()
        bid = package.bids.get()
    client.force_login(g.icb_broker)  # a fortnight on: signed in again
    assert "£420.00" in client.get(f"{base}/bids/").content.decode()
    done = client.post(f"{base}/bids/{bid.pk}/evaluate/",
                       {"compliant": "yes", "quality": "70", "outcomes": "70", "social_value": "60"})
    assert done.status_code == 302, done.content.decode()[:2000]
    check = client.post(f"{base}/award/", {"bid": bid.pk})
    assert check.status_code == 200 and "Check the award before you make it" in check.content.decode()
    made = client.post(f"{base}/award/", {"bid": bid.pk, "confirm": "1"}, follow=True)
    assert "awarded to Brightday" in made.content.decode()
    with schema_context("alpha"):
        placement = Placement.objects.get(package=package)

    url = f"/a/alpha/staff/placements/{placement.pk}"
    shown = client.get(f"{url}/").content.decode()
    assert "Who pays the provider" in shown and "NHS North ICB" in shown and "Confirm it has gone live" in shown
    start = placement.start_on
    time_machine.move_to(timezone.make_aware(datetime(start.year, start.month, start.day, 10)), tick=False)
    client.force_login(g.icb_broker)
    assert client.post(f"{url}/go-live/", {"confirm": "1"}).status_code == 302
    shares = {f"share_{region.nhs.pk}": "40", f"share_{region.alpha.pk}": "60", "payer": region.nhs.pk}
    assert client.post(f"{url}/funders/", shares).status_code == 302
    with schema_context("alpha"):
        placement.refresh_from_db()
        assert placement.status == "live" and placement.payer == region.nhs
        assert {f.authority.slug: f.share for f in placement.funders.all()} == {"nhs-north": 40, "alpha": 60}

    # the council sees it all; Beta nothing
    client.force_login(g.market.broker)
    council = client.get(f"{url}/").content.decode()
    assert "NHS North ICB" in council and "40%" in council
    client.force_login(support.make_staff(region.beta, "broker", "commissioner"))
    assert client.get(f"{url}/").status_code == 403
    assert client.get(f"{base}/").status_code == 403


def test_the_icb_starts_and_publishes_a_call_off_through_the_council_pages(client, region):
    from tenants.calloffs.models import Package

    g = gs.granted(region)
    council_person = stage2.person(g.market)  # recorded by the council's broker: not the ICB's to use
    base = "/a/alpha/staff/calloffs"
    client.force_login(g.icb_broker)
    home = client.get("/a/alpha/staff/grants/").content.decode()
    assert f'href="{base}/new/person/"' in home
    recorded = client.post(f"{base}/new/person/", ss.person_data(last_name="Lee"))
    assert recorded.status_code == 302 and recorded.url.startswith(f"{base}/new/?people=")
    form = client.get(recorded.url).content.decode()
    assert g.market.agreement.title in form and "Lot 1" in form
    # someone else's record in the address is dropped: the form asks for the person first
    assert client.get(f"{base}/new/?people={council_person.pk}").url == f"{base}/new/person/"
    created = client.post(recorded.url, ss.package_data(g.market))
    assert created.status_code == 302, created.content.decode()[:2000]
    package_id = int(created.url.rstrip("/").split("/")[-1])
    published = client.post(f"{base}/{package_id}/publish/", follow=True)
    assert "published: 1 provider invited" in published.content.decode()
    with schema_context("alpha"):
        package = Package.objects.get(pk=package_id)
        assert (package.called_off_by, package.status, package.created_by) == (region.nhs, "published", g.icb_broker)
    # Beta, without a grant, cannot start one here
    client.force_login(support.make_staff(region.beta, "broker"))
    assert client.get(f"{base}/new/person/").status_code == 403
