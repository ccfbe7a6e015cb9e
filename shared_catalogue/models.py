"""The regional provider catalogue. Public schema: providers register once for
the whole region ("tell us once") and every authority reads the same record,
relies on the same evidence checks, and sees the same CQC ratings."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Companies House: eight digits, or two letters and six digits (SC123456, NI..., OC...).
COMPANY_NUMBER = re.compile(r"^(?:\d{8}|[A-Z]{2}\d{6})$")
# Charity Commission for England and Wales (6-8 digits, optionally -N for a linked
# charity); OSCR in Scotland (SC + 6 digits); Northern Ireland (NIC + 6 digits, or 100000+).
CHARITY_NUMBER = re.compile(r"^(?:\d{6,8}(?:-\d{1,2})?|SC\d{6}|NIC\d{6})$")
# CQC identifiers: "1-" followed by digits (providers and locations alike).
CQC_ID = re.compile(r"^1-\d{6,12}$")
# A postcode district: the outward code (CW1, CH41, M1, EC1A).
POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
UK_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?) ?\d[A-Z]{2}$")

cqc_id_validator = RegexValidator(CQC_ID, "A CQC ID looks like 1-101641521.")


def postcode_district(value: str) -> str:
    """The district of a full postcode or of a district itself ('' if neither)."""
    value = " ".join((value or "").upper().split())
    if POSTCODE_DISTRICT.match(value):
        return value
    match = UK_POSTCODE.match(value)
    return match.group(1) if match else ""


class ServiceType(models.Model):
    """The shared service taxonomy every authority's lots link to."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    cqc_regulated = models.BooleanField(
        default=False, help_text="Whether providing it needs CQC registration (day opportunities do not)."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ClientGroup(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


ALREADY = "A provider with this {} is already registered."
PROFILE_RELATIONS = ("services", "client_groups", "areas", "cqc_locations")


class Provider(models.Model):
    """An organisation that delivers care and support."""

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        CHARITY = "charity", "Charity"
        CIC = "cic", "Community interest company"
        SOLE_TRADER = "sole_trader", "Sole trader"
        PARTNERSHIP = "partnership", "Partnership"

    legal_name = models.CharField(max_length=200)
    name = models.CharField("trading name", max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMPANY)
    company_number = models.CharField("Companies House number", max_length=8, blank=True)
    charity_number = models.CharField(max_length=12, blank=True)
    cqc_provider_id = models.CharField("CQC provider ID", max_length=16, blank=True,
                                       validators=[cqc_id_validator])
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    website = models.URLField(blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True, help_text="What the organisation offers, in plain words.")
    capacity_statement = models.TextField(blank=True, help_text="How many more people it can support, and where.")

    services = models.ManyToManyField(ServiceType, blank=True, related_name="providers")
    client_groups = models.ManyToManyField(ClientGroup, blank=True, related_name="providers")
    areas = models.ManyToManyField("tenancy.Authority", blank=True, related_name="covered_by",
                                   help_text="Authority areas it works in.")
    postcode_districts = ArrayField(models.CharField(max_length=4), default=list, blank=True)
    specialisms = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    languages = ArrayField(models.CharField(max_length=60), default=list, blank=True)

    # Kept by the CQC import from its locations' latest ratings.
    cqc_overall_rating = models.CharField(max_length=30, blank=True)
    cqc_rating_published_on = models.DateField(null=True, blank=True)

    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    profile_version = models.PositiveIntegerField(default=0)
    search = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["legal_name"], name="provider_legal_name_unique",
                                    violation_error_message=ALREADY.format("legal name")),
            models.UniqueConstraint(fields=["company_number"], condition=~Q(company_number=""),
                                    name="provider_company_number_unique",
                                    violation_error_message=ALREADY.format("Companies House number")),
            models.UniqueConstraint(fields=["charity_number"], condition=~Q(charity_number=""),
                                    name="provider_charity_number_unique",
                                    violation_error_message=ALREADY.format("charity number")),
            models.UniqueConstraint(fields=["cqc_provider_id"], condition=~Q(cqc_provider_id=""),
                                    name="provider_cqc_id_unique",
                                    violation_error_message=ALREADY.format("CQC provider ID")),
        ]
        indexes = [
            GinIndex(fields=["search"], name="provider_search"),
            GinIndex(fields=["postcode_districts"], name="provider_districts"),
            # Lists go by name: a page of a large list reads the first rows in order, not sorts them all.
            models.Index(fields=["name", "id"], name="provider_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        self.company_number = self.company_number.strip().upper()
        self.charity_number = self.charity_number.strip().upper()
        self.postcode = " ".join(self.postcode.upper().split())
        if self.company_number and not COMPANY_NUMBER.match(self.company_number):
            errors["company_number"] = "A Companies House number is 8 digits, or 2 letters and 6 digits (SC123456)."
        if self.charity_number and not CHARITY_NUMBER.match(self.charity_number):
            errors["charity_number"] = "A charity number looks like 1234567, SC012345 or NIC101234."
        if self.kind in (self.Kind.COMPANY, self.Kind.CIC) and not self.company_number:
            errors["company_number"] = "A company needs its Companies House number."
        if self.kind == self.Kind.CHARITY and not (self.charity_number or self.company_number):
            errors["charity_number"] = "A charity needs its charity number."
        if self.postcode and not UK_POSTCODE.match(self.postcode):
            errors["postcode"] = "Enter a full UK postcode, like CW1 2AB."
        bad = [d for d in self.postcode_districts if not POSTCODE_DISTRICT.match(d)]
        if bad:
            errors["postcode_districts"] = f"These are not postcode districts: {', '.join(bad)}. Use CW1, CH41, M1."
        if errors:
            raise ValidationError(errors)


class ProviderProfileVersion(models.Model):
    """What a provider said about itself, as it was after each change, so an
    authority can see the profile as at any date."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "-number"]
        constraints = [models.UniqueConstraint(fields=["provider", "number"], name="one_version_number")]
        indexes = [models.Index(fields=["provider", "changed_at"], name="provider_version_at")]

    def __str__(self) -> str:
        return f"{self.provider} v{self.number}"


class CQCLocation(models.Model):
    """A CQC-registered location (a place or service a provider runs)."""

    location_id = models.CharField("CQC location ID", max_length=16, unique=True, validators=[cqc_id_validator])
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="cqc_locations")
    cqc_provider_id = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=255, blank=True)
    location_type = models.CharField(max_length=100, blank=True)
    inspection_category = models.CharField(max_length=150, blank=True)
    care_home = models.BooleanField(null=True)
    street_address = models.CharField(max_length=255, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    local_authority = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=300, blank=True)
    overall_rating = models.CharField(max_length=30, blank=True)
    rating_published_on = models.DateField(null=True, blank=True)
    declared_by_provider = models.BooleanField(
        default=False, help_text="The provider listed this location itself (rather than the import adding it).")
    last_imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["location_id"]

    def __str__(self) -> str:
        return f"{self.name or self.location_id} ({self.location_id})"


class CQCRating(models.Model):
    """One published CQC rating of a location for one key question (Overall,
    Safe, Effective, Caring, Responsive, Well-led). History is kept."""

    class Value(models.TextChoices):
        OUTSTANDING = "Outstanding"
        GOOD = "Good"
        REQUIRES_IMPROVEMENT = "Requires improvement"
        INADEQUATE = "Inadequate"
        NOT_RATED = "Not rated"
        INSUFFICIENT = "Insufficient evidence to rate"

    location = models.ForeignKey(CQCLocation, on_delete=models.CASCADE, related_name="ratings")
    domain = models.CharField(max_length=20)
    rating = models.CharField(max_length=40)
    published_on = models.DateField()
    report_type = models.CharField(max_length=60, blank=True)
    inherited = models.BooleanField(default=False)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location", "-published_on", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["location", "domain", "published_on"], name="one_rating_per_publication"),
        ]

    def __str__(self) -> str:
        return f"{self.location.location_id} {self.domain}: {self.rating} ({self.published_on})"


class AdmissionProjection(models.Model):
    """Which lots a provider is admitted to, in which authority: a projection
    of the admissions held in each authority's schema, written in the same
    transaction and rebuildable from them. Read by the catalogue and the
    public directory; never the source of truth."""

    class Status(models.TextChoices):
        PENDING_ONBOARDING = "pending_onboarding", "Pending onboarding"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REMOVED = "removed", "Removed"

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="admissions")
    admission_id = models.BigIntegerField(help_text="The admission's id in the authority's schema.")
    agreement_reference = models.CharField(max_length=60)
    agreement_title = models.CharField(max_length=200)
    agreement_live = models.BooleanField(default=False)
    lot_number = models.CharField(max_length=20)
    lot_title = models.CharField(max_length=200)
    service_type = models.ForeignKey(ServiceType, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    onboarding_outstanding = ArrayField(models.CharField(max_length=120), default=list, blank=True,
                                        help_text="Onboarding steps still to do, by name.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["authority", "agreement_reference", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "admission_id"], name="one_projection_per_admission"),
        ]
        indexes = [
            models.Index(fields=["provider", "status"], name="admission_provider_status"),
            # The public directory's test: is the provider on at least one live lot?
            models.Index(fields=["provider"], condition=Q(agreement_live=True, status="active"),
                         name="admission_listed"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.agreement_reference} lot {self.lot_number} · {self.get_status_display()}"

    @property
    def is_listed(self) -> bool:
        return self.agreement_live and self.status == self.Status.ACTIVE


class BidStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    WITHDRAWN = "withdrawn", "Withdrawn"


class OpportunityProjection(models.Model):
    """One row per invitation to bid, in any authority: a projection of the
    call-offs held in each authority's schema, so a provider sees its open
    opportunities everywhere in one list. Written in the same transaction as
    the package changes; never the source of truth."""

    class Status(models.TextChoices):
        OPEN = "open", "Open for bids"
        CLOSED = "closed", "Bidding closed"
        AWARDED = "awarded", "Awarded"
        NOT_AWARDED = "not_awarded", "Not awarded"
        CANCELLED = "cancelled", "Cancelled"

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="opportunities")
    package_id = models.BigIntegerField(help_text="The package's id in the authority's schema.")
    reference = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    agreement_title = models.CharField(max_length=200)
    lot_number = models.CharField(max_length=20)
    lot_title = models.CharField(max_length=200)
    locality = models.CharField(max_length=120)
    bid_deadline = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices)
    invited_at = models.DateTimeField()
    # The invited provider's own bid and outcome: read only by that provider's people.
    bid_status = models.CharField(max_length=20, choices=BidStatus.choices, default=BidStatus.NOT_STARTED)
    successful = models.BooleanField(null=True, help_text="After award: whether this provider's bid won.")
    answers_published = models.PositiveIntegerField(default=0, help_text="Clarification answers published.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["bid_deadline", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "package_id", "provider"], name="one_opportunity_row"),
        ]
        indexes = [models.Index(fields=["provider", "status", "bid_deadline"], name="opportunity_provider_open")]

    def __str__(self) -> str:
        return f"{self.reference} for {self.provider}"


class AgreementWindow(models.Model):
    """When an agreement takes applications: one row per application round
    (FPS) or one for the whole term (DPS, dynamic market, `continuous`), for
    every agreement open to applications or live, in any authority. A
    projection of the agreements held in each authority's schema, written in
    the transaction that changes them; read by the public list of agreements
    open to providers and the provider's home. Never the source of truth."""

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    agreement_id = models.BigIntegerField(help_text="The agreement's id in the authority's schema.")
    round_number = models.PositiveSmallIntegerField(default=0, help_text="0 when applications are continuous.")
    continuous = models.BooleanField(default=False, help_text="Applications at any time during the term.")
    opens_on = models.DateField()
    closes_on = models.DateField()
    reference = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    kind_label = models.CharField(max_length=100)
    service_area = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    ends_on = models.DateField()
    lots = models.JSONField(default=list, help_text="[{number, title, service}] for each lot.")
    services = ArrayField(models.CharField(max_length=60), default=list, blank=True,
                          help_text="The lots' service types (slugs), for filtering.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["closes_on", "title"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "agreement_id", "round_number"], name="one_window_row"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="window_dates"),
        ]
        indexes = [models.Index(fields=["opens_on", "closes_on"], name="window_dates_idx")]

    def __str__(self) -> str:
        return f"{self.reference} ({self.opens_on} to {self.closes_on})"


class ApplicationProjection(models.Model):
    """A provider's application to an agreement, in any authority, with its
    decision: a projection of the applications held in each authority's
    schema, written in the same transaction, for the provider's home."""

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="applications")
    application_id = models.BigIntegerField(help_text="The application's id in the authority's schema.")
    agreement_id = models.BigIntegerField()
    agreement_reference = models.CharField(max_length=60)
    agreement_title = models.CharField(max_length=200)
    status = models.CharField(max_length=20)
    status_label = models.CharField(max_length=60)
    lots = models.JSONField(default=list, help_text="[{number, title, outcome, outcome_label}] for each lot.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_due_on = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["authority", "application_id"],
                                               name="one_projection_per_application")]
        indexes = [models.Index(fields=["provider", "agreement_id"], name="application_provider_agreement")]

    def __str__(self) -> str:
        return f"{self.provider} · {self.agreement_reference} · {self.status_label}"


