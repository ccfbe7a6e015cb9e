"""Who may do what with the catalogue, for pages and API alike.

Provider people act on their own organisation from the regional site, by
their role in it. Authority staff read the whole catalogue from inside their
authority, and some of them decide on evidence.
"""

from __future__ import annotations

from accounts.models import ProviderMembership
from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole, ProviderRole


def provider_roles(user, provider) -> frozenset[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return frozenset(
        ProviderMembership.objects.current()
        .filter(user=user, provider=provider, provider__is_active=True)
        .values_list("role", flat=True)
    )


def can_view_provider(roles: frozenset[str]) -> bool:
    return bool(roles)


def can_edit_profile(roles: frozenset[str]) -> bool:
    return ProviderRole.PROVIDER_ADMIN in roles


def can_manage_people(roles: frozenset[str]) -> bool:
    return ProviderRole.PROVIDER_ADMIN in roles


def can_upload_evidence(roles: frozenset[str]) -> bool:
    """Bid writers assemble applications, so they may add evidence too."""
    return bool(roles & {ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER})


# --- Authority staff ---------------------------------------------------------------

def can_view_catalogue(access: TenantAccess) -> bool:
    return access.is_staff


def can_decide_evidence(access: TenantAccess) -> bool:
    """Contract compliance and quality officers check evidence; commissioners may too."""
    return access.has_role(AuthorityRole.QUALITY_OFFICER, AuthorityRole.COMMISSIONER)
