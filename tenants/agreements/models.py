"""Agreements (DPS, FPS, dynamic market), their lots, application rounds and
selection questionnaires. They live in the schema of the authority that runs
them, or of the partnership whose members use them together."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from tenants.agreements.rules import Kind, regime


def default_onboarding() -> list[str]:
    # What councils commonly ask before a first call-off: a signed contract and safeguarding assurance.
    return ["Contract signed", "Safeguarding assurance"]


class Agreement(models.Model):
    Kind = Kind

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for applications"
        LIVE = "live", "Live"
        SUSPENDED = "suspended", "Suspended"
        ENDED = "ended", "Ended"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    reference = models.CharField(max_length=60, unique=True,
                                 help_text="The authority's own reference, for example CEC-DAYOPS-FPS-2022.")
    service_area = models.CharField(max_length=200, help_text="For example: day opportunities for adults.")
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    extension_options = models.CharField(max_length=200, blank=True,
                                         help_text="For example: two further periods of 12 months.")
    estimated_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                          help_text="Over the whole term including extensions, in pounds.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    notice_references = ArrayField(models.CharField(max_length=120), default=list, blank=True,
                                   help_text="Find a Tender and Contracts Finder notice references.")
    initial_period_ends_on = models.DateField(
        null=True, blank=True, help_text="DPS: the end of the initial period for requests to participate.")
    decision_working_days = models.PositiveSmallIntegerField(
        default=10, help_text="Working days to decide an application.")
    decision_extended_working_days = models.PositiveSmallIntegerField(
        default=15, help_text="The most the decision period may be extended to, with a reason.")
    membership_cap = models.PositiveIntegerField(null=True, blank=True,
                                                 help_text="FPS only: the most providers per lot, if any.")
    onboarding_checklist = ArrayField(models.CharField(max_length=120), default=default_onboarding, blank=True)
    call_off_authorities = models.ManyToManyField(
        "tenancy.Authority", blank=True, related_name="+",
        help_text="Who may call off. Fixed when the agreement goes live; a later change is a recorded modification.")
    priced_by_schedule = models.BooleanField(
        default=False, help_text="Call-offs may be made at the published pricing schedule's rate by the person's "
                                 "preference alone, without price competition (tenants.pricing).")
    opened_at = models.DateTimeField(null=True, blank=True)
    went_live_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "reference"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gt=models.F("starts_on")), name="agreement_term"),
            models.CheckConstraint(
                condition=models.Q(decision_extended_working_days__gte=models.F("decision_working_days")),
                name="agreement_decision_extension"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def regime(self):
        return regime(self.kind)

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def takes_applications(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.LIVE)


class AgreementModification(models.Model):
    """A change to an agreement after it went live, with its reason: who may
    call off, lots added. Kept for the record the law asks for."""

    class What(models.TextChoices):
        CALL_OFF_AUTHORITIES = "call_off_authorities", "Who may call off"
        LOT_ADDED = "lot_added", "Lot added"
        TERM = "term", "Term"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="modifications")
    what = models.CharField(max_length=30, choices=What.choices)
    reason = models.TextField()
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["made_at"]


def lot_number_key(number: str) -> tuple:
    """Lot numbers in the order people count them, not as text: 2 before 10,
    3 before 3a before 3b, and letters-only numbers (S) after the numbered."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower())
                 for part in re.split(r"(\d+)", (number or "").strip()) if part)


class Lot(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(max_length=20, help_text="1, 2, 3a ...")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    service_type = models.ForeignKey("shared_catalogue.ServiceType", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=60, blank=True, help_text="For example: Tier 1, Tier 2, Specialist.")
    zone = models.CharField(max_length=60, blank=True, help_text="For example: Zone 3 (Rotherham South).")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="one_lot_number")]

    def __str__(self) -> str:
        label = f"Lot {self.number}: {self.title}"
        extra = " · ".join(part for part in (self.tier, self.zone) if part)
        return f"{label} ({extra})" if extra else label


