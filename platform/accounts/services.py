"""Writes about people: accounts, memberships, API tokens.

Each function runs in one transaction, takes the acting person explicitly
(None for the system: a command, the demo seed), checks that they may act,
records an audit event and defers e-mails until the transaction commits.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from accounts.models import ApiToken, AuthorityMembership, ProviderMembership, User
from accounts.policy import access_compute, can_manage_team, mfa_enabled
from accounts.roles import AuthorityRole, ProviderRole
from audit.services import audit_record
from common.errors import Conflict, Invalid
from outbox.services import outbox_add

PUBLIC = get_public_schema_name()


class MembershipError(Invalid):
    """A role could not be given or taken away as asked."""


class MembershipConflict(Conflict):
    """The role is already held, already gone, or the last of its kind."""


def _require_team_admin(actor, authority) -> None:
    if actor is None:
        return
    if not can_manage_team(access_compute(user=actor, authority=authority)):
        raise PermissionDenied(f"Only an authority admin of {authority.name} can change its roles.")


def user_get_or_invite(*, actor, email: str, full_name: str = "") -> tuple[User, bool]:
    """The account for `email`, creating one (without a password) if needed.

    A new person sets their password through the link in their first e-mail.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise MembershipError({"email": "Enter an e-mail address like name@example.org."}) from error
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        if not existing.is_active:
            raise MembershipError({"email": f"The account for {email} has been deactivated."})
        return existing, False
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
        _verified_address(user)
        audit_record(actor=actor, action="user.invited", obj=user, schema=PUBLIC,
                     after={"email": user.email, "full_name": user.full_name})
    return user, True


def _verified_address(user) -> None:
    """Mark the address verified: the invitation reached it, or an operator vouched."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def membership_grant(*, actor, authority, user: User, role: str, reason: str = "") -> AuthorityMembership:
    """Give `user` a role in `authority`. The person is told by e-mail."""
    if role not in AuthorityRole.values:
        raise MembershipError({"role": "Choose one of the roles listed."})
    if authority.is_platform:
        raise MembershipError("Roles are held in an authority, not in the regional site.")
    if not user.is_active:
        raise MembershipError({"email": "That account has been deactivated."})
    _require_team_admin(actor, authority)
    try:
        with transaction.atomic():
            membership = AuthorityMembership.objects.create(
                user=user, authority=authority, role=role, granted_by=actor
            )
            audit_record(
                actor=actor, action="membership.granted", obj=membership, reason=reason,
                after={"user": user.email, "role": role, "authority": authority.slug},
                schema=authority.schema_name,
            )
            _notify_membership(membership.pk)
    except IntegrityError as error:
        raise MembershipConflict(
            f"{user.email} already has the role {AuthorityRole(role).label} in {authority.name}."
        ) from error
    return membership


def membership_grant_by_email(*, actor, authority, email: str, role: str, full_name: str = "",
                              reason: str = "") -> AuthorityMembership:
    """Give a role to the person with this e-mail, making their account if needed.
    Both happen or neither does."""
    _require_team_admin(actor, authority)
    with transaction.atomic():
        user, _ = user_get_or_invite(actor=actor, email=email, full_name=full_name)
        return membership_grant(actor=actor, authority=authority, user=user, role=role, reason=reason)


def _notify_membership(membership_id: int) -> None:
    """The e-mail is recorded in the outbox with the change, sent after it."""
    from accounts.tasks import membership_notify_task

    outbox_add(membership_notify_task, membership_id)


def membership_revoke(*, actor, membership: AuthorityMembership, reason: str = "") -> AuthorityMembership:
    authority = membership.authority
    _require_team_admin(actor, authority)
    with transaction.atomic():
        membership = AuthorityMembership.objects.select_for_update().get(pk=membership.pk)
        if membership.revoked_at is not None:
            raise MembershipConflict("That role has already been taken away.")
        if (
            membership.role == AuthorityRole.AUTHORITY_ADMIN
            and not AuthorityMembership.objects.current()
            .filter(authority=authority, role=AuthorityRole.AUTHORITY_ADMIN)
            .exclude(pk=membership.pk)
            .exists()
        ):
            raise MembershipConflict(
                f"{authority.name} must keep at least one authority admin: give the role to someone else first."
            )
        membership.revoked_at = timezone.now()
        membership.revoked_by = actor
        membership.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor, action="membership.revoked", obj=membership, reason=reason,
            before={"user": membership.user.email, "role": membership.role, "authority": authority.slug},
            schema=authority.schema_name,
        )
        api_tokens_revoke_for_user(
            actor=actor, user=membership.user,
            reason=f"A role was taken away: {membership.get_role_display()} at {authority.name}",
        )
    return membership


def _choose_password_url(user) -> str:
    """A link that leads a new person straight to choosing their password
    (allauth's key-based password form, valid as long as its reset keys are)."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str
    from django.conf import settings

    from tenancy.routing import public_reverse

    path = public_reverse("account_reset_password_from_key",
                          kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)})
    return f"{settings.SITE_URL}{path}"


