"""Placements: an award that has become live care (a call-off contract), its
funders and their shares, variations, annual uplifts and ending."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from tenants.agreements.models import Agreement, Lot
from tenants.calloffs.models import Bid, Package

MONEY = {"max_digits": 10, "decimal_places": 2}


class Placement(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting go-live"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    package = models.OneToOneField(Package, on_delete=models.PROTECT, related_name="placement")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="+",
        help_text="Who pays the provider (and recovers the other funders' shares): the authority that called off, "
                  "unless the funders agree another of them does.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    start_on = models.DateField()
    weekly_cost = models.DecimalField(**MONEY)
    went_live_at = models.DateTimeField(null=True, blank=True)
    went_live_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+")
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    replacement = models.OneToOneField(
        Package, null=True, blank=True, on_delete=models.PROTECT, related_name="replaces",
        help_text="When the placement was terminated: the draft package that re-sources the person's care.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Placement {self.pk} ({self.package.reference})"


class Funder(models.Model):
    """Who pays, and what share: a council and an ICB can fund one package jointly."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="funders")
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    share = models.DecimalField(max_digits=5, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)])
    purchasing_agreement = models.CharField(
        max_length=120, blank=True, help_text="The funder's own individual purchasing agreement reference.")
    grant = models.ForeignKey("agreements.CallOffGrant", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", help_text="The co-funding grant a funder from outside holds.")

    class Meta:
        ordering = ["placement", "-share"]
        constraints = [models.UniqueConstraint(fields=["placement", "authority"], name="one_share_per_funder")]


class Variation(models.Model):
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="variations")
    effective_on = models.DateField()
    weekly_cost_before = models.DecimalField(**MONEY)
    weekly_cost_after = models.DecimalField(**MONEY)
    reason = models.TextField()
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["placement", "effective_on"]


class Unit(models.TextChoices):
    WEEK = "week", "a week"
    HOUR = "hour", "an hour"
    SESSION = "session", "a session"
    DAY = "day", "a day"


class RateSchedule(models.Model):
    """An annual uplift for an agreement (or one of its lots), from a date:
    either a percentage on each placement's rate, or to a new rate (per
    `new_rate_unit`) for placements paid less than it. The rate itself is
    typed by the commissioner here; a later step links it to the agreement's
    pricing schedule."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="rate_schedules")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    uplift_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(Decimal("-50")), MaxValueValidator(50)])
    new_rate = models.DecimalField(**MONEY, null=True, blank=True)
    new_rate_unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.WEEK)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["agreement", "effective_from"]
        constraints = [models.CheckConstraint(
            condition=models.Q(uplift_percent__isnull=False, new_rate__isnull=True)
            | models.Q(uplift_percent__isnull=True, new_rate__gt=0), name="rate_schedule_percent_or_rate")]


class Uplift(models.Model):
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="uplifts")
    schedule = models.ForeignKey(RateSchedule, on_delete=models.PROTECT, related_name="uplifts")
    weekly_cost_before = models.DecimalField(**MONEY)
    weekly_cost_after = models.DecimalField(**MONEY)
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["placement", "schedule"], name="one_uplift_per_schedule")]


class CostLine(models.Model):
    """One effective-dated line of a placement's cost: a rate per unit times
    the units a week, from a date. Lines are append-only (never updated or
    deleted): a variation or an uplift adds a line from its effective date,
    backdated or not. On any day the line in force is the one with the
    latest `effective_from` on or before that day (ties: the latest made),
    until the next line's date or the placement's end; the award's line runs
    from the placement's start, which going live may move. The placement's
    `weekly_cost` is a cached copy of the latest line's weekly amount."""

    class Source(models.TextChoices):
        AWARD = "award", "Award"
        VARIATION = "variation", "Variation"
        UPLIFT = "uplift", "Uplift"
        RECORDED = "recorded", "Recorded from the placement as it stood"

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="cost_lines")
    effective_from = models.DateField()
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.WEEK)
    rate = models.DecimalField(**MONEY)
    quantity = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("1"),
                                   help_text="Units a week (1 for a weekly rate).")
    weekly_amount = models.DecimalField(**MONEY, help_text="rate × quantity, in pounds and pence.")
    source = models.CharField(max_length=20, choices=Source.choices)
    reason = models.TextField(blank=True)
    variation = models.OneToOneField(Variation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="cost_line")
    uplift = models.OneToOneField(Uplift, null=True, blank=True, on_delete=models.PROTECT, related_name="cost_line")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["placement", "effective_from", "made_at", "pk"]
        indexes = [models.Index(fields=["placement", "effective_from", "made_at"], name="cost_line_in_force")]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__gte=0, quantity__gt=0, weekly_amount__gte=0),
                                   name="cost_line_amounts"),
        ]


class CostLineShare(models.Model):
    """A line's own funder shares; a line without any takes the placement's."""

    line = models.ForeignKey(CostLine, on_delete=models.PROTECT, related_name="shares")
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    share = models.DecimalField(max_digits=5, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)])

    class Meta:
        ordering = ["line", "-share"]
        constraints = [
            models.UniqueConstraint(fields=["line", "authority"], name="one_share_per_line_funder"),
            models.CheckConstraint(condition=models.Q(share__gt=0, share__lte=100), name="line_share_in_range"),
        ]
