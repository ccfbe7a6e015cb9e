"""Who may import an authority's history, for pages and API alike."""

from __future__ import annotations

from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole


def can_import_history(access: TenantAccess) -> bool:
    """Bringing in an authority's records (placements, admissions) is set-up
    work: its commissioners and authority admins do it."""
    return access.has_role(AuthorityRole.COMMISSIONER, AuthorityRole.AUTHORITY_ADMIN)
