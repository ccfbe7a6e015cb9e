"""Authorities (the tenants), their routes and regions. Public schema."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django_tenants.models import DomainMixin, TenantMixin

# ONS Government Statistical Service codes: a letter for the nation, two digits
# for the entity type, six digits (E06000049 is Cheshire East).
GSS_CODE = re.compile(r"^[EWSN]\d{8}$")
# NHS Organisation Data Service codes: three to five letters and digits (QYG).
ODS_CODE = re.compile(r"^[A-Z0-9]{3,5}$")

slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,48}[a-z0-9]$",
    "Use 3 to 50 lower-case letters, digits and hyphens, starting with a letter.",
)
RESERVED_SLUGS = {"public", "template", "api", "static", "admin", "accounts", "account", "jointly-audit"}


class Region(models.Model):
    """A group of neighbouring authorities that share one provider catalogue."""

    name = models.CharField(max_length=120, unique=True)
    ons_code = models.CharField(
        "ONS code",
        max_length=9,
        unique=True,
        validators=[RegexValidator(GSS_CODE, "An ONS code looks like E12000002.")],
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Authority(TenantMixin):
    """A council, an NHS body, or a partnership of them: one tenant schema each.

    The public tenant (kind PLATFORM) is the regional site itself.
    """

    class Kind(models.TextChoices):
        COUNCIL = "council", "Council"
        NHS_BODY = "nhs_body", "NHS body"
        PARTNERSHIP = "partnership", "Partnership"
        PLATFORM = "platform", "Regional platform"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    official_code = models.CharField(
        max_length=9,
        blank=True,
        help_text="ONS GSS code for a council (E06000049), ODS code for an NHS body (QYG).",
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="authorities"
    )
    members = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="partnerships",
        help_text="For a partnership: the authorities that commission through it.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created by tenancy.services.authority_create, cloned from
    # the template schema; nothing is ever dropped automatically.
    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name_plural = "authorities"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["official_code"],
                condition=~Q(official_code=""),
                name="authority_official_code_unique",
                violation_error_message="An authority with this official code already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_partnership(self) -> bool:
        return self.kind == self.Kind.PARTNERSHIP

    @property
    def is_platform(self) -> bool:
        return self.kind == self.Kind.PLATFORM

    def get_base_schema(self):
        """Clone from the template unless this authority is to be built by
        replaying migrations (tenancy.services.authority_create)."""
        if getattr(self, "_provision_by_migrating", False):
            return False
        return super().get_base_schema()

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """django-tenants' create_schema, on Jointly's two roles: a clone goes
        through the owner's provisioning function, so the application's role
        can create an authority without owning (or being able to alter) its
        tables; replaying migrations needs the owner's connection
        (tenancy.roles)."""
        from django.core.management import call_command
        from django.db import connection
        from django_tenants.postgresql_backend.base import _check_schema_name
        from django_tenants.utils import get_creation_fakes_migrations, schema_exists

        from tenancy.roles import schema_clone_template, schema_create_by_migrating

        _check_schema_name(self.schema_name)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        base_schema = self.get_base_schema() if get_creation_fakes_migrations() else False
        if sync_schema:
            if base_schema and schema_exists(base_schema):
                schema_clone_template(self.schema_name)
                call_command("migrate_schemas", tenant=True, fake=True, schema_name=self.schema_name,
                             interactive=False, verbosity=verbosity)
            else:
                schema_create_by_migrating(self.schema_name, verbosity=verbosity)
        connection.set_schema_to_public()
        return True

    def clean(self) -> None:
        errors = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = f"'{self.slug}' is reserved; choose another."
        code = self.official_code
        if self.kind == self.Kind.COUNCIL and not GSS_CODE.match(code or ""):
            errors["official_code"] = "A council needs its ONS GSS code, like E06000049."
        elif self.kind == self.Kind.NHS_BODY and not ODS_CODE.match(code or ""):
            errors["official_code"] = "An NHS body needs its ODS code, like QYG."
        elif self.kind == self.Kind.PARTNERSHIP and code:
            errors["official_code"] = "A partnership has no official code of its own."
        if errors:
            raise ValidationError(errors)


class Route(DomainMixin):
    """The path segment an authority is served under: /a/<domain>/.

    django-tenants calls this the domain; in subfolder routing it is the
    folder name. The primary route equals the authority's slug.
    """

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return f"/a/{self.domain}/"

