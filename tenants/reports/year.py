"""An agreement's year report: the figures a council publishes about its
purchasing system for a period (docs/reports.md gives each definition).

Seven queries, however many providers, admissions, requests and placements
there are: the lots, the rounds, the admissions, the sourcing requests, the
placements gone live, the money (one statement, tenants.placements.commitment)
and the funders' names."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenancy.models import Authority
from tenants.admissions.models import Admission
from tenants.agreements.models import Agreement, ApplicationRound, Lot, lot_number_key
from tenants.calloffs.models import Package
from tenants.calloffs.selectors import sourcing_requests_count
from tenants.placements.commitment import ZERO, commitment_sums, financial_year, financial_year_of
from tenants.placements.models import Placement

NEED_LABELS = dict(Package.PrimaryNeed.choices)
NOT_RECORDED = "Not recorded"
CONTRACTED = (Admission.Status.ACTIVE, Admission.Status.SUSPENDED)


def default_period(agreement: Agreement, today: date | None = None) -> tuple[date, date]:
    """From the agreement's go-live (or its start, before it went live; today if that is still to come) to today."""
    today = today or timezone.localdate()
    start = timezone.localtime(agreement.went_live_at).date() if agreement.went_live_at else agreement.starts_on
    return min(start, today), today


EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)


def period_errors(date_from: date, date_to: date) -> dict[str, list[str]]:
    """What is wrong with a period asked for, by parameter (`from`, `to`); empty when it will do."""
    errors = {name: [f"Choose a date from {EARLIEST:%-d %B %Y} to {LATEST:%-d %B %Y}."]
              for name, day in (("from", date_from), ("to", date_to)) if not EARLIEST <= day <= LATEST}
    if not errors and date_from > date_to:
        errors["to"] = ["The end of the period must be on or after its start."]
    return errors


def _day(moment) -> date | None:
    return timezone.localtime(moment).date() if moment else None


def _contracted_at(row: dict, day: date) -> bool:
    """Activated on or before `day` and still standing then (a removal after `day` does not undo it)."""
    activated = _day(row["activated_at"])
    if activated is None or activated > day:
        return False
    return row["status"] in CONTRACTED or (row["status"] == Admission.Status.REMOVED and _day(row["changed_at"]) > day)


def _pending_at(row: dict, day: date) -> bool:
    """Admitted on or before `day` and not yet activated then."""
    if _day(row["admitted_at"]) > day:
        return False
    activated = _day(row["activated_at"])
    if activated is not None:
        return activated > day
    return row["status"] == Admission.Status.PENDING_ONBOARDING or _day(row["changed_at"]) > day


def _lot_label(lot: Lot) -> dict:
    return {"lot": lot.pk, "number": lot.number, "name": lot.title}


def _money(row: tuple[Decimal, Decimal]) -> dict:
    to_date, forecast = row
    return {"spend_to_date": to_date, "committed": to_date + forecast}


