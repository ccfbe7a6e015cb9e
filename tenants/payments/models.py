"""Payments to providers: the authority's payment periods (four-weekly from
an anchor date, or calendar months), a payment schedule per provider, payer
and period generated from the placements' cost lines, the provider's
confirmation, queries and invoices, the finance officer's approval and the
export to the finance system. Nothing is paid twice: one schedule per
provider, payer and period; one line of care per placement and period."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

MONEY = {"max_digits": 12, "decimal_places": 2}


class Cadence(models.TextChoices):
    FOUR_WEEKLY = "four_weekly", "Four-weekly"
    MONTHLY = "monthly", "Monthly"


class PaymentSettings(models.Model):
    """How this authority pays providers: one row per authority."""

    key = models.CharField(max_length=20, default="payments", unique=True, editable=False)
    cadence = models.CharField(max_length=20, choices=Cadence.choices, default=Cadence.MONTHLY)
    anchor_on = models.DateField(null=True, blank=True,
                                 help_text="Four-weekly: the first day of a period; every period is 28 days "
                                           "from it.")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(
            condition=models.Q(cadence="monthly") | models.Q(anchor_on__isnull=False),
            name="four_weekly_needs_anchor")]


class PaymentPeriod(models.Model):
    """A period the authority pays for. Periods never overlap (the service
    refuses one that would), so a day belongs to one period at most."""

    cadence = models.CharField(max_length=20, choices=Cadence.choices)
    starts_on = models.DateField(unique=True)
    ends_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="payment_period_in_order")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.starts_on:%-d %B %Y} to {self.ends_on:%-d %B %Y}"

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class SupplierReference(models.Model):
    """The provider's number in this authority's finance system."""

    provider = models.OneToOneField("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=40)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)


class CostCentre(models.Model):
    """The finance system's cost centre a lot's placements are charged to."""

    lot = models.OneToOneField("agreements.Lot", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=40)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)


class Schedule(models.Model):
    """What one payer owes one provider for one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued to the provider"
        CONFIRMED = "confirmed", "Confirmed by the provider"
        QUERIED = "queried", "Queried"
        APPROVED = "approved", "Approved for payment"
        EXPORTED = "exported", "Exported to the finance system"

    reference = models.CharField(max_length=60, unique=True)
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+",
                              help_text="The authority that called off and pays the provider in full.")
    period = models.ForeignKey(PaymentPeriod, on_delete=models.PROTECT, related_name="schedules")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField(**MONEY, default=0)
    generated_at = models.DateTimeField(default=timezone.now)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    exported_at = models.DateTimeField(null=True, blank=True)
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    export_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-period__starts_on", "provider__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "payer", "period"], name="one_schedule_per_provider_period"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "exported"])
                | models.Q(approved_at__isnull=False, approved_by__isnull=False),
                name="approved_schedule_names_approver"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_paid(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.EXPORTED)


def days_words(first, last) -> str:
    """"3 to 30 September 2026", "3 August to 30 September 2026", or both
    dates in full across a year's end."""
    if first is None or last is None:
        return "no days"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%-d} to {last:%-d %B %Y}"
    if first.year == last.year:
        return f"{first:%-d %B} to {last:%-d %B %Y}"
    return f"{first:%-d %B %Y} to {last:%-d %B %Y}"


class Line(models.Model):
    """One placement on a schedule: its days of care in the period and what
    they cost (`cost_lines` explains the figure: each cost line used, its
    days and amount), or an adjustment for an earlier period: the difference
    between what the cost lines give for it now and what approved schedules
    paid for it, whether its cost changed after approval (a backdated
    variation) or the placement was not on the approved schedule at all
    (nothing paid: `paid_before` is empty)."""

    class Kind(models.TextChoices):
        CARE = "care", "Care in the period"
        ADJUSTMENT = "adjustment", "Adjustment for an earlier period"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="lines")
    period = models.ForeignKey(PaymentPeriod, on_delete=models.PROTECT, related_name="+",
                               help_text="The schedule's period.")
    covers = models.ForeignKey(PaymentPeriod, on_delete=models.PROTECT, related_name="+",
                               help_text="The period whose care it pays: the schedule's, or an earlier one.")
    placement = models.ForeignKey("placements.Placement", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CARE)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    days = models.PositiveIntegerField(default=0)
    computed_amount = models.DecimalField(**MONEY, help_text="What the cost lines give.")
    amount = models.DecimalField(**MONEY, help_text="What is paid: the computed amount unless adjusted.")
    cost_lines = models.JSONField(default=list)
    paid_before = models.DecimalField(**MONEY, null=True, blank=True,
                                      help_text="An adjustment: what had been paid for that period.")
    adjust_reason = models.TextField(blank=True)
    adjusted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    adjusted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["schedule", "kind", "placement__package__reference", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "period"], condition=models.Q(kind="care"),
                                    name="one_care_line_per_placement_period"),
            models.UniqueConstraint(fields=["schedule", "placement", "covers"], name="one_line_per_covered_period"),
            models.CheckConstraint(condition=models.Q(kind="adjustment") | models.Q(covers=models.F("period")),
                                   name="care_line_covers_its_period"),
        ]

    @property
    def missed(self) -> bool:
        """An adjustment for care that no approved schedule paid (the
        placement was not on its period's approved schedule): nothing was
        paid before, so `paid_before` is empty."""
        return self.kind == self.Kind.ADJUSTMENT and self.paid_before is None

    @property
    def label(self) -> str:
        """What the line pays for, in words."""
        if self.kind == self.Kind.CARE:
            return f"Care from {days_words(self.starts_on, self.ends_on)}"
        if self.missed:
            return f"Care from {days_words(self.starts_on, self.ends_on)} not on the approved schedule"
        return f"Change to the cost of {self.covers.label} since it was approved"


class Query(models.Model):
    """A provider's question about a schedule (or one line of it), or a
    difference between its invoice and the schedule; staff answer it."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="queries")
    line = models.ForeignKey(Line, null=True, blank=True, on_delete=models.SET_NULL, related_name="queries")
    invoice = models.ForeignKey("payments.Invoice", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="queries")
    reason = models.TextField()
    difference = models.DecimalField(**MONEY, null=True, blank=True,
                                     help_text="For an invoice: the invoice less the schedule's total.")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["schedule", "raised_at", "pk"]

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


def invoice_storage():
    from django.core.files.storage import storages

    return storages["evidence"]


def invoice_path(instance, filename):
    """Stored under an opaque name: nothing in the path says whose it is."""
    return f"invoices/{instance.storage_key}"


class Invoice(models.Model):
    """A provider's invoice against an issued schedule, typed or uploaded
    (a PDF, checked by content), matched against the schedule's total."""

    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="invoices")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=60)
    invoice_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    schedule_total = models.DecimalField(**MONEY, help_text="The schedule's total when the invoice came in.")
    difference = models.DecimalField(**MONEY, help_text="The invoice less the schedule's total.")
    file = models.FileField(upload_to=invoice_path, storage=invoice_storage, max_length=200, blank=True)
    storage_key = models.CharField(max_length=80, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-entered_at", "-pk"]
        constraints = [
            # Case-insensitive, as the service compares them: INV-1 and inv-1 are one number.
            models.UniqueConstraint(Upper("number"), "provider", name="one_invoice_number_per_provider_any_case"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoice_amount_positive"),
        ]

    @property
    def matched(self) -> bool:
        return self.difference == 0
