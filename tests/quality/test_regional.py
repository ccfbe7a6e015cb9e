"""Provider risk across the region, and the dashboard's filters: a partner's
colour reaches the authorities in the region that use the provider too,
with the kinds of reason and never their details; a colour change updates
what partners read; the dashboard filters by lot and service type, refuses
a filter nobody offers, and takes the same queries however many providers
and partners there are."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from shared_catalogue.models import SharedRisk
from tenants.quality import oversight, risk
from tenants.quality.regional import regional_view
from tests import support
from tests.calloffs import support as stage2
from tests.quality.support import monitored
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

COMMUNITY = ("1", "Community Support", "community-support")


def _record(m, provider, kind, **fields):
    with schema_context(m.schema):
        return oversight.intelligence_record(actor=m.officer, provider=provider, kind=kind,
                                             occurred_on=date.today(), source=fields.pop("source", "Test"),
                                             summary=fields.pop("summary", "Something happened."), **fields)


def _refresh(authority):
    with schema_context(authority.schema_name):
        return risk.refresh()


def _officer(authority):
    client = APIClient()
    client.force_authenticate(support.make_staff(authority, "quality_officer"))
    return client


def test_a_partners_colour_reaches_authorities_that_use_the_provider_and_never_its_details(client, region):
    """Alpha makes a provider red (a safeguarding decision it shares, and
    whistleblowing it keeps to itself). Beta, which uses the provider too,
    sees Alpha's red beside its own green with the kinds of reason only; the
    NHS body, which does not use it, sees nothing of it."""
    m = monitored(region.alpha, providers=1)
    shared_provider = m.market.providers[0]
    stage2.admit(stage2.live_market(region.beta, 0), provider=shared_provider)
    stage2.live_market(region.nhs, 1)  # the NHS body uses another provider only
    _record(m, shared_provider, "safeguarding_decision", source="Referral by Mr Reid",
            summary="Neglect substantiated at the Crewe branch.", restricted_notes="Mr Reid's daughter; case 4411.")
    _record(m, shared_provider, "whistleblowing", source="A care worker", summary="Rotas falsified.",
            restricted_notes="The care worker asked not to be named.", share="here")
    for authority in (region.alpha, region.beta, region.nhs):
        _refresh(authority)

    seen = _officer(region.beta).get("/a/beta/api/v1/risk/regional/?page_size=100")
    assert seen.status_code == 200, seen.content
    row = next(r for r in seen.json()["results"] if r["provider"]["id"] == shared_provider.pk)
    assert row["worst"] == "red" and row["here"]["colour"] == "green"
    [alpha] = row["partners"]
    assert (alpha["authority"], alpha["colour"], alpha["trend"]) == (region.alpha.name, "red", "First assessed")
    assert alpha["changed_at"]
    assert alpha["headlines"] == ["Red: Safeguarding decision (substantiated)", "Amber: Intelligence not shared"]
    text = seen.content.decode()
    for secret in ("Reid", "4411", "daughter", "Crewe", "Neglect", "Rotas", "care worker", "Whistleblowing",
                   f"{date.today():%-d %B %Y}"):
        assert secret not in text
    # riskiest first: the red provider before any only green everywhere
    colours = [r["worst"] for r in seen.json()["results"]]
    assert colours == sorted(colours, key=lambda c: -risk.ORDER[c])

    # the page says the same, and leaves the details out too
    client.force_login(support.make_staff(region.beta, "commissioner"))
    page = client.get("/a/beta/staff/quality/risk/regional/")
    assert page.status_code == 200
    body = page.content.decode()
    assert shared_provider.name in body and region.alpha.name in body and "Safeguarding decision" in body
    assert "Reid" not in body and "Rotas" not in body
    provider_page = client.get(f"/a/beta/staff/quality/providers/{shared_provider.pk}/").content.decode()
    assert 'data-testid="partner-colours"' in provider_page and region.alpha.name in provider_page
    assert "Reid" not in provider_page and "Rotas" not in provider_page
    only = _officer(region.beta).get(f"/a/beta/api/v1/risk/regional/?provider={shared_provider.pk}").json()
    assert [r["provider"]["id"] for r in only["results"]] == [shared_provider.pk]

    # Alpha sees Beta's green in turn; the NHS body, which does not use the provider, sees nothing of it
    mine = _officer(region.alpha).get("/a/alpha/api/v1/risk/regional/?page_size=100").json()["results"]
    row = next(r for r in mine if r["provider"]["id"] == shared_provider.pk)
    assert row["here"]["colour"] == "red" and [(p["authority"], p["colour"]) for p in row["partners"]] == [
        (region.beta.name, "green")]
    theirs = _officer(region.nhs).get("/a/nhs-north/api/v1/risk/regional/?page_size=100").json()["results"]
    assert all(r["provider"]["id"] != shared_provider.pk for r in theirs)

    # once Beta no longer uses the provider, neither sees the other's colour for it
    from tenants.admissions.models import Admission
    from tenants.admissions.services import admission_remove

    with schema_context(region.beta.schema_name):
        admission = Admission.objects.get(provider=shared_provider)
        admission_remove(actor=support.make_staff(region.beta, "commissioner"), admission=admission,
                         grounds="Contract ended by agreement.")
    with schema_context(region.alpha.schema_name):
        assert all(r.provider.pk != shared_provider.pk for r in regional_view())


def test_brokers_and_providers_do_not_read_the_regional_view(client, region):
    market = stage2.live_market(region.alpha, 1)
    broker = APIClient()
    broker.force_authenticate(market.broker)
    assert broker.get("/a/alpha/api/v1/risk/regional/").status_code == 403
    provider = APIClient()
    provider.force_authenticate(catalogue.admin_of(market.providers[0]))
    assert provider.get("/a/alpha/api/v1/risk/regional/").status_code == 403
    client.force_login(market.broker)
    assert client.get("/a/alpha/staff/quality/risk/regional/").status_code == 403
    assert _officer(region.alpha).get("/a/alpha/api/v1/risk/regional/?colour=purple").status_code == 400


def test_a_colour_change_updates_what_partners_read_and_the_projection_can_be_rebuilt(region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    _refresh(region.alpha)
    first = SharedRisk.objects.get(authority=region.alpha, provider=provider)
    assert (first.colour, first.previous, first.headlines) == ("green", "", [])

    _record(m, provider, "manager_vacancy", summary="The registered manager left.")
    assert _refresh(region.alpha) == [(provider.pk, "green", "amber")]
    changed = SharedRisk.objects.get(authority=region.alpha, provider=provider)
    assert (changed.colour, changed.previous, changed.headlines) == (
        "amber", "green", ["Amber: Registered manager vacancy"])
    assert changed.changed_at > first.changed_at

    # new reasons at the same colour: the kinds follow, the date and the trend of the last change stay
    _record(m, provider, "contract_concern", summary="Calls cut short.")
    assert _refresh(region.alpha) == []
    same = SharedRisk.objects.get(authority=region.alpha, provider=provider)
    assert (same.colour, same.previous, same.changed_at) == ("amber", "green", changed.changed_at)
    assert set(same.headlines) == {"Amber: Registered manager vacancy", "Amber: Substantiated contract concern"}

    # the projection is never the source of truth: lost or wrong rows come back from the schema
    SharedRisk.objects.filter(authority=region.alpha).update(colour="green", headlines=[])
    SharedRisk.objects.create(authority=region.alpha, provider=support.make_provider(), colour="red",
                              changed_at=same.changed_at)
    call_command("quality_rebuild_shared_risk", "alpha", stdout=open("/dev/null", "w"))
    rebuilt = SharedRisk.objects.filter(authority=region.alpha)
    assert [(r.provider_id, r.colour, r.previous, set(r.headlines)) for r in rebuilt] == [
        (provider.pk, "amber", "green", set(same.headlines))]


def _shared(here, partners, providers):
    """`providers` used by `here` and every partner, each coloured there."""
    market = stage2.live_market(here, providers)
    for partner in partners:
        partner_market = stage2.live_market(partner, 0)
        for provider in market.providers:
            stage2.admit(partner_market, provider=provider)
    for authority in (here, *partners):
        _refresh(authority)
    return market


def _count(callable_, *args):
    with CaptureQueriesContext(connection) as queries:
        result = callable_(*args)
    return len(queries), result


def test_the_regional_view_takes_the_same_queries_for_more_providers_and_partners(region):
    # one provider, one partner: seen from Beta
    _shared(region.beta, [region.alpha], 1)
    with schema_context(region.beta.schema_name):
        regional_view()  # the schema's search_path is set on the first query
        small, rows = _count(regional_view)
    assert [len(r.partners) for r in rows] == [1]

    # three providers, three partners: seen from the NHS body
    _shared(region.nhs, [region.alpha, region.beta, region.partners], 3)
    with schema_context(region.nhs.schema_name):
        regional_view()
        large, rows = _count(regional_view)
    assert [len(r.partners) for r in rows] == [3, 3, 3]
    assert small == large == 3  # the authority, partners' colours, this authority's own

    # and so does the API: one provider and partner, or three of each
    counts = []
    for authority in (region.beta, region.nhs):
        api, url = _officer(authority), f"/a/{authority.slug}/api/v1/risk/regional/"
        api.get(url)
        count, answer = _count(api.get, url)
        assert answer.status_code == 200
        counts.append(count)
    assert counts[0] == counts[1]


def test_the_dashboard_filters_by_lot_and_service_type_and_refuses_a_filter_nobody_offers(client, region):
    day = stage2.live_market(region.alpha, 1)
    community = stage2.live_market(region.alpha, 1, lot=COMMUNITY)
    (day_provider,), (community_provider,) = day.providers, community.providers
    m = SimpleNamespace(schema=region.alpha.schema_name, officer=support.make_staff(region.alpha, "quality_officer"))
    _record(m, community_provider, "safeguarding_decision")
    api = _officer(region.alpha)

    def listed(query):
        answer = api.get(f"/a/alpha/api/v1/risk/?page_size=100&{query}")
        assert answer.status_code == 200, answer.content
        return [(r["provider"]["id"], r["colour"]) for r in answer.json()["results"]]

    assert listed(f"lot={day.lot.pk}") == [(day_provider.pk, "green")]
    assert listed(f"lot={community.lot.pk}") == [(community_provider.pk, "red")]
    assert listed("service_type=community-support") == [(community_provider.pk, "red")]
    assert (day_provider.pk, "green") in listed("service_type=day-opportunities-building-based")
    both = [pk for pk, _ in listed("") if pk in (day_provider.pk, community_provider.pk)]
    assert both == [community_provider.pk, day_provider.pk]  # riskiest first

    for query, field, words in (("lot=999999", "lot", "There is no lot 999999 here"),
                                ("lot=abc", "lot", ""), ("lot=", "lot", ""),
                                ("service_type=nursing-homes", "service_type", "is not one of the values offered"),
                                ("service_type=home-care", "service_type", "is not the service type of any lot"),
                                ("service_type=", "service_type", ""), ("colour=purple", "colour", "")):
        refused = api.get(f"/a/alpha/api/v1/risk/?{query}")
        assert refused.status_code == 400, query
        assert field in refused.json().get("errors", refused.json()) or field in refused.content.decode(), query
        assert words in refused.content.decode(), query

    client.force_login(m.officer)
    page = client.get("/a/alpha/staff/quality/risk/?service_type=community-support")
    body = page.content.decode()
    assert community_provider.name in body and day_provider.name not in body
    assert 'data-testid="risk-chart"' in body and "<svg" in body
    assert "1 red, 0 amber, 0 green" in body  # the distribution of what is shown, in words and in its table
    wrong = client.get("/a/alpha/staff/quality/risk/?lot=999999&service_type=bogus")
    assert wrong.status_code == 400  # named back to the person, never silently dropped
    assert 'data-testid="filter-errors"' in wrong.content.decode() and "service_type" in wrong.content.decode()
    assert community_provider.name not in wrong.content.decode()  # nothing that looks filtered but is not


def test_the_filtered_dashboard_takes_the_same_queries_for_more_providers(region):
    small = stage2.live_market(region.alpha, 1, lot=COMMUNITY)
    large = stage2.live_market(region.beta, 3, lot=COMMUNITY)
    counts = []
    for market in (small, large):
        api = _officer(market.authority)
        url = f"/a/{market.authority.slug}/api/v1/risk/?lot={market.lot.pk}&service_type=community-support"
        api.get(url)
        count, answer = _count(api.get, url)
        assert answer.status_code == 200 and len(answer.json()["results"]) == len(market.providers)
        counts.append(count)
    assert counts[0] == counts[1]