class ApplicationRound(models.Model):
    """An FPS's window for applications (councils commonly reopen one every 12 months)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    opens_on = models.DateField()
    closes_on = models.DateField()

    class Meta:
        ordering = ["agreement", "opens_on"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="one_round_number"),
            models.CheckConstraint(condition=models.Q(closes_on__gte=models.F("opens_on")), name="round_dates"),
        ]

    def __str__(self) -> str:
        return f"Round {self.number}: {self.opens_on:%-d %b %Y} to {self.closes_on:%-d %b %Y}"

    def is_open_on(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


class QuestionnaireVersion(models.Model):
    """The selection questionnaire as published at one time. A published
    version is never edited: a change is a new version, and an application
    keeps the version it answered."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Replaced by a later version"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="questionnaires")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    pass_threshold = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("60"),
                                         validators=[MinValueValidator(0), MaxValueValidator(100)],
                                         help_text="The overall quality score, in per cent, needed to pass.")
    scale_max = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1),
                                                                         MaxValueValidator(10)],
                                                 help_text="Quality answers are scored from 0 to this.")
    scale_guidance = models.TextField(blank=True, help_text="What each score means.")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agreement", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="one_questionnaire_number"),
            models.UniqueConstraint(fields=["agreement"], condition=models.Q(status="published"),
                                    name="one_published_questionnaire"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.reference} questionnaire v{self.number} ({self.get_status_display()})"


class Question(models.Model):
    class Kind(models.TextChoices):
        COMPLIANCE = "compliance", "Compliance (pass or fail)"
        QUALITY = "quality", "Quality (scored)"

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="questions",
                            help_text="Only for applications to this lot; blank for every lot.")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    guidance = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"),
                                 validators=[MinValueValidator(0)],
                                 help_text="Quality questions: the weight of this question in the score.")
    evidence_types = ArrayField(models.CharField(max_length=40), default=list, blank=True,
                                help_text="Compliance questions: catalogue evidence that meets it once verified.")

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="one_question_position")]

    def __str__(self) -> str:
        return f"Q{self.position} {self.text[:60]}"


class CallOffGrant(models.Model):
    """A right given by this authority, which owns the agreement, to another
    authority (an ICB, say) to call off under it and/or to co-fund its
    placements, without a partnership. The granted body's
    staff call off in its own name; each funder keeps its own individual
    purchasing agreement (NHS Act 2006 s 75 without a pooled budget). Revoked,
    never deleted: what was called off under it stays visible."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="grants")
    grantee = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    may_call_off = models.BooleanField(default=False)
    may_co_fund = models.BooleanField(default=False)
    lots = models.ManyToManyField(Lot, blank=True, related_name="+",
                                  help_text="The lots it may call off from; none chosen: every lot.")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    purchasing_agreement = models.CharField(
        max_length=120, help_text="The granted body's own purchasing agreement reference.")
    reason = models.TextField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["agreement", "grantee", "-granted_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(may_call_off=True) | models.Q(may_co_fund=True),
                                   name="grant_gives_a_right"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="grant_dates"),
            models.UniqueConstraint(fields=["agreement", "grantee"], condition=models.Q(revoked_at__isnull=True),
                                    name="one_current_grant_per_grantee"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.reference}: grant to {self.grantee}"

    @property
    def rights_label(self) -> str:
        return " and ".join(r for r, on in (("call off", self.may_call_off), ("co-fund", self.may_co_fund)) if on)

    def covers_lot(self, lot_id) -> bool:
        """Whether the grant reaches this lot (a grant naming no lots reaches every one)."""
        chosen = [lot.pk for lot in self.lots.all()]
        return not chosen or lot_id in chosen

    @property
    def lots_label(self) -> str:
        chosen = sorted(self.lots.all(), key=lambda lot: lot.number)
        if not chosen:
            return "every lot"
        return ("lot " if len(chosen) == 1 else "lots ") + ", ".join(str(lot.number) for lot in chosen)

    def in_force_on(self, day: date) -> bool:
        return (self.revoked_at is None and self.starts_on <= day
                and (self.ends_on is None or day <= self.ends_on))
