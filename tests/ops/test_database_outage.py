"""A database blip during a request: a read is answered again on a fresh
connection; anything else gets 503 with Retry-After (a problem document
under /api/, a page otherwise), never a bare 500.

The request's own backend is terminated by the server (pg_terminate_backend
as a superuser) just before one of its queries runs, as a restart, a
failover or a proxy cutting an idle connection would. These tests commit
(committed_db): the test client's request uses this test's connection.
"""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests import support

pytestmark = pytest.mark.committed


class Terminator:
    """An execute-wrapper that has the server terminate this connection's
    backend before the query it is told to, then lets the query run."""

    def __init__(self, *, times: int = 1, when=lambda sql: True):
        self.times, self.when, self.done = times, when, 0

    def __call__(self, execute, sql, params, many, context):
        raw = context["connection"].connection
        if self.done < self.times and self.when(sql) and raw is not None and not raw.closed:
            self.done += 1
            pid = raw.get_backend_pid()
            with support.superuser_connection() as su, su.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        return execute(sql, params, many, context)


@pytest.fixture
def client():
    """A lost connection in middleware goes through Django's exception
    handling, which the test client would otherwise raise again."""
    from django.test import Client

    return Client(raise_request_exception=False)


@pytest.fixture
def blip(committed_db):
    """Install a Terminator on this test's connection; the connection is
    fresh again afterwards, whatever the request left."""
    installed = []

    def install(**kwargs):
        terminator = Terminator(**kwargs)
        installed.append(connection.execute_wrapper(terminator))
        installed[-1].__enter__()
        return terminator

    yield install
    for wrapper in reversed(installed):
        wrapper.__exit__(None, None, None)
    connection.close()


def _is_503(response, *, problem: bool):
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    if problem:
        assert response["Content-Type"] == "application/problem+json"
        return response.json()
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_a_page_read_is_answered_again_when_its_connection_is_lost(committed_db, client, region, blip):
    terminator = blip(when=lambda sql: "tenancy_authority" in sql)
    response = client.get("/")
    assert terminator.done == 1, "the request's connection was not terminated"
    assert response.status_code == 200
    assert "Alpha Council" in response.content.decode()


def test_an_api_read_is_answered_again_when_its_connection_is_lost(committed_db, region, blip):
    terminator = blip()
    response = APIClient(raise_request_exception=False).get("/api/v1/authorities/")
    assert terminator.done == 1
    assert response.status_code == 200
    assert any(item["slug"] == "alpha" for item in response.json())


def test_a_read_answers_503_when_the_database_stays_away(committed_db, client, region, blip):
    terminator = blip(times=2)  # the first attempt and the one retry
    body = _is_503(client.get("/"), problem=False)
    assert "Sorry, the service is unavailable" in body
    assert "nothing was changed" in body
    assert terminator.done == 2
    # the next request finds the database again
    assert client.get("/").status_code == 200


def test_an_api_change_gets_a_problem_503_not_a_500(committed_db, region, blip):
    api = APIClient(raise_request_exception=False)
    person = support.make_provider_person()
    api.force_login(person)
    terminator = blip()
    body = _is_503(api.post("/api/v1/tokens/", {"name": "x"}, format="json"), problem=True)
    assert terminator.done == 1
    assert body["status"] == 503 and body["type"] == "urn:jointly:problem:database-unavailable"
    assert "nothing was changed" in body["detail"]


def test_a_page_change_gets_a_503_page_when_the_connection_is_lost_in_middleware(committed_db, client, region, blip):
    staff = support.make_staff(region.alpha)
    client.force_login(staff)
    blip()  # the first query is the session's, read by the access check before the view
    response = client.post("/a/alpha/staff/agreements/new/", {"title": "Home care"})
    body = _is_503(response, problem=False)
    assert "nothing was changed" in body