class EvidenceType(models.TextChoices):
    EMPLOYERS_LIABILITY = "employers_liability", "Employer's liability insurance"
    PUBLIC_LIABILITY = "public_liability", "Public liability insurance"
    PROFESSIONAL_INDEMNITY = "professional_indemnity", "Professional indemnity insurance"
    SAFEGUARDING_POLICY = "safeguarding_policy", "Safeguarding policy"
    RECRUITMENT_POLICY = "recruitment_policy", "DBS and safer recruitment policy"
    BUSINESS_CONTINUITY = "business_continuity", "Business continuity plan"
    ACCOUNTS = "accounts", "Annual accounts"
    CQC_REGISTRATION = "cqc_registration", "CQC registration certificate"
    HEALTH_AND_SAFETY = "health_and_safety", "Health and safety policy"
    EQUALITY_POLICY = "equality_policy", "Equality and diversity policy"
    DATA_PROTECTION = "data_protection", "Data Security and Protection Toolkit"
    WHISTLEBLOWING = "whistleblowing", "Whistleblowing policy"
    COMPLAINTS = "complaints", "Complaints policy"
    MODERN_SLAVERY = "modern_slavery", "Modern slavery statement"
    OTHER = "other", "Other"


INSURANCE_TYPES = {
    EvidenceType.EMPLOYERS_LIABILITY, EvidenceType.PUBLIC_LIABILITY, EvidenceType.PROFESSIONAL_INDEMNITY,
}


