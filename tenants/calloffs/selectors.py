"""Reading call-offs: a provider's opportunities everywhere, packages for
staff, and the utilisation report."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Count, F
from django.db.models.functions import TruncMonth

from accounts.models import ProviderMembership
from shared_catalogue.models import OpportunityProjection
from tenants.agreements.models import Lot
from tenants.calloffs.models import Bid, Package
from tenants.placements.models import Placement


def opportunities_for(user, *, open_only: bool = True):
    """Every package the person's organisations are invited to bid for, in
    every authority: one query on the public projection."""
    providers = ProviderMembership.objects.current().filter(user=user, provider__is_active=True).values("provider_id")
    rows = (OpportunityProjection.objects.filter(provider_id__in=providers)
            .select_related("authority", "provider").order_by("bid_deadline", "reference"))
    return rows.filter(status=OpportunityProjection.Status.OPEN) if open_only else rows


def packages_for_staff():
    return (Package.objects.select_related("agreement", "lot", "called_off_by")
            .annotate(invited=Count("invitations", distinct=True)).order_by("-created_at"))


def utilisation(*, start: date | None = None, end: date | None = None) -> list[dict]:
    """Sourcing requests, call-offs published, bids received, awards and
    placements gone live, by lot and month (seed 000's year-one figures)."""
    def monthly(queryset, field):
        if start:
            queryset = queryset.filter(**{f"{field}__date__gte": start})
        if end:
            queryset = queryset.filter(**{f"{field}__date__lte": end})
        return (queryset.annotate(month=TruncMonth(field)).values("month", "lot_key")
                .annotate(n=Count("pk")).order_by())

    counts: dict[tuple, dict] = defaultdict(lambda: {"requests": 0, "published": 0, "bids": 0, "awards": 0,
                                                     "live": 0})
    sources = {
        "requests": monthly(Package.objects.annotate(lot_key=F("lot_id")), "created_at"),
        "published": monthly(Package.objects.exclude(published_at=None).annotate(lot_key=F("lot_id")),
                             "published_at"),
        # bids are counted once bidding has closed: before then even their number stays with the seal
        "bids": monthly(Bid.objects.filter(status=Bid.Status.SUBMITTED, package__closed_at__isnull=False)
                        .annotate(lot_key=F("package__lot_id")), "submitted_at"),
        "awards": monthly(Package.objects.filter(award__isnull=False).annotate(lot_key=F("lot_id")),
                          "award__awarded_at"),
        "live": monthly(Placement.objects.exclude(went_live_at=None).annotate(lot_key=F("package__lot_id")),
                        "went_live_at"),
    }
    for name, rows in sources.items():
        for row in rows:
            counts[(row["lot_key"], row["month"].date())][name] += row["n"]

    lots = Lot.objects.in_bulk({lot for lot, _ in counts})
    return [{"lot": lots[lot], "month": month, **values}
            for (lot, month), values in sorted(counts.items(), key=lambda item: (item[0][1], lots[item[0][0]].number))]


def open_count_for(provider_ids) -> int:
    return OpportunityProjection.objects.filter(provider_id__in=provider_ids,
                                                status=OpportunityProjection.Status.OPEN).count()


