"""Append-only audit events, chained per schema with a keyed seal.

The table lives in the public schema (platform decisions: authorities, people,
tokens) and in every authority's schema (that authority's decisions). Each row
carries the seal of the row before it and its own HMAC under a key the
database does not hold, so altering, reordering or removing a row, or
re-sealing the rows after it, breaks the chain (audit.chain.verify_chain);
anchors of each chain's head (audit.anchors) show a removed tail. A database
trigger refuses UPDATE, DELETE and TRUNCATE in the first place, and the
application's database role may only SELECT and INSERT here.
"""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        help_text="Null for the system itself (a scheduled task, a command).",
    )
    actor_label = models.CharField(max_length=254, help_text="Who, as they were known at the time.")
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    context = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=16, blank=True, default="",
                              help_text="Which chain key sealed this event (audit.chain.key_id_of).")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.object_type}:{self.object_id}"


class ChainCheck(models.Model):
    """A verification of this schema's chain (nightly, by Celery beat)."""

    checked_at = models.DateTimeField(auto_now_add=True)
    events = models.PositiveIntegerField()
    intact = models.BooleanField()
    broken_at = models.BigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at"]
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'intact' if self.intact else 'BROKEN'}"
