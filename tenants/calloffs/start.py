"""After award: what the winning provider needs to start the care, and the
result each unsuccessful bidder is owed.

The person's identity is held apart from the package and shown to a
provider only once the package is awarded to it, to its provider admins and
bid writers, and only on purpose: every look is recorded (IdentityAccess, as
for staff) and written to the authority's audit trail with the purpose; a
refused attempt (before award, a losing bidder, another organisation) is
recorded too. Pages and the API call the same functions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.policy import access_here
from audit.services import audit_record
from tenants.calloffs import policy
from tenants.calloffs.models import Award, Bid, BidEvaluation, BidLetter, IdentityAccess, Package, Person

PURPOSE = "To arrange the start of the awarded care"
REFUSED = ("The person's details are shared only with the provider the package is awarded to, after the award, "
           "and only with its provider admins and bid writers.")


@dataclass(frozen=True)
class StartDetails:
    package: Package
    award: Award
    people: list[Person]
    placement: object | None  # placements.Placement
    contact_name: str
    contact_email: str
    purpose: str


def start_details(*, actor, package: Package, provider_id: int, purpose: str = PURPOSE,
                  channel: str = "page") -> StartDetails:
    """The person's details and the start arrangements, for the awarded
    provider's admins and bid writers; each look recorded with its purpose."""
    from tenants.placements.models import Placement

    access = access_here(actor)
    package = Package.objects.select_related("agreement", "lot", "called_off_by").get(pk=package.pk)
    award = Award.objects.select_related("bid", "awarded_by").filter(package=package).first()
    allowed = (package.status == Package.Status.AWARDED and award is not None
               and award.bid.provider_id == provider_id and policy.can_bid(access, provider_id))
    if not allowed:
        audit_record(actor=actor, action="person.identity_refused", obj=package, reason=purpose,
                     context={"provider": provider_id, "channel": channel, "by": "provider"})
        raise PermissionDenied(REFUSED)
    people = list(package.people.order_by("pk"))
    with transaction.atomic():
        IdentityAccess.objects.bulk_create([IdentityAccess(person=person, user=actor, package=package,
                                                           purpose=purpose) for person in people])
        audit_record(actor=actor, action="person.identity_seen_by_provider", obj=package, reason=purpose,
                     context={"provider": provider_id, "people": [p.pk for p in people], "channel": channel})
    placement = Placement.objects.filter(package=package).first()
    awarded_by = award.awarded_by
    return StartDetails(package=package, award=award, people=people, placement=placement,
                        contact_name=awarded_by.get_full_name() or awarded_by.email, contact_email=awarded_by.email,
                        purpose=purpose)


@dataclass(frozen=True)
class Result:
    """An unsuccessful bid's scores against the published criteria, and why
    the award went elsewhere (the feedback letter, as sent)."""

    evaluation: BidEvaluation | None
    winner_total: Decimal | None
    basis: str
    letter: BidLetter | None


def result_for(*, package: Package, bid: Bid | None) -> Result | None:
    """For the bidder's own submitted bid on an awarded package it did not
    win; None otherwise (the caller has already checked it is the bidder)."""
    if bid is None or bid.status != Bid.Status.SUBMITTED or package.status != Package.Status.AWARDED:
        return None
    award = Award.objects.select_related("bid__evaluation").filter(package=package).first()
    if award is None or award.bid_id == bid.pk:
        return None
    winner = getattr(award.bid, "evaluation", None)
    return Result(evaluation=BidEvaluation.objects.filter(bid=bid).first(),
                  winner_total=winner.total if winner else None, basis=award.get_basis_display(),
                  letter=BidLetter.objects.filter(bid=bid).first())
