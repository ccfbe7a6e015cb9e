from django.db import models
from django.db.models import Q
from django.utils import timezone


class Message(models.Model):
    """One side effect to carry out once: a Celery task by name, its
    arguments, and not before when. It lives in the schema of the change that
    recorded it (an authority's, or the public one) and its task runs there."""

    id = models.BigAutoField(primary_key=True)
    task = models.CharField(max_length=200, help_text="The Celery task's name, e.g. calloffs.invitations_notify.")
    args = models.JSONField(default=list, blank=True, help_text="The task's positional arguments (ids, short text).")
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(default=timezone.now, help_text="Not before this time (a deadline's closing).")
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the broker.")
    attempts = models.PositiveIntegerField(default=0, help_text="Times it was handed to the broker, or tried to be.")
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When its task did the work.")

    class Meta:
        indexes = [
            # What the flush reads: the unsent, by when they are due.
            models.Index(fields=["due_at"], name="outbox_unsent_due", condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)!r} #{self.pk}"
