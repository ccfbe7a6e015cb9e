"""Reads of pricing schedules and price checks, scoped for staff and providers."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from tenants.admissions.models import Admission
from tenants.calloffs.models import Package
from tenants.pricing.models import BidPriceCheck, PricingSchedule, Rate

_RATES = Prefetch("rates", queryset=Rate.objects.select_related("lot", "service_type"))


def schedules_for_staff():
    """Every schedule here with its number of rates (lists filter them with pricing.filters)."""
    return (PricingSchedule.objects.select_related("agreement").annotate(rate_count=Count("rates"))
            .order_by("agreement__reference", "-year"))


def schedule_for_staff(schedule_id) -> PricingSchedule | None:
    return (PricingSchedule.objects.select_related("agreement").prefetch_related(_RATES)
            .filter(pk=schedule_id).first())


def schedules_for_provider(provider_ids):
    """Published schedules of the agreements the provider's organisations are
    admitted to (not removed). Drafts are never shown to providers."""
    agreements = Admission.objects.filter(provider_id__in=provider_ids).exclude(
        status=Admission.Status.REMOVED).values("agreement_id")
    return (PricingSchedule.objects.filter(status=PricingSchedule.Status.PUBLISHED, agreement_id__in=agreements)
            .select_related("agreement").prefetch_related(_RATES).order_by("agreement__reference", "-year"))


def schedule_for_provider(provider_ids, schedule_id) -> PricingSchedule | None:
    return schedules_for_provider(provider_ids).filter(pk=schedule_id).first()


OPENED = (Package.Status.CLOSED, Package.Status.AWARDED, Package.Status.NO_AWARD)


def checks_for_package(package: Package):
    """Each opened bid's price against the schedule (nothing while bids are sealed)."""
    if package.status not in OPENED:
        return BidPriceCheck.objects.none()
    return (BidPriceCheck.objects.filter(bid__package=package).select_related("bid__provider", "rate__lot")
            .order_by("bid__weekly_price", "bid_id"))


def check_for_staff(check_id) -> BidPriceCheck | None:
    return (BidPriceCheck.objects.select_related("bid__package", "bid__provider", "rate__lot")
            .filter(pk=check_id, bid__package__status__in=OPENED).first())


ASKED = (BidPriceCheck.Explanation.REQUESTED, BidPriceCheck.Explanation.ANSWERED,
         BidPriceCheck.Explanation.ACCEPTED, BidPriceCheck.Explanation.REJECTED)


def checks_for_provider(provider_ids):
    """The price explanations asked of the provider's organisations."""
    return (BidPriceCheck.objects.filter(bid__provider_id__in=provider_ids, explanation_status__in=ASKED)
            .select_related("bid__package", "bid__provider").order_by("-requested_at"))


def check_for_provider(provider_ids, check_id) -> BidPriceCheck | None:
    return checks_for_provider(provider_ids).filter(pk=check_id).first()
