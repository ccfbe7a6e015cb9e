"""Under the Content-Security-Policy, pages and the API documentation still
work in a real browser, and the browser reports no violation."""

import pytest

pytestmark = [pytest.mark.browser]


def _violations(page):
    found = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    return found


def test_the_layout_script_runs_under_the_policy(server, page):
    violations = _violations(page)
    page.goto(f"{server}/")
    assert "js-enabled" in page.evaluate("document.body.className")
    assert violations == []


@pytest.mark.parametrize("path, title", [
    ("/api/v1/docs/", ".swagger-ui .info .title"),
    ("/api/v1/redoc/", "h1"),
])
def test_the_api_documentation_renders_under_its_policy(server, page, path, title):
    violations = _violations(page)
    page.goto(f"{server}{path}")
    assert "Jointly API" in page.locator(title).first.inner_text(timeout=30_000)
    assert violations == []
