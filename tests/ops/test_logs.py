"""Structured logs: every line of a request carries its request id, the
authority and the signed-in person; the request id is the caller's when
well formed and comes back on the response."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest

from ops.logs import logging_config
from tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """The root logger also writes to a buffer, through the production
    handler's filter and JSON formatter (ops.logs)."""
    config = logging_config(fmt="json")
    from pythonjsonlogger.json import JsonFormatter

    formatter_config = config["formatters"]["json"]
    formatter = JsonFormatter(formatter_config["format"], rename_fields=formatter_config["rename_fields"],
                              timestamp=formatter_config["timestamp"])
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    from ops.logs import ContextFilter

    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.INFO
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    root.removeHandler(handler)
    root.level = level


def test_every_line_of_a_request_carries_its_id_authority_and_user(client, region, json_lines):
    person = support.make_user()
    client.force_login(person)
    response = client.get("/a/alpha/staff/", HTTP_X_REQUEST_ID="req-0123456789abcdef")
    assert response.status_code == 403  # a person without a role: refused, with a log line
    assert response["X-Request-ID"] == "req-0123456789abcdef"

    lines = [line for line in json_lines() if line["request_id"] == "req-0123456789abcdef"]
    loggers = {line["logger"] for line in lines}
    assert {"jointly.security", "jointly.request"} <= loggers, lines
    for line in lines:
        assert line["authority"] == "alpha" and line["schema"] == region.alpha.schema_name
        assert line["user_id"] == person.pk
        assert line["time"] and line["level"] and line["message"]
    access = next(line for line in lines if line["logger"] == "jointly.request")
    assert access["status"] == 403 and access["path"] == "/a/alpha/staff/" and access["method"] == "GET"


def test_a_signed_in_page_says_who_and_where(client, region, json_lines):
    staff = support.make_staff(region.beta)
    client.force_login(staff)
    response = client.get("/a/beta/staff/")
    assert response.status_code == 200
    access = [line for line in json_lines() if line["logger"] == "jointly.request"][-1]
    assert access["request_id"] == response["X-Request-ID"]
    assert (access["authority"], access["user_id"], access["status"]) == ("beta", staff.pk, 200)


def test_the_regional_site_logs_its_slug_without_loading_anyone(client, region, json_lines):
    response = client.get("/accessibility/")
    access = [line for line in json_lines() if line["logger"] == "jointly.request"][-1]
    assert (access["authority"], access["schema"], access["user_id"]) == ("regional", "public", None)
    assert access["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("given", ["has space", "x" * 200, "new\nline", "", "quote\"d"])
def test_a_malformed_request_id_is_replaced(client, region, given):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    assert response["X-Request-ID"] != given
    assert len(response["X-Request-ID"]) == 32


def test_each_request_gets_its_own_id(client, region):
    first, second = client.get("/healthz")["X-Request-ID"], client.get("/healthz")["X-Request-ID"]
    assert first != second


def test_plain_format_is_text_with_the_same_fields(region):
    from ops.logs import ContextFilter, PlainFormatter

    record = logging.LogRecord("jointly.ops", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    ContextFilter().filter(record)
    line = PlainFormatter("%(levelname)s %(name)s %(message)s").format(record)
    assert line.startswith("WARNING jointly.ops hello world [")
    assert "schema=public" in line
