"""What each role in a provider organisation may do: a bid writer cannot
change the profile or the people; nobody reaches another organisation."""

import pytest

from accounts.models import ProviderMembership
from accounts.roles import ProviderRole
from shared_catalogue.models import Provider
from tests import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(region):
    return catalogue.register()


def test_a_bid_writer_cannot_change_the_profile_or_the_people(client, provider):
    writer = catalogue.add_person(provider, ProviderRole.BID_WRITER)
    client.force_login(writer)
    assert client.get(f"/providers/{provider.pk}/").status_code == 200
    assert client.get(f"/providers/{provider.pk}/profile/").status_code == 403
    assert client.post(f"/providers/{provider.pk}/profile/", {"name": "Hijacked"}).status_code == 403
    api = client.patch(f"/api/v1/providers/{provider.pk}/", {"name": "Hijacked"}, content_type="application/json")
    assert api.status_code == 403 and "provider admins" in api.json()["detail"]
    provider.refresh_from_db()
    assert provider.name != "Hijacked"

    assert client.post(f"/providers/{provider.pk}/people/", {"email": "x@example.org", "role": "provider_admin"}
                       ).status_code == 403
    api = client.post(f"/api/v1/providers/{provider.pk}/people/", {"email": "x@example.org", "role": "viewer"},
                      content_type="application/json")
    assert api.status_code == 403
    admin_membership = ProviderMembership.objects.get(provider=provider, role=ProviderRole.PROVIDER_ADMIN)
    assert client.post(f"/providers/{provider.pk}/people/{admin_membership.pk}/remove/", {}).status_code == 403
    assert client.delete(f"/api/v1/providers/{provider.pk}/people/{admin_membership.pk}/").status_code == 403
    assert ProviderMembership.objects.current().filter(provider=provider).count() == 2


def test_the_admin_adds_and_removes_people(client, provider, django_capture_on_commit_callbacks, mailoutbox):
    admin = catalogue.admin_of(provider)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/providers/{provider.pk}/people/", {
            "email": "new.writer@example.org", "full_name": "New Writer", "role": "bid_writer"})
    assert response.status_code == 302
    membership = ProviderMembership.objects.get(provider=provider, user__email="new.writer@example.org")
    [email] = mailoutbox
    assert provider.name in email.subject and "/accounts/password/reset/" in email.body
    response = client.post(f"/providers/{provider.pk}/people/{membership.pk}/remove/", {"reason": "Left"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.revoked_at is not None


def test_the_last_admin_cannot_be_removed(client, provider):
    admin = catalogue.admin_of(provider)
    client.force_login(admin)
    own = ProviderMembership.objects.get(provider=provider, user=admin)
    response = client.post(f"/providers/{provider.pk}/people/{own.pk}/remove/", {})
    assert response.status_code == 400 and "must keep at least one provider admin" in response.content.decode()
    api = client.delete(f"/api/v1/providers/{provider.pk}/people/{own.pk}/")
    assert api.status_code == 409


def test_one_person_in_two_providers(client, region):
    first, second = catalogue.register(), catalogue.register()
    person = support.make_user()
    from shared_catalogue.services import provider_person_add

    for provider in (first, second):
        provider_person_add(actor=catalogue.admin_of(provider), provider=provider, email=person.email,
                            role=ProviderRole.BID_WRITER)
    client.force_login(person)
    listed = client.get("/api/v1/providers/").json()
    assert {row["id"] for row in listed} == {first.pk, second.pk}


def test_nobody_reaches_another_organisations_pages(client, region):
    mine, theirs = catalogue.register(), catalogue.register()
    client.force_login(catalogue.admin_of(mine))
    for path in ("", "profile/", "people/", "evidence/"):
        assert client.get(f"/providers/{theirs.pk}/{path}").status_code == 404, path
    assert client.get(f"/api/v1/providers/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/providers/{theirs.pk}/people/").status_code == 404
    assert client.patch(f"/api/v1/providers/{theirs.pk}/", {"name": "x"},
                        content_type="application/json").status_code == 404
    assert Provider.objects.get(pk=theirs.pk).name != "x"


def test_provider_pages_need_sign_in(client, provider):
    assert client.get(f"/providers/{provider.pk}/").url.startswith("/accounts/login/")
    assert client.get("/api/v1/providers/").status_code == 401
