from accounts.models import AuthorityMembership
from accounts.roles import AuthorityRole, ProviderRole


def authority_overview(*, authority) -> dict:
    """What every page of an authority's front door shows about it."""
    return {
        "members": list(authority.members.order_by("name")) if authority.is_partnership else [],
        "partnerships": list(authority.partnerships.filter(is_active=True).order_by("name")),
        "team_size": AuthorityMembership.objects.current()
        .filter(authority=authority)
        .values("user")
        .distinct()
        .count(),
    }


def role_labels(roles) -> list[str]:
    return sorted(AuthorityRole(role).label for role in roles)


def providers_named(provider_roles: dict) -> list[dict]:
    from shared_catalogue.models import Provider

    providers = Provider.objects.filter(pk__in=list(provider_roles)).order_by("name")
    return [
        {"provider": p, "roles": sorted(ProviderRole(r).label for r in provider_roles[p.pk])}
        for p in providers
    ]
