"""The outbox: a side effect is recorded with its change, in the schema of the
change, sent after the commit, and done once (tasks run in-process here; the
real worker and broker are in tests/tasks/test_broker_outage.py)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from outbox.models import Message
from outbox.services import outbox_flush
from tenants.calloffs import services as calloffs
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = [pytest.mark.django_db]


class Abandoned(Exception):
    pass


def test_a_rolled_back_change_leaves_no_message_and_sends_nothing(region, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    market = stage2.live_market(region.alpha, providers=1)
    draft = stage2.package(market, publish=False)
    with schema_context("alpha"):
        before = Message.objects.count()
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abandoned):
            with transaction.atomic():
                calloffs.package_publish(actor=market.broker, package=draft)
                # the invitations and the closing
                assert Message.objects.filter(task__startswith="calloffs.", args__0=draft.pk).count() == 2
                raise Abandoned
        assert Message.objects.count() == before and callbacks == []
    assert mailoutbox == []


def invitations_to(mailoutbox, package) -> list:
    return [m for m in mailoutbox if m.subject == f"New opportunity: {package.title} ({package.reference})"]


def test_a_message_lives_in_the_schema_of_its_change_and_is_sent_once(region, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    from accounts.models import ProviderMembership

    market = stage2.live_market(region.alpha, providers=1)
    with django_capture_on_commit_callbacks(execute=True):
        package = stage2.package(market)
    with schema_context("alpha"):
        invitations = Message.objects.get(task="calloffs.invitations_notify", args__0=package.pk)
        closing = Message.objects.get(task="calloffs.package_close", args__0=package.pk)
    assert invitations.sent_at is not None and invitations.dispatched_at is not None
    assert closing.sent_at is None and closing.dispatched_at is None  # due in 14 days: it waits here
    assert closing.due_at == package.bid_deadline
    assert len(invitations_to(mailoutbox, package)) == 1
    assert not Message.objects.filter(task="calloffs.invitations_notify").exists()  # not in the public schema

    # a person added to a provider is a change in the public schema: its message is there
    provider = market.providers[0]
    with django_capture_on_commit_callbacks(execute=True):
        person = catalogue.add_person(provider)
    assert connection.schema_name == "public"
    membership = ProviderMembership.objects.get(user=person)
    added = Message.objects.get(task="catalogue.provider_person_notify", args__0=membership.pk)
    assert added.sent_at is not None
    assert [m.to for m in mailoutbox if person.email in m.to] == [[person.email]]

    # flushing again, even long after, sends neither twice
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER + 1)
    with django_capture_on_commit_callbacks(execute=True):
        outbox_flush(now=later)
        with schema_context("alpha"):
            outbox_flush(now=later)
    assert len(invitations_to(mailoutbox, package)) == 1
    assert len([m for m in mailoutbox if person.email in m.to]) == 1


def test_a_failed_send_is_recorded_and_the_flush_sends_it_later(region, mailoutbox, settings,
                                                                django_capture_on_commit_callbacks):
    market = stage2.live_market(region.alpha, providers=1)
    settings.EMAIL_BACKEND = "tests.outbox.test_outbox.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        package = stage2.package(market)
    with schema_context("alpha"):
        message = Message.objects.get(task="calloffs.invitations_notify", args__0=package.pk)
        assert message.sent_at is None and message.attempts == 1
        assert "ConnectionRefusedError" in message.last_error

    assert "alpha: " in status()  # what the operators see

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with schema_context("alpha"):
        outbox_flush()
        message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert len(invitations_to(mailoutbox, package)) == 1
    assert "alpha: " not in status()


def status() -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("outbox_status", stdout=out)
    return out.getvalue()


def test_a_deadline_due_within_the_look_ahead_is_handed_over_with_its_eta(region, time_machine,
                                                                           django_capture_on_commit_callbacks):
    market = stage2.live_market(region.alpha, providers=1)
    with django_capture_on_commit_callbacks(execute=True), schema_context("alpha"):
        outbox_flush()  # what setting up the market left (its letters)
    with django_capture_on_commit_callbacks(execute=True):
        package = stage2.package(market, deadline=timezone.now() + timedelta(days=14))
    with schema_context("alpha"):
        closing = Message.objects.get(task="calloffs.package_close", args__0=package.pk)
        assert outbox_flush() == 0
        # 14 days later, less the look-ahead: the flush hands it over, and (here
        # in-process) the closing runs and finds the deadline not yet passed
        nearly = package.bid_deadline - timedelta(seconds=settings.OUTBOX_LOOKAHEAD - 1)
        time_machine.move_to(nearly, tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_flush() == 1
        closing.refresh_from_db()
    assert closing.dispatched_at == nearly and closing.sent_at is not None


def test_dispatch_refuses_an_eta_beyond_the_look_ahead():
    from common.dispatch import EtaTooFar, dispatch
    from tenants.calloffs.tasks import package_close_task

    with pytest.raises(EtaTooFar):
        dispatch(package_close_task, 1, "deadline", eta=timezone.now() + timedelta(days=2))


class RefusingBackend:
    """An SMTP server that refuses the connection."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server refused the connection")
