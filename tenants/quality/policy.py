"""Who may do what with KPIs and returns, for pages and API alike."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole, ProviderRole


def can_define_kpis(access: TenantAccess) -> bool:
    """What an agreement measures is a commissioning decision."""
    return access.has_role(AuthorityRole.COMMISSIONER)


def can_review_returns(access: TenantAccess) -> bool:
    """Quality officers (and commissioners) validate or query returns."""
    return access.has_role(AuthorityRole.QUALITY_OFFICER, AuthorityRole.COMMISSIONER)


def can_view_kpis(access: TenantAccess) -> bool:
    return access.is_staff


def can_submit_return(access: TenantAccess, provider_id: int) -> bool:
    return access.has_provider_role(provider_id, ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER)


def can_read_returns(access: TenantAccess, provider_id: int) -> bool:
    return provider_id in access.provider_ids


def can_self_assess(access: TenantAccess, provider_id: int) -> bool:
    """A provider's admins and bid writers complete its quality self-assessment."""
    return access.has_provider_role(provider_id, ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER)


def can_follow_up(access: TenantAccess) -> bool:
    """Quality officers (and commissioners) follow up the actions from an assessment."""
    return access.has_role(AuthorityRole.QUALITY_OFFICER, AuthorityRole.COMMISSIONER)


def can_oversee(access: TenantAccess) -> bool:
    """Quality officers (and commissioners) record intelligence, carry out
    quality assessments, take contract actions and moderate feedback."""
    return access.has_role(AuthorityRole.QUALITY_OFFICER, AuthorityRole.COMMISSIONER)