def evidence_storage():
    from django.core.files.storage import storages

    return storages["evidence"]


def evidence_path(instance, filename):
    """Stored under an opaque name: nothing in the path says whose it is."""
    return f"evidence/{instance.storage_key}"


class Evidence(models.Model):
    """A document a provider keeps in its locker, for every authority to rely on."""

    class Verification(models.TextChoices):
        PENDING = "pending", "Awaiting verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="evidence")
    evidence_type = models.CharField(max_length=40, choices=EvidenceType.choices)
    title = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    cover_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True,
                                       help_text="Cover in pounds, for insurance.")
    file = models.FileField(upload_to=evidence_path, storage=evidence_storage, max_length=200)
    storage_key = models.CharField(max_length=80, unique=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaced_by")
    verification = models.CharField(max_length=20, choices=Verification.choices, default=Verification.PENDING)
    reminder_30_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_7_sent_at = models.DateTimeField(null=True, blank=True)
    expiry_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "evidence_type", "-uploaded_at"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=(Q(expires_on__isnull=True) | Q(issued_on__isnull=True)
                           | Q(expires_on__gt=models.F("issued_on"))),
                name="evidence_expires_after_issue",
                violation_error_message="The expiry date must be after the issue date.",
            ),
            models.CheckConstraint(condition=Q(cover_amount__isnull=True) | Q(cover_amount__gt=0),
                                   name="evidence_cover_positive"),
        ]
        indexes = [models.Index(fields=["expires_on"], name="evidence_expiry")]

    def __str__(self) -> str:
        return f"{self.get_evidence_type_display()} · {self.provider}"

    def days_to_expiry(self, today=None) -> int | None:
        if self.expires_on is None:
            return None
        today = today or timezone.localdate()
        return (self.expires_on - today).days

    def is_expired(self, today=None) -> bool:
        days = self.days_to_expiry(today)
        return days is not None and days < 0

    @property
    def is_current(self) -> bool:
        """Not replaced by a newer upload of the same document."""
        return not hasattr(self, "replaced_by")