def membership_notify(*, membership_id: int) -> bool:
    """E-mail the person their new role, once. Returns whether a mail was sent."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    from tenancy.routing import public_reverse, tenant_reverse

    with transaction.atomic():
        membership = (
            AuthorityMembership.objects.select_for_update(of=("self",))
            .select_related("user", "authority", "granted_by")
            .filter(pk=membership_id, revoked_at__isnull=True, notified_at__isnull=True)
            .first()
        )
        if membership is None:
            return False
        user = membership.user
        context = {
            "membership": membership,
            "role": AuthorityRole(membership.role).label,
            "authority": membership.authority,
            "workspace_url": tenant_reverse(membership.authority, "workspace:home", absolute=True),
            "needs_password": not user.has_usable_password(),
            "password_url": _choose_password_url(user) if not user.has_usable_password() else "",
            "needs_mfa": not mfa_enabled(user),
            "mfa_url": public_reverse("mfa_activate_totp", absolute=True),
        }
        send_mail(
            subject=f"You are now {context['role'].lower()} at {membership.authority.name}",
            message=render_to_string("accounts/email/membership_granted.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
        membership.notified_at = timezone.now()
        membership.save(update_fields=["notified_at"])
    return True


def provider_membership_grant(*, actor, provider, user: User, role: str, reason: str = "") -> ProviderMembership:
    """Give `user` a role in a provider organisation (its admin, or the system)."""
    if role not in ProviderRole.values:
        raise MembershipError({"role": "Choose one of the roles listed."})
    if actor is not None and not actor.is_platform_operator and not ProviderMembership.objects.current().filter(
        user=actor, provider=provider, role=ProviderRole.PROVIDER_ADMIN
    ).exists():
        raise PermissionDenied(f"Only a provider admin of {provider.name} can change its people.")
    try:
        with transaction.atomic():
            membership = ProviderMembership.objects.create(
                user=user, provider=provider, role=role, granted_by=actor
            )
            audit_record(actor=actor, action="provider_membership.granted", obj=membership,
                         reason=reason, schema=PUBLIC,
                         after={"user": user.email, "role": role, "provider": provider.pk})
    except IntegrityError as error:
        raise MembershipConflict(
            f"{user.email} already has the role {ProviderRole(role).label} at {provider.name}."
        ) from error
    return membership


def user_deactivate(*, actor, user: User, reason: str) -> User:
    """Deactivate an account: it can no longer sign in; its history stays."""
    if actor is not None and not actor.is_platform_operator:
        raise PermissionDenied("Only a platform operator can deactivate accounts.")
    if not reason.strip():
        raise Invalid({"reason": "Say why the account is being deactivated."})
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            return user
        user.is_active = False
        user.deactivated_at = timezone.now()
        user.save(update_fields=["is_active", "deactivated_at"])
        revoked = api_tokens_revoke_for_user(actor=actor, user=user, reason="Account deactivated")
        audit_record(actor=actor, action="user.deactivated", obj=user, reason=reason, schema=PUBLIC,
                     context={"tokens_revoked": revoked})
    return user


# --- API tokens ----------------------------------------------------------------

MAX_TOKEN_DAYS = 365
DEFAULT_TOKEN_DAYS = 90


def api_token_create(*, actor: User, name: str, expires_in_days: int | None = DEFAULT_TOKEN_DAYS
                     ) -> tuple[ApiToken, str]:
    """Create a personal API token. The plain token is returned once, never stored.

    Every token expires, within a year. Who may ask (a signed-in session with a
    recent two-factor code, never a token) is checked by the page and the API
    through accounts.policy.token_management_refusal."""
    name = (name or "").strip()
    if not name:
        raise Invalid({"name": "Give the token a name, so you know later what uses it."})
    if len(name) > 100:
        raise Invalid({"name": "Keep the name to 100 characters or fewer."})
    if expires_in_days is None or not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        raise Invalid({"expires_in_days": f"Every token expires: choose between 1 and {MAX_TOKEN_DAYS} days."})
    from accounts.policy import needs_mfa

    if needs_mfa(actor) and not mfa_enabled(actor):
        raise PermissionDenied("Set up an authenticator app before you create API tokens.")
    with transaction.atomic():
        token, plain = ApiToken.objects.create(user=actor, expiry=timedelta(days=expires_in_days), name=name)
        audit_record(actor=actor, action="api_token.created", obj=("accounts.apitoken", token.token_key, name),
                     schema=PUBLIC, after={"name": name, "expiry": token.expiry})
    return token, plain


def api_tokens_revoke_for_user(*, actor, user: User, reason: str) -> int:
    """Revoke every token of `user` (their role was taken away, or their account
    deactivated). Tokens carry the person, not one role or place, so losing any
    role revokes them all. Runs inside the caller's transaction."""
    with transaction.atomic():
        tokens = list(ApiToken.objects.select_for_update().filter(user=user))
        for token in tokens:
            audit_record(actor=actor, action="api_token.revoked",
                         obj=("accounts.apitoken", token.token_key, token.name), reason=reason, schema=PUBLIC,
                         before={"name": token.name, "user": user.email})
        ApiToken.objects.filter(pk__in=[t.pk for t in tokens]).delete()
    return len(tokens)


