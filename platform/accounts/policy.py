"""Who may do what, decided in one place for pages and API alike.

Every request inside an authority (/a/<slug>/...) is checked against the
audience its view declares (Audience): authority staff need a current role in
that authority (or in an authority that is a member of the partnership being
visited) and MFA; provider people reach only the provider-facing part; anyone
else is refused. Views that declare nothing are refused too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.roles import AuthorityRole, ProviderRole


class Audience(enum.Enum):
    STAFF = "staff"          # people with a role in this authority
    PROVIDER = "provider"    # people of an active provider organisation
    MEMBER = "member"        # either of the above (landing pages)
    PUBLIC = "public"        # anyone, signed in or not
    GRANTED = "granted"      # staff here, or staff of an authority granted rights on one of its agreements


class Outcome(enum.Enum):
    ALLOW = "allow"
    SIGN_IN = "sign_in"
    SET_UP_MFA = "set_up_mfa"
    DENY = "deny"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW


GRANTEE_ROLES = (AuthorityRole.COMMISSIONER, AuthorityRole.BROKER, AuthorityRole.FINANCE_VIEWER)


@dataclass(frozen=True)
class GrantedRole:
    """The rights a person has in this authority because their own authority
    holds a grant on one of its agreements (tenants/agreements CallOffGrant),
    with the roles they hold at home."""

    grantee_id: int
    agreement_id: int
    roles: frozenset[str]
    may_call_off: bool
    may_co_fund: bool
    current: bool


@dataclass(frozen=True)
class TenantAccess:
    """What one person may do in one authority, worked out once per request."""

    user_id: int | None
    authority_id: int | None
    authority_name: str
    staff_roles: frozenset[str] = frozenset()
    provider_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    is_operator: bool = False
    mfa_enabled: bool = False
    grants: tuple[GrantedRole, ...] = ()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def has_staff_role(self) -> bool:
        return bool(self.staff_roles)

    @property
    def is_staff(self) -> bool:
        """Holds a staff role and may use it (MFA is set up)."""
        return self.has_staff_role and self.mfa_enabled

    @property
    def is_provider_person(self) -> bool:
        return bool(self.provider_roles)

    @property
    def provider_ids(self) -> frozenset[int]:
        return frozenset(self.provider_roles)

    def has_role(self, *roles: str) -> bool:
        return self.is_staff and bool(self.staff_roles.intersection(roles))

    def has_provider_role(self, provider_id: int, *roles: str) -> bool:
        return bool(self.provider_roles.get(provider_id, frozenset()).intersection(roles))

    @property
    def is_grantee(self) -> bool:
        """Works here only through a grant (no role of its own here), with MFA."""
        return bool(self.grants) and self.mfa_enabled and not self.has_staff_role

    def grant_for(self, agreement_id, *, right: str = "", roles=(), current: bool = True,
                  grantee_id=None) -> GrantedRole | None:
        """The grant giving this person `right` ("call_off", "co_fund" or any)
        on the agreement, with one of `roles` at home; only one in force
        unless `current` is False (what was called off under a revoked grant
        stays readable)."""
        if not self.mfa_enabled:
            return None
        for grant in self.grants:
            if grant.agreement_id != agreement_id or (current and not grant.current):
                continue
            if grantee_id is not None and grant.grantee_id != grantee_id:
                continue
            if right == "call_off" and not grant.may_call_off or right == "co_fund" and not grant.may_co_fund:
                continue
            if roles and not grant.roles.intersection(roles):
                continue
            return grant
        return None

    def granted_authority_ids(self, *roles: str) -> frozenset[int]:
        """The authorities this person works for through a grant here (with one of `roles`, if given)."""
        if not self.mfa_enabled:
            return frozenset()
        return frozenset(g.grantee_id for g in self.grants if not roles or g.roles.intersection(roles))


ANONYMOUS = TenantAccess(user_id=None, authority_id=None, authority_name="")


def mfa_enabled(user) -> bool:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def access_compute(*, user, authority) -> TenantAccess:
    """Three queries: staff roles, provider roles, MFA."""
    from accounts.models import AuthorityMembership, ProviderMembership

    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    roles = set()
    if authority is not None and not authority.is_platform:
        roles.update(
            AuthorityMembership.objects.current()
            .filter(user=user, authority__is_active=True)
            .filter(Q(authority=authority) | Q(authority__partnerships=authority))
            .values_list("role", flat=True)
        )
        if user.is_platform_operator:
            roles.add(AuthorityRole.AUTHORITY_ADMIN)
    provider_roles: dict[int, set[str]] = {}
    for provider_id, role in (
        ProviderMembership.objects.current()
        .filter(user=user, provider__is_active=True)
        .values_list("provider_id", "role")
    ):
        provider_roles.setdefault(provider_id, set()).add(role)
    grants = ()
    if not roles and not provider_roles and authority is not None and not authority.is_platform:
        grants = _grants_held(user, authority)
    needs_mfa = bool(roles) or user.is_platform_operator or bool(grants)
    return TenantAccess(
        user_id=user.pk,
        authority_id=getattr(authority, "pk", None),
        authority_name=getattr(authority, "name", ""),
        staff_roles=frozenset(roles),
        provider_roles={pid: frozenset(r) for pid, r in provider_roles.items()},
        is_operator=user.is_platform_operator,
        mfa_enabled=mfa_enabled(user) if needs_mfa else False,
        grants=grants,
    )


def _grants_held(user, authority) -> tuple[GrantedRole, ...]:
    """The grants on `authority`'s agreements held by authorities this person
    works for (one query on the public projection; a second only if any).
    Asked only of people with no role here and no provider organisation, so
    the requests of everyone else cost nothing more."""
    from django.utils import timezone

    from accounts.models import AuthorityMembership
    from shared_catalogue.models import GrantProjection

    homes = (AuthorityMembership.objects.current()
             .filter(user=user, authority__is_active=True, role__in=GRANTEE_ROLES))
    rows = list(GrantProjection.objects.filter(owner=authority, grantee__is_active=True,
                                               grantee__in=homes.values("authority")))
    if not rows:
        return ()
    held: dict[int, set[str]] = {}
    for authority_id, role in homes.values_list("authority_id", "role"):
        held.setdefault(authority_id, set()).add(role)
    today = timezone.localdate()
    return tuple(GrantedRole(
        grantee_id=row.grantee_id, agreement_id=row.agreement_id, roles=frozenset(held.get(row.grantee_id, ())),
        may_call_off=row.may_call_off, may_co_fund=row.may_co_fund,
        current=(row.revoked_at is None and row.starts_on <= today
                 and (row.ends_on is None or today <= row.ends_on))) for row in rows)


def access_here(user) -> TenantAccess:
    """The person's access in the authority whose schema the connection is in
    (for services, which run in requests, tasks and commands alike)."""
    from tenancy.selectors import authority_current

    return access_compute(user=user, authority=authority_current())


def access_for(request) -> TenantAccess:
    """The access of whoever is asking, cached on the request for that user."""
    http_request = getattr(request, "_request", request)
    user = getattr(request, "user", None)
    key = (getattr(user, "pk", None), getattr(getattr(http_request, "tenant", None), "pk", None))
    cached = getattr(http_request, "_jointly_access", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    access = access_compute(user=user, authority=getattr(http_request, "tenant", None))
    http_request._jointly_access = (key, access)
    return access


def decide(access: TenantAccess, audience: Audience) -> Decision:
    """May this person reach a view meant for `audience` in this authority?"""
    if audience is Audience.PUBLIC:
        return Decision(Outcome.ALLOW)
    if not access.is_authenticated:
        return Decision(Outcome.SIGN_IN, "Sign in to continue.")
    name = access.authority_name or "this authority"
    if audience is Audience.STAFF:
        if access.has_staff_role and not access.mfa_enabled:
            return Decision(Outcome.SET_UP_MFA,
                            "Set up an authenticator app before you use a staff role.")
        if access.is_staff:
            return Decision(Outcome.ALLOW)
        return Decision(Outcome.DENY, f"This part of {name} is for its staff only.")
    if audience is Audience.GRANTED:
        if access.is_staff or access.is_grantee:
            return Decision(Outcome.ALLOW)
        if access.has_staff_role or access.grants:
            return Decision(Outcome.SET_UP_MFA,
                            "Set up an authenticator app before you use a staff role.")
        return Decision(Outcome.DENY, f"This part of {name} is for its staff, and for authorities it has "
                                      "granted call-off or co-funding rights.")
    if audience is Audience.PROVIDER:
        if access.is_provider_person:
            return Decision(Outcome.ALLOW)
        return Decision(Outcome.DENY, f"This part of {name} is for provider organisations only.")
    if audience is Audience.MEMBER:
        if access.is_staff or access.is_provider_person:
            return Decision(Outcome.ALLOW)
        if access.has_staff_role:
            return Decision(Outcome.SET_UP_MFA,
                            "Set up an authenticator app before you use a staff role.")
        return Decision(Outcome.DENY,
                        f"You have no role in {name}. Ask its authority admin for access.")
    return Decision(Outcome.DENY, "This page has no declared audience.")


# --- Capabilities used by accounts' own pages and API ------------------------

def can_manage_team(access: TenantAccess) -> bool:
    return access.has_role(AuthorityRole.AUTHORITY_ADMIN)


def can_view_team(access: TenantAccess) -> bool:
    return access.is_staff


def can_manage_provider_people(access: TenantAccess, provider_id: int) -> bool:
    return access.has_provider_role(provider_id, ProviderRole.PROVIDER_ADMIN)


def needs_mfa(user) -> bool:
    """Whether this person must have MFA: any staff role anywhere, or an operator."""
    from accounts.models import AuthorityMembership

    if user.is_platform_operator:
        return True
    return AuthorityMembership.objects.current().filter(user=user).exists()


# --- Managing API tokens -----------------------------------------------------------

def second_factor_recent(request) -> bool:
    """Whether the person entered a two-factor code in this session (at sign-in
    or when asked again) within ACCOUNT_REAUTHENTICATION_TIMEOUT seconds.

    Read from the authentication records allauth keeps in the session."""
    import time

    from allauth.account import app_settings as account_settings
    from allauth.account.authentication import get_authentication_records

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    times = [r.get("at", 0) for r in records if r.get("method") == "mfa"]
    return bool(times) and time.time() - max(times) < account_settings.REAUTHENTICATION_TIMEOUT


def token_management_refusal(request, *, creating: bool) -> tuple[str, str]:
    """Why this request may not manage API tokens, as (code, message), or ("", "").

    Tokens are managed only from a signed-in session, never with a token: a
    stolen token must not be able to mint one that outlives it. Creating one
    also needs a two-factor code entered in the last few minutes."""
    from knox.auth import TokenAuthentication

    if isinstance(getattr(request, "successful_authenticator", None), TokenAuthentication):
        return ("session-required",
                "API tokens can only be created, listed or revoked by a person signed in to the "
                "website, not with an API token.")
    user = request.user
    if not creating:
        return "", ""
    if not mfa_enabled(user):
        return ("mfa-required",
                "Set up an authenticator app (two-factor authentication) before you create API tokens.")
    if not second_factor_recent(request):
        return ("recent-mfa-required",
                "Enter a code from your authenticator app again before you create an API token: "
                "sign in again or confirm at /accounts/2fa/reauthenticate/, then try within a few minutes.")
    return "", ""
