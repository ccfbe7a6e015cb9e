"""The call-off outcome export: its settings, and sending each period's
export once to the authority's finance and monitoring officers.

Public bodies report the outcome of every call-off to their finance and
monitoring officers; here it is a CSV attached to an e-mail, weekly or
monthly as the authority chooses. Beat asks every authority each morning
(`outcome_exports_due`): the period just ended gets one OutcomeExport row
(unique per period) and one outbox message, in one transaction; the message's
task sends it and marks it sent under the row's lock. A retry, a second beat
or a redelivered task finds the period made or sent and does nothing. With
nobody to send to, the period is recorded as not sent; the next morning's
run queues it again once someone is named, and staff can send it from the
page or the API (`outcome_export_send_now`)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from tenancy.selectors import authority_current
from tenants.reports import policy
from tenants.reports.models import OutcomeExport, OutcomeExportSettings
from tenants.reports.outcomes import outcomes, outcomes_csv

Frequency = OutcomeExportSettings.Frequency
MAX_RECIPIENTS = 20


def export_settings() -> OutcomeExportSettings:
    """This authority's settings (the defaults until someone sets them: monthly, to its finance viewers)."""
    return OutcomeExportSettings.objects.order_by("pk").first() or OutcomeExportSettings()


def export_settings_set(*, actor, frequency: str, send_to_finance_viewers: bool, recipients) -> OutcomeExportSettings:
    """Set how often the export goes and to whom besides the finance viewers; audited."""
    if frequency not in Frequency.values:
        raise Invalid({"frequency": [f"Choose one of: {', '.join(Frequency.values)}."]})
    addresses = []
    for raw in recipients or []:
        address = str(raw).strip().lower()
        if not address:
            continue
        try:
            validate_email(address)
        except Exception:
            raise Invalid({"recipients": [f"“{raw}” is not an e-mail address."]}) from None
        if address not in addresses:
            addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        raise Invalid({"recipients": [f"At most {MAX_RECIPIENTS} other addresses."]})
    with transaction.atomic():
        current = OutcomeExportSettings.objects.select_for_update().order_by("pk").first() or OutcomeExportSettings()
        before = {"frequency": current.frequency, "send_to_finance_viewers": current.send_to_finance_viewers,
                  "recipients": list(current.recipients)}
        current.frequency, current.send_to_finance_viewers = frequency, bool(send_to_finance_viewers)
        current.recipients, current.updated_by, current.updated_at = addresses, actor, timezone.now()
        current.save()
        audit_record(actor=actor, action="reports.outcome_export_settings_set", obj=current, before=before,
                     after={"frequency": frequency, "send_to_finance_viewers": current.send_to_finance_viewers,
                            "recipients": addresses})
    return current


def period_ended(frequency: str, today: date) -> tuple[date, date] | None:
    """The last whole period before `today`: the Monday-to-Sunday week, or the calendar month."""
    if frequency == Frequency.WEEKLY:
        start = today - timedelta(days=today.weekday() + 7)
        return start, start + timedelta(days=6)
    if frequency == Frequency.MONTHLY:
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    return None


def outcome_exports_due(*, today: date | None = None) -> OutcomeExport | None:
    """Beat, each morning in every authority: the export of the period just
    ended, made and queued once (None when there is nothing new to make)."""
    from outbox.services import outbox_add
    from tenants.reports.tasks import outcome_export_send_task

    today = today or timezone.localdate()
    settings = export_settings()
    period = period_ended(settings.frequency, today)
    if period is None:
        return None
    with transaction.atomic():
        export, created = OutcomeExport.objects.get_or_create(
            period_start=period[0], period_end=period[1], defaults={"frequency": settings.frequency})
        if created:
            outbox_add(outcome_export_send_task, export.pk)
        # Periods that found nobody to send to go now that someone is named.
        if export_recipients(settings):
            for waiting in (OutcomeExport.objects.select_for_update(skip_locked=True)
                            .filter(sent_at__isnull=True, nobody_at__isnull=False).order_by("period_start")):
                _queue_again(waiting)
    return export if created else None


