"""What the outbox holds: for operators (manage.py outbox_status) and health checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django_tenants.utils import schema_context

from outbox.models import Message


@dataclass(frozen=True)
class Backlog:
    schema: str
    overdue: int  # due, not sent (a package's closing before its deadline is not overdue)
    given_up: int  # failed OUTBOX_MAX_ATTEMPTS times: left for a person
    oldest_due: datetime | None  # of the overdue


def outbox_backlog(*, schema: str, now=None) -> Backlog:
    now = now or timezone.now()
    with schema_context(schema):
        found = Message.objects.filter(sent_at__isnull=True, due_at__lte=now).aggregate(
            overdue=Count("pk"), oldest_due=Min("due_at"),
            given_up=Count("pk", filter=Q(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS)))
    return Backlog(schema=schema, **found)


def outbox_backlogs(*, now=None) -> list[Backlog]:
    """Every authority's outbox, then the public schema's."""
    from tenancy.models import Authority

    schemas = list(Authority.objects.exclude(schema_name="public").order_by("schema_name")
                   .values_list("schema_name", flat=True))
    return [outbox_backlog(schema=schema, now=now) for schema in [*schemas, "public"]]
