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


SEVERITIES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("critical", "Critical")]
SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3, "critical": 4}


class Intelligence(models.Model):
    """Something staff learnt about a provider or one of its services. The
    summary may be shared with the other authorities that use the provider
    and never identifies a person; restricted notes stay with this
    authority's quality officers and commissioners."""

    class Kind(models.TextChoices):
        SAFEGUARDING_CONCERN = "safeguarding_concern", "Safeguarding concern"
        SAFEGUARDING_DECISION = "safeguarding_decision", "Safeguarding decision (substantiated)"
        CONTRACT_CONCERN = "contract_concern", "Substantiated contract concern"
        COMPLAINT = "complaint", "Complaint"
        WHISTLEBLOWING = "whistleblowing", "Whistleblowing"
        UNEXPECTED_DEATH = "unexpected_death", "Unexpected death"
        MANAGER_VACANCY = "manager_vacancy", "Registered manager vacancy"
        FINANCIAL_DISTRESS = "financial_distress", "Administration or financial distress"
        FOOD_HYGIENE = "food_hygiene", "Food hygiene rating"
        CQC_RATING = "cqc_rating", "CQC rating change"
        QUALITY_RATING = "quality_rating", "Quality assessment rating"
        ACTION = "action", "Contract action (notice, embargo, suspension)"
        FEEDBACK = "feedback", "Feedback from people who use the service"
        OTHER = "other", "Other"

    class Share(models.TextChoices):
        HERE = "here", "This authority only"
        PARTNERS = "partners", "Authorities that use this provider"

    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=200, blank=True, help_text="The service or location, if not all of them.")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    occurred_on = models.DateField()
    source = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=SEVERITIES, default="medium")
    summary = models.TextField(help_text="What happened, without anything that identifies a person.")
    restricted_notes = models.TextField(blank=True)
    share = models.CharField(max_length=10, choices=Share.choices, default=Share.PARTNERS)
    closed_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # Set when import_cqc recorded it: the CQC rating (shared_catalogue.CQCRating, in the
    # public schema) it tells of. Once per rating here, however often the task runs.
    from_cqc_rating = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["provider", "occurred_on"])]
        constraints = [models.UniqueConstraint(fields=["from_cqc_rating"], name="one_record_per_cqc_rating")]


RATINGS = [("excellent", "Excellent"), ("good", "Good"), ("requires_improvement", "Requires improvement"),
           ("poor", "Poor")]
DOMAINS = [("involvement", "Involvement and information"), ("personalised", "Personalised care and support"),
           ("safeguarding", "Safeguarding and safety"), ("staffing", "Suitability of staffing"),
           ("management", "Quality of management")]


class Assessment(models.Model):
    """A quality assessment of a provider's service: the domains rated, a
    draft report the provider may answer on factual accuracy within its
    window, then the final rating."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        DRAFT_SENT = "draft_sent", "Draft report with the provider"
        FINAL = "final", "Final"

    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    service = models.CharField(max_length=200)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visit_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    domain_ratings = models.JSONField(default=dict, blank=True)
    rating = models.CharField(max_length=30, choices=RATINGS, blank=True)
    findings = models.TextField(blank=True)
    response_days = models.PositiveSmallIntegerField(default=14, validators=[MinValueValidator(1),
                                                                              MaxValueValidator(60)])
    draft_sent_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateField(null=True, blank=True)
    provider_response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    self_assessment_due = models.DateField(null=True, blank=True,
                                           help_text="The date by which the provider submits its self-assessment.")
    self_assessment_submitted_at = models.DateTimeField(null=True, blank=True)
    self_assessment_submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                                     on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-visit_on", "-pk"]


class StandardAssessment(models.Model):
    """One standard of one assessment (tenants.quality.standards): the
    provider's self-rating, how it meets the standard and its evidence; then
    the officer's validation, agreeing or with a rating of their own."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="standards")
    standard = models.CharField(max_length=40, help_text="A key of tenants.quality.standards.STANDARDS.")
    self_rating = models.CharField(max_length=30, choices=RATINGS, blank=True)
    narrative = models.TextField(blank=True, help_text="How the provider meets the standard.")
    evidence = models.ForeignKey("shared_catalogue.Evidence", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)
    agreed = models.BooleanField(null=True, blank=True, help_text="The officer agreed with the self-rating.")
    officer_rating = models.CharField(max_length=30, choices=RATINGS, blank=True)
    officer_note = models.TextField(blank=True)
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    validated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assessment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "standard"], name="one_row_per_standard"),
            models.CheckConstraint(name="validated_standard_has_rating",
                                   condition=Q(validated_at__isnull=True) | ~Q(officer_rating="")),
        ]


