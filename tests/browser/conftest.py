"""A real web server (gunicorn) against the test database, and Debian's
Chromium driven by Playwright. `playwright install` cannot download here, so
the browser is the system's (JOINTLY_CHROMIUM, default /usr/bin/chromium)."""

import os
import socket
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import support
from tests.browser import page_checks

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("JOINTLY_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def outbox(tmp_path_factory) -> Path:
    """Where the server writes the e-mails it sends (Django's file backend)."""
    return tmp_path_factory.mktemp("mail")


def read_mail(outbox: Path, to: str) -> str:
    """The latest e-mail the server sent to `to`, waiting for it if need be."""

    def find():
        # Django's file backend (.log, several messages a file) or common.mail's (.eml, one each,
        # renamed into place when complete: hidden names are still being written).
        found = []
        for path in outbox.iterdir():
            if path.name.startswith("."):
                continue
            try:
                found.append((path.stat().st_mtime, path.read_text()))
            except FileNotFoundError:
                continue
        for _, text in sorted(found, key=lambda f: f[0], reverse=True):
            if f"To: {to}" in text:
                return text
        return None

    return support.wait_for(find, timeout=15, what=f"an e-mail to {to}")


@pytest.fixture(scope="module")
def server(request, django_db_setup, tmp_path_factory, outbox):
    """A module may add to the server's environment with `server_env = {...}`."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w+")
    env = support.process_env(**{"SITE_URL": base, "JOINTLY_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": 2,
                                 "JOINTLY_HTTPS": "false", "EMAIL_FILE_PATH": outbox,
                                 "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
                              | getattr(request.module, "server_env", {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "deploy/gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def up():
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"the server stopped:\n{log.read()}")
        try:
            return urllib.request.urlopen(f"{base}/healthz", timeout=2).status == 200
        except OSError:
            return False

    support.wait_for(up, timeout=60, what="the web server")
    yield base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: run `make test` (it installs Debian's chromium).")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API keeps a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield chromium
        chromium.close()


def sign_in(page, server: str, user) -> None:
    """Sign `user` in on the browser's context as allauth would after their
    password and (for staff) their two-factor code, through the session."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.test import Client

    client = Client()
    support.confirm_second_factor(client, user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "domain": urlsplit(server).hostname, "path": "/"}])


def submit(page, button, url: str) -> None:
    """Press a form's button, wait for the page it leads to (often the same
    address again, which `wait_for_url` would take as reached at once), check
    that its address matches `url` and check the page."""
    import re

    with page.expect_navigation():
        button.click()
    assert re.match(url, page.url), page.url
    page_checks.check(page)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.jointly_call_failed = report.failed
    return report


@contextmanager
def checked_page(browser, request):
    """A fresh page in its own browser context (its own cookies, so its own
    signed-in person) whose every visited page is checked for duplicate ids
    and by axe-core (page_checks): navigation raises on the first problem,
    and the page the test ends on is checked too."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    late = page_checks.watch(page)
    yield page
    try:
        if not getattr(request.node, "jointly_call_failed", False):  # the failure says enough
            if not page.is_closed():
                page_checks.check(page)
            assert not late, "\n".join(late)
    finally:
        context.close()


@pytest.fixture
def page(browser, request):
    with checked_page(browser, request) as page:
        yield page


@pytest.fixture
def other_page(browser, request):
    """A second checked page with its own cookies: a second person signed in
    alongside the first, each signed in once."""
    with checked_page(browser, request) as page:
        yield page
