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
        # an embargo still keeps it out, as for any call-off
        oversight.action_take(actor=m.officer, provider=terminated, kind="embargo", grounds="Safeguarding review.")
        assert "embargo" in {e.admission.provider_id: e.reason for e in calloffs.eligibility(draft)}[terminated.pk]


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