def _queue_again(export: OutcomeExport) -> None:
    """Queue a period that found nobody to send to (under its row's lock)."""
    from outbox.services import outbox_add
    from tenants.reports.tasks import outcome_export_send_task

    export.nobody_at = None
    export.save(update_fields=["nobody_at"])
    outbox_add(outcome_export_send_task, export.pk)


def outcome_export_send_now(*, actor, export: OutcomeExport) -> OutcomeExport:
    """Staff send a period's export that has not gone (it found nobody to
    send to, or waits): queued through the outbox to the addresses it would
    go to now; audited. A period sent already is not sent again."""
    require(policy.can_set_export(access_here(actor)), policy.SETTINGS_REFUSED)
    with transaction.atomic():
        export = OutcomeExport.objects.select_for_update().get(pk=export.pk)
        if export.sent_at is not None:
            raise Conflict(f"The export for {export.period_start:%-d %B %Y} to {export.period_end:%-d %B %Y} was "
                           f"sent on {timezone.localtime(export.sent_at):%-d %B %Y}: a period is sent once.")
        recipients = export_recipients(export_settings())
        if not recipients:
            raise Conflict("There is nobody to send it to: give someone the finance viewer role, or add an "
                           "address to the export's settings.")
        _queue_again(export)
        audit_record(actor=actor, action="reports.outcome_export_send_asked", obj=export,
                     context={"recipients": len(recipients)})
    return export


def export_recipients(settings: OutcomeExportSettings) -> list[str]:
    """The finance viewers here (in a partnership, its members' too), if the
    settings say so, and the other addresses given."""
    from accounts.models import AuthorityMembership
    from accounts.roles import AuthorityRole

    authority = authority_current()
    found = []
    if settings.send_to_finance_viewers:
        found += list(AuthorityMembership.objects.current()
                      .filter(authority__is_active=True, user__is_active=True, role=AuthorityRole.FINANCE_VIEWER)
                      .filter(Q(authority=authority) | Q(authority__partnerships=authority))
                      .values_list("user__email", flat=True))
    found += list(settings.recipients)
    return sorted({address.lower() for address in found if address})


def outcome_export_send(export_id: int) -> int:
    """Send one period's export (once: under the row's lock, a sent one is
    left alone). Returns how many addresses it went to."""
    with transaction.atomic():
        export = OutcomeExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.sent_at is not None:
            return 0
        authority = authority_current()
        settings = export_settings()
        rows = outcomes(date_from=export.period_start, date_to=export.period_end)
        recipients = export_recipients(settings)
        if not recipients:
            # Not sent: it goes on the next run once someone is named, or when staff send it.
            if export.nobody_at is None:
                export.rows, export.nobody_at = len(rows), timezone.now()
                export.save(update_fields=["rows", "nobody_at"])
                audit_record(actor=None, action="reports.outcome_export_not_sent", obj=export,
                             reason="Nobody to send it to: no finance viewer and no other address.",
                             context={"rows": len(rows)})
            return 0
        body = render_to_string("reports/email/outcomes.txt", {
            "authority": authority, "export": export, "rows": rows, "count": len(rows)})
        message = EmailMessage(
            subject=f"Call-off outcomes {export.period_start:%-d %b %Y} to {export.period_end:%-d %b %Y}: "
                    f"{authority.name}", body=body, to=recipients)
        message.attach(f"calloff-outcomes-{export.period_start:%Y-%m-%d}-to-{export.period_end:%Y-%m-%d}.csv",
                       outcomes_csv(rows), "text/csv")
        message.send()
        export.rows, export.recipients, export.sent_at, export.nobody_at = len(rows), recipients, timezone.now(), None
        export.save(update_fields=["rows", "recipients", "sent_at", "nobody_at"])
        audit_record(actor=None, action="reports.outcome_export_sent", obj=export,
                     context={"rows": len(rows), "recipients": len(recipients)})
    return len(recipients)
