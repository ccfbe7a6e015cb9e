"""Expiry reminders: 30 and 7 days before a document expires and on the day,
each sent once however often the daily task runs."""

from datetime import date, datetime, time, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from shared_catalogue.tasks import evidence_reminders_task
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def morning(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(7, 0)))


def test_each_reminder_is_sent_once_as_the_days_pass(region, time_machine, mailoutbox):
    start = date(2027, 1, 4)
    time_machine.move_to(morning(start), tick=False)
    provider = catalogue.register(name="Brook Lane Care")
    writer = catalogue.add_person(provider, "bid_writer")
    evidence = catalogue.upload(provider, writer, evidence_type="public_liability",
                                issued_on=start - timedelta(days=300), expires_on=start + timedelta(days=45))
    later = catalogue.upload(provider, evidence_type="accounts", expires_on=start + timedelta(days=400))

    sent_on = {}
    for offset in range(0, 50):
        today = start + timedelta(days=offset)
        time_machine.move_to(morning(today), tick=False)
        before = len(mailoutbox)
        evidence_reminders_task.apply()
        evidence_reminders_task.apply()  # a second run the same day (a retry, a second worker) sends nothing
        for message in mailoutbox[before:]:
            sent_on[message.subject] = today

    assert sent_on == {
        "Public liability insurance for Brook Lane Care expires in 30 days": start + timedelta(days=15),
        "Public liability insurance for Brook Lane Care expires in 7 days": start + timedelta(days=38),
        "Public liability insurance for Brook Lane Care expires today": start + timedelta(days=45),
    }
    assert len(mailoutbox) == 3
    # to the provider admins and to whoever uploaded it
    assert set(mailoutbox[0].to) == {catalogue.admin_of(provider).email, writer.email}
    assert f"/providers/{provider.pk}/evidence/" in mailoutbox[0].body
    evidence.refresh_from_db()
    assert evidence.reminder_30_sent_at and evidence.reminder_7_sent_at and evidence.expiry_notice_sent_at
    later.refresh_from_db()
    assert later.reminder_30_sent_at is None


def test_a_late_first_run_sends_only_the_most_urgent_reminder(region, time_machine, mailoutbox):
    """A document uploaded five days before it expires gets the 7-day reminder, not a stale 30-day one."""
    today = date(2027, 3, 1)
    time_machine.move_to(morning(today), tick=False)
    provider = catalogue.register(name="Short Notice Ltd")
    catalogue.upload(provider, evidence_type="employers_liability", expires_on=today + timedelta(days=5))
    expired = catalogue.upload(provider, evidence_type="professional_indemnity",
                               issued_on=today - timedelta(days=400), expires_on=today - timedelta(days=3))
    evidence_reminders_task.apply()
    subjects = sorted(message.subject for message in mailoutbox)
    assert subjects == [
        "Employer's liability insurance for Short Notice Ltd expires in 5 days",
        "Professional indemnity insurance for Short Notice Ltd has expired",
    ]
    expired.refresh_from_db()
    assert expired.reminder_30_sent_at is None and expired.reminder_7_sent_at is None


def test_a_replaced_document_gets_no_reminder(region, time_machine, mailoutbox):
    today = date(2027, 5, 10)
    time_machine.move_to(morning(today), tick=False)
    provider = catalogue.register()
    old = catalogue.upload(provider, evidence_type="public_liability", expires_on=today + timedelta(days=7))
    catalogue.upload(provider, evidence_type="public_liability", replaces=old, expires_on=today + timedelta(days=372))
    evidence_reminders_task.apply()
    assert mailoutbox == []


def test_the_reminders_run_every_morning_on_the_public_schema():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "catalogue.evidence_reminders")
    assert entry["schedule"].hour == {7}
    assert entry["tenant_schemas"] == ["public"]  # the catalogue lives there, not in each authority
