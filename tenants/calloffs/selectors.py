"""Reading call-offs: a provider's opportunities everywhere, packages for
staff, and the utilisation report."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from accounts.models import ProviderMembership
from common import csvsafe
from shared_catalogue.models import OpportunityProjection, Provider
from tenancy.models import Authority
from tenants.agreements.models import Agreement, Lot
from tenants.calloffs.models import Award, Bid, BidReceipt, Clarification, Invitation, Package, Person
from tenants.placements.models import Placement


def opportunities_for(user, *, open_only: bool = True):
    """Every package the person's organisations are invited to bid for, in
    every authority: one query on the public projection."""
    providers = ProviderMembership.objects.current().filter(user=user, provider__is_active=True).values("provider_id")
    rows = (OpportunityProjection.objects.filter(provider_id__in=providers)
            .select_related("authority", "provider").order_by("bid_deadline", "reference"))
    return rows.filter(status=OpportunityProjection.Status.OPEN) if open_only else rows


def packages_for_staff():
    """Packages with how many providers were invited and, once bidding has
    closed, how many bids came in (before then even the number stays sealed).
    Lists filter them with calloffs.filters.PackageFilters."""
    return (Package.objects.select_related("agreement", "lot", "called_off_by", "client_group")
            .annotate(invited=Count("invitations", distinct=True),
                      bids_received=Count("bids", distinct=True,
                                          filter=Q(bids__status=Bid.Status.SUBMITTED, closed_at__isnull=False)))
            .order_by("-created_at"))


def sourcing_requests_count(packages=None) -> int:
    """How many sourcing requests `packages` (all, if None) stand for: a
    request published again (withdrawn or not awarded first) is one request
    however many packages it took. Use this wherever sourcing requests are
    counted, never a count of packages."""
    packages = Package.objects.all() if packages is None else packages
    return packages.order_by().aggregate(n=Count(Coalesce("original_id", "id"), distinct=True))["n"]


def sourcing_requests():
    """The first package of each sourcing request: one row per request,
    dated and placed (lot) where the request was first made."""
    return Package.objects.filter(original__isnull=True)


def package_chain(package: Package) -> list[Package]:
    """Every package of `package`'s sourcing request, first to latest."""
    first = package.sourcing_request_id
    return list(Package.objects.filter(Q(pk=first) | Q(original_id=first)).select_related("lot")
                .order_by("created_at", "pk"))


def package_for_staff(package_id) -> Package | None:
    return (Package.objects.select_related("agreement", "lot", "called_off_by", "created_by", "published_by")
            .filter(pk=package_id).first())


def package_person(package: Package, person_id) -> Person | None:
    return package.people.filter(pk=person_id).first()


def lots_open_for_calloff():
    """Lots of live agreements: the only ones a package can be published on."""
    return (Lot.objects.filter(agreement__status=Agreement.Status.LIVE).select_related("agreement")
            .order_by("agreement__title", "number"))


def calloff_unavailable(today: date | None = None) -> str | None:
    """Why no package can be called off here now, in plain words, or None
    when one can. Asked before anyone types a person's details."""
    if Lot.objects.filter(agreement__status=Agreement.Status.LIVE).exists():
        return None
    agreements = list(Agreement.objects.exclude(status=Agreement.Status.ENDED).order_by("starts_on", "title"))
    if not agreements:
        return ("There is no agreement here to call off from yet. A commissioner sets one up, admits providers "
                "to its lots and makes it live; then packages can be called off from it.")
    reasons = []
    for agreement in agreements:
        if agreement.status == Agreement.Status.OPEN:
            when = (f" It is due to start on {agreement.starts_on:%-d %B %Y}."
                    if agreement.starts_on and agreement.starts_on > (today or timezone.localdate()) else "")
            reasons.append(f"{agreement.title} is still taking its first applications from providers.{when} "
                           "Packages can be called off once a commissioner makes it live with providers "
                           "admitted to its lots (for a DPS, the Public Contracts Regulations 2015, "
                           "regulation 34: providers are invited to bid only once admitted).")
        elif agreement.status == Agreement.Status.SUSPENDED:
            reasons.append(f"{agreement.title} is suspended: nothing can be called off from it until it is "
                           "resumed.")
        else:
            reasons.append(f"{agreement.title} is a draft: it has not been opened to providers yet.")
    return "No agreement here is live, so no package can be called off yet. " + " ".join(reasons)


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
                                                                            "evaluation__evaluated_by",
                                                                            "price_check")
            .order_by("provider__name"))


def bid_of(package: Package, bid_id) -> Bid | None:
    return bids_submitted(package).filter(pk=bid_id).first()


def deadline_changes(package: Package):
    return package.deadline_changes.select_related("changed_by").order_by("changed_at")


