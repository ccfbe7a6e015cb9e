"""An authority's history brought into Jointly from CSV: each applied import
(who, when, the file's digest, what it made) and each row it made, kept
against the row's own reference so that the same row is never made twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    SPOT_PLACEMENTS = "spot_placements", "Spot placements"
    APPLICATIONS = "applications", "Applications and admissions"


class HistoryImport(models.Model):
    """One applied import. Dry runs write nothing, so they leave no row."""

    kind = models.CharField(max_length=30, choices=Kind.choices)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file as uploaded.")
    rows = models.PositiveIntegerField(help_text="Data rows in the file (the header not counted).")
    created = models.JSONField(default=dict, help_text="What it made, by kind of record.")
    skipped = models.PositiveIntegerField(default=0, help_text="Rows imported before, left as they were.")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-applied_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.file_name} ({self.applied_at:%-d %b %Y})"


class ImportedRow(models.Model):
    """A row that was imported, by its reference in the authority's own
    records, with a digest of its content (so that a changed row under a
    reference already used is refused rather than silently skipped) and
    what it made."""

    history_import = models.ForeignKey(HistoryImport, on_delete=models.PROTECT, related_name="imported_rows")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    reference = models.CharField(max_length=80, help_text="The row's import reference.")
    row_sha256 = models.CharField(max_length=64)
    line = models.PositiveIntegerField(help_text="Its line in the file (the header is line 1).")
    person_reference = models.CharField(max_length=80, blank=True,
                                        help_text="Spot placements: the person's reference in the authority's "
                                                  "records (held apart, never shown to providers).")
    person = models.ForeignKey("calloffs.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    placement = models.OneToOneField("placements.Placement", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="imported_row")
    application = models.OneToOneField("admissions.Application", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="imported_row")

    class Meta:
        ordering = ["history_import", "line"]
        constraints = [models.UniqueConstraint(fields=["kind", "reference"], name="one_import_per_reference")]
        indexes = [models.Index(fields=["person_reference"], name="imported_person_reference")]


class SpotPurchases(models.Model):
    """The holding agreement and lot for spot placements bought outside any
    agreement (before the DPS or FPS): made by the first import that needs
    it, ended from the start so that nothing is ever called off under it,
    one per authority."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    agreement = models.OneToOneField("agreements.Agreement", on_delete=models.PROTECT, related_name="+")
    lot = models.OneToOneField("agreements.Lot", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="one_spot_purchases")]
