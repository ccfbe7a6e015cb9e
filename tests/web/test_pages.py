"""The layout every page shares, and the error pages."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests import support

pytestmark = pytest.mark.django_db


def test_home_lists_the_regions_authorities_and_offers_sign_in(client, region):
    page = client.get("/").content.decode()
    for authority in (region.alpha, region.beta, region.nhs, region.partners):
        assert authority.name in page
    assert 'href="/accounts/login/"' in page


def test_every_page_starts_with_a_skip_link_and_loads_nothing_from_elsewhere(client, region):
    client.force_login(support.make_staff(region.alpha, "authority_admin"))
    for path in ("/", "/account/", "/a/alpha/staff/", "/a/alpha/staff/team/", "/accounts/login/", "/directory/"):
        page = client.get(path, follow=True).content.decode()
        assert '<a href="#main-content" class="govuk-skip-link"' in page, path
        assert 'id="main-content"' in page
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
        assert external == [], (path, external)


def test_tenant_pages_name_the_current_authority(client, region):
    client.force_login(support.make_staff(region.beta))
    page = client.get("/a/beta/staff/").content.decode()
    assert 'data-testid="current-authority">Beta Council<' in page


def test_refusal_page_says_why(client, region):
    client.force_login(support.make_user())
    response = client.get("/a/alpha/")
    assert response.status_code == 403
    assert "You have no role in Alpha Council" in response.content.decode()


def test_not_found_page(client, region):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()
    response = client.get("/a/alpha/no/such/page/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_server_error_page_stands_alone():
    from django.test import RequestFactory

    from web.views import server_error

    response = server_error(RequestFactory().get("/somewhere/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_stylesheet_is_built_without_the_govuk_typeface():
    css = (Path(settings.BASE_DIR) / "var" / "assets" / "jointly.css").read_text()
    assert ".govuk-button" in css and ".govuk-generic-header" in css
    assert "GDS Transport" not in css and "@font-face" not in css


def test_health_check(client, region):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_form_pages_have_one_form_and_a_real_submit_button(client, region):
    """A <form> inside a <form> is dropped by browsers, and an <input type="">
    is a text box, not a button: either leaves a page nobody can submit."""
    client.force_login(support.make_staff(region.alpha, "authority_admin"))
    for path in ("/providers/register/", "/account/tokens/", "/a/alpha/staff/team/"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        main = page[page.index('id="main-content"'):]
        assert main.count("<form") == main.count("</form>"), path
        assert not re.search(r"<form[^>]*>(?:(?!</form>).)*<form", main, re.S), path
        assert re.search(r'<button type="submit"[^>]*class="govuk-button"', main), path
        assert '<input type=""' not in page, path
