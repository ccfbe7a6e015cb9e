"""Call-offs: an anonymised care package competed among the providers
admitted to a lot, their sealed bids, evaluation, the person's preference and
the award. The person's identity is held apart from the package."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from tenants.admissions.models import Admission
from tenants.agreements.models import Agreement, Lot

MONEY = {"max_digits": 10, "decimal_places": 2}


NAME_NOT_RECORDED = "Name not recorded (imported)"


class Person(models.Model):
    """Who a package is for. Never shown to providers before award; every
    look at it is recorded (IdentityAccess)."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    social_worker = models.CharField(max_length=150, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Person {self.pk}"

    @property
    def names(self) -> list[str]:
        return [n for n in (self.first_name, self.last_name, self.preferred_name) if n]

    @property
    def name_recorded(self) -> bool:
        """False for a person brought in by a history import, which records
        only the authority's own reference for them, never a name."""
        return bool(self.first_name.strip() or self.last_name.strip())

    @property
    def display_name(self) -> str:
        """The name to show: first and last, or a placeholder saying it was not recorded."""
        return " ".join(n for n in (self.first_name.strip(), self.last_name.strip()) if n) or NAME_NOT_RECORDED


class Package(models.Model):
    """A sourcing request published as a call-off."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Open for bids"
        CLOSED = "closed", "Bidding closed"
        AWARDED = "awarded", "Awarded"
        NO_AWARD = "no_award", "Not awarded"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CANCELLED = "cancelled", "Cancelled"

    class PrimaryNeed(models.TextChoices):
        """The main need the support is for: what reports count packages by."""

        DEMENTIA = "dementia", "Dementia"
        LEARNING_DISABILITY = "learning_disability", "Learning disability"
        AUTISM = "autism", "Autism"
        PHYSICAL_DISABILITY = "physical_disability", "Physical disability"
        MENTAL_HEALTH = "mental_health", "Mental health"
        SENSORY_IMPAIRMENT = "sensory_impairment", "Sensory impairment"
        OLDER_PEOPLE_FRAILTY = "older_people_frailty", "Older people: frailty"
        OTHER = "other", "Other"

    class StaffGender(models.TextChoices):
        ANY = "any", "No preference"
        FEMALE = "female", "Female staff"
        MALE = "male", "Male staff"

    # Provider-facing text: every one is checked for identifiers.
    PROVIDER_TEXT = ("title", "outcomes", "support_needed", "pattern", "locality", "skills", "language",
                     "transport", "other_requirements")

    reference = models.CharField(max_length=40, unique=True)
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="packages")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="packages")
    called_off_by = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+",
                                      help_text="The authority calling off (in a partnership, one of its members).")
    people = models.ManyToManyField(Person, related_name="packages")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    title = models.CharField(max_length=200)
    # The need, structured (not identifying: providers read it). Null on packages made before it was asked.
    client_group = models.ForeignKey("shared_catalogue.ClientGroup", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", help_text="Who the support is for, in the regional "
                                                                 "catalogue's client groups.")
    primary_need = models.CharField(max_length=30, choices=PrimaryNeed.choices, null=True, blank=True)
    outcomes = models.TextField(help_text="The outcomes the support should achieve.")
    support_needed = models.TextField()
    hours_per_week = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True,
                                         validators=[MinValueValidator(0)])
    sessions_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    pattern = models.CharField(max_length=300, blank=True, help_text="For example: weekday mornings.")
    start_on = models.DateField()
    duration_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    locality = models.CharField(max_length=120, help_text="An area or postcode district, never an address.")
    postcode_district = models.CharField(max_length=4, blank=True)
    skills = models.TextField(blank=True)
    language = models.CharField(max_length=120, blank=True)
    staff_gender = models.CharField(max_length=10, choices=StaffGender.choices, default=StaffGender.ANY)
    transport = models.CharField(max_length=200, blank=True)
    other_requirements = models.TextField(blank=True)
    budget_weekly = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))],
                                        help_text="The personal budget: the most a bid may cost a week.")
    weight_quality = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("40"))
    weight_price = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("20"))
    weight_outcomes = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("30"))
    weight_social_value = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("10"))
    clarification_deadline = models.DateTimeField()
    bid_deadline = models.DateTimeField()
    urgent_reason = models.TextField(blank=True, help_text="Why a shorter window than usual is needed.")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=40, blank=True, help_text="What closed it: the deadline task or the sweep.")
    # Set when closing failed (it is retried, and staff see an alert), cleared when it succeeds.
    close_failed_at = models.DateTimeField(null=True, blank=True)
    close_failures = models.PositiveIntegerField(default=0)
    close_error = models.CharField(max_length=200, blank=True, help_text="The kind of failure, never bid content.")
    # One sourcing request may be published more than once (withdrawn or not awarded, then published
    # again): each republication links to the package before it and to the first, so the request is
    # counted once (selectors.sourcing_requests_count).
    republished_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="republished_as",
                                            help_text="The package this one publishes again.")
    original = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 help_text="The first package of the sourcing request; null on the first itself.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "bid_deadline"], name="package_open_deadline"),
                   models.Index(fields=["primary_need"], name="package_primary_need")]
        constraints = [
            models.CheckConstraint(condition=models.Q(bid_deadline__gt=models.F("clarification_deadline")),
                                   name="package_deadlines_in_order"),
            # a republication names both the package before it and the first; the first names neither
            models.CheckConstraint(condition=models.Q(republished_from__isnull=True, original__isnull=True)
                                   | models.Q(republished_from__isnull=False, original__isnull=False),
                                   name="package_chain_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def sourcing_request_id(self) -> int:
        """The first package of its sourcing request (itself, when it is the first)."""
        return self.original_id or self.pk


class IdentityAccess(models.Model):
    """Who looked at a person's identity, when and why (RULES.md: the
    platform holds the key, so for it the data stays personal)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(Package, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)


