"""Reading call-offs: a provider's opportunities everywhere, packages for
staff, and the utilisation report."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from accounts.models import ProviderMembership
from shared_catalogue.models import OpportunityProjection
from tenancy.models import Authority
from tenants.agreements.models import Agreement, Lot
from tenants.calloffs.models import Bid, Clarification, Package, Person
from tenants.placements.models import Placement


def opportunities_for(user, *, open_only: bool = True):
    """Every package the person's organisations are invited to bid for, in
    every authority: one query on the public projection."""
    providers = ProviderMembership.objects.current().filter(user=user, provider__is_active=True).values("provider_id")
    rows = (OpportunityProjection.objects.filter(provider_id__in=providers)
            .select_related("authority", "provider").order_by("bid_deadline", "reference"))
    return rows.filter(status=OpportunityProjection.Status.OPEN) if open_only else rows


def packages_for_staff(*, status: str = ""):
    """Packages with how many providers were invited and, once bidding has
    closed, how many bids came in (before then even the number stays sealed)."""
    rows = (Package.objects.select_related("agreement", "lot", "called_off_by")
            .annotate(invited=Count("invitations", distinct=True),
                      bids_received=Count("bids", distinct=True,
                                          filter=Q(bids__status=Bid.Status.SUBMITTED, closed_at__isnull=False)))
            .order_by("-created_at"))
    return rows.filter(status=status) if status in Package.Status.values else rows


def package_for_staff(package_id) -> Package | None:
    return (Package.objects.select_related("agreement", "lot", "called_off_by", "created_by", "published_by")
            .filter(pk=package_id).first())


def package_person(package: Package, person_id) -> Person | None:
    return package.people.filter(pk=person_id).first()


def lots_open_for_calloff():
    """Lots of live agreements: the only ones a package can be published on."""
    return (Lot.objects.filter(agreement__status=Agreement.Status.LIVE).select_related("agreement")
            .order_by("agreement__title", "number"))


def callers_of_live_agreements() -> list[Authority]:
    """Every authority that may call off from a live agreement here."""
    ids = set(Agreement.objects.filter(status=Agreement.Status.LIVE)
              .values_list("call_off_authorities", flat=True))
    return list(Authority.objects.filter(pk__in=ids - {None}).order_by("name"))


def invitations_of(package: Package) -> dict:
    """The frozen invitation list, and who was not invited and why."""
    return {
        "invited": list(package.invitations.select_related("provider").order_by("provider__name")),
        "not_invited": list(package.not_invited.select_related("provider").order_by("provider__name")),
    }


def clarifications_for_staff(package: Package):
    """Every question, with the asking organisation (staff only: the
    published answer never says who asked)."""
    return package.clarifications.select_related("provider", "asked_by", "answered_by").order_by("asked_at")


def clarification_for_staff(package: Package, clarification_id) -> Clarification | None:
    return clarifications_for_staff(package).filter(pk=clarification_id).first()


def bids_submitted(package: Package):
    """Submitted bids with their evaluations (read their content through
    calloffs.sealing only)."""
    return (package.bids.filter(status=Bid.Status.SUBMITTED).select_related("provider", "evaluation",
                                                                            "evaluation__evaluated_by")
            .order_by("provider__name"))


def bid_of(package: Package, bid_id) -> Bid | None:
    return bids_submitted(package).filter(pk=bid_id).first()


def deadline_changes(package: Package):
    return package.deadline_changes.select_related("changed_by").order_by("changed_at")


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

    lots = Lot.objects.select_related("agreement").in_bulk({lot for lot, _ in counts})
    return [{"lot": lots[lot], "month": month, **values}
            for (lot, month), values in sorted(counts.items(), key=lambda item: (item[0][1], lots[item[0][0]].number))]


UTILISATION_HEADER = ["Month", "Agreement", "Lot", "Lot title", "Sourcing requests", "Published", "Bids received",
                      "Awarded", "Gone live"]


def utilisation_csv(rows: list[dict]) -> str:
    """The utilisation report as CSV, one row per lot and month."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(UTILISATION_HEADER)
    for row in rows:
        writer.writerow([f"{row['month']:%Y-%m}", row["lot"].agreement.reference, row["lot"].number,
                         row["lot"].title, row["requests"], row["published"], row["bids"], row["awards"],
                         row["live"]])
    return out.getvalue()


def open_count_for(provider_ids) -> int:
    return OpportunityProjection.objects.filter(provider_id__in=provider_ids,
                                                status=OpportunityProjection.Status.OPEN).count()


