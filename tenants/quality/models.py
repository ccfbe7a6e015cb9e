"""Contract management: what an agreement measures (KPIs), and what each
provider returns for each period.

A KPI belongs to an agreement, or to one of its lots. Each period (quarterly
by default, in the financial year from April), every provider it covers owes
one return, due a number of days after the period ends. A return row is
opened when the period ends (status "due"), so a missing return is a row that
is still due after its due date: shown, counted and chased.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.agreements.models import Agreement, Lot


class Kpi(models.Model):
    class Measure(models.TextChoices):
        PERCENTAGE = "percentage", "A percentage (how many of how many)"
        COUNT = "count", "A count"
        YES_NO = "yes_no", "Yes or no"
        STATEMENT = "statement", "An outcome statement with evidence"

    class Period(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        ANNUALLY = "annually", "Yearly (April to March)"

    class Covers(models.TextChoices):
        PLACEMENTS = "placements", "Providers with people placed with them"
        ADMITTED = "admitted", "Every provider admitted"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="kpis")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=20, help_text="How the agreement numbers it, for example KPI 1.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="What is counted, and how.")
    measure = models.CharField(max_length=20, choices=Measure.choices, default=Measure.PERCENTAGE)
    numerator_label = models.CharField(max_length=120, blank=True,
                                       help_text="What is counted, for example: care workers trained.")
    denominator_label = models.CharField(max_length=120, blank=True,
                                         help_text="Out of what, for example: care workers employed.")
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    higher_is_better = models.BooleanField(default=True)
    amber_within = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("10"), validators=[MinValueValidator(0)],
        help_text="How far short of the target is still amber (percentage points for a percentage).")
    period = models.CharField(max_length=20, choices=Period.choices, default=Period.QUARTERLY)
    covers = models.CharField(max_length=20, choices=Covers.choices, default=Covers.PLACEMENTS)
    due_days = models.PositiveSmallIntegerField(
        default=28, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Days after the end of each period that the return is due.")
    starts_on = models.DateField(help_text="The first period returned is the one containing this date.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agreement", "code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "code"], name="one_kpi_code_per_agreement"),
            models.CheckConstraint(name="kpi_percentage_target_in_range",
                                   condition=~Q(measure="percentage") | Q(target__isnull=True)
                                   | Q(target__gte=0, target__lte=100)),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class KpiReturn(models.Model):
    class Status(models.TextChoices):
        DUE = "due", "Due"
        SUBMITTED = "submitted", "Awaiting validation"
        VALIDATED = "validated", "Validated"
        QUERIED = "queried", "Queried"

    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="returns")
    admission = models.ForeignKey("admissions.Admission", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DUE)
    numerator = models.PositiveIntegerField(null=True, blank=True)
    denominator = models.PositiveIntegerField(null=True, blank=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                help_text="The percentage, the count, or 1 for yes and 0 for no.")
    breakdown = models.JSONField(default=list, blank=True,
                                 help_text="Further parts of the same count, e.g. those still in training.")
    statement = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    evidence = models.ForeignKey("shared_catalogue.Evidence", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    query = models.TextField(blank=True, help_text="What staff asked the provider to correct or explain.")
    chased_at = models.DateTimeField(null=True, blank=True)
    chase_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start", "kpi", "provider_id"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "admission", "period_start"], name="one_return_per_period"),
            models.CheckConstraint(name="return_numerator_within_denominator",
                                   condition=Q(numerator__isnull=True) | Q(denominator__isnull=True)
                                   | Q(numerator__lte=models.F("denominator"))),
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.kpi.code} return, {self.period_start:%B %Y}"

    def is_missing(self, today) -> bool:
        return self.status in (self.Status.DUE, self.Status.QUERIED) and self.due_on < today

    @property
    def was_late(self) -> bool:
        return bool(self.submitted_at) and timezone.localdate(self.submitted_at) > self.due_on
