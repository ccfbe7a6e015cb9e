"""Background work with a real Celery worker and a real Redis broker."""

import pytest
from django_tenants.utils import schema_context

from accounts.services import membership_grant
from audit.models import ChainCheck
from tests import support

pytestmark = [pytest.mark.worker]


def test_the_worker_emails_a_new_role_once(committed_db, region, live_tasks):
    queue, mail_dir = live_tasks
    person = support.make_user(email=f"{support.unique('worker')}@example.org")
    with schema_context("alpha"):  # as from a request inside Alpha: the task carries the schema
        membership = membership_grant(actor=None, authority=region.alpha, user=person, role="broker")

    def notified():
        membership.refresh_from_db()
        return membership.notified_at

    support.wait_for(notified, what="the membership e-mail")
    [message] = [m for m in support.mail_in(mail_dir) if m["to"] == person.email]
    assert message["subject"] == "You are now broker at Alpha Council"
    assert "/a/alpha/" in message.get_content()

    # sent again (a retry, a second worker): nothing more goes out
    from accounts.tasks import membership_notify_task

    assert membership_notify_task.apply_async((membership.pk,), ignore_result=False).get(timeout=30) is False
    assert [m["to"] for m in support.mail_in(mail_dir)].count(person.email) == 1


def test_tasks_run_in_the_schema_they_were_sent_from(committed_db, region, live_tasks):
    from audit.tasks import verify_chain_task

    with schema_context("beta"):
        result = verify_chain_task.apply_async(ignore_result=False).get(timeout=30)
    assert result["schema"] == "beta" and result["intact"] is True


def test_beat_sends_the_nightly_check_to_every_authority(committed_db, region, live_tasks):
    """The tenant-aware scheduler fans the entry out to every authority's schema."""
    from django.conf import settings

    from config.celery import app
    from tenancy.beat import ResilientTenantAwareScheduler as TenantAwareScheduler
    from tenancy.models import Authority

    before = {}
    schemas = list(Authority.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            before[schema] = ChainCheck.objects.count()
    scheduler = TenantAwareScheduler(app=app, lazy=True)
    scheduler.merge_inplace(settings.CELERY_BEAT_SCHEDULE)
    entry = scheduler.schedule["audit.verify_chains@__all_tenants_only__"]
    scheduler.apply_entry(entry)

    def all_checked():
        for schema in schemas:
            with schema_context(schema):
                if ChainCheck.objects.count() <= before[schema]:
                    return False
        return True

    support.wait_for(all_checked, what="a chain check in every authority")
    with schema_context("alpha"):
        assert ChainCheck.objects.first().intact


def test_the_worker_connects_as_the_applications_role(committed_db, region, live_tasks):
    """Workers run as production's do: as the role that owns nothing."""
    from django.conf import settings
    from django.db import connection

    from audit.services import audit_record
    from audit.tasks import anchor_chain_task

    with schema_context("alpha"):
        audit_record(actor=None, action="test.worker_role", obj=("test.thing", 1))  # a head to anchor
        assert anchor_chain_task.apply_async(ignore_result=False).get(timeout=30)["schema"] == "alpha"
    with connection.cursor() as cursor:
        cursor.execute("SELECT recorded_by FROM jointly_audit.chain_anchor WHERE chain = 'alpha' "
                       "ORDER BY id DESC LIMIT 1")
        assert cursor.fetchone()[0] == settings.DATABASE_APP_ROLE
