"""The regional provider catalogue. Public schema: providers register once for
the whole region and every authority reads the same record."""

from django.db import models
from django.utils import timezone


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
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["legal_name"], name="provider_legal_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