class EvidenceDecision(models.Model):
    """An authority officer's check of a piece of evidence. Every authority
    sees every decision, with who made it and when, and can rely on it."""

    class Decision(models.TextChoices):
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="decisions")
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["evidence", "-decided_at"]
        constraints = [
            models.CheckConstraint(condition=Q(decision="verified") | ~Q(reason=""),
                                   name="rejection_has_reason",
                                   violation_error_message="Say why the evidence is rejected."),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by} ({self.authority})"


class SharedIntelligence(models.Model):
    """Intelligence an authority chose to share with the other authorities
    that use the provider: its summary (which never identifies a person),
    kind, date and severity. A projection of the authority's own record,
    written in the same transaction; restricted notes never leave it."""

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="shared_intelligence")
    intelligence_id = models.BigIntegerField(help_text="The record's id in the authority's schema.")
    kind = models.CharField(max_length=30)
    kind_label = models.CharField(max_length=120)
    service = models.CharField(max_length=200, blank=True)
    occurred_on = models.DateField()
    severity = models.CharField(max_length=10)
    summary = models.TextField()
    closed_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "intelligence_id"], name="one_share_per_intelligence"),
        ]
        indexes = [models.Index(fields=["provider", "occurred_on"], name="shared_intelligence_provider")]


class SharedRisk(models.Model):
    """An authority's early-warning colour for a provider, as the other
    authorities in the region that use the provider may read it: the colour,
    the one before, when it last changed, and the kinds of reason only
    ("Red: Safeguarding decision (substantiated)", "Amber: KPI returns
    missing"), never the reasons' own words, dates of events, sources or
    restricted notes. Written by the risk service in the transaction that
    records the colour (tenants.quality.risk.refresh); rebuilt from the
    schemas by `manage.py quality_rebuild_shared_risk`."""

    COLOURS = [("red", "Red"), ("amber", "Amber"), ("green", "Green")]

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="shared_risks")
    colour = models.CharField(max_length=10, choices=COLOURS)
    previous = models.CharField(max_length=10, blank=True, help_text="The colour before the last change, if any.")
    changed_at = models.DateTimeField(help_text="When the colour last changed.")
    headlines = ArrayField(models.CharField(max_length=120), default=list, blank=True,
                           help_text="The kinds of reason for the colour, safe to share.")
    rules_version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "authority"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "provider"], name="one_shared_risk_per_provider"),
            models.CheckConstraint(condition=Q(colour__in=("red", "amber", "green")), name="shared_risk_colour"),
        ]
        indexes = [models.Index(fields=["provider"], name="shared_risk_provider")]

    def __str__(self) -> str:
        return f"{self.provider_id} is {self.colour} in {self.authority_id}"


