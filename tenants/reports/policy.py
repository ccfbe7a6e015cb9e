"""Who may read the reports an authority publishes, and who sets where the
call-off outcome export goes, for pages and API alike."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole

READ_REFUSED = "Only commissioners, brokers and finance viewers read the reports."
SETTINGS_REFUSED = "Only commissioners and authority admins set where the call-off outcome export goes."


def can_view_reports(access: TenantAccess) -> bool:
    """The year report, its committee pack and the call-off outcomes: those
    who commission, source or pay for care."""
    return access.has_role(AuthorityRole.COMMISSIONER, AuthorityRole.BROKER, AuthorityRole.FINANCE_VIEWER)


def can_set_export(access: TenantAccess) -> bool:
    return access.has_role(AuthorityRole.COMMISSIONER, AuthorityRole.AUTHORITY_ADMIN)
