"""Who may do what with payments, for pages and API alike.

Finance officers (the finance viewer role) and commissioners prepare
schedules: periods, generating, issuing, answering queries, adjusting.
Only a finance officer approves a schedule for payment and exports it: the
person who signs off money is in finance. Providers' admins confirm, query
and invoice; anyone of the provider reads its schedules."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole, ProviderRole

PREPARERS = (AuthorityRole.FINANCE_VIEWER, AuthorityRole.COMMISSIONER)


def can_view_payments(access: TenantAccess) -> bool:
    return access.has_role(*PREPARERS)


def can_prepare_payments(access: TenantAccess) -> bool:
    return access.has_role(*PREPARERS)


def can_approve_payments(access: TenantAccess) -> bool:
    """Approval and export: finance officers only."""
    return access.has_role(AuthorityRole.FINANCE_VIEWER)


def can_read_schedule(access: TenantAccess, provider_id: int) -> bool:
    return bool(access.provider_roles.get(provider_id))


def can_answer_schedule(access: TenantAccess, provider_id: int) -> bool:
    """Confirm, query and invoice: the provider's admins."""
    return access.has_provider_role(provider_id, ProviderRole.PROVIDER_ADMIN)
