"""Every page carries a Content-Security-Policy; the few inline scripts run
by a per-response nonce, and nothing else inline runs."""

import re

import pytest

from tests import support

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/directory/"])
def test_pages_carry_a_policy_and_their_inline_script_its_nonce(client, region, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    nonces = [source for source in policy["script-src"] if source.startswith("'nonce-")]
    assert len(nonces) == 1 and "'unsafe-inline'" not in policy["script-src"]
    nonce = nonces[0][len("'nonce-"):-1]
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "the layout has an inline script"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "style=" not in html
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert client.get(path)["Content-Security-Policy"] != response["Content-Security-Policy"]  # fresh nonce


def test_staff_pages_carry_the_policy_too(client, region):
    client.force_login(support.make_staff(region.alpha))
    response = client.get("/a/alpha/staff/")
    assert response.status_code == 200 and "script-src" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_documentation_renders_from_local_assets_under_its_own_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    html = response.content.decode()
    assert "googleapis" not in html and "https://" not in html.split("<body")[0]
    for src in re.findall(r'<script[^>]*src="([^"]+)"', html):
        assert src.startswith("/"), src  # local assets only
        assert client.get(src).status_code == 200
    nonce = next(s for s in policy["script-src"] if s.startswith("'nonce-"))[len("'nonce-"):-1]
    for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html):
        assert f'nonce="{nonce}"' in attrs
    assert "'self'" in policy["style-src"]
