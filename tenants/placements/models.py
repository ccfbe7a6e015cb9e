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


class RateSchedule(models.Model):
    """An annual uplift for an agreement (or one of its lots), from a date."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="rate_schedules")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    uplift_percent = models.DecimalField(max_digits=5, decimal_places=2,
                                         validators=[MinValueValidator(Decimal("-50")), MaxValueValidator(50)])
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["agreement", "effective_from"]


class Uplift(models.Model):
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="uplifts")
    schedule = models.ForeignKey(RateSchedule, on_delete=models.PROTECT, related_name="uplifts")
    weekly_cost_before = models.DecimalField(**MONEY)
    weekly_cost_after = models.DecimalField(**MONEY)
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["placement", "schedule"], name="one_uplift_per_schedule")]
