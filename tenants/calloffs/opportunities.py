"""The opportunity projection: each invitation mirrored into
shared_catalogue.OpportunityProjection in the public schema, in the same
transaction as the package changes, so a provider sees its opportunities in
every authority in one list. Rebuildable from the schemas."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_catalogue.models import BidStatus, OpportunityProjection
from tenancy.models import Authority
from tenancy.selectors import authority_current

STATUS = {"published": "open", "closed": "closed", "awarded": "awarded", "no_award": "not_awarded",
          "withdrawn": "cancelled",  # providers see a withdrawn package as cancelled
          "cancelled": "cancelled"}
FIELDS = ["reference", "title", "agreement_title", "lot_number", "lot_title", "locality", "bid_deadline", "status",
          "invited_at", "bid_status", "successful", "answers_published", "updated_at"]


def _rows(package, authority: Authority) -> list[OpportunityProjection]:
    """One row per invitee, with that invitee's own bid status and, after
    award, whether it won (each row is read only by that provider's people)."""
    from tenants.calloffs.models import Award, Bid

    if package.status not in STATUS:
        return []
    bids = dict(Bid.objects.filter(package=package).values_list("provider_id", "status"))
    winner = None
    if package.status == "awarded":
        winner = Award.objects.filter(package=package).values_list("bid__provider_id", flat=True).first()
    answers = package.clarifications.filter(published_at__isnull=False).count()
    return [OpportunityProjection(
        authority=authority, provider_id=invitation.provider_id, package_id=package.pk, reference=package.reference,
        title=package.title, agreement_title=package.agreement.title, lot_number=package.lot.number,
        lot_title=package.lot.title, locality=package.locality, bid_deadline=package.bid_deadline,
        status=STATUS[package.status], invited_at=invitation.invited_at,
        bid_status=bids.get(invitation.provider_id, BidStatus.NOT_STARTED),
        successful=(None if winner is None or bids.get(invitation.provider_id) != BidStatus.SUBMITTED
                    else winner == invitation.provider_id),
        answers_published=answers, updated_at=timezone.now())
        for invitation in package.invitations.all()]


def write_bid(bid) -> None:
    """The bidder's own row follows its bid (draft, submitted, withdrawn)."""
    OpportunityProjection.objects.filter(authority=authority_current(), package_id=bid.package_id,
                                         provider_id=bid.provider_id).update(bid_status=bid.status,
                                                                             updated_at=timezone.now())


def write_answers(package) -> None:
    """A clarification answer was published: every invitee's row counts it."""
    answers = package.clarifications.filter(published_at__isnull=False).count()
    OpportunityProjection.objects.filter(authority=authority_current(), package_id=package.pk).update(
        answers_published=answers, updated_at=timezone.now())


def write_package(package) -> None:
    """Mirror a package's invitations (call inside the transaction that changed it)."""
    rows = _rows(package, authority_current())
    if rows:
        OpportunityProjection.objects.bulk_create(rows, update_conflicts=True, update_fields=FIELDS,
                                                  unique_fields=["authority", "package_id", "provider"])


def rebuild(authority: Authority) -> dict:
    from tenants.calloffs.models import Package

    with schema_context(authority.schema_name), transaction.atomic():
        rows = [row for package in Package.objects.select_related("agreement", "lot").prefetch_related("invitations")
                for row in _rows(package, authority)]
        OpportunityProjection.objects.filter(authority=authority).delete()
        OpportunityProjection.objects.bulk_create(rows)
    return {"authority": authority.slug, "opportunities": len(rows)}
