"""Every call-off outcome in a period, for the authority's finance and
monitoring officers: awards (provider and weekly price), no awards and
withdrawn or cancelled requests (with the reason). Packages are named by
their reference only: no name, address or other identifier of the person,
and a free-text reason that contains one is withheld."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from common import csvsafe
from common.identifiers import find_identifiers
from tenants.calloffs.models import Award, NoAward, Package, Person, Withdrawal

WITHHELD = "Withheld here: the reason identifies the person. Read it on the package."


class Outcome(models.TextChoices):
    AWARDED = "awarded", "Awarded"
    NO_AWARD = "no_award", "Not awarded"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Cancelled"


@dataclass
class OutcomeRow:
    day: date
    outcome: str
    package: str
    sourcing_request: str
    agreement: str
    lot: str
    called_off_by: str
    primary_need: str
    provider: str
    weekly_price: Decimal | None
    basis: str
    reason: str

    @property
    def outcome_label(self) -> str:
        return Outcome(self.outcome).label


def _people() -> Prefetch:
    return Prefetch("package__people", queryset=Person.objects.only("id", "first_name", "last_name",
                                                                     "preferred_name"))


def _safe(text: str, package: Package) -> str:
    """The reason, unless it names or identifies the person."""
    text = (text or "").strip()
    names = [name for person in package.people.all() for name in person.names]
    return WITHHELD if text and find_identifiers(text, names=names) else text


def _row(package: Package, moment, outcome: str, **fields) -> OutcomeRow:
    lot = package.lot
    return OutcomeRow(day=timezone.localtime(moment).date(), outcome=outcome, package=package.reference,
                      sourcing_request=package.original.reference if package.original_id else package.reference,
                      agreement=package.agreement.reference, lot=f"Lot {lot.number}: {lot.title}",
                      called_off_by=package.called_off_by.name,
                      primary_need=package.get_primary_need_display() if package.primary_need else "",
                      **{"provider": "", "weekly_price": None, "basis": "", "reason": ""} | fields)


def outcome_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period asked for, filled in: the end defaults to today (or the
    start, if later), the start to the first of the end's month."""
    end = end or max(today, start or today)
    return start or end.replace(day=1), end


def outcomes(*, date_from: date, date_to: date) -> list[OutcomeRow]:
    """Every outcome recorded from `date_from` to `date_to` (London dates,
    both included), oldest first: six queries however many."""
    related = ("package__lot", "package__agreement", "package__called_off_by", "package__original")
    rows = []
    for award in (Award.objects.filter(awarded_at__date__gte=date_from, awarded_at__date__lte=date_to)
                  .select_related(*related, "bid__provider").prefetch_related(_people())):
        rows.append(_row(award.package, award.awarded_at, Outcome.AWARDED, provider=award.bid.provider.name,
                         weekly_price=award.bid.weekly_price, basis=award.get_basis_display(),
                         reason=_safe(award.reason, award.package)))
    for refusal in (NoAward.objects.filter(recorded_at__date__gte=date_from, recorded_at__date__lte=date_to)
                    .select_related(*related).prefetch_related(_people())):
        rows.append(_row(refusal.package, refusal.recorded_at, Outcome.NO_AWARD,
                         basis=refusal.get_next_step_display(), reason=_safe(refusal.reason, refusal.package)))
    for withdrawal in (Withdrawal.objects.filter(recorded_at__date__gte=date_from, recorded_at__date__lte=date_to)
                       .select_related(*related).prefetch_related(_people())):
        cancelled = withdrawal.status_before == Package.Status.DRAFT
        note = _safe(withdrawal.note, withdrawal.package)
        reason = withdrawal.get_reason_display() + (f": {note}" if note else "")
        rows.append(_row(withdrawal.package, withdrawal.recorded_at,
                         Outcome.CANCELLED if cancelled else Outcome.WITHDRAWN, reason=reason))
    return sorted(rows, key=lambda row: (row.day, row.package))


CSV_HEADER = ["Date", "Outcome", "Package", "Sourcing request", "Agreement", "Lot", "Called off by", "Primary need",
              "Provider", "Weekly price", "Basis or next step", "Reason"]


def outcomes_csv(rows: list[OutcomeRow]) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([row.day.isoformat(), row.outcome_label, row.package, row.sourcing_request, row.agreement,
                         row.lot, row.called_off_by, row.primary_need, row.provider,
                         "" if row.weekly_price is None else row.weekly_price, row.basis, row.reason])
    return out.getvalue()