class GrantProjection(models.Model):
    """A grant on one authority's agreement to another authority (call off,
    co-fund), mirrored from the owner's schema in the same transaction: read
    when the granted body's staff reach the owner's authority, and by the
    granted body to list what it holds. Never the source of truth."""

    owner = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    grantee = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    grant_id = models.BigIntegerField(help_text="The grant's id in the owner's schema.")
    agreement_id = models.BigIntegerField()
    agreement_reference = models.CharField(max_length=60)
    agreement_title = models.CharField(max_length=200)
    may_call_off = models.BooleanField(default=False)
    may_co_fund = models.BooleanField(default=False)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    purchasing_agreement = models.CharField(max_length=120)
    revoked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "agreement_reference"]
        constraints = [models.UniqueConstraint(fields=["owner", "grant_id"], name="one_projection_per_grant")]
        indexes = [models.Index(fields=["grantee", "owner"], name="grant_grantee_owner")]


class JointPlacementProjection(models.Model):
    """A placement under a grant, mirrored to each other authority involved
    (the one that called off, each co-funder), so it sees the placement in its
    own authority without reading the owner's schema. No person's identity:
    the package reference, the provider and the money."""

    owner = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    viewer = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    placement_id = models.BigIntegerField(help_text="The placement's id in the owner's schema.")
    package_reference = models.CharField(max_length=40)
    agreement_reference = models.CharField(max_length=60)
    lot_title = models.CharField(max_length=200)
    provider_name = models.CharField(max_length=200)
    called_off_by = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20)
    start_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    weekly_cost = models.DecimalField(max_digits=10, decimal_places=2)
    funders = models.JSONField(default=list, help_text="[{authority, name, share, purchasing_agreement}]")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_on", "package_reference"]
        constraints = [models.UniqueConstraint(fields=["owner", "placement_id", "viewer"],
                                               name="one_joint_placement_per_viewer")]
        indexes = [models.Index(fields=["viewer", "owner"], name="joint_placement_viewer")]
