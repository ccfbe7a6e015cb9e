"""Who may do what with call-offs, for pages and API alike."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole, ProviderRole


def can_source(access: TenantAccess) -> bool:
    """Brokers (and commissioners) create, publish and award packages."""
    return access.has_role(AuthorityRole.BROKER, AuthorityRole.COMMISSIONER)


def can_see_identity(access: TenantAccess) -> bool:
    """The person's identity: brokers and commissioners, who arrange the care."""
    return access.has_role(AuthorityRole.BROKER, AuthorityRole.COMMISSIONER)


def can_move_deadline(access: TenantAccess) -> bool:
    """Annex IV (c): only authorised persons set or change opening dates."""
    return access.has_role(AuthorityRole.COMMISSIONER)


def can_evaluate_bids(access: TenantAccess) -> bool:
    return access.has_role(AuthorityRole.BROKER, AuthorityRole.COMMISSIONER, AuthorityRole.EVALUATOR)


def can_view_calloffs(access: TenantAccess) -> bool:
    return access.is_staff


def can_manage_placements(access: TenantAccess) -> bool:
    return access.has_role(AuthorityRole.BROKER, AuthorityRole.COMMISSIONER)


def can_view_placements(access: TenantAccess) -> bool:
    return access.has_role(AuthorityRole.BROKER, AuthorityRole.COMMISSIONER, AuthorityRole.FINANCE_VIEWER)


def can_set_rates(access: TenantAccess) -> bool:
    """Rate schedules (annual uplifts) are a commissioning decision."""
    return access.has_role(AuthorityRole.COMMISSIONER)


def can_view_utilisation(access: TenantAccess) -> bool:
    """The utilisation report: those who source, commission or pay for care."""
    return access.has_role(AuthorityRole.BROKER, AuthorityRole.COMMISSIONER, AuthorityRole.FINANCE_VIEWER)


def can_bid(access: TenantAccess, provider_id: int) -> bool:
    return access.has_provider_role(provider_id, ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER)
