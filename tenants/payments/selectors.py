"""Reading payments: periods, schedules for staff and for a provider (never
a draft, never another provider's), one schedule with its lines, queries
and invoices."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from tenants.payments.models import Invoice, Line, PaymentPeriod, Query, Schedule


def periods():
    return PaymentPeriod.objects.annotate(schedule_count=Count("schedules")).order_by("-starts_on")


def period(period_id) -> PaymentPeriod | None:
    return PaymentPeriod.objects.filter(pk=period_id).first()


def _lines():
    return Prefetch("lines", queryset=Line.objects.select_related(
        "placement__package__lot", "placement__package__agreement", "covers", "adjusted_by")
        .order_by("kind", "placement__package__reference", "pk"))


def schedules_for_staff():
    return (Schedule.objects.select_related("provider", "payer", "period", "approved_by")
            .annotate(open_queries=Count("queries", filter=Q(queries__answered_at__isnull=True)))
            .order_by("-period__starts_on", "provider__name", "pk"))


def schedule_for_staff(schedule_id) -> Schedule | None:
    return (schedules_for_staff().prefetch_related(
        _lines(), Prefetch("queries", queryset=Query.objects.select_related("raised_by", "answered_by", "line",
                                                                            "invoice")),
        Prefetch("invoices", queryset=Invoice.objects.select_related("entered_by")))
        .filter(pk=schedule_id).first())


def schedules_for_provider(provider_ids):
    """A provider's schedules here once issued: never a draft, never another's."""
    return schedules_for_staff().filter(provider_id__in=list(provider_ids)).exclude(status=Schedule.Status.DRAFT)


def schedule_for_provider(provider_ids, schedule_id) -> Schedule | None:
    return (schedules_for_provider(provider_ids).prefetch_related(
        _lines(), Prefetch("queries", queryset=Query.objects.select_related("line", "invoice")),
        "invoices").filter(pk=schedule_id).first())


def line_of(schedule: Schedule, line_id) -> Line | None:
    return schedule.lines.filter(pk=line_id).first() if str(line_id).isdigit() else None


def query_of(schedule: Schedule, query_id) -> Query | None:
    return schedule.queries.filter(pk=query_id).first() if str(query_id).isdigit() else None


def invoice_for_provider(provider_ids, invoice_id) -> Invoice | None:
    return (Invoice.objects.filter(provider_id__in=list(provider_ids), pk=invoice_id)
            .exclude(file="").select_related("schedule").first())


def invoice_for_staff(invoice_id) -> Invoice | None:
    return Invoice.objects.filter(pk=invoice_id).exclude(file="").select_related("schedule").first()
