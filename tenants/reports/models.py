"""The call-off outcome export: where and how often each authority sends it,
and a record of each period's export, so that a period is sent once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutcomeExportSettings(models.Model):
    """One row per authority (its schema): how often the call-off outcome
    export goes, and to whom besides its finance viewers."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly (Monday to Sunday, sent on the Monday after)"
        MONTHLY = "monthly", "Monthly (sent on the first day of the next month)"
        OFF = "off", "Not sent"

    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    send_to_finance_viewers = models.BooleanField(
        default=True, help_text="Send it to everyone here with the finance viewer role.")
    recipients = models.JSONField(default=list, blank=True,
                            help_text="Other addresses: the monitoring officer, the finance team's mailbox.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "outcome export settings"


class OutcomeExport(models.Model):
    """One period's export: made once (the period is unique), sent once. A
    send that finds nobody to send to (no finance viewer, no address) leaves
    it not sent, with `nobody_at`: the next morning's run sends it once
    someone is named, or staff send it from the page or the API."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to be sent"
        NOBODY = "nobody", "Not sent: nobody to send to"
        SENT = "sent", "Sent"

    period_start = models.DateField()
    period_end = models.DateField()
    frequency = models.CharField(max_length=10, choices=OutcomeExportSettings.Frequency.choices)
    rows = models.PositiveIntegerField(default=0)
    recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    nobody_at = models.DateTimeField(null=True, blank=True,
                                     help_text="When sending it found nobody to send to; cleared when it is queued "
                                               "again.")

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["period_start", "period_end"], name="one_outcome_export_per_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="outcome_export_period"),
            models.CheckConstraint(condition=models.Q(sent_at__isnull=True) | models.Q(nobody_at__isnull=True),
                                   name="outcome_export_sent_or_nobody"),
        ]

    def __str__(self) -> str:
        return f"Call-off outcomes {self.period_start} to {self.period_end}"

    @property
    def state(self) -> str:
        if self.sent_at is not None:
            return self.State.SENT
        return self.State.NOBODY if self.nobody_at is not None else self.State.WAITING

    def get_state_display(self) -> str:
        return self.State(self.state).label
