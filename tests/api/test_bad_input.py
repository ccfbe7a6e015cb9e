"""Bad input is refused with a clear 400 (or 413), never a 500: deep JSON,
non-finite numbers, NUL characters, oversized bodies, dates with no sense and
filter values nobody offers. Each test here is an attack that once got a 500,
a silent answer or a file written to disk."""

import json
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole, ProviderRole
from tests import support
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
NON_FINITE = ("NaN", "nan", "sNaN", "-sNaN", "Infinity", "-inf", "inf", "1e999", "-1E999")


def client_for(user) -> APIClient:
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(user)
    return api


def token_maker() -> tuple:
    """A person in a signed-in session with a fresh two-factor code: who may
    make API tokens, so their bodies reach the parser."""
    person = support.make_provider_person(mfa=True)
    api = APIClient(raise_request_exception=False)
    support.confirm_second_factor(api, person)
    return person, api


def problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# --- The three 500s ------------------------------------------------------------------------------

def test_deeply_nested_json_is_a_400(region):
    _, api = token_maker()
    for body in ("[" * 1000 + "]" * 1000, '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        found = problem(api.post("/api/v1/tokens/", body, content_type="application/json"), 400)
        assert "nested" in found["detail"]


def test_json_number_literals_that_are_not_numbers_are_a_400(region):
    _, api = token_maker()
    for literal in ("NaN", "Infinity", "-Infinity", "1e999", "-1e999"):
        body = '{"name": "x", "expires_in_days": ' + literal + "}"
        found = problem(api.post("/api/v1/tokens/", body, content_type="application/json"), 400)
        assert "number" in found["detail"]


def test_non_finite_prices_in_a_bid_are_a_400(region):
    market = stage2.live_market(region.alpha, providers=1, names=["Brightday"])
    package = stage2.package(market)
    api = client_for(catalogue.add_person(market.providers[0], ProviderRole.BID_WRITER))
    for field in ("weekly_price", "hourly_rate", "hours_per_week"):
        for value in NON_FINITE:
            response = api.post(f"/a/alpha/api/v1/provider/calloffs/{package.pk}/bid/submit/",
                                stage2.bid_content(**{field: value}), format="json",
                                HTTP_IDEMPOTENCY_KEY=f"{field}-{value}")
            assert field in problem(response, 400)["errors"], (field, value)


def test_non_finite_numbers_are_a_400_for_every_decimal_field_of_staff(region):
    market = stage2.live_market(region.alpha, providers=1, names=["Brightday"])
    staff = support.make_staff(region.alpha, AuthorityRole.BROKER, AuthorityRole.COMMISSIONER)
    api = client_for(staff)
    person = stage2.person(market)
    for value in NON_FINITE:
        body = {"title": "Day opportunities", "outcomes": "Confidence", "support_needed": "Two days",
                "sessions_per_week": 2, "pattern": "Weekdays",
                "start_on": (date.today() + timedelta(days=30)).isoformat(), "duration_weeks": 52,
                "locality": "Crewe", "postcode_district": "CW1", "budget_weekly": value,
                "agreement": market.agreement.pk, "lot": market.lot.pk, "people": [person.pk]}
        response = api.post("/a/alpha/api/v1/calloffs/packages/", body, format="json")
        assert "budget_weekly" in problem(response, 400)["errors"], value


def test_non_finite_numbers_never_pass_the_shared_parser():
    from common.numbers import decimal_or_none

    for value in (*NON_FINITE, "1e-999999999999", "9" * 5000):
        with pytest.raises(ValueError):
            decimal_or_none(value)
    assert str(decimal_or_none(" 425.50 ")) == "425.50" and decimal_or_none("") is None


def test_every_decimal_field_refuses_non_finite_values_from_json_and_from_forms():
    from urllib.parse import quote

    from django import forms
    from django.http import QueryDict
    from rest_framework import serializers

    class Amount(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=30, decimal_places=10)

    class AmountForm(forms.Form):
        amount = forms.DecimalField(max_digits=30, decimal_places=10)

    for value in NON_FINITE:
        assert not Amount(data={"amount": value}).is_valid(), value
        assert not Amount(data=QueryDict(f"amount={quote(value)}")).is_valid(), value
        assert not AmountForm(data={"amount": value}).is_valid(), value
    assert Amount(data={"amount": "425.50"}).is_valid()


def test_a_nul_character_in_a_search_or_filter_is_a_400(region):
    staff = support.make_staff(region.alpha, AuthorityRole.COMMISSIONER)
    api = client_for(staff)
    for url in ("/a/alpha/api/v1/catalogue/providers/?q=%00", "/a/alpha/api/v1/catalogue/providers/?service=a%00b",
                "/api/v1/directory/?q=care%00", "/api/v1/directory/?postcode=%00", "/a/al%00pha/api/v1/",
                "/api/v1/tokens/%00/"):
        found = problem(api.get(url), 400)
        assert "character" in found["detail"]
        assert found["status"] == 400 and api.get(url)["X-Content-Type-Options"] == "nosniff"
    page = APIClient(raise_request_exception=False)
    page.force_login(staff)
    for url in ("/a/alpha/staff/catalogue/?q=%00", "/directory/?q=%00", "/a/alpha/staff/calloffs/?status=%00"):
        response = page.get(url)
        assert response.status_code == 400 and "text/html" in response["Content-Type"], url
        assert b"character" in response.content


def test_a_nul_character_in_a_form_or_json_body_is_a_400(region):
    person, api = token_maker()
    found = problem(api.post("/api/v1/tokens/", {"name": "a\u0000b"}, format="json"), 400)
    assert "character" in found["detail"]
    found = problem(api.post("/api/v1/tokens/", {"name\u0000": "x"}, format="json"), 400)
    page = APIClient(raise_request_exception=False)
    page.force_login(person)
    response = page.post("/account/tokens/", {"name": "a\x00b"})
    assert response.status_code == 400 and b"character" in response.content


# --- Size -----------------------------------------------------------------------------------------

class Boom:
    """A body that must never be read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def _unread_post(path: str, content_type: str, length: int, user):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client.generic("POST", path, b"", CONTENT_TYPE=content_type, CONTENT_LENGTH=str(length),
                          **{"wsgi.input": Boom()})


def test_a_10_mb_json_body_is_a_413_before_it_is_read(region):
    person = support.make_provider_person()
    response = _unread_post("/api/v1/tokens/", "application/json", 10 * 1024 * 1024, person)
    found = problem(response, 413)
    assert "2.5 MB" in found["detail"]
    # and one really sent: the same answer, not "could not be understood"
    api = client_for(person)
    big = json.dumps({"name": "x" * (10 * 1024 * 1024)})
    assert "2.5 MB" in problem(api.post("/api/v1/tokens/", big, content_type="application/json"), 413)["detail"]


class Endless:
    """A chunked body without Content-Length that never ends; counts what is read."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size=-1):
        assert size is not None and size >= 0, "asked to read it all"
        self.read_bytes += size
        return b" " * size

    def readline(self, size=-1):
        raise AssertionError("read line by line")


def test_a_chunked_body_is_stopped_at_the_limit_while_reading(region):
    from django.test import Client

    person = support.make_provider_person(mfa=True)
    client = Client(raise_request_exception=False)
    support.confirm_second_factor(client, person)
    body = Endless()
    response = client.generic("POST", "/api/v1/tokens/", b"", CONTENT_TYPE="application/json",
                              HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": body})
    assert "2.5 MB" in problem(response, 413)["detail"]
    assert body.read_bytes == settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    # a small chunked body is read, not dropped
    import io

    small = io.BytesIO(json.dumps({"name": "chunked"}).encode())
    response = client.generic("POST", "/api/v1/tokens/", b"", CONTENT_TYPE="application/json",
                              HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": small})
    assert response.status_code == 201 and response.json()["name"] == "chunked"


def test_a_form_body_over_the_limit_is_a_413_page(region):
    person = support.make_provider_person()
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        page = APIClient(raise_request_exception=False)
        page.force_login(person)
        response = page.post("/account/tokens/", {"name": "x" * 5000})
    assert response.status_code == 413 and b"too large" in response.content


def test_an_oversized_upload_is_refused_before_anything_is_written(region, _private_files):
    provider = catalogue.register()
    admin = catalogue.admin_of(provider)
    before = sorted(p for p in _private_files.rglob("*"))
    too_big = settings.EVIDENCE_MAX_BYTES + 2 * 1024 * 1024
    for path in (f"/providers/{provider.pk}/evidence/", f"/api/v1/providers/{provider.pk}/evidence/"):
        response = _unread_post(path, "multipart/form-data; boundary=xyz", too_big, admin)
        assert response.status_code == 413, path
        assert b"10 MB" in response.content
    # one really sent: refused as well, and nothing written
    api = client_for(admin)
    upload = catalogue.pdf(content=catalogue.PDF + b"0" * too_big)
    response = api.post(f"/api/v1/providers/{provider.pk}/evidence/",
                        {"evidence_type": "safeguarding_policy", "title": "Policy", "file": upload},
                        format="multipart")
    problem(response, 413)
    assert sorted(p for p in _private_files.rglob("*")) == before


# --- Dates with no sense -------------------------------------------------------------------------

def test_a_date_of_birth_with_no_sense_is_refused(region):
    from tests.calloffs import support as stage2

    stage2.live_market(region.alpha, 0)  # a call-off is possible here, so the person's details are asked for
    staff = support.make_staff(region.alpha, AuthorityRole.BROKER)
    api = client_for(staff)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for value in ("9999-12-31", tomorrow, "0001-01-01", "1850-06-01"):
        response = api.post("/a/alpha/api/v1/calloffs/people/",
                            {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": value}, format="json")
        assert "date_of_birth" in problem(response, 400)["errors"], value
    ok = api.post("/a/alpha/api/v1/calloffs/people/",
                  {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1961-03-03"}, format="json")
    assert ok.status_code == 201


def test_evidence_dates_with_no_sense_are_refused(region):
    provider = catalogue.register()
    api = client_for(catalogue.admin_of(provider))
    for fields, wrong in (({"issued_on": "0001-01-01"}, "issued_on"), ({"issued_on": "1899-12-31"}, "issued_on"),
                          ({"expires_on": "9999-12-31"}, "expires_on")):
        response = api.post(f"/api/v1/providers/{provider.pk}/evidence/",
                            {"evidence_type": "safeguarding_policy", "title": "Policy", "file": catalogue.pdf(),
                             **fields}, format="multipart")
        assert wrong in problem(response, 400)["errors"], fields


# --- Filters --------------------------------------------------------------------------------------

def test_an_unknown_filter_value_is_a_400_naming_the_allowed_values(region):
    staff = support.make_staff(region.alpha, AuthorityRole.COMMISSIONER, AuthorityRole.BROKER)
    api = client_for(staff)
    for url, field, allowed in (("/a/alpha/api/v1/calloffs/packages/?status=nonsense", "status", "published"),
                                ("/a/alpha/api/v1/placements/?status=nonsense", "status", "live"),
                                ("/a/alpha/api/v1/applications/?status=nonsense", "status", "submitted"),
                                ("/a/alpha/api/v1/catalogue/providers/?service=nonsense", "service", "home-care")):
        found = problem(api.get(url), 400)
        assert field in found["errors"] and allowed in found["detail"], (url, found)


# --- Problem details everywhere, in development too ------------------------------------------------

def test_an_unknown_api_url_is_a_problem_404_with_debug_on(region):
    with override_settings(DEBUG=True):
        api = APIClient(raise_request_exception=False)
        for url in ("/api/v1/nothing-here/", "/a/alpha/api/v1/nothing-here/", "/api/v2/", "/a/alpha/api/"):
            problem(api.get(url), 404)
        problem(api.delete("/api/v1/directory/"), 405)


def test_not_acceptable_and_unsupported_media_are_problems(region):
    _, api = token_maker()
    problem(api.get("/api/v1/me/", HTTP_ACCEPT="application/xml"), 406)
    problem(api.post("/api/v1/tokens/", "name=x", content_type="application/xml"), 415)


# --- What the schema says is what is taken (found by schemathesis) ---------------------------------

def test_a_json_body_takes_the_types_its_schema_gives(region):
    _, api = token_maker()
    body = problem(api.post("/api/v1/tokens/", {"name": 0}, format="json"), 400)
    assert "name" in body["errors"]
    body = problem(api.post("/api/v1/tokens/", {"name": "x", "expires_in_days": "7"}, format="json"), 400)
    assert "expires_in_days" in body["errors"]
    body = problem(api.post("/api/v1/tokens/", {"name": "x", "expires_in_days": True}, format="json"), 400)
    assert "expires_in_days" in body["errors"]
    staff = client_for(support.make_staff(region.alpha, AuthorityRole.BROKER))
    for dob in ("1961-3-3", "19610303", 19610303):
        response = staff.post("/a/alpha/api/v1/calloffs/people/",
                              {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": dob}, format="json")
        assert "date_of_birth" in problem(response, 400)["errors"], dob
    # a decimal may be text or a JSON number, never a boolean or a list
    schema = client_for(support.make_provider_person()).get("/api/v1/schema/?format=json").json()
    budget = schema["components"]["schemas"]["PackageInRequest"]["properties"]["budget_weekly"]
    assert [option.get("type") for option in budget["oneOf"]] == ["string", "number"]


def test_an_empty_query_parameter_is_not_an_absent_one(region):
    staff = client_for(support.make_staff(region.alpha, AuthorityRole.COMMISSIONER, AuthorityRole.BROKER))
    for url, field in (("/a/alpha/api/v1/calloffs/packages/?status=", "status"),
                       ("/a/alpha/api/v1/calloffs/packages/?page=", "page"),
                       ("/a/alpha/api/v1/calloffs/packages/?page_size=", "page_size"),
                       ("/a/alpha/api/v1/calloffs/utilisation/?start=", "start"),
                       ("/a/alpha/api/v1/calloffs/utilisation/?format=", "format")):
        assert field in problem(staff.get(url), 400)["errors"], url
    assert staff.get("/a/alpha/api/v1/catalogue/providers/?q=").status_code == 200  # words may be blank


def test_the_schema_documents_every_error_status_with_the_problem_schema(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert schema["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail"]
    tokens = schema["paths"]["/api/v1/tokens/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "409", "413", "415", "429"} <= set(tokens)
    assert tokens["413"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "Retry-After" in tokens["429"]["headers"]
    directory = schema["paths"]["/api/v1/directory/"]["get"]["responses"]
    assert "401" not in directory and {"400", "404", "429"} <= set(directory)  # open to anyone
