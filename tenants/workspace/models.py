"""What each member of staff wants to hear about, and what they have been
told. Both live in the authority's schema: a person who works in two
authorities chooses for each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TaskKind(models.TextChoices):
    """The kinds of task in the staff work queue, in the order the
    preferences page lists them."""

    NEEDS_EVALUATORS = "needs_evaluators", "Applications needing evaluators"
    MY_EVALUATION = "my_evaluation", "Applications given to you to evaluate"
    MODERATION_READY = "moderation_ready", "Applications ready for moderation or a decision"
    DECISION_DUE = "decision_due", "Admission decisions due"
    EVIDENCE_TO_VERIFY = "evidence_to_verify", "Provider evidence to verify"
    CLARIFICATION = "clarification", "Clarification questions to answer"
    CLOSING_TODAY = "closing_today", "Call-offs closing today"
    BIDS_TO_EVALUATE = "bids_to_evaluate", "Closed call-offs with bids to evaluate"
    AWARD_WAITING = "award_waiting", "Call-offs waiting for an award"
    PRICE_EXPLANATION = "price_explanation", "Explanations of abnormally low bids to decide"
    PLACEMENT_STARTING = "placement_starting", "Placements starting"
    PLACEMENT_ENDING = "placement_ending", "Placements ending"
    RESOURCING = "resourcing", "Packages to re-source after a termination"
    SUSPENSION_ENDING = "suspension_ending", "Suspensions ending"
    FOLLOW_UP = "follow_up", "Quality assessment actions overdue or to verify"
    RETURN_TO_VALIDATE = "return_to_validate", "Performance returns to validate"
    RETURN_OVERDUE = "return_overdue", "Performance returns overdue"
    SELF_ASSESSMENT = "self_assessment", "Providers' self-assessments to validate"
    ASSESSMENT_VISIT = "assessment_visit", "Quality assessment visits coming up, and draft reports to send"
    ASSESSMENT_FINALISE = "assessment_finalise", "Quality assessment ratings to finalise"
    FEEDBACK = "feedback", "Feedback from people who use services to moderate"
    ACTION_REVIEW = "action_review", "Contract actions answered by the provider or due for review"
    PAYMENT_QUERY = "payment_query", "Providers' payment queries to answer"
    INVOICE_MISMATCH = "invoice_mismatch", "Invoices that do not match their payment schedule"
    SCHEDULE_APPROVAL = "schedule_approval", "Payment schedules to approve"


# Always e-mailed straight away, whatever the person chose: being given an
# application, a new application arriving, a decision falling due.
ALWAYS_IMMEDIATE = frozenset({TaskKind.MY_EVALUATION, TaskKind.NEEDS_EVALUATORS, TaskKind.DECISION_DUE})


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "An e-mail for each new task, straight away"
    DIGEST = "digest", "One e-mail a day with everything waiting"


class NotificationPreference(models.Model):
    """How one person hears about one kind of task here. No row: the daily digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=TaskKind.choices)
    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.DIGEST)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]


class TaskNotice(models.Model):
    """An immediate e-mail sent about one task to one person: each task is
    e-mailed once, however often the sweep runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=80, help_text="The task: its kind and what it is about.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notice_per_task")]


class DigestSent(models.Model):
    """The day's digest sent to one person: once a day, however often the task runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    tasks = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_day")]
