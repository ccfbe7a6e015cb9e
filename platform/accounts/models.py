"""People and their memberships. Public schema.

One account per person, signed in by e-mail. A person's rights come only from
memberships: a role in an authority, or a role in a provider organisation.
Accounts are deactivated, never deleted (a delete cannot cascade across the
schemas that refer to people).
"""

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from knox.models import AbstractAuthToken

from accounts.roles import AuthorityRole, ProviderRole


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_platform_operator", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_platform_operator"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser):
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_platform_operator = models.BooleanField(
        default=False,
        help_text="Runs the platform: creates authorities and manages accounts. Needs MFA.",
    )
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def delete(self, *args, **kwargs):
        raise PermissionError("People are deactivated, never deleted: use accounts.services.user_deactivate.")

    # Django admin asks these. Only platform operators reach the admin.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_platform_operator

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label) -> bool:
        return self.is_staff

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]


class MembershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(revoked_at__isnull=True)


class AuthorityMembership(models.Model):
    """A role a person holds in one authority (or partnership)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="authority_memberships")
    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=AuthorityRole.choices)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["authority__name", "user__email", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "authority", "role"],
                condition=Q(revoked_at__isnull=True),
                name="one_current_authority_role",
            ),
        ]
        indexes = [models.Index(fields=["user", "authority"], name="membership_user_authority")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.authority}"


class ProviderMembership(models.Model):
    """A role a person holds in one provider organisation."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="provider_memberships")
    provider = models.ForeignKey(
        "shared_catalogue.Provider", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=ProviderRole.choices)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name", "user__email", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider", "role"],
                condition=Q(revoked_at__isnull=True),
                name="one_current_provider_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.provider}"


class ApiToken(AbstractAuthToken):
    """A personal API token. Only a hash of it is stored (django-rest-knox);
    revoking deletes it, and an audit event keeps the record."""

    name = models.CharField(max_length=100)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            # Every token expires, within a year of its creation (a day's slack
            # for the moment between the two timestamps).
            models.CheckConstraint(
                condition=Q(expiry__isnull=False) & Q(expiry__lte=F("created") + timedelta(days=366)),
                name="api_token_expires_within_a_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"
