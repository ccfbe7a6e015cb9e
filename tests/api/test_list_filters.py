"""Every list in the API refuses a filter it does not offer and a value it
cannot read, with a 400 naming the parameter (api.filters, common.filters).

The lists are found in the OpenAPI document (every GET whose answer is an
array or a page of one), so a new list is tested here without being named;
its malformed values come from the types the document gives its parameters."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole, ProviderRole
from tenants.admissions.models import Admission
from tests import support
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
UNIVERSAL = {"page", "page_size", "format"}


def list_operations(schema: dict) -> list[tuple[str, list[dict]]]:
    found = []
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if not operation:
            continue
        content = operation["responses"].get("200", {}).get("content", {})
        body = content.get("application/json", {}).get("schema", {})
        if body.get("type") == "array" or "Paginated" in body.get("$ref", ""):
            found.append((path, [p for p in operation.get("parameters", []) if p["in"] == "query"]))
    return found


def malformed(parameter: dict) -> str | None:
    schema = parameter["schema"]
    if "enum" in schema:
        return "no-such-value"
    if schema.get("type") == "integer":
        return "twelve"
    if schema.get("type") == "boolean":
        return "maybe"
    if schema.get("format") == "date":
        return "31/02/2026"
    if schema.get("minLength"):  # a code: must name something
        return "no-such-code"
    return None  # free text: any words are a search


def problem(response, name: str) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:400])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert name in body["errors"], body
    return body


@pytest.fixture
def clients(region):
    market = stage2.live_market(region.alpha, providers=1, names=["Brightday"])
    provider = market.providers[0]
    staff = APIClient(raise_request_exception=False)
    staff.force_authenticate(support.make_staff(region.alpha, *AuthorityRole.values))
    provider_api = APIClient(raise_request_exception=False)
    provider_api.force_authenticate(catalogue.admin_of(provider))
    session = APIClient(raise_request_exception=False)  # API tokens are managed from a signed-in session
    support.confirm_second_factor(session, catalogue.add_person(provider, ProviderRole.PROVIDER_ADMIN))
    with schema_context("alpha"):  # a list under an assessment needs one to be under
        from datetime import date, timedelta

        from tenants.quality import oversight

        assessment = oversight.assessment_schedule(
            actor=support.make_staff(region.alpha, AuthorityRole.QUALITY_OFFICER), provider=provider,
            service="Day centre", visit_on=date.today() + timedelta(days=14))
    market.assessment = assessment
    return {"market": market, "provider": provider, "apis": [staff, provider_api, session]}


def concrete(path: str, market, provider) -> str:
    values = {"authority": "alpha", "agreement_id": market.agreement.pk, "provider_id": provider.pk,
              "assessment_id": getattr(market, "assessment", None) and market.assessment.pk}
    return re.sub(r"\{(\w+)\}", lambda found: str(values.get(found.group(1), 999999)), path)


def reader(clients, url) -> tuple[APIClient | None, int]:
    """Who may read the list at `url`, and what they get with no filters: 200,
    or 404 or 409 for a list of something (an application, a package) this
    test has not made, whose filters are still checked first."""
    for api in clients["apis"]:
        status = api.get(url).status_code
        if status in (200, 404, 409):
            return api, status
    return None, 0


def test_every_list_refuses_unknown_filters_and_values_it_cannot_read(client, clients):
    lists = list_operations(client.get("/api/v1/schema/?format=json").json())
    assert len(lists) > 30  # the schema was read: both APIs' lists
    for path, parameters in lists:
        url = concrete(path, clients["market"], clients["provider"])
        api, _ = reader(clients, url)
        assert api is not None, f"{path}: nobody here may read it; give this test someone who may"
        found = problem(api.get(url, {"colour_of_sky": "blue"}), "colour_of_sky")
        assert "no filter" in found["detail"], found
        problem(api.get(f"{url}?colour_of_sky="), "colour_of_sky")
        if "page" not in {parameter["name"] for parameter in parameters}:
            problem(api.get(url, {"page": "2"}), "page")  # a list in one piece has no pages to ask for
        for parameter in parameters:
            name = parameter["name"]
            if name in UNIVERSAL:
                continue
            value = malformed(parameter)
            if value is not None:
                problem(api.get(url, {name: value}), name)
                problem(api.get(f"{url}?{name}="), name)
            if parameter["schema"].get("type") != "string" or "enum" in parameter["schema"]:
                problem(api.get(f"{url}?{name}=1&{name}=2"), name)


def test_every_list_takes_a_well_formed_value_of_each_filter(client, clients):
    """The documented filters work: a valid value answers 200, not a 400 or a 500."""
    lists = list_operations(client.get("/api/v1/schema/?format=json").json())
    tried = 0
    for path, parameters in lists:
        url = concrete(path, clients["market"], clients["provider"])
        api, status = reader(clients, url)
        if status != 200:
            continue
        tried += 1
        for parameter in parameters:
            schema, name = parameter["schema"], parameter["name"]
            if name in UNIVERSAL or name in ("lot", "agreement", "round", "service", "service_type", "authority",
                                             "area", "client_group", "postcode", "kpi"):
                continue  # ids and codes that must name something here: tried below with real ones
            value = (schema["enum"][0] if "enum" in schema else "2026-04-01" if schema.get("format") == "date"
                     else "true" if schema.get("type") == "boolean" else "1" if schema.get("type") == "integer"
                     else "care")
            response = api.get(url, {name: value})
            assert response.status_code == 200, (path, name, value, response.content[:300])
    assert tried > 25


# --- The filters return the right rows -----------------------------------------------------------

def test_admissions_filter_by_agreement_lot_round_provider_status_and_date(clients):
    market, provider = clients["market"], clients["provider"]
    staff = clients["apis"][0]
    second = stage2.admit(market, "Second Light")
    with schema_context("alpha"):
        admission = Admission.objects.get(provider=provider)
        round_ = admission.application.round
    assert round_ is not None  # an FPS: admitted from its round
    url = "/a/alpha/api/v1/admissions/"

    def providers(**query) -> set[int]:
        response = staff.get(url, query)
        assert response.status_code == 200, response.content
        return {row["provider"]["id"] for row in response.json()["results"]}

    assert providers() == {provider.pk, second.pk}
    assert providers(provider=provider.pk) == {provider.pk}
    assert providers(agreement=market.agreement.pk, lot=market.lot.pk, round=round_.pk) == {provider.pk, second.pk}
    assert providers(status="removed") == set()
    assert providers(admitted_before="2000-01-01") == set()
    assert providers(admitted_after="2000-01-01") == {provider.pk, second.pk}
    row = staff.get(url, {"provider": provider.pk}).json()["results"][0]
    assert row["round"] == {"id": round_.pk, "number": round_.number, "opens_on": str(round_.opens_on),
                            "closes_on": str(round_.closes_on)}
    found = problem(staff.get(url, {"lot": 999999}), "lot")
    assert "No lot with id 999999 here." in found["detail"]
    found = problem(staff.get(url, {"status": "gone"}), "status")
    assert "pending_onboarding" in found["detail"] and "removed" in found["detail"]


def test_packages_and_placements_filter_by_agreement_lot_status_and_dates(clients):
    market = clients["market"]
    staff = clients["apis"][0]
    package = stage2.package(market)
    url = "/a/alpha/api/v1/calloffs/packages/"

    def references(**query) -> set[str]:
        response = staff.get(url, query)
        assert response.status_code == 200, response.content
        return {row["reference"] for row in response.json()["results"]}

    assert references(agreement=market.agreement.pk, lot=market.lot.pk) == {package.reference}
    assert references(status="published") == {package.reference}
    assert references(status="draft") == set()
    assert references(published_before="2000-01-01") == set()
    assert references(created_after="2000-01-01") == {package.reference}
    placements = staff.get("/a/alpha/api/v1/placements/", {"agreement": market.agreement.pk, "status": "live"})
    assert placements.status_code == 200 and placements.json()["results"] == []
    problem(staff.get("/a/alpha/api/v1/placements/", {"starts_after": "yesterday"}), "starts_after")
