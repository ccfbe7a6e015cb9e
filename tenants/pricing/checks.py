"""Finding a package's rate and comparing opened bids with it. Called by the
call-off services when bids are opened (closing) and when a negotiation
changes a price: never before the deadline, since bids are sealed until then.

Weekly equivalent of a rate, for a package: an hourly rate times the
package's hours a week; a sessional or daily rate times its sessions a week
(a day counts as one session); a weekly rate as it is. A rate whose quantity
the package does not give is not used."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from common.errors import Conflict
from tenants.calloffs.models import Bid, Package
from tenants.pricing.models import BidPriceCheck, PricingSchedule, Rate

PENCE = Decimal("0.01")
HUNDRED = Decimal("100")
Flag, Explanation = BidPriceCheck.Flag, BidPriceCheck.Explanation


def schedule_in_force(agreement, on: date) -> PricingSchedule | None:
    """The published schedule of `agreement` in force on `on`."""
    return (PricingSchedule.objects.filter(agreement=agreement, status=PricingSchedule.Status.PUBLISHED,
                                           effective_from__lte=on, effective_to__gte=on)
            .order_by("-effective_from").first())


def weekly_quantity(unit: str, package: Package) -> Decimal | None:
    if unit == Rate.Unit.WEEK:
        return Decimal(1)
    if unit == Rate.Unit.HOUR:
        return package.hours_per_week or None
    return Decimal(package.sessions_per_week) if package.sessions_per_week else None


def weekly_equivalent(rate: Rate, package: Package) -> Decimal | None:
    quantity = weekly_quantity(rate.unit, package)
    return None if quantity is None else (rate.amount * quantity).quantize(PENCE, ROUND_HALF_UP)


def _matches(value: str, wanted: str) -> bool:
    return not value or value.strip().casefold() == (wanted or "").strip().casefold()


def rate_lookup(*, schedule: PricingSchedule, lot, need_level: str = "", package: Package | None = None) -> Rate | None:
    """The most specific rate of `schedule` for `lot` (its service type, tier
    and zone) and the level of need; blank parts of a rate match anything.
    With a package, only rates it gives a weekly quantity for are used."""
    best, best_key = None, None
    for rate in Rate.objects.filter(schedule=schedule, lot=lot):
        if rate.service_type_id and rate.service_type_id != lot.service_type_id:
            continue
        if not (_matches(rate.tier, lot.tier) and _matches(rate.zone, lot.zone)
                and _matches(rate.need_level, need_level)):
            continue
        if package is not None and weekly_quantity(rate.unit, package) is None:
            continue
        # most specific first; then a unit that prices what the package asks (hours, sessions) over a week
        key = (rate.specificity, rate.unit != Rate.Unit.WEEK, -rate.pk)
        if best_key is None or key > best_key:
            best, best_key = rate, key
    return best


def package_rate(package: Package) -> tuple[Rate | None, Decimal | None]:
    """The rate for a package (from the schedule in force on its start) and its weekly equivalent."""
    schedule = schedule_in_force(package.agreement, package.start_on)
    if schedule is None:
        return None, None
    rate = rate_lookup(schedule=schedule, lot=package.lot, need_level=package.primary_need or "", package=package)
    return (rate, weekly_equivalent(rate, package)) if rate else (None, None)


def _flag(price: Decimal, weekly: Decimal | None, schedule: PricingSchedule | None) -> tuple[str, Decimal | None]:
    if weekly is None or not weekly:
        return Flag.NO_RATE, None
    percent = (price / weekly * HUNDRED).quantize(PENCE, ROUND_HALF_UP)
    if percent < schedule.low_band_percent:
        return Flag.LOW, percent
    if percent > schedule.high_band_percent:
        return Flag.HIGH, percent
    return Flag.WITHIN, percent


def price_checks_make(*, package: Package, bids=None) -> list[BidPriceCheck]:
    """Compare each opened bid with the package's rate (inside the caller's
    transaction). A bid that becomes low needs an explanation; one no longer
    low keeps its record but no longer needs one."""
    rate, weekly = package_rate(package)
    schedule = rate.schedule if rate else None
    bids = bids if bids is not None else Bid.objects.filter(package=package, status=Bid.Status.SUBMITTED,
                                                             opened_at__isnull=False)
    made = []
    for bid in bids:
        if bid.opened_at is None or bid.weekly_price is None:
            continue
        flag, percent = _flag(bid.weekly_price, weekly, schedule)
        check = BidPriceCheck.objects.filter(bid=bid).first() or BidPriceCheck(bid=bid)
        check.rate, check.weekly_rate, check.weekly_price = rate, weekly, bid.weekly_price
        check.percent_of_rate, check.flag, check.checked_at = percent, flag, timezone.now()
        if flag == Flag.LOW and check.explanation_status == Explanation.NOT_NEEDED:
            check.explanation_status = Explanation.NEEDED
        elif flag != Flag.LOW and check.explanation_status == Explanation.NEEDED:
            check.explanation_status = Explanation.NOT_NEEDED
        check.save()
        made.append(check)
    return made


def price_check_allows_award(*, bid: Bid) -> None:
    """PCR 2015 regulation 69 (PA 2023 s 46): an abnormally low bid is awarded
    only once its explanation has been asked for, given and accepted."""
    check = BidPriceCheck.objects.filter(bid=bid).first()
    if check is None or not check.blocks_award:
        return
    if check.explanation_status == Explanation.REJECTED:
        raise Conflict("This bid is abnormally low and its explanation was not accepted: it cannot be awarded "
                       "(Public Contracts Regulations 2015, regulation 69).")
    raise Conflict(f"This bid is abnormally low ({check.percent_of_rate}% of the schedule's rate): ask the "
                   "provider to explain the price and accept the explanation before awarding it (Public "
                   "Contracts Regulations 2015, regulation 69).")
