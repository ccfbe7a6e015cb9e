"""Terminating one placement as a contract action: the placement ends on the
notice's last day, the termination is on the record (audit, intelligence, an
e-mail to the provider), and the person's package is re-sourced: a draft for
the same person and needs, waiting in the broker's queue, to which the
terminated provider is not invited while the termination stands."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.policy import access_compute
from accounts.roles import AuthorityRole
from audit.models import AuditEvent
from common.errors import Conflict, Invalid
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Package
from tenants.placements.models import Placement
from tenants.quality import oversight, risk
from tenants.quality.models import Action, Intelligence
from tenants.workspace import queue
from tenants.workspace.models import TaskKind
from tests import support
from tests.calloffs import support as stage2
from tests.quality.support import monitored, placed
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

GROUNDS = "Visits missed on eleven days this month despite the default notice of 2 November."


def _terminate(m, placement, ends_in: int = 14, **fields):
    with schema_context(m.schema):
        return oversight.placement_terminate(actor=m.officer, placement=placement, grounds=GROUNDS,
                                             ends_on=timezone.localdate() + timedelta(days=ends_in), **fields)


def _queue(person, authority, today=None):
    with schema_context(authority.schema_name):
        access = access_compute(user=person, authority=authority)
        return queue.queue_for(access=access, authority=authority, today=today)


def test_terminating_a_placement_ends_it_records_it_and_drafts_the_resourcing_package(
        region, mailoutbox, django_capture_on_commit_callbacks):
    m = monitored(region.alpha, providers=2)
    terminated, other = m.market.providers
    placement = placed(m, terminated)
    ends_on = timezone.localdate() + timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        action = _terminate(m, placement)

    with schema_context(m.schema):
        placement = Placement.objects.select_related("package", "replacement").get(pk=placement.pk)
        original, draft = placement.package, placement.replacement
        # the placement ends on the last day of the notice
        assert (placement.status, placement.ended_on) == ("ended", ends_on)
        assert placement.end_reason == f"Terminated as a contract action: {GROUNDS}"
        # a contract action, with the provider's right to respond
        action = Action.objects.get(pk=action.pk)
        assert (action.kind, action.placement_id, action.provider_id) == ("placement_termination", placement.pk,
                                                                          terminated.pk)
        assert action.agreement_id == original.agreement_id and action.status == "active"
        assert action.respond_by == timezone.localdate() + timedelta(days=14)
        # intelligence about the provider, by itself
        record = Intelligence.objects.get(provider=terminated, kind="action")
        assert record.summary == f"Termination of a placement ({original.reference}), ending {ends_on:%-d %B %Y}."
        assert record.severity == "high" and record.recorded_by is None
        # a draft for the same person and needs, in the same lot, from the day after the placement ends
        assert draft.status == Package.Status.DRAFT and draft.replaces == placement
        assert (draft.lot_id, draft.agreement_id, draft.called_off_by_id) == (
            original.lot_id, original.agreement_id, original.called_off_by_id)
        assert list(draft.people.all()) == list(original.people.all())
        assert (draft.title, draft.outcomes, draft.budget_weekly) == (
            original.title, original.outcomes, original.budget_weekly)
        assert draft.start_on == ends_on + timedelta(days=1)
        assert draft.bid_deadline >= timezone.now() + timedelta(days=10) > draft.clarification_deadline
        assert draft.reference != original.reference
        # every step audited
        actions = set(AuditEvent.objects.filter(object_id__in=[str(placement.pk), str(action.pk), str(draft.pk)])
                      .values_list("action", flat=True))
        assert {"placement.ended", "placement.terminated", "provider_action.taken", "package.created"} <= actions
        assert AuditEvent.objects.get(action="placement.terminated").after["replacement"] == draft.reference
        # the early warning shows it, with its reason
        reasons = risk.assess([terminated.pk])[terminated.pk].reasons
        assert any("termination of a placement since" in reason for reason in reasons)

    # the provider's admins are told, with the grounds and the date, and nothing about the person
    assert len(mailoutbox) == 1
    letter = mailoutbox[0]
    assert letter.to == [catalogue.admin_of(terminated).email]
    assert original.reference in letter.subject and GROUNDS in letter.body and f"{ends_on:%-d %B %Y}" in letter.body
    assert "Okoro" not in letter.body and "Margaret" not in letter.body and "CW1 2AB" not in letter.body

    # a termination of one placement is no embargo: the provider is still invited to other call-offs
    fresh = stage2.package(m.market)
    with schema_context(m.schema):
        assert set(fresh.invitations.values_list("provider_id", flat=True)) == {terminated.pk, other.pk}


def test_the_broker_finds_the_draft_in_their_queue_and_the_terminated_provider_is_not_invited(region):
    m = monitored(region.alpha, providers=2)
    terminated, other = m.market.providers
    placement = placed(m, terminated)
    _terminate(m, placement, ends_in=10)
    finance = support.make_staff(region.alpha, AuthorityRole.FINANCE_VIEWER)
    with schema_context(m.schema):
        draft = Placement.objects.get(pk=placement.pk).replacement

    tasks = [t for t in _queue(m.market.broker, region.alpha) if t.kind == TaskKind.RESOURCING]
    assert [t.key for t in tasks] == [f"resourcing:{draft.pk}"]
    assert tasks[0].due_on == timezone.localdate() + timedelta(days=10)
    assert placement.package.reference in tasks[0].title and terminated.name in tasks[0].detail
    assert tasks[0].path == f"/a/alpha/staff/calloffs/{draft.pk}/"
    for person in (finance, m.officer):  # who may not publish packages does not have the task
        assert not [t for t in _queue(person, region.alpha) if t.kind == TaskKind.RESOURCING]

    with schema_context(m.schema):
        listed = {e.admission.provider_id: e for e in calloffs.eligibility(draft)}
        assert not listed[terminated.pk].eligible and listed[other.pk].eligible
        assert listed[terminated.pk].reason.startswith("termination of its placement that this package re-sources")
        calloffs.package_publish(actor=m.market.broker, package=draft)
        assert set(draft.invitations.values_list("provider_id", flat=True)) == {other.pk}
        reason = draft.not_invited.get(provider=terminated).reason
        assert "termination of its placement" in reason and "eleven days" in reason
    # published, it leaves the queue
    assert not [t for t in _queue(m.market.broker, region.alpha) if t.kind == TaskKind.RESOURCING]


def test_lifting_the_termination_lets_the_provider_be_invited_to_the_resourcing_package(region):
    m = monitored(region.alpha, providers=2)
    terminated = m.market.providers[0]
    placement = placed(m, terminated)
    action = _terminate(m, placement)
    with schema_context(m.schema):
        draft = Placement.objects.get(pk=placement.pk).replacement
        oversight.action_lift(actor=m.officer, action=action, reason="The grounds were not upheld on review.")
        assert {e.admission.provider_id: e.eligible for e in calloffs.eligibility(draft)}[terminated.pk]
        # an embargo still keeps it out, as for any call-off, its reason cut to what the list of providers
        # not invited holds
        oversight.action_take(actor=m.officer, provider=terminated, kind="embargo",
                              grounds="Safeguarding review. " + "Further concerns are being investigated. " * 10)
        reason = {e.admission.provider_id: e.reason for e in calloffs.eligibility(draft)}[terminated.pk]
        assert reason.startswith("embargo on new placements since") and len(reason) == 300
        calloffs.package_publish(actor=m.market.broker, package=draft)
        assert draft.not_invited.get(provider=terminated).reason == reason


def test_who_may_terminate_and_what_is_refused(region):
    m = monitored(region.alpha, providers=1)
    placement = placed(m)
    today = timezone.localdate()
    with schema_context(m.schema):
        with pytest.raises(PermissionDenied):  # brokers end placements; termination is a contract action
            oversight.placement_terminate(actor=m.market.broker, placement=placement, grounds=GROUNDS,
                                          ends_on=today)
        with pytest.raises(Invalid) as refused:  # the provider reads the grounds: never the person's name
            oversight.placement_terminate(actor=m.officer, placement=placement, ends_on=today - timedelta(days=1),
                                          grounds="Margaret Okoro was left without her lunchtime visit.")
        assert set(refused.value.message_dict) == {"grounds", "ends_on"}
        assert "Okoro" in refused.value.message_dict["grounds"][0]
        with pytest.raises(Invalid) as refused:
            oversight.action_take(actor=m.officer, provider=placement.provider, kind="placement_termination",
                                  grounds=GROUNDS)
        assert "from the placement itself" in refused.value.message_dict["kind"][0]
        assert not Action.objects.exists() and Placement.objects.get(pk=placement.pk).status == "live"
    _terminate(m, placement)
    with schema_context(m.schema), pytest.raises(Conflict, match="already ended"):
        oversight.placement_terminate(actor=m.officer, placement=placement, grounds=GROUNDS, ends_on=today)
    with schema_context(m.schema):
        assert Package.objects.filter(replaces__isnull=False).count() == 1


def test_a_placement_not_yet_live_cannot_be_terminated_before_it_starts(region):
    m = monitored(region.alpha, providers=1)
    placement = placed(m, live=False)  # starts in about a month
    with schema_context(m.schema):
        with pytest.raises(Invalid) as refused:
            oversight.placement_terminate(actor=m.officer, placement=placement, grounds=GROUNDS,
                                          ends_on=date.today())
        assert "cannot end before then" in refused.value.message_dict["ends_on"][0]
        ended = oversight.placement_terminate(actor=m.officer, placement=placement, grounds=GROUNDS,
                                              ends_on=placement.start_on)
        assert Placement.objects.get(pk=ended.placement_id).status == "ended"


def _date_parts(name: str, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def test_quality_staff_terminate_a_placement_on_its_page_and_every_page_links_the_resourcing(client, region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    placement = placed(m)
    commissioner = m.market.setup.commissioner
    url = f"/a/alpha/staff/quality/placements/{placement.pk}/terminate/"

    # the provider's monitoring page lists its placements here, each with the way to terminate it
    client.force_login(m.officer)
    monitoring = client.get(f"/a/alpha/staff/quality/providers/{provider.pk}/").content.decode()
    assert 'data-testid="placements"' in monitoring and url in monitoring
    # commissioners reach it from the placement too; brokers end placements, they do not terminate them
    client.force_login(commissioner)
    assert url in client.get(f"/a/alpha/staff/placements/{placement.pk}/").content.decode()
    client.force_login(m.market.broker)
    assert url not in client.get(f"/a/alpha/staff/placements/{placement.pk}/").content.decode()
    assert client.get(url).status_code == 403

    client.force_login(m.officer)
    page = client.get(url)
    assert page.status_code == 200 and "re-sourcing" in page.content.decode()
    ends_on = timezone.localdate() + timedelta(days=7)
    refused = client.post(url, {"grounds": "Mrs Okoro's visits were missed.", "respond_days": "14",
                                **_date_parts("ends_on", ends_on)})
    assert refused.status_code == 400 and "Okoro" in refused.content.decode()
    refused = client.post(url, {"grounds": GROUNDS, "respond_days": "14"})
    assert refused.status_code == 400 and "ends_on" in refused.content.decode()
    done = client.post(url, {"grounds": GROUNDS, "respond_days": "14", **_date_parts("ends_on", ends_on)},
                       follow=True)
    assert done.redirect_chain[-1][0] == f"/a/alpha/staff/quality/providers/{provider.pk}/"
    with schema_context(m.schema):
        placement = Placement.objects.select_related("replacement", "package").get(pk=placement.pk)
        draft, original = placement.replacement, placement.package
    text = done.content.decode()
    assert f"{draft.reference} re-sources the person" in text and "Termination of a placement" in text
    assert client.get(url).content.decode().count('data-testid="ended"') == 1  # no second termination

    client.force_login(commissioner)
    shown = client.get(f"/a/alpha/staff/placements/{placement.pk}/").content.decode()
    assert 'data-testid="replacement"' in shown and draft.reference in shown
    shown = client.get(f"/a/alpha/staff/calloffs/{original.pk}/").content.decode()
    assert 'data-testid="resourced-by"' in shown and f"/a/alpha/staff/calloffs/{draft.pk}/" in shown
    shown = client.get(f"/a/alpha/staff/calloffs/{draft.pk}/").content.decode()
    assert 'data-testid="resourcing-of"' in shown and f"/a/alpha/staff/calloffs/{original.pk}/" in shown

    # the provider reads the termination and may respond; nothing about the person
    client.force_login(catalogue.admin_of(provider))
    listed = client.get("/a/alpha/provider/quality/").content.decode()
    assert f"Termination of a placement ({original.reference})" in listed
    with schema_context(m.schema):
        action = Action.objects.get(kind="placement_termination")
    respond = client.get(f"/a/alpha/provider/quality/actions/{action.pk}/").content.decode()
    assert f"The placement ends on {ends_on:%-d %B %Y}" in respond and GROUNDS in respond
    for text in (listed, respond):
        assert "Okoro" not in text and "Margaret" not in text


def test_terminating_through_the_api(region):
    from rest_framework.test import APIClient

    m = monitored(region.alpha, providers=1)
    placement = placed(m)
    other = monitored(region.beta, providers=1)
    elsewhere = placed(other)
    ends_on = (timezone.localdate() + timedelta(days=14)).isoformat()
    url = f"/a/alpha/api/v1/placements/{placement.pk}/terminate/"
    api = APIClient()

    api.force_authenticate(m.market.broker)
    assert api.post(url, {"grounds": GROUNDS, "ends_on": ends_on}, format="json").status_code == 403
    api.force_authenticate(m.officer)
    for body in ({"ends_on": ends_on},  # no grounds
                 {"grounds": GROUNDS, "ends_on": "2020-01-01"},  # in the past
                 {"grounds": "Margaret Okoro was left without lunch.", "ends_on": ends_on},
                 {"grounds": GROUNDS, "ends_on": ends_on, "provider_notified": True}):  # no such field
        refused = api.post(url, body, format="json")
        assert refused.status_code == 400, body
        assert refused["Content-Type"].startswith("application/problem+json")
    assert "provider_notified" in refused.content.decode()
    assert api.post("/a/alpha/api/v1/placements/999999/terminate/", {"grounds": GROUNDS, "ends_on": ends_on},
                    format="json").status_code == 404
    api.force_authenticate(support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER))
    assert api.post(url, {"grounds": GROUNDS, "ends_on": ends_on}, format="json").status_code == 403

    api.force_authenticate(m.officer)
    made = api.post(url, {"grounds": GROUNDS, "ends_on": ends_on, "respond_days": 21}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["action"]["kind"] == "placement_termination" and body["action"]["placement"] == placement.pk
    assert body["placement"] == {"id": placement.pk, "status": "ended", "ended_on": ends_on,
                                 "end_reason": f"Terminated as a contract action: {GROUNDS}"}
    draft = body["replacement"]
    assert api.post(url, {"grounds": GROUNDS, "ends_on": ends_on}, format="json").status_code == 409
    with schema_context(other.schema):  # Beta's placements are untouched, whatever their ids
        assert Placement.objects.get(pk=elsewhere.pk).status == "live" and not Action.objects.exists()

    # the broker reads the link both ways, and the placement's re-sourcing
    api.force_authenticate(m.market.broker)
    shown = api.get(f"/a/alpha/api/v1/calloffs/packages/{draft['id']}/").json()
    assert shown["status"] == "draft" and shown["resourcing_of"]["placement"] == placement.pk
    assert shown["resourcing_of"]["package"]["id"] == placement.package_id
    original = api.get(f"/a/alpha/api/v1/calloffs/packages/{placement.package_id}/").json()
    assert original["resourced_by"]["id"] == draft["id"]
    assert api.get(f"/a/alpha/api/v1/placements/{placement.pk}/").json()["replacement"]["id"] == draft["id"]
    queue_kinds = {t["kind"] for t in api.get("/a/alpha/api/v1/work-queue/").json()["tasks"]}
    assert "resourcing" in queue_kinds
    # the provider reads the action (its placement, never the person)
    api.force_authenticate(catalogue.admin_of(placement.provider))
    seen = api.get("/a/alpha/api/v1/provider/actions/").json()["results"]
    assert [(a["kind"], a["placement"]) for a in seen] == [("placement_termination", placement.pk)]