class Invitation(models.Model):
    """Frozen at publication: the evidence that every eligible provider was invited."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="invitations")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    admission = models.ForeignKey(Admission, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["package", "provider_id"]
        constraints = [models.UniqueConstraint(fields=["package", "provider"], name="one_invitation")]


class NotInvited(models.Model):
    """Admitted to the lot but not invited, and why: kept with the invitation list."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="not_invited")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)


class Clarification(models.Model):
    """A provider's private question; the answer is published to every
    invitee without saying who asked."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="clarifications")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    question = models.TextField()
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When invitees were e-mailed the answer.")

    class Meta:
        ordering = ["package", "asked_at"]


class DeadlineChange(models.Model):
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="deadline_changes")
    before = models.DateTimeField()
    after = models.DateTimeField()
    reason = models.TextField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)


class Bid(models.Model):
    """A provider's bid. Its content is sealed: kept encrypted (`sealed`)
    until the package closes, when it is opened into the plain fields below.
    Before then only the bidder's own people can read it (calloffs.sealing)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="bids")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    sealed = models.BinaryField(help_text="The bid's content, encrypted until the deadline.")
    version = models.PositiveIntegerField(default=0, help_text="How many times it has been submitted.")
    submitted_at = models.DateTimeField(null=True, blank=True, help_text="Receipt time of the latest submission.")
    content_sha256 = models.CharField(max_length=64, blank=True,
                                      help_text="The latest receipt's digest: HMAC-SHA256 keyed with the bid's "
                                                "receipt key, which only the sealed record and the bidder hold.")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Opened at closing:
    opened_at = models.DateTimeField(null=True, blank=True)
    weekly_price = models.DecimalField(**MONEY, null=True, blank=True)
    content = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["package", "provider_id"]
        constraints = [models.UniqueConstraint(fields=["package", "provider"], name="one_bid_per_provider")]

    def __str__(self) -> str:
        return f"Bid {self.pk} on {self.package_id}"


class BidReceipt(models.Model):
    """Each submission as received: server time and a digest of the content
    (HMAC-SHA256 keyed with the bid's sealed receipt key, calloffs.sealing).
    A retried request with the same key is the same receipt."""

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="receipts")
    version = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=80)
    received_at = models.DateTimeField()
    content_sha256 = models.CharField(max_length=64, help_text="HMAC-SHA256 of the content, keyed with the bid's "
                                                               "receipt key (sealed; shown to the bidder).")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["bid", "version"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "idempotency_key"], name="one_receipt_per_key"),
            models.UniqueConstraint(fields=["bid", "version"], name="one_receipt_per_version"),
        ]

    # Not stored: set by bid_submit when a retried request (the same key) is
    # answered with the receipt it already made.
    replayed = False


class SealedAccess(models.Model):
    """Every attempt to read a bid's content, allowed or not."""

    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    channel = models.CharField(max_length=20)  # page, api, admin, export, task
    allowed = models.BooleanField()
    reason = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]


