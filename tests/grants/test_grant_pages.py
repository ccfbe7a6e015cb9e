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
