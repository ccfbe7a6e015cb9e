"""Error reports: off unless SENTRY_DSN is set; with it, events reach the
configured endpoint, tagged with the authority and request id, and carry
no personal data (no user, cookies, headers, query string or body)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from django.test import Client, override_settings
from sentry_sdk.transport import Transport

from tests import support

ROOT = Path(__file__).resolve().parents[2]


def test_error_reporting_is_off_without_a_dsn(settings):
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


def test_with_a_dsn_the_service_reports_to_it(tmp_path):
    """A process started with SENTRY_DSN sends its events to that address
    (here a local endpoint standing in for Sentry)."""
    received = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # sentry-sdk compresses with Brotli when the brotli package is installed (WeasyPrint's
            # fonttools brings it), with gzip otherwise.
            if self.headers.get("Content-Encoding") == "br":
                import brotli

                body = brotli.decompress(body)
            elif self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body.decode(errors="replace"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/42"
        script = ("import django; django.setup()\n"
                  "import sentry_sdk\n"
                  "assert sentry_sdk.get_client().is_active()\n"
                  "sentry_sdk.capture_message('hello from a test process')\n"
                  "sentry_sdk.flush(5)\n")
        env = support.process_env(SENTRY_DSN=dsn, DJANGO_SETTINGS_MODULE="config.settings")
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=60)
    finally:
        server.shutdown()
    assert any("hello from a test process" in body for body in received), received
    event = next(body for body in received if "hello from a test process" in body)
    assert '"authority":"regional"' in event.replace(" ", "") or '"authority":"public"' in event.replace(" ", "")


class Collect(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def reporting():
    from ops.sentry import sentry_init

    transport = Collect()
    assert sentry_init(dsn="http://publickey@127.0.0.1:9/1", environment="test", transport=transport)
    assert not sentry_sdk.get_client().should_send_default_pii()
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


@pytest.mark.django_db
@override_settings(PUBLIC_SCHEMA_URLCONF="tests.ops.urls_boom")
def test_an_error_report_carries_no_personal_data(region, reporting):
    client = Client(raise_request_exception=False)
    person = support.make_user(full_name="Margaret Okoro")
    client.force_login(person)
    response = client.post("/boom/?search=Margaret+Okoro", {"nhs_number": "9434765919"},
                           HTTP_X_REQUEST_ID="req-sentry-0001", HTTP_USER_AGENT="Browser of Margaret")
    assert response.status_code == 500
    sentry_sdk.flush(2)
    errors = [event for event in reporting.events if "exception" in event]
    assert errors, f"no error was reported: {reporting.events}"
    event = errors[-1]
    assert event["exception"]["values"][-1]["value"] == "a bug in a view"
    assert event["tags"]["authority"] == "regional"
    assert event["tags"]["request_id"] == "req-sentry-0001"
    assert set(event["request"]) <= {"method", "url"}
    assert "user" not in event
    text = json.dumps(reporting.events)
    for personal in ("9434765919", "Margaret", person.email, "jointly_session"):
        assert personal not in text
