"""Who may do what with applications and admissions, for pages and API alike."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole, ProviderRole


def can_view_applications(access: TenantAccess) -> bool:
    """Staff who run admissions see submitted applications; evaluators see
    only those assigned to them (selectors narrow it)."""
    return access.has_role(AuthorityRole.COMMISSIONER, AuthorityRole.EVALUATOR, AuthorityRole.QUALITY_OFFICER)


def can_read_all_applications(access: TenantAccess) -> bool:
    """Commissioners and quality officers read every submitted application,
    answers included; an evaluator reads only what is given to them, once
    they have declared no conflict."""
    return access.has_role(AuthorityRole.COMMISSIONER, AuthorityRole.QUALITY_OFFICER)


def can_lead_evaluation(access: TenantAccess) -> bool:
    """Commissioners assign evaluators, moderate, decide and manage admissions."""
    return access.has_role(AuthorityRole.COMMISSIONER)


def can_be_evaluator(access: TenantAccess) -> bool:
    return access.has_role(AuthorityRole.EVALUATOR, AuthorityRole.COMMISSIONER)


def can_view_admissions(access: TenantAccess) -> bool:
    return access.is_staff


def can_write_application(access: TenantAccess, provider_id: int) -> bool:
    return access.has_provider_role(provider_id, ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER)


def can_read_application(access: TenantAccess, provider_id: int) -> bool:
    return provider_id in access.provider_ids


def providers_that_may_apply(access: TenantAccess) -> list[int]:
    """The person's organisations they may write applications for."""
    return sorted(pid for pid in access.provider_ids if can_write_application(access, pid))
