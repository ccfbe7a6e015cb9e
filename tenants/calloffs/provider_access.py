"""Finding what a provider person asks for on the provider's side of stage 2,
the same way for the pages and the API.

A package is found only among those the person's organisations are invited
to: any other is a 404, whether it exists or not. A bid is always that of
one of the person's invited organisations (named by `provider` when they are
there for more than one); naming any other organisation is refused and
recorded as an attempt to read a sealed bid (sealing.refuse_others_bid)."""

from __future__ import annotations

from django.http import Http404

from accounts.policy import TenantAccess
from common.errors import Invalid
from tenants.calloffs import policy, sealing, selectors
from tenants.calloffs.models import Package

NOT_FOUND = "None of your organisations is invited to bid for a package with that number here."
WRITE_REFUSED = "Only the organisation's provider admins and bid writers can bid or ask questions."


def access_package(access: TenantAccess, package_id) -> Package:
    package = selectors.package_for_provider(provider_ids=access.provider_ids, package_id=package_id)
    if package is None:
        raise Http404(NOT_FOUND)
    return package


def parse_provider(raw) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Invalid({"provider": "Give the organisation's number."}) from None


def access_bidder(*, access: TenantAccess, user, package: Package, provider_id: int | None,
                  channel: str) -> selectors.Invited:
    """The invited organisation the person acts for on this package."""
    invited = selectors.invited_organisations(package, access.provider_ids)
    if provider_id is None:
        if len(invited) == 1:
            return invited[0]
        raise Invalid({"provider": "You are here for more than one invited organisation: say which one ("
                                   + ", ".join(f"{row.provider.pk} for {row.provider.name}" for row in invited)
                                   + ")."})
    for row in invited:
        if row.provider.pk == provider_id:
            return row
    if provider_id in access.provider_ids:
        raise Http404("That organisation of yours was not invited to bid for this package.")
    sealing.refuse_others_bid(user=user, package=package, provider_id=provider_id, channel=channel)


def may_bid(access: TenantAccess, row: selectors.Invited) -> bool:
    return policy.can_bid(access, row.provider.pk)
