"""Placements seen by more than one authority: one called off, or co-funded,
under a grant (tenants/agreements/grants.py) is mirrored to each other
authority involved (shared_catalogue.JointPlacementProjection), in the
transaction that changes it, so the ICB sees it in its own authority. The
projection carries no person's identity and is never the source of truth."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_catalogue.models import JointPlacementProjection
from tenancy.models import Authority
from tenancy.selectors import authority_current
from tenants.placements.models import Placement


def _rows(placement: Placement, owner: Authority) -> list[JointPlacementProjection]:
    funders = list(placement.funders.select_related("authority").order_by("-share", "authority__name"))
    viewers = ({placement.package.called_off_by_id} | {f.authority_id for f in funders}) - {owner.pk}
    if not viewers:
        return []
    common = {
        "owner": owner, "placement_id": placement.pk, "package_reference": placement.package.reference,
        "agreement_reference": placement.package.agreement.reference, "lot_title": str(placement.package.lot),
        "provider_name": placement.provider.name, "called_off_by_id": placement.package.called_off_by_id,
        "status": placement.status, "start_on": placement.start_on, "ended_on": placement.ended_on,
        "weekly_cost": placement.weekly_cost, "updated_at": timezone.now(),
        "funders": [{"authority": f.authority.slug, "name": f.authority.name, "share": str(f.share),
                     "purchasing_agreement": f.purchasing_agreement} for f in funders],
    }
    return [JointPlacementProjection(viewer_id=viewer, **common) for viewer in sorted(viewers)]


def sync(placement: Placement) -> None:
    """Mirror one placement (call inside the transaction that changed it)."""
    owner = authority_current()
    placement = Placement.objects.select_related("package__agreement", "package__lot", "provider").get(
        pk=placement.pk)
    JointPlacementProjection.objects.filter(owner=owner, placement_id=placement.pk).delete()
    JointPlacementProjection.objects.bulk_create(_rows(placement, owner))


def rebuild(authority: Authority) -> dict:
    with schema_context(authority.schema_name), transaction.atomic():
        rows = [row for p in Placement.objects.select_related("package__agreement", "package__lot", "provider")
                for row in _rows(p, authority)]
        JointPlacementProjection.objects.filter(owner=authority).delete()
        JointPlacementProjection.objects.bulk_create(rows)
    return {"authority": authority.slug, "joint_placements": len(rows)}


def joint_placements_seen_by(authority: Authority):
    """Placements in other authorities that `authority` called off or co-funds (public projection)."""
    return JointPlacementProjection.objects.filter(viewer=authority).select_related("owner", "called_off_by")