def api_token_revoke(*, actor: User, token: ApiToken, reason: str = "") -> None:
    if token.user_id != actor.pk and not actor.is_platform_operator:
        raise PermissionDenied("You can only revoke your own tokens.")
    with transaction.atomic():
        audit_record(actor=actor, action="api_token.revoked",
                     obj=("accounts.apitoken", token.token_key, token.name), reason=reason, schema=PUBLIC,
                     before={"name": token.name, "user": token.user.email})
        token.delete()


def api_tokens_purge_expired() -> int:
    """Delete tokens past their expiry (run hourly by beat)."""
    with transaction.atomic():
        expired = list(ApiToken.objects.filter(expiry__lt=timezone.now()).select_related("user"))
        for token in expired:
            audit_record(actor=None, action="api_token.expired",
                         obj=("accounts.apitoken", token.token_key, token.name), schema=PUBLIC,
                         before={"name": token.name, "user": token.user.email})
        ApiToken.objects.filter(pk__in=[t.pk for t in expired]).delete()
    return len(expired)


# --- Keys ---------------------------------------------------------------------------

def mfa_secrets_rotate(*, actor=None) -> int:
    """Re-encrypt every authenticator secret under MFA_ENCRYPTION_KEY (after a
    rotation, while the old key is still in MFA_ENCRYPTION_KEY_FALLBACKS).
    Returns how many were re-encrypted; safe to run again."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    adapter = get_adapter()
    count = 0
    with transaction.atomic():
        for authenticator in Authenticator.objects.select_for_update().order_by("pk"):
            data = dict(authenticator.data)
            fields = [name for name in ("secret", "seed") if isinstance(data.get(name), str)]
            for name in fields:
                data[name] = adapter.rotate(data[name])
            if fields:
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                count += 1
        audit_record(actor=actor, action="mfa.key_rotated", obj=("mfa.authenticator", "all", "authenticators"),
                     schema=PUBLIC, context={"re_encrypted": count})
    return count
