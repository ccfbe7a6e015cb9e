"""Who may do what with pricing schedules, for pages and API alike."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import ProviderRole
from tenants.calloffs import policy as calloffs


def can_set_prices(access: TenantAccess) -> bool:
    """Setting the year's fees is a commissioning decision."""
    return calloffs.can_set_rates(access)


def can_view_prices(access: TenantAccess) -> bool:
    return access.is_staff


def can_ask_explanation(access: TenantAccess) -> bool:
    """Those who evaluate bids ask for, and decide on, a low price's explanation."""
    return calloffs.can_evaluate_bids(access)


def can_award_at_rate(access: TenantAccess) -> bool:
    return calloffs.can_source(access)


def can_explain(access: TenantAccess, provider_id: int) -> bool:
    return access.has_provider_role(provider_id, ProviderRole.PROVIDER_ADMIN, ProviderRole.BID_WRITER)
