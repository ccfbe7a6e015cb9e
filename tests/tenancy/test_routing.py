"""Path routing: /a/<slug>/ selects the authority; URLs reverse the same way
inside a request and outside one (e-mails, tasks)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenancy.routing import find_authority_by_route, public_reverse, tenant_reverse
from tenancy.services import authority_update
from tests import support

pytestmark = pytest.mark.django_db


def test_tenant_urls_reverse_outside_a_request(region):
    assert tenant_reverse(region.alpha, "workspace:home") == "/a/alpha/"
    assert tenant_reverse("beta", "team:revoke", kwargs={"membership_id": 7}) == "/a/beta/staff/team/7/revoke/"
    assert tenant_reverse(region.alpha, "workspace:home", absolute=True).endswith("/a/alpha/")
    assert public_reverse("accounts:account") == "/account/"


def test_urls_reverse_inside_a_request_to_the_authority_asked_for(client, region):
    """Visiting alpha then beta in one process must not leave alpha's prefix behind
    (django-tenants #1030/#1161: reversing used a stale prefix)."""
    alpha_staff = support.make_staff(region.alpha)
    beta_staff = support.make_staff(region.beta)
    client.force_login(alpha_staff)
    page = client.get("/a/alpha/staff/").content.decode()
    assert 'href="/a/alpha/staff/team/"' in page
    client.force_login(beta_staff)
    page = client.get("/a/beta/staff/").content.decode()
    assert 'href="/a/beta/staff/team/"' in page
    assert "/a/alpha/" not in page
    # and the regional site's links stay un-prefixed on a tenant page
    assert 'href="/account/"' in page


def test_reverse_after_a_request_returns_to_the_default_urlconf(client, region):
    client.force_login(support.make_staff(region.alpha))
    client.get("/a/alpha/staff/")
    assert reverse("workspace:home") == "/"  # un-prefixed: no tenant leaks out of the request


def test_unknown_or_inactive_authority_is_not_found(client, region):
    assert client.get("/a/nowhere/").status_code == 404
    authority_update(actor=None, authority=region.beta, is_active=False, reason="test")
    assert find_authority_by_route("beta") is None
    assert client.get("/a/beta/").status_code == 404


def test_route_lookup_is_cached(region):
    find_authority_by_route("alpha")
    with CaptureQueriesContext(connection) as queries:
        authority = find_authority_by_route("alpha")
    assert authority.schema_name == "alpha"
    assert len(queries) == 0


def test_one_search_path_per_request(client, region):
    staff = support.make_staff(region.alpha)
    client.force_login(staff)
    client.get("/a/alpha/staff/")  # warm the route cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/a/alpha/staff/")
    assert response.status_code == 200
    set_paths = [q["sql"] for q in queries if q["sql"].upper().startswith("SET SEARCH_PATH")]
    assert set_paths == ['SET search_path = "alpha","public"']
