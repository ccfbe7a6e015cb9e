"""Agreements open to providers, on the regional site and in the public API:
read from the application-window projection, kept in step by the
agreements' services, one query however many authorities; the way in for a
provider carries `next` through sign-up and registration."""

import io
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.roles import ProviderRole
from shared_catalogue import open_agreements
from shared_catalogue.models import AgreementWindow
from tenants.agreements import services as agreements
from tenants.agreements.models import Agreement
from tests import support
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
TODAY = date.today()


def _dps(authority, **fields):
    setup = stage1.agreement(authority, kind=Agreement.Kind.DPS, starts_on=TODAY,
                             ends_on=TODAY + timedelta(days=1000), lots=stage1.DAY_OPPORTUNITY_LOTS[1:2], **fields)
    with schema_context(authority.schema_name):
        agreements.agreement_open(actor=setup.commissioner, agreement=setup.agreement,
                                  initial_period_ends_on=TODAY + timedelta(days=30))
    return setup


def _later(authority):
    """An FPS whose only round opens in a month."""
    setup = stage1.agreement(authority, rounds=[(TODAY + timedelta(days=30), TODAY + timedelta(days=60))],
                             starts_on=TODAY, ends_on=TODAY + timedelta(days=700))
    with schema_context(authority.schema_name):
        agreements.agreement_open(actor=setup.commissioner, agreement=setup.agreement)
    return setup


def _mine(rows, *setups):
    ids = {(s.authority.pk, s.agreement.pk) for s in setups}
    return [row for row in rows if (row.authority_id, row.agreement_id) in ids]


def test_open_agreements_across_authorities_in_one_query_with_rounds_and_continuous_windows(region):
    fps = stage1.open_agreement(region.alpha)
    dps = _dps(region.beta)
    draft = stage1.agreement(region.nhs)  # never opened: not listed
    later = _later(region.nhs)

    def listed(**filters):
        with CaptureQueriesContext(connection) as queries:
            rows = [(r.authority.name, r.reference) for r in open_agreements.windows(
                filters=open_agreements.filters_from(**filters))]
        return rows, sum(q["sql"].startswith("SELECT") for q in queries.captured_queries)

    rows, queries = listed()
    mine = {ref for _, ref in rows} & {s.agreement.reference for s in (fps, dps, draft, later)}
    assert mine == {fps.agreement.reference, dps.agreement.reference} and queries == 1
    soon, _ = listed(when="soon")
    assert later.agreement.reference in {ref for _, ref in soon}
    [fps_row] = _mine(open_agreements.windows(), fps)
    assert (fps_row.continuous, fps_row.round_number, fps_row.closes_on) == (False, 1, TODAY + timedelta(days=365))
    assert [lot["number"] for lot in fps_row.lots] == ["1", "2", "3"]
    [dps_row] = _mine(open_agreements.windows(), dps)
    assert dps_row.continuous and dps_row.closes_on == dps.agreement.ends_on
    assert "community-support" in dps_row.services and "Dynamic purchasing" in dps_row.kind_label

    by_authority, _ = listed(authority="beta")
    assert {name for name, _ in by_authority} == {"Beta Council"}
    by_service, _ = listed(service="employment-skills-training")
    assert fps.agreement.reference in {ref for _, ref in by_service}
    assert dps.agreement.reference not in {ref for _, ref in by_service}


def test_the_projection_follows_the_agreement_and_rebuilds_from_the_schemas(region):
    fps = stage1.open_agreement(region.alpha)
    rows = AgreementWindow.objects.filter(authority=region.alpha, agreement_id=fps.agreement.pk)
    assert rows.count() == 1
    with schema_context("alpha"):
        agreements.round_add(actor=fps.commissioner, agreement=fps.agreement, opens_on=TODAY + timedelta(days=400),
                             closes_on=TODAY + timedelta(days=420))
    assert sorted(rows.values_list("round_number", flat=True)) == [1, 2]
    rows.update(title="wrong")
    out = io.StringIO()
    call_command("agreements_rebuild_windows", "alpha", stdout=out)
    assert "alpha:" in out.getvalue()
    assert set(rows.values_list("title", flat=True)) == {fps.agreement.title}
    with schema_context("alpha"):
        agreements.agreement_end(actor=fps.commissioner, agreement=fps.agreement, reason="Replaced.")
    assert not rows.exists()


