"""Reading placements: lists and one placement with its funders, variations
and uplifts; who may fund here; rate schedules."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch

from tenancy.models import Authority
from tenancy.selectors import authority_current
from tenants.placements.models import CostLine, Funder, Placement, RateSchedule

HUNDRED = Decimal("100")
PENCE = Decimal("0.01")


def _funders():
    return Prefetch("funders", queryset=Funder.objects.select_related("authority").order_by("-share",
                                                                                           "authority__name"))


def placements_for_staff(*, status: str = ""):
    rows = (Placement.objects.select_related("package", "package__lot", "package__agreement", "provider",
                                             "replacement", "payer")
            .prefetch_related(_funders()).order_by("-created_at"))
    return rows.filter(status=status) if status in Placement.Status.values else rows


def placement_for_staff(placement_id) -> Placement | None:
    return (Placement.objects.select_related("package", "package__lot", "package__agreement", "package__client_group",
                                             "package__called_off_by", "provider", "went_live_confirmed_by", "bid",
                                             "replacement", "payer")
            .prefetch_related(_funders(), "variations__made_by", "uplifts__schedule",
                              Prefetch("cost_lines", queryset=CostLine.objects.select_related("made_by")
                                       .prefetch_related("shares__authority")
                                       .order_by("made_at", "pk")))
            .filter(pk=placement_id).first())


def funder_shares(placement: Placement) -> list[tuple[Funder, Decimal]]:
    """Each funder with what its share comes to a week, in pounds and pence."""
    return [(f, (placement.weekly_cost * f.share / HUNDRED).quantize(PENCE, ROUND_HALF_UP))
            for f in placement.funders.all()]


def funders_possible(placement: Placement | None = None) -> list[Authority]:
    """Who may fund a placement here: this authority, in a partnership each
    member (a council and an ICB, say), and any authority holding a
    co-funding grant in force on the placement's agreement, or funding it already."""
    from django.utils import timezone

    from tenants.agreements.models import CallOffGrant

    here = authority_current()
    found = [here, *here.members.order_by("name")] if here.is_partnership else [here]
    if placement is not None:
        today = timezone.localdate()
        granted = [g.grantee for g in CallOffGrant.objects.filter(
            agreement_id=placement.package.agreement_id, may_co_fund=True, revoked_at__isnull=True)
            .select_related("grantee").order_by("grantee__name") if g.in_force_on(today)]
        for authority in [*granted, *(f.authority for f in placement.funders.all())]:
            if all(authority.pk != known.pk for known in found):
                found.append(authority)
    return found


def rate_schedules():
    return (RateSchedule.objects.select_related("agreement", "lot", "created_by")
            .annotate(applied=Count("uplifts")).order_by("-effective_from", "-pk"))


def rate_schedule(schedule_id) -> RateSchedule | None:
    return rate_schedules().filter(pk=schedule_id).first()


def placements_under_grants(authority_ids):
    """Placements the granted authorities called off or co-fund, for their staff here."""
    from django.db.models import Q

    ids = list(authority_ids)
    return (placements_for_staff().filter(Q(package__called_off_by__in=ids) | Q(funders__authority__in=ids))
            .distinct())


def placements_joint():
    """For the owner's staff: placements called off or co-funded under a grant."""
    return placements_for_staff().filter(funders__grant__isnull=False).distinct()
