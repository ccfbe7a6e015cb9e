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


# --- Under a grant (tenants/agreements/grants.py) -----------------------------------
# Staff of an authority granted call-off rights on one of this authority's
# agreements work here with their home roles, on their own call-offs only.

SOURCING = (AuthorityRole.BROKER, AuthorityRole.COMMISSIONER)


def can_call_off_under_grant(access: TenantAccess, agreement_id, grantee_id=None) -> bool:
    """A new call-off (a person's record, a package, its publication) needs a grant in force."""
    return access.grant_for(agreement_id, right="call_off", roles=SOURCING, grantee_id=grantee_id) is not None


def can_source_package(access: TenantAccess, package, *, new: bool = False) -> bool:
    """Staff here; or the granted body's brokers and commissioners for its own
    call-off (`new`: publishing, which needs the grant in force; later steps
    run on under a revoked grant, the call-off having been made)."""
    if can_source(access):
        return True
    return access.grant_for(package.agreement_id, right="call_off", roles=SOURCING, current=new,
                            grantee_id=package.called_off_by_id) is not None


def can_evaluate_package(access: TenantAccess, package) -> bool:
    return can_evaluate_bids(access) or can_source_package(access, package)


def can_manage_placement(access: TenantAccess, placement) -> bool:
    return can_manage_placements(access) or can_source_package(access, placement.package)


RECHARGE_ROLES = (AuthorityRole.FINANCE_VIEWER, AuthorityRole.COMMISSIONER)


def can_view_recharges(access: TenantAccess) -> bool:
    """Recharges between funders: finance officers and commissioners, here or of a granted body."""
    return access.has_role(*RECHARGE_ROLES) or bool(access.granted_authority_ids(*RECHARGE_ROLES))