def test_the_public_page_lists_them_without_sign_in_and_refuses_bad_filters(client, region):
    fps = stage1.open_agreement(region.alpha)
    home = client.get("/")
    assert 'href="/agreements/"' in home.content.decode()
    page = client.get("/agreements/")
    assert page.status_code == 200
    text = page.content.decode()
    assert fps.agreement.title in text and "Alpha Council" in text and "Building Based Services" in text
    assert f"Round 1 closes on {(TODAY + timedelta(days=365)):%-d %B %Y}" in text
    assert f'href="/agreements/alpha/{fps.agreement.pk}/apply/"' in text
    bad = client.get("/agreements/?authority=nowhere&when=yesterday")
    assert bad.status_code == 400
    assert "That is not an authority in the region" in bad.content.decode()
    assert "Choose open now or opening later" in bad.content.decode()


def test_the_page_reads_a_constant_number_of_queries(client, region):
    stage1.open_agreement(region.alpha)
    client.get("/agreements/")
    with CaptureQueriesContext(connection) as first:
        client.get("/agreements/")
    _dps(region.beta)
    stage1.open_agreement(region.nhs)
    with CaptureQueriesContext(connection) as second:
        client.get("/agreements/")
    assert len(second.captured_queries) == len(first.captured_queries)


def test_apply_carries_next_through_sign_up_and_registration_to_the_authoritys_form(client, region):
    fps = stage1.open_agreement(region.alpha)
    start = f"/agreements/alpha/{fps.agreement.pk}/apply/"
    response = client.get(start)
    assert response.status_code == 302 and response["Location"] == f"/accounts/signup/?next={quote(start, safe='')}"

    person = support.make_user()
    client.force_login(person)
    response = client.get(start)
    assert response["Location"] == f"/providers/register/?next={quote(start, safe='')}"
    registered = client.post(f"/providers/register/?next={quote(start, safe='')}", {
        "legal_name": "Join Us Limited", "name": support.unique("Join Us "), "kind": "company",
        "company_number": "07654321", "postcode": "CW1 2AB", "contact_email": "hello@joinus.example"})
    assert registered.status_code == 302 and registered["Location"] == start
    response = client.get(start)
    assert response["Location"] == f"/a/alpha/provider/agreements/{fps.agreement.pk}/apply/"
    assert client.get(response["Location"]).status_code == 200

    # somewhere else entirely is never the next step
    evil = client.post("/providers/register/?next=https://evil.example/", {
        "legal_name": "Second Limited", "name": support.unique("Second "), "kind": "company",
        "company_number": "07654322", "postcode": "CW1 2AB", "contact_email": "hello@second.example"})
    assert evil.status_code == 302 and evil["Location"].startswith("/providers/")

    viewer = support.make_provider_person(None, ProviderRole.VIEWER)
    client.force_login(viewer)
    assert client.get(start)["Location"].startswith("/providers/register/")  # a viewer cannot apply
    assert client.get("/agreements/alpha/999999/apply/").status_code == 404
    assert client.get(f"/agreements/nowhere/{fps.agreement.pk}/apply/").status_code == 404


def test_the_public_api_lists_and_filters_them(client, region):
    fps = stage1.open_agreement(region.alpha)
    dps = _dps(region.beta)
    response = client.get("/api/v1/open-agreements/", {"authority": "alpha", "page_size": 100})
    assert response.status_code == 200
    body = response.json()
    [row] = [r for r in body["results"] if r["reference"] == fps.agreement.reference]
    assert row["authority"] == {"slug": "alpha", "name": "Alpha Council"}
    assert row["round_number"] == 1 and row["continuous"] is False
    assert row["apply_url"] == f"/agreements/alpha/{fps.agreement.pk}/apply/"
    assert [lot["number"] for lot in row["lots"]] == ["1", "2", "3"]
    assert all(r["authority"]["slug"] == "alpha" for r in body["results"])
    beta = client.get("/api/v1/open-agreements/", {"authority": "beta", "page_size": 100}).json()["results"]
    [drow] = [r for r in beta if r["reference"] == dps.agreement.reference]
    assert drow["continuous"] is True and drow["round_number"] is None
    bad = client.get("/api/v1/open-agreements/", {"service": "juggling"})
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert "service" in bad.json()["errors"]
