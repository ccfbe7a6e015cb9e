"""An authority admin gives and takes roles, on pages and through the API;
everything lands in the authority's audit trail."""

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from accounts.models import AuthorityMembership, User
from audit.models import AuditEvent
from tests import support

pytestmark = pytest.mark.django_db


def _events(schema, action):
    with schema_context(schema):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_admin_gives_a_new_person_a_role_and_they_are_told(client, region, django_capture_on_commit_callbacks):
    admin = support.make_staff(region.alpha, "authority_admin")
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/a/alpha/staff/team/", {
            "email": "New.Broker@Example.org", "full_name": "Nia Broker", "role": "broker",
            "reason": "Joined the brokerage team",
        })
    assert response.status_code == 302
    user = User.objects.get(email="new.broker@example.org")
    membership = AuthorityMembership.objects.get(user=user, authority=region.alpha, role="broker")
    assert membership.granted_by == admin and membership.notified_at is not None
    [email] = mail.outbox
    assert email.to == ["new.broker@example.org"]
    assert "broker at Alpha Council" in email.subject
    assert "/a/alpha/" in email.body and "/accounts/password/reset/" in email.body
    [event] = [e for e in _events("alpha", "membership.granted") if e.after["user"] == user.email]
    assert event.actor_id == admin.pk and event.reason == "Joined the brokerage team"
    assert event.after == {"user": "new.broker@example.org", "role": "broker", "authority": "alpha"}


def test_giving_a_role_twice_is_a_clear_error_and_nothing_changes(client, region):
    admin = support.make_staff(region.alpha, "authority_admin")
    client.force_login(admin)
    response = client.post("/a/alpha/staff/team/", {"email": admin.email, "role": "authority_admin"})
    assert response.status_code == 400
    assert "already has the role Authority admin" in response.content.decode()
    assert AuthorityMembership.objects.filter(user=admin).count() == 1


def test_bad_input_is_a_form_error(client, region):
    client.force_login(support.make_staff(region.alpha, "authority_admin"))
    response = client.post("/a/alpha/staff/team/", {"email": "not-an-address", "role": "emperor"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "Enter a valid email address" in page
    assert "Select a valid choice" in page


def test_only_authority_admins_give_roles(client, region):
    client.force_login(support.make_staff(region.alpha, "commissioner"))
    assert client.get("/a/alpha/staff/team/").status_code == 200  # may look
    response = client.post("/a/alpha/staff/team/", {"email": "x@example.org", "role": "broker"})
    assert response.status_code == 403
    assert not User.objects.filter(email="x@example.org").exists()
    api = client.post("/a/alpha/api/v1/team/", {"email": "x@example.org", "role": "broker"},
                      content_type="application/json")
    assert api.status_code == 403 and not User.objects.filter(email="x@example.org").exists()


def test_revoking_needs_a_reason_and_keeps_the_last_admin(client, region):
    admin = support.make_staff(region.beta, "authority_admin")
    broker = support.make_staff(region.beta, "broker")
    client.force_login(admin)
    membership = AuthorityMembership.objects.get(user=broker)
    assert client.post(f"/a/beta/staff/team/{membership.pk}/revoke/", {"reason": ""}).status_code == 400
    assert client.post(f"/a/beta/staff/team/{membership.pk}/revoke/", {"reason": "Moved team"}).status_code == 302
    membership.refresh_from_db()
    assert membership.revoked_at is not None and membership.revoked_by == admin
    own = AuthorityMembership.objects.get(user=admin)
    response = client.post(f"/a/beta/staff/team/{own.pk}/revoke/", {"reason": "Leaving"})
    assert response.status_code == 400
    assert "must keep at least one authority admin" in response.content.decode()
    assert [e.reason for e in _events("beta", "membership.revoked")] == ["Moved team"]


def test_an_admin_cannot_reach_another_authoritys_memberships(client, region):
    alpha_admin = support.make_staff(region.alpha, "authority_admin")
    beta_broker = support.make_staff(region.beta, "broker")
    client.force_login(alpha_admin)
    beta_membership = AuthorityMembership.objects.get(user=beta_broker)
    assert client.get(f"/a/alpha/staff/team/{beta_membership.pk}/revoke/").status_code == 404
    response = client.delete(f"/a/alpha/api/v1/team/{beta_membership.pk}/", {"reason": "x"},
                             content_type="application/json")
    assert response.status_code == 404
    beta_membership.refresh_from_db()
    assert beta_membership.revoked_at is None


def test_team_api(client, region):
    admin = support.make_staff(region.nhs, "authority_admin")
    client.force_login(admin)
    created = client.post("/a/nhs-north/api/v1/team/", {"email": "fin@example.org", "role": "finance_viewer"},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["role"] == "finance_viewer"
    again = client.post("/a/nhs-north/api/v1/team/", {"email": "fin@example.org", "role": "finance_viewer"},
                        content_type="application/json")
    assert again.status_code == 409
    assert again.json()["type"] == "urn:jointly:problem:conflict"
    bad = client.post("/a/nhs-north/api/v1/team/", {"email": "nope", "role": "x"}, content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"email", "role"}
    listed = client.get("/a/nhs-north/api/v1/team/").json()
    assert {row["email"] for row in listed["results"]} == {admin.email, "fin@example.org"}
    member_id = created.json()["id"]
    no_reason = client.delete(f"/a/nhs-north/api/v1/team/{member_id}/", {}, content_type="application/json")
    assert no_reason.status_code == 400
    gone = client.delete(f"/a/nhs-north/api/v1/team/{member_id}/", {"reason": "test"},
                         content_type="application/json")
    assert gone.status_code == 204


def test_team_list_query_count_does_not_grow_with_the_team(client, region, django_assert_num_queries):
    admin = support.make_staff(region.nhs, "authority_admin")
    client.force_login(admin)
    client.get("/a/nhs-north/api/v1/team/")
    with django_assert_num_queries(8) as first:
        client.get("/a/nhs-north/api/v1/team/")
    for _ in range(5):
        support.make_staff(region.nhs, "broker", "evaluator")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get("/a/nhs-north/api/v1/team/")
    assert response.json()["count"] == 11