class FollowUp(models.Model):
    """An improvement action from an assessment: what must be done, where
    it comes from, who owns it (a named person at the provider or an officer
    here), by when, and how it was followed up."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done, waiting to be verified"
        VERIFIED = "verified", "Verified"

    class Owner(models.TextChoices):
        PROVIDER = "provider", "A person at the provider"
        AUTHORITY = "authority", "An officer here"

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="follow_ups")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    what = models.TextField(help_text="What must be done.")
    domain = models.CharField(max_length=20, choices=DOMAINS)
    standard = models.CharField(max_length=40, blank=True)
    owner_side = models.CharField(max_length=10, choices=Owner.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    done_note = models.TextField(blank=True)
    done_evidence = models.ForeignKey("shared_catalogue.Evidence", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    reopened_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def is_overdue(self, today) -> bool:
        return self.status == self.Status.OPEN and self.due_on < today


class Action(models.Model):
    """A step of due process against a provider, from an improvement plan to
    termination: grounds, the provider's right to respond, review and lifting."""

    class Kind(models.TextChoices):
        IMPROVEMENT_PLAN = "improvement_plan", "Improvement plan"
        DEFAULT_NOTICE = "default_notice", "Contract default notice"
        SPECIAL_MEASURES = "special_measures", "Special measures improvement plan"
        EMBARGO = "embargo", "Embargo on new placements"
        SUSPENSION = "suspension", "Suspension from the agreement"
        CONTRACT_TERMINATION = "contract_termination", "Termination of the contract"
        PLACEMENT_TERMINATION = "placement_termination", "Termination of a placement"

    RESTRICTING = (Kind.EMBARGO, Kind.SUSPENSION, Kind.CONTRACT_TERMINATION)

    class Status(models.TextChoices):
        ACTIVE = "active", "In force"
        LIFTED = "lifted", "Lifted"

    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  help_text="Leave empty for every agreement here.")
    placement = models.ForeignKey("placements.Placement", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="actions", help_text="The placement a termination of a placement ends.")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    grounds = models.TextField()
    starts_on = models.DateField()
    respond_by = models.DateField()
    review_on = models.DateField(null=True, blank=True)
    provider_response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    lifted_on = models.DateField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["provider", "status"])]
        constraints = [
            # a termination of a placement names its placement; no other action does
            models.CheckConstraint(name="placement_only_for_its_termination",
                                   condition=Q(kind="placement_termination", placement__isnull=False)
                                   | (~Q(kind="placement_termination") & Q(placement__isnull=True))),
        ]

    @property
    def restricts_placements(self) -> bool:
        return self.kind in self.RESTRICTING


class ActionReview(models.Model):
    """A review of a contract action in force: whether it continues (and
    when it is next reviewed) or is lifted, with notes the provider reads."""

    class Outcome(models.TextChoices):
        CONTINUE = "continue", "Continues"
        LIFT = "lift", "Lifted"

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    notes = models.TextField()
    next_review_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            # an action that continues has its next review; a lifted one has none
            models.CheckConstraint(name="action_review_next_date_when_it_continues",
                                   condition=Q(outcome="continue", next_review_on__isnull=False)
                                   | Q(outcome="lift", next_review_on__isnull=True)),
        ]


class RiskRules(models.Model):
    """This authority's rules for the early-warning colours, versioned: each
    change is a new version, and the latest applies."""

    version = models.PositiveIntegerField(unique=True)
    rules = models.JSONField()
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]


class RiskStatus(models.Model):
    """Each provider's colour as last worked out, with its reasons; a change
    is audited and the quality officers told. Mirrored, with the kinds of
    reason only, to shared_catalogue.SharedRisk for partner authorities."""

    provider = models.OneToOneField("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    colour = models.CharField(max_length=10)
    previous = models.CharField(max_length=10, blank=True)
    reasons = models.JSONField(default=list)
    headlines = models.JSONField(default=list, blank=True,
                                 help_text="The kinds of reason, as partner authorities may read them.")
    rules_version = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)


def _feedback_token() -> str:
    import secrets

    return secrets.token_urlsafe(16)


class FeedbackLink(models.Model):
    """A link the authority gives people who use a provider's service (at a
    review, on a letter), to tell us how it is going without signing in."""

    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=40, unique=True, default=_feedback_token)
    label = models.CharField(max_length=120, help_text="Where it is given out, for example: annual reviews.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class Feedback(models.Model):
    """What someone who uses a service, or their family, told us. Moderated
    before use: accepted feedback becomes intelligence in a summary the
    moderator writes; the words and any contact details stay here, and the
    provider never sees them."""

    class Status(models.TextChoices):
        NEW = "new", "Waiting for moderation"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Not used"

    class Relation(models.TextChoices):
        SELF = "self", "I use the service"
        FAMILY = "family", "A family member or friend uses it"
        OTHER = "other", "Other"

    link = models.ForeignKey(FeedbackLink, on_delete=models.PROTECT, related_name="feedback")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(max_length=10, choices=Relation.choices)
    experience = models.CharField(max_length=20, choices=[("good", "Good"), ("mixed", "Mixed"), ("poor", "Poor")])
    comments = models.TextField()
    contact = models.CharField(max_length=200, blank=True, help_text="Only if they want a reply.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    intelligence = models.ForeignKey(Intelligence, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
