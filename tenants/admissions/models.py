"""Providers' applications to an agreement's lots, their evaluation and
moderation, the decision, and the admissions that follow. They live in the
schema of the authority (or partnership) that runs the agreement; each
admission is mirrored into shared_catalogue.AdmissionProjection in the public
schema, in the same transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.agreements.models import Agreement, ApplicationRound, Lot, Question, QuestionnaireVersion


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        EVALUATION = "evaluation", "Being evaluated"
        MODERATION = "moderation", "In moderation"
        DECIDED = "decided", "Decided"
        WITHDRAWN = "withdrawn", "Withdrawn"

    LIVE = (Status.DRAFT, Status.SUBMITTED, Status.EVALUATION, Status.MODERATION)

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="applications")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="applications",
                                help_text="The questionnaire version this application answers.")
    round = models.ForeignKey(ApplicationRound, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="applications")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    declaration = models.TextField(blank=True, help_text="The declaration as the provider accepted it.")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_due_on = models.DateField(null=True, blank=True)
    decision_extended_reason = models.TextField(blank=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text="Who leads the evaluation and moderates.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["provider", "status"], name="application_provider_status")]

    def __str__(self) -> str:
        return f"Application {self.pk} to {self.agreement.reference}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class ApplicationLot(models.Model):
    """A lot an application asks to join, and the outcome for it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Not yet decided"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Not successful"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="lots")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    live = models.BooleanField(default=True, help_text="Until the application is decided or withdrawn.")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    quality_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True,
                                        help_text="Per cent, from the moderated scores.")
    failed_compliance = models.JSONField(default=list, blank=True,
                                         help_text="The compliance questions not met, by position.")

    class Meta:
        ordering = ["application", "lot__number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "lot"], name="one_lot_per_application"),
            models.UniqueConstraint(fields=["provider", "lot"], condition=models.Q(live=True),
                                    name="one_live_application_per_provider_lot"),
        ]


class Answer(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    response = models.TextField(blank=True)
    complies = models.BooleanField(null=True, help_text="Compliance questions: the provider's yes or no.")
    evidence = models.ForeignKey("shared_catalogue.Evidence", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", help_text="Catalogue evidence offered (or reused) for it.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "question"], name="one_answer_per_question")]


class Assignment(models.Model):
    """An evaluator given an application. They declare any conflict of
    interest before they may see it; a conflicted evaluator cannot score."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    declared_at = models.DateTimeField(null=True, blank=True)
    conflicted = models.BooleanField(null=True)
    conflict_details = models.TextField(blank=True)
    scores_submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "assigned_at"]
        constraints = [models.UniqueConstraint(fields=["application", "evaluator"], name="one_assignment")]

    @property
    def may_score(self) -> bool:
        return self.declared_at is not None and self.conflicted is False


class Score(models.Model):
    """One evaluator's independent score for one quality question."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "question"], name="one_score_per_question")]


class ModeratedResult(models.Model):
    """The final, moderated result for a question: a score (quality) or met /
    not met (compliance), with the rationale that goes into the feedback."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="moderated")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    met = models.BooleanField(null=True)
    rationale = models.TextField()
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moderated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["question__position"]
        constraints = [models.UniqueConstraint(fields=["application", "question"], name="one_moderated_result")]


class DecisionLetter(models.Model):
    class Kind(models.TextChoices):
        SUCCESSFUL = "successful", "Successful"
        PARTLY_SUCCESSFUL = "partly_successful", "Successful for some lots"
        UNSUCCESSFUL = "unsuccessful", "Unsuccessful"

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="letter")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.JSONField(default=list, blank=True)


class Admission(models.Model):
    class Status(models.TextChoices):
        PENDING_ONBOARDING = "pending_onboarding", "Pending onboarding"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REMOVED = "removed", "Removed"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="admissions")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="admissions")
    provider = models.ForeignKey("shared_catalogue.Provider", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="admissions")
    reference = models.CharField(max_length=80, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_ONBOARDING)
    admitted_at = models.DateTimeField(default=timezone.now)
    new_to_authority = models.BooleanField(
        default=False, help_text="Set when admitted: the provider had no earlier admission or placement here.")
    activated_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.TextField(blank=True)
    suspended_until = models.DateField(null=True, blank=True)
    removed_grounds = models.TextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["agreement", "lot__number", "provider_id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "lot"], condition=~models.Q(status="removed"),
                                    name="one_standing_admission_per_lot"),
        ]

    def __str__(self) -> str:
        return self.reference


class OnboardingItem(models.Model):
    admission = models.ForeignKey(Admission, on_delete=models.CASCADE, related_name="onboarding")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["admission", "position"]
        constraints = [models.UniqueConstraint(fields=["admission", "position"], name="one_onboarding_position")]