class BidEvaluation(models.Model):
    """Scores against the published criteria (each 0 to 100), compliance with
    the requirements, and whether it fits the budget."""

    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="evaluation")
    compliant = models.BooleanField()
    compliance_notes = models.TextField(blank=True)
    quality = models.DecimalField(max_digits=5, decimal_places=2)
    outcomes = models.DecimalField(max_digits=5, decimal_places=2)
    social_value = models.DecimalField(max_digits=5, decimal_places=2)
    price = models.DecimalField(max_digits=5, decimal_places=2, help_text="Lowest compliant price scores 100.")
    total = models.DecimalField(max_digits=6, decimal_places=2)
    within_budget = models.BooleanField()
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evaluated_at = models.DateTimeField(default=timezone.now)


class Negotiation(models.Model):
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="negotiations")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="negotiations")
    note = models.TextField()
    price_before = models.DecimalField(**MONEY)
    price_after = models.DecimalField(**MONEY)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)


class Preference(models.Model):
    """Where more than one compliant bid fits the budget, the
    person's or family's preference decides, and who expressed it is recorded."""

    package = models.OneToOneField(Package, on_delete=models.PROTECT, related_name="preference")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="+")
    expressed_by = models.CharField(max_length=150, help_text="For example: the person; their mother.")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)


class Award(models.Model):
    class Basis(models.TextChoices):
        ONLY_COMPLIANT = "only_compliant", "The only compliant bid within budget"
        PREFERENCE = "preference", "The person's preference among compliant bids within budget"
        EXCEPTION = "exception", "An exception, with reason"
        SCHEDULE_RATE = "schedule_rate", "The person's preference, at the pricing schedule's rate"

    package = models.OneToOneField(Package, on_delete=models.PROTECT, related_name="award")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    reason = models.TextField(blank=True)
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    awarded_at = models.DateTimeField(default=timezone.now)


class NoAward(models.Model):
    class Next(models.TextChoices):
        REPUBLISH = "republish", "Publish again"
        WIDEN = "widen", "Publish to a wider lot"
        EXCEPTION = "exception", "Source outside the agreement, as an exception"

    package = models.OneToOneField(Package, on_delete=models.PROTECT, related_name="no_award")
    next_step = models.CharField(max_length=20, choices=Next.choices)
    reason = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    follow_on = models.ForeignKey(Package, null=True, blank=True, on_delete=models.PROTECT, related_name="+")


class Withdrawal(models.Model):
    """Why a sourcing request ended without award: a draft cancelled, or a
    package withdrawn after publication (before award). A package withdrawn
    while bidding was open keeps its bids sealed for good: they are never
    opened, only kept as received."""

    class Reason(models.TextChoices):
        PERSON_DECLINED = "person_declined", "The person declined the support"
        DIRECT_PAYMENT = "direct_payment", "The person chose a direct payment"
        NEEDS_CHANGED = "needs_changed", "The person's needs changed"
        NO_CAPACITY = "no_capacity", "No capacity in the market"
        OTHER = "other", "Another reason"

    package = models.OneToOneField(Package, on_delete=models.PROTECT, related_name="withdrawal")
    status_before = models.CharField(max_length=20, choices=Package.Status.choices)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    note = models.TextField(blank=True, help_text="Told to every invited provider: never identifying.")
    bids_unopened = models.BooleanField(default=False, help_text="Withdrawn before bidding closed: its bids "
                                                                 "stay sealed and are never opened.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the last invitee was e-mailed.")
    notified_providers = models.JSONField(default=list, blank=True, help_text="Invited providers told so far.")

    def __str__(self) -> str:
        return f"Withdrawal of {self.package_id}"


class BidLetter(models.Model):
    """The award letter to the winner and a feedback letter to every other
    bidder: their scores against the published criteria and why the award
    went where it did."""

    class Kind(models.TextChoices):
        AWARD = "award", "Award"
        FEEDBACK = "feedback", "Feedback (not successful)"

    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="letter")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.JSONField(default=list, blank=True)


class SealingIdentity(models.Model):
    """The authority's own name in its packages' sealing keys (calloffs.sealing):
    random, made with the first sealed bid and kept in this schema, so it
    travels with the schema's dump and a restore under another schema name
    still opens the bids. One row.

    Bids sealed before the keys were derived from it were sealed under the
    schema's name (version 1); `legacy_schema` keeps that name, so what they
    sealed (bids, and sealed bid events in the append-only audit trail) still
    opens wherever the schema is restored."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    key_id = models.CharField(max_length=64, unique=True)
    legacy_schema = models.CharField(max_length=63, blank=True,
                                     help_text="The schema name that version-1 keys were derived from, if any.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_sealing_identity")]

    def __str__(self) -> str:
        return f"Sealing identity {self.key_id[:8]}"
