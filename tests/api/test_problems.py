"""One error format everywhere in the API: RFC 9457 problem details."""

import pytest
from rest_framework.test import APIClient

from tests import support

pytestmark = pytest.mark.django_db


def _problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_not_found_in_the_api_is_a_problem(region):
    api = APIClient()
    _problem(api.get("/api/v1/nothing-here/"), 404)
    _problem(api.get("/a/alpha/api/v1/nothing-here/"), 404)
    _problem(api.get("/a/nowhere/api/v1/"), 404)


def test_not_signed_in_is_401(region):
    body = _problem(APIClient().get("/api/v1/me/"), 401)
    assert body["instance"] == "/api/v1/me/"


def test_method_not_allowed_is_a_problem(region):
    api = APIClient()
    api.force_authenticate(support.make_provider_person())
    _problem(api.put("/api/v1/me/", {}, format="json"), 405)


def test_malformed_json_is_a_problem(region):
    api = APIClient()
    support.confirm_second_factor(api, support.make_provider_person(mfa=True))
    body = _problem(api.post("/api/v1/tokens/", "{not json", content_type="application/json"), 400)
    assert "JSON" in body["detail"]


def test_openapi_schema_documents_both_apis_and_docs_use_local_assets(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/tokens/" in schema["paths"]
    assert "/a/{authority}/api/v1/team/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()
