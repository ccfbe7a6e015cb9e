"""Schemathesis over the whole OpenAPI document (the regional API and an
authority's), against a real server (gunicorn) on 127.0.0.1, once as
authority staff holding every role (two-factor set up) and once as a
provider admin, each with a personal API token. Every check is on: no 5xx,
every status and body as documented, bad input refused, undocumented methods
a 405, and so on.

Not part of the default run (it takes minutes): `make fuzz`, or
`.venv/bin/python -m pytest tests/fuzz -m fuzz -s`. FUZZ_EXAMPLES sets the
examples per operation (default 12)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.roles import AuthorityRole, ProviderRole
from tests import support
from tests.browser.conftest import outbox as outbox  # noqa: F401
from tests.browser.conftest import server as server  # noqa: F401  (the gunicorn fixture)

pytestmark = pytest.mark.fuzz
# The server fuzzed here lifts the throttles, so that every operation is tried
# in depth rather than mostly answering 429 (tests/api/test_throttling.py tries them).
for _scope in ("API_THROTTLE_TOKEN", "API_THROTTLE_BID_SUBMIT", "API_THROTTLE_DIRECTORY"):
    os.environ.setdefault(_scope, "1000000/minute")
HERE = Path(__file__).resolve().parent
ST = Path(sys.executable).with_name("st")


def _token(user) -> str:
    from accounts.services import api_token_create

    return api_token_create(actor=user, name="schemathesis", expires_in_days=1)[1]


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker):
    """Something to find: a live agreement with an admitted provider, a
    published package it is invited to and its sealed bid, so that the low ids
    schemathesis tries first reach real records, not only 404s."""
    from tests.calloffs import support as stage2
    from tests.shared_catalogue import support as catalogue

    with django_db_blocker.unblock():
        authority = support.region().alpha
        market = stage2.live_market(authority, providers=1, names=[support.unique("Fuzz Care")])
        provider = market.providers[0]
        package = stage2.package(market)
        stage2.submit(market, package, provider)
        catalogue.add_person(provider, ProviderRole.BID_WRITER)
        staff = support.make_staff(authority, *AuthorityRole.values, full_name="Fuzz Staff")
        return {"staff": _token(staff), "provider": _token(catalogue.admin_of(provider)),
                "authority": authority.schema_name}


def run_schemathesis(base: str, token: str, authority: str, report: Path) -> tuple[int, str]:
    examples = os.environ.get("FUZZ_EXAMPLES", "12")
    command = [str(ST), "--no-color", "--config-file", str(HERE / "schemathesis.toml"), "run",
               f"{base}/api/v1/schema/", "--url", base, "--checks", "all", "-H", f"Authorization: Token {token}",
               "--max-examples", examples, "--workers", "2", "--request-timeout", "30",
               "--continue-on-failure", "--report", "junit", "--report-dir", str(report)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "FUZZ_AUTHORITY": authority},
                          timeout=3600)
    output = done.stdout + done.stderr
    (report / "output.txt").write_text(output)
    print(output[-20000:])
    print(f"schemathesis: {time.monotonic() - started:.0f} s")
    return done.returncode, output


@pytest.mark.parametrize("who", ["staff", "provider"])
def test_schemathesis_finds_no_failure(who, server, people):  # noqa: F811
    report = HERE.parents[1] / "var" / "fuzz" / who  # the full output and a JUnit report, kept
    report.mkdir(parents=True, exist_ok=True)
    code, output = run_schemathesis(server, people[who], people["authority"], report)
    cases = re.search(r"(\d+) generated, (.*)", output)
    assert code == 0 and cases and "failure" not in cases.group(2), f"schemathesis found failures as {who}"