def utilisation(*, start: date | None = None, end: date | None = None) -> list[dict]:
    """Sourcing requests (each once, however often it was published),
    call-offs published, bids received, awards and placements gone live, by
    lot and month (the figures a council reports for a year)."""
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
        # a request published again is counted once, in the month and lot it was first made
        "requests": monthly(sourcing_requests().annotate(lot_key=F("lot_id")), "created_at"),
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
    writer = csvsafe.writer(out)
    writer.writerow(UTILISATION_HEADER)
    for row in rows:
        writer.writerow([f"{row['month']:%Y-%m}", row["lot"].agreement.reference, row["lot"].number,
                         row["lot"].title, row["requests"], row["published"], row["bids"], row["awards"],
                         row["live"]])
    return out.getvalue()



# --- The provider's side, inside an authority -----------------------------------------
# Everything here is narrowed to the person's organisations (TenantAccess.provider_ids)
# and reads no bid content: that goes through sealing.read_bid.

def bidding_open(package: Package, now: datetime | None = None) -> bool:
    return package.status == Package.Status.PUBLISHED and (now or timezone.now()) < package.bid_deadline


def questions_open(package: Package, now: datetime | None = None) -> bool:
    return package.status == Package.Status.PUBLISHED and (now or timezone.now()) < package.clarification_deadline


def invitations_for_provider(provider_ids):
    """The packages here the organisations are invited to, soonest deadline
    first: one row per organisation invited."""
    return (Invitation.objects.filter(provider_id__in=provider_ids)
            .select_related("package__agreement", "package__lot", "provider")
            .order_by("package__bid_deadline", "package__reference", "provider__name"))


def package_for_provider(*, provider_ids, package_id) -> Package | None:
    """A package one of the organisations is invited to, or None: a package
    only others were invited to, a draft and a missing one look the same."""
    invited = Invitation.objects.filter(package=OuterRef("pk"), provider_id__in=provider_ids)
    return (Package.objects.filter(Exists(invited), pk=package_id)
            .select_related("agreement", "lot", "called_off_by", "client_group").first())


@dataclass(frozen=True)
class Invited:
    """One of the person's organisations invited to a package, with its own
    bid so far (its state and receipt, not its content) and, once awarded,
    whether that bid won."""

    provider: Provider
    invitation: Invitation
    bid: Bid | None
    successful: bool | None

    @property
    def submitted(self) -> bool:
        return self.bid is not None and self.bid.status == Bid.Status.SUBMITTED


def invited_organisations(package: Package, provider_ids) -> list[Invited]:
    invitations = list(Invitation.objects.filter(package=package, provider_id__in=provider_ids)
                       .select_related("provider").order_by("provider__name"))
    ids = [i.provider_id for i in invitations]
    bids = {b.provider_id: b for b in Bid.objects.filter(package=package, provider_id__in=ids)
            .defer("sealed", "content")}
    winner = None
    if package.status == Package.Status.AWARDED:
        winner = Award.objects.filter(package=package).values_list("bid__provider_id", flat=True).first()
    return [Invited(i.provider, i, bids.get(i.provider_id),
                    None if winner is None or i.provider_id not in bids else winner == i.provider_id)
            for i in invitations]


def own_bids(provider_ids, package_ids) -> dict[tuple[int, int], Bid]:
    """The organisations' bids on these packages, by (package, provider), without content."""
    return {(b.package_id, b.provider_id): b for b in Bid.objects.filter(
        provider_id__in=provider_ids, package_id__in=package_ids).defer("sealed", "content")}


def clarifications_published(package: Package):
    """The questions answered and published to every invitee: never who asked."""
    return (Clarification.objects.filter(package=package, published_at__isnull=False)
            .only("id", "package_id", "question", "answer", "published_at").order_by("published_at", "pk"))


def clarifications_waiting(package: Package, provider_ids):
    """The organisations' own questions not yet answered."""
    return (Clarification.objects.filter(package=package, provider_id__in=provider_ids, published_at__isnull=True)
            .select_related("provider").order_by("asked_at", "pk"))


def bid_receipts(bid: Bid):
    """Every submission of a bid as received, latest first."""
    return BidReceipt.objects.filter(bid=bid).order_by("-version")



def packages_under_grants(authority_ids):
    """The call-offs the granted authorities made here, for their own staff (never another's)."""
    return packages_for_staff().filter(called_off_by__in=list(authority_ids))


def packages_for_grantee(access):
    """What a granted body's staff reach here: the packages their own authority
    called off under an agreement it holds (or held) a grant on; never the
    owner's other packages, nor another grantee's."""
    pairs = Q(pk__in=[])
    for grant in access.grants if access.mfa_enabled else ():
        pairs |= Q(called_off_by_id=grant.grantee_id, agreement_id=grant.agreement_id)
    return packages_for_staff().filter(pairs)
