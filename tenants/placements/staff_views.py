"""Placements for an authority's staff: what was awarded and went live, who
pays what share, variations, uplifts and endings. Brokers and commissioners
manage them; finance viewers read them; commissioners set rate schedules.
The services decide; their refusals are shown against the fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from accounts.mixins import StaffPageMixin
from accounts.policy import Audience
from common.filters import page_filters
from tenants.agreements.models import Agreement
from tenants.calloffs import policy
from tenants.placements import commitment as reports
from tenants.placements import selectors, services
from tenants.placements.filters import PlacementFilters
from tenants.placements.models import Placement
from tenants.placements.staff_forms import (
    CommitmentForm,
    EndForm,
    FundersForm,
    GoLiveForm,
    RateScheduleForm,
    VaryForm,
)
from tenants.placements.uplifts import uplift_preview
from tenants.quality.oversight import QUALITY_ROLES

READ_REFUSED = "Only brokers, commissioners and finance viewers read placements."
MANAGE_REFUSED = "Only brokers and commissioners manage placements."


class PlacementsPage(StaffPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        placement = context.get("placement")
        context.setdefault("access", self.access)
        context.setdefault("can_manage", policy.can_manage_placements(self.access) or (
            placement is not None and policy.can_manage_placement(self.access, placement)))
        context.setdefault("can_terminate", self.access.has_role(*QUALITY_ROLES))
        return render(self.request, f"placements/staff/{template}", context, status=status)

    def require_reader(self) -> None:
        self.require(policy.can_view_placements(self.access) or bool(self.access.granted_authority_ids()),
                     READ_REFUSED)

    def require_manager(self, placement: Placement | None = None) -> None:
        self.require(policy.can_manage_placements(self.access) or (
            placement is not None and policy.can_manage_placement(self.access, placement)), MANAGE_REFUSED)

    def placement(self, placement_id) -> Placement:
        """The placement; for the staff of a granted body, only one its own
        authority called off or co-funds (anything else: not found)."""
        placement = selectors.placement_for_staff(placement_id)
        if placement is None or not self.access.is_staff and not selectors.placements_under_grants(
                self.access.granted_authority_ids()).filter(pk=placement.pk).exists():
            raise Http404("No placement with that number here.")
        return placement


class GrantedPage:
    """A page the staff of an authority granted call-off or co-funding rights
    reach too, on the placements their own authority called off or funds."""

    audience = Audience.GRANTED


class PlacementListView(PlacementsPage):
    def get(self, request):
        self.require_reader()
        placements, asked, refused = page_filters(PlacementFilters, request, selectors.placements_for_staff())
        page = Paginator(placements, 50).get_page(request.GET.get("page"))
        return self.render("placements.html", status=400 if refused else 200, page=page,
                           status_filter=asked.get("status", ""), statuses=Placement.Status.choices,
                           filter_errors=refused, can_report=policy.can_view_utilisation(self.access))


class PlacementDetailView(GrantedPage, PlacementsPage):
    def get(self, request, placement_id):
        self.require_reader()
        placement = self.placement(placement_id)
        return self.render("placement.html", placement=placement, funders=selectors.funder_shares(placement))


class PlacementFormPage(GrantedPage, PlacementsPage):
    """One change to a placement: a form, the service, back to the placement."""

    template = ""
    form_class = None
    done = ""

    def form(self, placement, data=None):
        return self.form_class(data)

    def call(self, placement, form):
        raise NotImplementedError

    def get(self, request, placement_id):
        placement = self.placement(placement_id)
        self.require_manager(placement)
        return self._render(placement, self.form(placement))

    def post(self, request, placement_id):
        placement = self.placement(placement_id)
        self.require_manager(placement)
        form = self.form(placement, request.POST)
        if form.is_valid():
            try:
                self.call(placement, form)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, self.done)
                return redirect("placements-staff:placement", placement_id=placement.pk)
        return self._render(placement, form, status=400)

    def _render(self, placement, form, status=200):
        return self.render(self.template, status=status, placement=placement, form=form)


class FundersView(PlacementFormPage):
    template = "funders.html"
    done = "Funders saved."

    def form(self, placement, data=None):
        current = {f.authority_id: f.share for f in placement.funders.all()}
        return FundersForm(data, authorities=selectors.funders_possible(placement), current=current,
                           payer=placement.payer_id)

    def call(self, placement, form):
        services.placement_set_funders(actor=self.request.user, placement=placement, shares=form.shares(),
                                       reason=form.cleaned_data["reason"], payer=form.payer_chosen())


class GoLiveView(PlacementFormPage):
    template = "go_live.html"
    form_class = GoLiveForm
    done = "The placement is live."

    def call(self, placement, form):
        services.placement_go_live(actor=self.request.user, placement=placement,
                                   start_on=form.cleaned_data["start_on"])

    def post(self, request, placement_id):
        """First the answers are checked (GOV.UK's check answers pattern):
        only the confirm button on that page makes the placement live."""
        if "confirm" in request.POST:
            return super().post(request, placement_id)
        placement = self.placement(placement_id)
        self.require_manager(placement)
        form = self.form(placement, request.POST)
        if form.is_valid():
            refusal = services.go_live_refusal(placement, form.cleaned_data["start_on"])
            if refusal is None:
                answers = [(name, value) for name, value in request.POST.items() if name != "csrfmiddlewaretoken"]
                return self.render("go_live_check.html", placement=placement, answers=answers,
                                   start_on=form.cleaned_data["start_on"] or placement.start_on)
            form.add_error("start_on" if form.cleaned_data["start_on"] else None, refusal)
        return self._render(placement, form, status=400)


class VaryView(PlacementFormPage):
    template = "vary.html"
    form_class = VaryForm
    done = "Variation recorded; the weekly cost has changed."

    def form(self, placement, data=None):
        return VaryForm(data, authorities=selectors.funders_possible(placement))

    def call(self, placement, form):
        services.placement_vary(actor=self.request.user, placement=placement, **form.changes())


class EndView(PlacementFormPage):
    template = "end.html"
    form_class = EndForm
    done = "The placement has ended."

    def call(self, placement, form):
        services.placement_end(actor=self.request.user, placement=placement, **form.cleaned_data)


class RateScheduleListView(PlacementsPage):
    """Annual uplifts by agreement or lot. Commissioners add them; brokers
    and commissioners apply them to the placements live on their date."""

    def agreements(self):
        return Agreement.objects.prefetch_related("lots").order_by("title")

    def get(self, request):
        self.require_reader()
        form = RateScheduleForm(agreements=self.agreements()) if policy.can_set_rates(self.access) else None
        return self._render(form)

    def post(self, request):
        self.require(policy.can_set_rates(self.access), "Only commissioners set rate schedules.")
        form = RateScheduleForm(request.POST, agreements=self.agreements())
        if form.is_valid():
            agreement, lot = form.target()
            try:
                services.rate_schedule_add(actor=request.user, agreement=agreement, lot=lot,
                                           effective_from=form.cleaned_data["effective_from"],
                                           uplift_percent=form.cleaned_data["uplift_percent"],
                                           new_rate=form.cleaned_data["new_rate"],
                                           new_rate_unit=form.cleaned_data["new_rate_unit"] or "week",
                                           note=form.cleaned_data["note"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Rate schedule added. Apply it once its date has come.")
                return redirect("placements-staff:rates")
        return self._render(form, status=400)

    def _render(self, form, status=200):
        return self.render("rates.html", status=status, schedules=selectors.rate_schedules(), form=form)


class UpliftApplyView(PlacementsPage):
    """The preview first (each placement before and after, and the totals),
    then the button that applies exactly that."""

    def schedule(self, schedule_id):
        self.require_manager()
        schedule = selectors.rate_schedule(schedule_id)
        if schedule is None:
            raise Http404("No such rate schedule.")
        return schedule

    def get(self, request, schedule_id):
        preview = uplift_preview(self.schedule(schedule_id))
        return self.render("uplift_preview.html", preview=preview, schedule=preview["schedule"],
                           due=preview["schedule"].effective_from <= timezone.localdate())

    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        try:
            made = services.uplift_apply(actor=request.user, schedule=schedule)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"Uplift applied to {len(made)} placement{'' if len(made) == 1 else 's'} "
                                      "(each placement once, however often it is applied).")
        return redirect("placements-staff:rates")


class CommitmentView(PlacementsPage):
    """What the authority has committed in a financial year, from the cost
    lines: to date and forecast, by funder, lot, provider and week."""

    def report(self, request):
        self.require_reader()
        today = timezone.localdate()
        form = CommitmentForm(request.GET or None, this_year=reports.financial_year_of(today))
        if form.is_bound and not form.is_valid():
            return form, None
        year = (form.cleaned_data.get("year") if form.is_bound else None) or reports.financial_year_of(today)
        return form, reports.commitment(year=year, today=today)

    def get(self, request):
        form, report = self.report(request)
        query = request.GET.urlencode()
        return self.render("commitment.html", status=200 if report else 400, form=form, report=report,
                           csv_url=f"{reverse('placements-staff:commitment-csv')}{'?' + query if query else ''}")


class CommitmentCSVView(CommitmentView):
    def get(self, request):
        form, report = self.report(request)
        if report is None:
            return HttpResponse("Choose a financial year, like 2026.\n", status=400,
                                content_type="text/plain; charset=utf-8")
        response = HttpResponse(reports.commitment_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="commitment-{report["year"]}.csv"'
        return response
