"""Pricing schedules: the rates an authority sets each year for an agreement
("the annual setting of fees"), published to its admitted providers, with a
fair-cost-of-care reference beside each rate; and each opened bid's price
compared with its rate (abnormally low or high), with the explanation asked
of the provider as PCR 2015 regulation 69 (PA 2023 s 46) requires."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from tenants.agreements.models import Agreement, Lot

MONEY = {"max_digits": 10, "decimal_places": 2}


class PricingSchedule(models.Model):
    """One year's rates for an agreement. A draft is edited; a published
    schedule is never changed: the next year is a new schedule."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="pricing_schedules")
    year = models.PositiveSmallIntegerField(help_text="The year the fees are set for, e.g. 2026 for 2026-27.")
    effective_from = models.DateField()
    effective_to = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    low_band_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("85"),
        help_text="A bid below this per cent of its rate is flagged as abnormally low.")
    high_band_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("130"),
        help_text="A bid above this per cent of its rate is flagged as high.")
    note = models.TextField(blank=True, help_text="Shown to providers with the rates.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When admitted providers were e-mailed.")

    class Meta:
        ordering = ["agreement", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "year"], name="one_pricing_schedule_a_year"),
            models.CheckConstraint(condition=models.Q(effective_to__gt=models.F("effective_from")),
                                   name="pricing_schedule_dates"),
            models.CheckConstraint(condition=models.Q(low_band_percent__gt=0, low_band_percent__lte=100,
                                                      high_band_percent__gte=100),
                                   name="pricing_schedule_band"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.reference} fees {self.year}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Rate(models.Model):
    """One rate: per lot, optionally per tier, zone and level of need (short
    codes; blank means any), per service type and unit."""

    class Unit(models.TextChoices):
        HOUR = "hour", "Hourly"
        SESSION = "session", "Sessional"
        DAY = "day", "Daily"
        WEEK = "week", "Weekly"

    schedule = models.ForeignKey(PricingSchedule, on_delete=models.CASCADE, related_name="rates")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    service_type = models.ForeignKey("shared_catalogue.ServiceType", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     help_text="Blank: the lot's own service type.")
    tier = models.CharField(max_length=60, blank=True, help_text="As the lot names it; blank for any tier.")
    zone = models.CharField(max_length=60, blank=True, help_text="As the lot names it; blank for any zone.")
    need_level = models.CharField(max_length=30, blank=True,
                                  help_text="A primary need code (e.g. dementia); blank for any need.")
    unit = models.CharField(max_length=10, choices=Unit.choices)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    fair_cost = models.DecimalField(**MONEY, null=True, blank=True,
                                    help_text="The fair cost of care for the same unit, for reference.")
    fair_cost_note = models.CharField(max_length=300, blank=True,
                                      help_text="Where the fair cost comes from (e.g. the cost of care exercise).")

    class Meta:
        ordering = ["schedule", "lot__number", "unit", "need_level", "tier", "zone"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="rate_amount_positive"),
            models.UniqueConstraint(fields=["schedule", "lot", "service_type", "tier", "zone", "need_level", "unit"],
                                    nulls_distinct=False, name="one_rate_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.lot} {self.get_unit_display()} £{self.amount}"

    @property
    def specificity(self) -> int:
        return sum(bool(part) for part in (self.service_type_id, self.tier, self.zone, self.need_level))


class BidPriceCheck(models.Model):
    """An opened bid's weekly price against its rate's weekly equivalent.
    Made when bids are opened (never before: bids are sealed), and again when
    a negotiation changes the price. A low bid needs the provider's
    explanation, accepted by the authority, before it may be awarded."""

    class Flag(models.TextChoices):
        WITHIN = "within", "Within the band"
        LOW = "low", "Abnormally low"
        HIGH = "high", "High"
        NO_RATE = "no_rate", "No rate to compare"

    class Explanation(models.TextChoices):
        NOT_NEEDED = "not_needed", "Not needed"
        NEEDED = "needed", "To be asked"
        REQUESTED = "requested", "Asked of the provider"
        ANSWERED = "answered", "Answered"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    bid = models.OneToOneField("calloffs.Bid", on_delete=models.PROTECT, related_name="price_check")
    rate = models.ForeignKey(Rate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    weekly_price = models.DecimalField(**MONEY)
    weekly_rate = models.DecimalField(**MONEY, null=True, blank=True,
                                      help_text="The rate's weekly equivalent for this package.")
    percent_of_rate = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    flag = models.CharField(max_length=10, choices=Flag.choices)
    explanation_status = models.CharField(max_length=12, choices=Explanation.choices,
                                          default=Explanation.NOT_NEEDED)
    request = models.TextField(blank=True, help_text="What the authority asked the provider to explain.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    explained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    explained_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bid"]

    @property
    def blocks_award(self) -> bool:
        return self.flag == self.Flag.LOW and self.explanation_status != self.Explanation.ACCEPTED