def year_report(agreement: Agreement, *, date_from: date, date_to: date, today: date | None = None) -> dict:
    """The year report of `agreement` for `date_from` to `date_to` (both
    included), as it stands on `today`."""
    today = today or timezone.localdate()
    # Lots by number as people count them (2 before 10), in every table, chart and pack sheet.
    lots = sorted(Lot.objects.filter(agreement=agreement), key=lambda lot: (lot_number_key(lot.number), lot.pk))
    rounds = list(ApplicationRound.objects.filter(agreement=agreement, opens_on__lte=date_to).order_by("opens_on"))

    # Providers: every admission on the agreement, read once.
    admissions = list(Admission.objects.filter(agreement=agreement).order_by("activated_at", "pk").values(
        "provider_id", "lot_id", "status", "admitted_at", "activated_at", "changed_at", "new_to_authority",
        "application__round_id"))
    contracted_rows = [row for row in admissions if _contracted_at(row, date_to)]
    contracted = {row["provider_id"] for row in contracted_rows}
    first_round: dict[int, int | None] = {}
    for row in contracted_rows:  # earliest activated first
        first_round.setdefault(row["provider_id"], row["application__round_id"])
    per_round = Counter(first_round.values())
    by_round = [{"round": r.number, "name": f"Round {r.number}", "count": per_round.get(r.pk, 0),
                 "opens_on": r.opens_on, "closes_on": r.closes_on} for r in rounds]
    known = {r.pk for r in rounds}
    outside = sum(n for round_id, n in per_round.items() if round_id not in known)
    if outside:
        by_round.append({"round": None, "name": "Outside an application round", "count": outside,
                         "opens_on": None, "closes_on": None})
    providers_per_lot: dict[int, set] = defaultdict(set)
    for row in contracted_rows:
        providers_per_lot[row["lot_id"]].add(row["provider_id"])
    awaiting = {row["provider_id"] for row in admissions if _pending_at(row, date_to)} - contracted
    new_to_area = {row["provider_id"] for row in admissions if row["new_to_authority"]} & contracted

    # Sourcing requests first published in the period, each once however often published.
    first_published = (Package.objects.filter(published_at__isnull=False)
                       .annotate(request=Coalesce("original_id", "id")).values("request")
                       .annotate(first=Min("published_at"))
                       .filter(first__date__gte=date_from, first__date__lte=date_to).values("request"))
    requests = sourcing_requests_count(
        Package.objects.filter(agreement=agreement, published_at__isnull=False)
        .annotate(request=Coalesce("original_id", "id")).filter(request__in=first_published))

    # Placements gone live in the period, by the package's lot and primary need.
    live = (Placement.objects.filter(package__agreement=agreement, went_live_at__date__gte=date_from,
                                     went_live_at__date__lte=date_to)
            .values("package__lot_id", "package__primary_need").annotate(n=Count("pk")).order_by())
    needs: dict[int, Counter] = defaultdict(Counter)
    for row in live:
        needs[row["package__lot_id"]][row["package__primary_need"]] += row["n"]
    live_by_lot = []
    for lot in lots:
        counted = needs.get(lot.pk, Counter())
        live_by_lot.append({**_lot_label(lot), "count": sum(counted.values()), "by_need": [
            {"need": need, "label": NEED_LABELS.get(need, NOT_RECORDED), "count": n}
            for need, n in sorted(counted.items(), key=lambda item: (-item[1], item[0] or "~"))]})

    # Money: spent from `date_from` to the end of the period (or today), and
    # committed to the end of the financial year the period ends in.
    spent_until = min(today, date_to)
    money_end = max(date_to, financial_year(financial_year_of(date_to))[1])
    sums = commitment_sums(start=date_from, end=money_end, today=spent_until, agreement_id=agreement.pk,
                           by_week=False)
    names = {a.pk: a for a in Authority.objects.filter(Q(pk__in=list(sums["funder"]))
                                                       | Q(schema_name=connection.schema_name))}
    money = {
        **_money(sums["total"]),
        "spend_until": spent_until, "committed_until": money_end,
        "by_lot": [{**_lot_label(lot), **_money(sums["lot"].get(lot.pk, (ZERO, ZERO)))} for lot in lots],
        "by_funder": sorted(
            [{"funder": pk, "name": names[pk].name, "slug": names[pk].slug, **_money(amounts)}
             for pk, amounts in sums["funder"].items() if pk in names],
            key=lambda row: (-row["committed"], row["name"])),
    }

    return {
        "agreement": {"id": agreement.pk, "reference": agreement.reference, "title": agreement.title},
        "from": date_from, "to": date_to, "today": today,
        "providers": {
            "contracted": len(contracted), "rounds": len(rounds), "contracted_by_round": by_round,
            "contracted_by_lot": [{**_lot_label(lot), "count": len(providers_per_lot.get(lot.pk, ()))}
                                  for lot in lots],
            "awaiting_onboarding": len(awaiting), "new_to_area": len(new_to_area),
        },
        "sourcing_requests": requests,
        "packages_live": {"total": sum(row["count"] for row in live_by_lot), "by_lot": live_by_lot},
        "money": money,
    }
