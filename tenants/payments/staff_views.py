"""Payments for an authority's staff: how the authority pays, its periods,
each provider's schedule from generation to export. Finance officers and
commissioners prepare; finance officers approve and export. The services
decide; their refusals are shown on the page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from accounts.mixins import StaffPageMixin
from common.filters import page_filters
from tenants.payments import policy, selectors, services
from tenants.payments.filters import ScheduleFilters
from tenants.payments.forms import AdjustForm, AnswerForm, PeriodForm, ReasonForm, SettingsForm
from tenants.payments.models import Schedule

READ_REFUSED = "Only finance officers and commissioners read payment schedules."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


REGENERATE_IDS = "regenerate-%s"


def adjust_ids(line_id: int) -> str:
    return f"line-{line_id}-%s"


def answer_ids(query_id: int) -> str:
    return f"query-{query_id}-%s"


class PaymentsPage(StaffPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        context.setdefault("access", self.access)
        context.setdefault("authority", self.authority)
        context.setdefault("can_prepare", policy.can_prepare_payments(self.access))
        context.setdefault("can_approve", policy.can_approve_payments(self.access))
        return render(self.request, f"payments/staff/{template}", context, status=status)

    def require_reader(self) -> None:
        self.require(policy.can_view_payments(self.access), READ_REFUSED)

    def schedule(self, schedule_id) -> Schedule:
        self.require_reader()
        found = selectors.schedule_for_staff(schedule_id)
        if found is None:
            raise Http404("No payment schedule with that number here.")
        return found


class HomeView(PaymentsPage):
    def get(self, request, settings_form=None, period_form=None, status=200):
        self.require_reader()
        rows, asked, refused = page_filters(ScheduleFilters, request, selectors.schedules_for_staff(),
                                            allowed=("page",))
        current = services.payment_settings()
        settings_form = settings_form or SettingsForm(initial={"cadence": current.cadence,
                                                               "anchor_on": current.anchor_on})
        return self.render("home.html", status=400 if refused else status, settings=current,
                           settings_form=settings_form, period_form=period_form or PeriodForm(),
                           periods=selectors.periods()[:24],
                           page=Paginator(rows, 50).get_page(request.GET.get("page")),
                           statuses=Schedule.Status.choices, status_filter=asked.get("status", ""),
                           filter_errors=refused)


class SettingsView(HomeView):
    def post(self, request):
        self.require_reader()
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.payment_settings_set(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "How we pay providers is saved.")
                return redirect("payments-staff:home")
        return self.get(request, settings_form=form, status=400)


class PeriodView(HomeView):
    def post(self, request):
        self.require_reader()
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                period = services.period_open(actor=request.user, day=form.cleaned_data["day"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"The period {period.label} is ready to generate.")
                return redirect("payments-staff:home")
        return self.get(request, period_form=form, status=400)


class GenerateView(PaymentsPage):
    def post(self, request, period_id):
        self.require_reader()
        period = selectors.period(period_id)
        if period is None:
            raise Http404("No payment period with that number here.")
        made = services.schedules_generate(actor=request.user, period=period)
        for level, text in generated_words(made, period):
            messages.add_message(request, level, text)
        return redirect(f"{request.path.rsplit('/periods/', 1)[0]}/?period={period.pk}")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def generated_words(made, period) -> list[tuple[int, str]]:
    """What generating did, for the page: what it added and made again, and
    what it left as it was (with any placement waiting to be added)."""
    done = []
    if made.added:
        done.append(f"added {_count(len(made.added), 'draft schedule', 'draft schedules')} "
                    f"({', '.join(s.reference for s in made.added)})")
    if made.remade:
        done.append(f"made {_count(len(made.remade), 'draft', 'drafts')} again")
    said = [(messages.SUCCESS, f"{period.label}: {' and '.join(done) if done else 'nothing new to add'}.")]
    if made.left:
        parts = []
        for schedule in made.left:
            status = schedule.get_status_display().lower()
            if not schedule.waiting:
                parts.append(f"{schedule.reference} ({status})")
                continue
            waiting = _count(len(schedule.waiting), "placement with care in the period is",
                             "placements with care in the period are")
            them = "it" if len(schedule.waiting) == 1 else "them"
            whose = "its" if them == "it" else "their"
            then = (f"it is approved, so {whose} care will be paid as an adjustment in the next period's schedule"
                    if schedule.is_paid else f"regenerate it to add {them}")
            parts.append(f"{schedule.reference} ({status}: {waiting} not on it; {then})")
        said.append((messages.WARNING if any(s.waiting for s in made.left) else messages.INFO,
                     f"Left as {'they are' if len(made.left) > 1 else 'it is'}: {'; '.join(parts)}."))
    return said


class ScheduleView(PaymentsPage):
    def get(self, request, schedule_id, status=200, adjust_form=None, adjusting=None, answer_form=None,
            answering=None, **forms):
        """One adjust form per line and one answer form per open query, each
        with ids of its own (the names stay the same: each is its own form)."""
        schedule = self.schedule(schedule_id)
        forms.setdefault("regenerate_form", ReasonForm(auto_id=REGENERATE_IDS))
        adjust_forms = [(line, adjust_form if adjust_form is not None and line.pk == adjusting
                         else AdjustForm(auto_id=adjust_ids(line.pk))) for line in schedule.lines.all()]
        answer_forms = [(query, answer_form if answer_form is not None and query.pk == answering
                         else AnswerForm(auto_id=answer_ids(query.pk)))
                        for query in schedule.queries.all() if query.is_open]
        failed = next((f for f in (adjust_form, answer_form, forms["regenerate_form"]) if f is not None and f.errors),
                      None)
        return self.render("schedule.html", status=status, schedule=schedule, adjust_forms=adjust_forms,
                           adjusting=adjusting, answer_forms=answer_forms, failed_form=failed, **forms)


class ScheduleActionView(ScheduleView):
    """Issue, approve or regenerate: one service each."""

    def post(self, request, schedule_id, action):
        schedule = self.schedule(schedule_id)
        form = ReasonForm(request.POST, auto_id=REGENERATE_IDS) if action == "regenerate" else None
        try:
            if action == "issue":
                services.schedule_issue(actor=request.user, schedule=schedule)
                done = "The schedule is issued to the provider."
            elif action == "approve":
                services.schedule_approve(actor=request.user, schedule=schedule)
                done = "The schedule is approved for payment."
            elif action == "regenerate":
                if not form.is_valid():
                    return self.get(request, schedule_id, status=400, regenerate_form=form)
                services.schedule_regenerate(actor=request.user, schedule=schedule, **form.cleaned_data)
                done = "The schedule is made again from the cost lines, as a draft."
            else:
                raise Http404("No such action.")
        except ValidationError as error:
            if form is not None:
                form.add_service_errors(error)
                return self.get(request, schedule_id, status=getattr(error, "status", 400), regenerate_form=form)
            return self.get(request, schedule_id, status=getattr(error, "status", 400),
                            refusal=" ".join(error.messages))
        messages.success(request, done)
        return redirect("payments-staff:schedule", schedule_id=schedule.pk)


class AdjustView(ScheduleView):
    def post(self, request, schedule_id, line_id):
        schedule = self.schedule(schedule_id)
        line = selectors.line_of(schedule, line_id)
        if line is None:
            raise Http404("No such line on this schedule.")
        form = AdjustForm(request.POST, auto_id=adjust_ids(line.pk))
        if form.is_valid():
            try:
                services.line_adjust(actor=request.user, line=line, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "The line is adjusted.")
                return redirect("payments-staff:schedule", schedule_id=schedule.pk)
        return self.get(request, schedule_id, status=400, adjust_form=form, adjusting=line.pk)


class AnswerView(ScheduleView):
    def post(self, request, schedule_id, query_id):
        schedule = self.schedule(schedule_id)
        query = selectors.query_of(schedule, query_id)
        if query is None:
            raise Http404("No such query on this schedule.")
        form = AnswerForm(request.POST, auto_id=answer_ids(query.pk))
        if form.is_valid():
            try:
                services.query_answer(actor=request.user, query=query, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Your answer is sent to the provider.")
                return redirect("payments-staff:schedule", schedule_id=schedule.pk)
        return self.get(request, schedule_id, status=400, answer_form=form, answering=query.pk)


class ExportView(PaymentsPage):
    """The chosen approved schedules as CSV or XLSX. Schedules exported
    before are named first, and exported again only once confirmed."""

    def post(self, request):
        self.require_reader()
        ids = [value for value in request.POST.getlist("schedule") if value.isdigit()]
        chosen = list(selectors.schedules_for_staff().filter(pk__in=ids))
        kind = "xlsx" if request.POST.get("format") == "xlsx" else "csv"
        if not chosen:
            messages.error(request, "Choose at least one approved schedule to export.")
            return redirect("payments-staff:home")
        before = [s for s in chosen if s.export_count]
        if before and request.POST.get("again") != "yes":
            return self.render("export_again.html", chosen=chosen, before=before, format=kind)
        try:
            body, _ = services.schedules_export(actor=request.user, schedules=chosen, kind=kind)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("payments-staff:home")
        response = HttpResponse(body, content_type=XLSX if kind == "xlsx" else "text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payments.{kind}"'
        response["Cache-Control"] = "private, no-store"
        return response
