"""Reads about people and where they belong."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django_tenants.utils import get_public_schema_name

from accounts.models import ApiToken, AuthorityMembership, ProviderMembership
from accounts.roles import AuthorityRole, ProviderRole


@dataclass
class Workspace:
    """Somewhere a person can work: an authority (or partnership) or a provider."""

    kind: str  # "authority" or "provider"
    slug: str
    name: str
    roles: list[str] = field(default_factory=list)
    via: str = ""  # for a partnership reached through a member authority


def workspaces_for(user) -> dict:
    """Where `user` works: their authorities (with partnerships reached through
    them) and their provider organisations, plus where a provider may apply.
    Four queries, however many memberships."""
    from tenancy.models import Authority

    authorities: dict[int, Workspace] = {}
    memberships = (
        AuthorityMembership.objects.current()
        .filter(user=user, authority__is_active=True)
        .select_related("authority")
        .order_by("authority__name", "role")
    )
    member_of: dict[int, str] = {}
    for m in memberships:
        ws = authorities.setdefault(
            m.authority_id, Workspace("authority", m.authority.slug, m.authority.name)
        )
        ws.roles.append(AuthorityRole(m.role).label)
        member_of[m.authority_id] = m.authority.name
    if member_of:
        partnerships = (
            Authority.objects.filter(members__in=list(member_of), is_active=True)
            .prefetch_related(Prefetch("members", queryset=Authority.objects.only("id", "name")))
            .distinct()
        )
        for p in partnerships:
            ws = authorities.setdefault(p.pk, Workspace("authority", p.slug, p.name))
            via = [a.name for a in p.members.all() if a.pk in member_of]
            ws.via = ", ".join(via)
    providers: dict[int, Workspace] = {}
    for m in (
        ProviderMembership.objects.current()
        .filter(user=user, provider__is_active=True)
        .select_related("provider")
        .order_by("provider__name", "role")
    ):
        ws = providers.setdefault(m.provider_id, Workspace("provider", str(m.provider_id), m.provider.name))
        ws.roles.append(ProviderRole(m.role).label)
    open_to_providers = []
    if providers:
        open_to_providers = list(
            Authority.objects.filter(is_active=True)
            .exclude(schema_name=get_public_schema_name())
            .order_by("name")
            .values("slug", "name", "kind")
        )
    return {
        "authorities": sorted(authorities.values(), key=lambda w: w.name),
        "providers": list(providers.values()),
        "open_to_providers": open_to_providers,
    }


def authority_team(*, authority) -> list[dict]:
    """Current role holders of an authority, one row per person with their roles."""
    people: dict[int, dict] = defaultdict(lambda: {"memberships": []})
    for m in (
        AuthorityMembership.objects.current()
        .filter(authority=authority)
        .select_related("user", "granted_by")
        .order_by("user__full_name", "user__email", "role")
    ):
        row = people[m.user_id]
        row["user"] = m.user
        row["memberships"].append(m)
    return list(people.values())


def authority_membership_get(*, authority, membership_id) -> AuthorityMembership | None:
    """A current membership of this authority, or None (also for another authority's)."""
    try:
        membership_id = int(membership_id)
    except (TypeError, ValueError):
        return None
    return (
        AuthorityMembership.objects.current()
        .select_related("user", "authority")
        .filter(authority=authority, pk=membership_id)
        .first()
    )


def api_tokens_for(user):
    return ApiToken.objects.filter(user=user).order_by("-created")


def api_token_get(*, user, token_key: str) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, token_key=token_key).select_related("user").first()
