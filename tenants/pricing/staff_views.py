"""Pricing schedules for an authority's staff: the schedules, the editor of
a draft (commissioners), publishing, how an agreement's call-offs are priced,
a bid's price against its rate with the explanation asked of a low one, and
the award at the schedule's rate. The services decide; their refusals are
shown against the fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from accounts.mixins import StaffPageMixin
from accounts.policy import Audience
from tenants.agreements.models import Agreement
from tenants.calloffs import policy as calloffs_policy
from tenants.calloffs import selectors as calloff_selectors
from tenants.calloffs.models import Bid, Package
from tenants.pricing import checks, policy, selectors, services
from tenants.pricing.forms import (
    AwardAtRateForm,
    ExplanationDecideForm,
    ExplanationRequestForm,
    NewScheduleForm,
    PricedByScheduleForm,
    RateForm,
    ScheduleForm,
)
from tenants.pricing.models import BidPriceCheck, PricingSchedule

SCHEDULE_FIELDS = ("year", "effective_from", "effective_to", "low_band_percent", "high_band_percent", "note")


class PricingPage(StaffPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        context.setdefault("access", self.access)
        context.setdefault("can_set", policy.can_set_prices(self.access))
        return render(self.request, f"pricing/staff/{template}", context, status=status)

    def schedule(self, schedule_id) -> PricingSchedule:
        self.require(policy.can_view_prices(self.access), "Only authority staff read pricing schedules.")
        found = selectors.schedule_for_staff(schedule_id)
        if found is None:
            raise Http404("No pricing schedule with that number here.")
        return found


class ScheduleListView(PricingPage):
    def agreements(self):
        return Agreement.objects.order_by("title")

    def get(self, request):
        self.require(policy.can_view_prices(self.access), "Only authority staff read pricing schedules.")
        form = NewScheduleForm(agreements=self.agreements()) if policy.can_set_prices(self.access) else None
        return self._render(form)

    def post(self, request):
        self.require(policy.can_set_prices(self.access), services.SET_REFUSED)
        form = NewScheduleForm(request.POST, agreements=self.agreements())
        if form.is_valid():
            try:
                made = services.schedule_create(actor=request.user, agreement=form.agreement(),
                                                **{k: form.cleaned_data[k] for k in SCHEDULE_FIELDS})
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Draft schedule started: add its rates, then publish it.")
                return redirect("pricing-staff:schedule", schedule_id=made.pk)
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return self.render("schedules.html", status=status, schedules=selectors.schedules_for_staff(), form=form)


class ScheduleDetailView(PricingPage):
    def get(self, request, schedule_id):
        return self._render(self.schedule(schedule_id))

    def _render(self, schedule, *, rate_form=None, schedule_form=None, pricing_form=None, refusal="", status=200):
        editable = schedule.status == PricingSchedule.Status.DRAFT and policy.can_set_prices(self.access)
        if editable:
            rate_form = rate_form or RateForm(lots=schedule.agreement.lots.all())
            schedule_form = schedule_form or ScheduleForm(
                initial={k: getattr(schedule, k) for k in SCHEDULE_FIELDS})
        if policy.can_set_prices(self.access):
            pricing_form = pricing_form or PricedByScheduleForm(
                initial={"priced_by_schedule": "yes" if schedule.agreement.priced_by_schedule else "no"})
        return self.render("schedule.html", status=status, schedule=schedule, editable=editable,
                           rate_form=rate_form, schedule_form=schedule_form, pricing_form=pricing_form,
                           refusal=refusal)

    DONE = {"rate": "Rate added.", "schedule": "Schedule saved.",
            "pricing": "How the agreement's call-offs are priced is saved.",
            "publish": "Schedule published: the agreement's admitted providers are told.",
            "remove": "Rate removed."}

    def form(self, schedule, action: str, data):
        if action == "rate":
            return RateForm(data, lots=schedule.agreement.lots.all())
        return ScheduleForm(data) if action == "schedule" else PricedByScheduleForm(data)

    def call(self, schedule, action: str, form=None) -> None:
        actor = self.request.user
        if action == "rate":
            services.rate_add(actor=actor, schedule=schedule, **form.values())
        elif action == "schedule":
            services.schedule_update(actor=actor, schedule=schedule, **form.cleaned_data)
        elif action == "pricing":
            services.agreement_price_by_schedule(actor=actor, agreement=schedule.agreement, **form.cleaned_data)
        elif action == "publish":
            services.schedule_publish(actor=actor, schedule=schedule)
        else:
            raw = str(self.request.POST.get("rate", ""))
            rate = schedule.rates.filter(pk=int(raw)).first() if raw.isdigit() else None
            if rate is None:
                raise Http404("No such rate in this schedule.")
            services.rate_remove(actor=actor, rate=rate)

    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        self.require(policy.can_set_prices(self.access), services.SET_REFUSED)
        action = request.POST.get("action", "")
        if action not in self.DONE:
            raise Http404("Nothing to do.")
        form = self.form(schedule, action, request.POST) if action in ("rate", "schedule", "pricing") else None
        if form is None or form.is_valid():
            try:
                self.call(schedule, action, form)
            except ValidationError as error:
                if form is None:  # publishing or removing: the refusal is shown at the top of the page
                    return self._render(self.schedule(schedule_id), status=getattr(error, "status", 400),
                                        refusal=" ".join(error.messages))
                form.add_service_errors(error)
            else:
                messages.success(request, self.DONE[action])
                return redirect("pricing-staff:schedule", schedule_id=schedule.pk)
        return self._render(self.schedule(schedule_id), status=400, **{f"{action}_form": form})


def _considers(access, package) -> bool:
    """Those who evaluate bids here; the granted body's brokers and
    commissioners on their own call-off (docs/grants.md)."""
    return policy.can_ask_explanation(access) or (package is not None
                                                  and calloffs_policy.can_source_package(access, package))


class CheckView(PricingPage):
    """One bid's price against its rate; a low one's explanation asked and
    decided. Reached by a granted body's staff too, on its own call-offs."""

    audience = Audience.GRANTED

    def check_of(self, check_id) -> BidPriceCheck:
        found = selectors.check_for_staff(check_id)
        package = found.bid.package if found is not None else None
        if package is not None and not self.access.is_staff and self.access.grant_for(
                package.agreement_id, grantee_id=package.called_off_by_id, current=False) is None:
            found = package = None  # a granted body reaches its own call-offs only
        self.require(_considers(self.access, package) if not self.access.is_staff
                     else policy.can_ask_explanation(self.access),
                     "Only brokers, commissioners and evaluators consider bids' prices.")
        if found is None:
            raise Http404("No price check with that number here.")
        return found

    def get(self, request, check_id):
        return self._render(self.check_of(check_id))

    def _render(self, check, *, request_form=None, decide_form=None, status=200):
        waiting = check.explanation_status
        if check.flag == BidPriceCheck.Flag.LOW and waiting in ("needed", "requested", "answered"):
            request_form = request_form or ExplanationRequestForm(initial={"request": check.request})
        if waiting == "answered":
            decide_form = decide_form or ExplanationDecideForm()
        return self.render("check.html", status=status, check=check, package=check.bid.package,
                           request_form=request_form, decide_form=decide_form)

    def post(self, request, check_id):
        check = self.check_of(check_id)
        action = request.POST.get("action", "")
        form_class = {"request": ExplanationRequestForm, "decide": ExplanationDecideForm}.get(action)
        if form_class is None:
            raise Http404("Nothing to do.")
        form = form_class(request.POST)
        if form.is_valid():
            try:
                if action == "request":
                    services.explanation_request(actor=request.user, check=check, **form.cleaned_data)
                else:
                    services.explanation_decide(actor=request.user, check=check, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "The provider is asked to explain its price." if action == "request"
                                 else "Decision recorded.")
                return redirect("pricing-staff:check", check_id=check.pk)
        return self._render(check, status=400, **{f"{action}_form": form})


class AwardAtRateView(PricingPage):
    def package(self, package_id) -> Package:
        self.require(policy.can_award_at_rate(self.access), "Only brokers and commissioners award packages.")
        package = calloff_selectors.packages_for_staff().filter(pk=package_id).first()
        if package is None:
            raise Http404("No package with that number here.")
        return package

    def bids(self, package):
        return Bid.objects.filter(package=package, status=Bid.Status.SUBMITTED).select_related("provider") \
            .order_by("provider__name")

    def get(self, request, package_id):
        package = self.package(package_id)
        return self._render(package, AwardAtRateForm(bids=self.bids(package)))

    def post(self, request, package_id):
        package = self.package(package_id)
        form = AwardAtRateForm(request.POST, bids=self.bids(package))
        if form.is_valid():
            try:
                services.award_at_rate(actor=request.user, package=package, **form.values())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Awarded at the schedule's rate.")
                return redirect("calloffs-staff:package", package_id=package.pk)
        return self._render(package, form, status=400)

    def _render(self, package, form, status=200):
        rate, weekly = checks.package_rate(package)
        return self.render("award_at_rate.html", status=status, package=package, form=form, rate=rate,
                           weekly=weekly)
