from accounts.policy import TenantAccess
from accounts.roles import AuthorityRole


def can_read_audit(access: TenantAccess) -> bool:
    """An authority's audit trail is read by its authority admins."""
    return access.has_role(AuthorityRole.AUTHORITY_ADMIN)
