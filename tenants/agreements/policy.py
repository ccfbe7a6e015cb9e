"""Who may do what with agreements, for pages and API alike."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole


def can_view_agreements(access: TenantAccess) -> bool:
    """Every member of staff reads the authority's agreements and lots."""
    return access.is_staff


def can_manage_agreements(access: TenantAccess) -> bool:
    """Commissioners set up agreements, lots, rounds and questionnaires."""
    return access.has_role(AuthorityRole.COMMISSIONER)


def can_grant(access: TenantAccess) -> bool:
    """Only the owning authority's commissioners grant (and revoke) call-off and co-funding rights."""
    return access.has_role(AuthorityRole.COMMISSIONER)


def can_view_grants(access: TenantAccess) -> bool:
    return access.is_staff
