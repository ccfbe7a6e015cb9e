"""Contract management for an authority's staff: each agreement's KPI
table (RAG against target, trend, each provider's figure), adding KPIs
(commissioners), and the returns to validate or query (quality officers
and commissioners) or that are missing. The services decide."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from accounts.mixins import StaffPageMixin
from tenants.agreements import selectors as agreement_selectors
from tenants.agreements.models import Agreement
from tenants.quality import policy, selectors, services
from tenants.quality.charts import bar_chart
from tenants.quality.forms import KpiForm, QueryForm
from tenants.quality.models import Kpi, KpiReturn
from tenants.quality.periods import period_label
from web.pages import FormPageMixin

READ_REFUSED = "Only staff read KPIs and returns."
REVIEW_REFUSED = "Only quality officers and commissioners review returns."
DEFINE_REFUSED = "Only commissioners set what an agreement measures."


class QualityPage(StaffPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        context.setdefault("access", self.access)
        context.setdefault("can_review", policy.can_review_returns(self.access))
        context.setdefault("can_define", policy.can_define_kpis(self.access))
        return render(self.request, f"quality/staff/{template}", context, status=status)

    def agreement(self, agreement_id) -> Agreement:
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        found = agreement_selectors.agreement_for_staff(agreement_id)
        if found is None:
            raise Http404("No such agreement here.")
        return found


class QualityHomeView(QualityPage):
    """Agreements with what they measure, what awaits validation and what is missing."""

    def get(self, request):
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        today = timezone.localdate()
        agreements = (Agreement.objects.filter(kpis__isnull=False).distinct()
                      .annotate(kpi_count=Count("kpis", distinct=True),
                                waiting=Count("kpis__returns", filter=Q(kpis__returns__status="submitted")),
                                missing=Count("kpis__returns", filter=Q(kpis__returns__status__in=("due", "queried"),
                                                                        kpis__returns__due_on__lt=today)))
                      .order_by("title"))
        others = Agreement.objects.filter(kpis__isnull=True, status__in=("live", "open")).order_by("title")
        return self.render("home.html", agreements=agreements, others=others)


class KpiTableView(QualityPage):
    def get(self, request, agreement_id):
        agreement = self.agreement(agreement_id)
        rows = selectors.kpi_table(agreement)
        for row in rows:
            row.chart = bar_chart(row.history, target=row.kpi.target,
                                  percentage=row.kpi.measure in (Kpi.Measure.PERCENTAGE, Kpi.Measure.YES_NO))
        return self.render("table.html", agreement=agreement, rows=rows)


class KpiCreateView(FormPageMixin, StaffPageMixin, View):
    form_class = KpiForm
    template_name = "quality/staff/kpi_form.html"
    title = "Add a KPI"

    def load(self, agreement_id):
        found = agreement_selectors.agreement_for_staff(agreement_id)
        if found is None:
            raise Http404("No such agreement here.")
        self.agreement = found

    def check(self):
        self.require(policy.can_define_kpis(self.access), DEFINE_REFUSED)

    def get_form_kwargs(self):
        return {"lots": list(self.agreement.lots.order_by("number")), "initial": {"starts_on": timezone.localdate()}}

    def page_context(self):
        return {"agreement": self.agreement}

    def perform(self, form):
        data = dict(form.cleaned_data)
        lot_id = data.pop("lot")
        lot = self.agreement.lots.filter(pk=lot_id).first() if lot_id else None
        kpi = services.kpi_create(actor=self.request.user, agreement=self.agreement, lot=lot, **data)
        self.success(f"{kpi.code} added. Providers will be asked for a return after each period ends.")
        return redirect("quality-staff:table", agreement_id=self.agreement.pk)


class ReturnListView(QualityPage):
    def get(self, request):
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        status = request.GET.get("status", "")
        if status and status not in KpiReturn.Status.values:
            status = ""
        missing = request.GET.get("missing") == "1"
        rows = selectors.returns_for_staff(status=status, missing=missing)
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        today = timezone.localdate()
        for row in page:
            row.period = period_label(row.kpi.period, row.period_start, row.period_end)
            row.missing = row.is_missing(today)
        return self.render("returns.html", page=page, status_filter=status, missing=missing,
                           statuses=KpiReturn.Status.choices)


class ReturnDetailView(QualityPage):
    def kpi_return(self, return_id) -> KpiReturn:
        self.require(policy.can_view_kpis(self.access), READ_REFUSED)
        found = selectors.return_for_staff(return_id)
        if found is None:
            raise Http404("No such return here.")
        return found

    def page(self, kpi_return, form=None, status=200):
        kpi_return.period = period_label(kpi_return.kpi.period, kpi_return.period_start, kpi_return.period_end)
        kpi_return.missing = kpi_return.is_missing(timezone.localdate())
        return self.render("return.html", status=status, kpi_return=kpi_return, form=form or QueryForm())

    def get(self, request, return_id):
        return self.page(self.kpi_return(return_id))

    def post(self, request, return_id):
        kpi_return = self.kpi_return(return_id)
        self.require(policy.can_review_returns(self.access), REVIEW_REFUSED)
        if request.POST.get("decision") == "validate":
            try:
                services.return_validate(actor=request.user, kpi_return=kpi_return)
            except ValidationError as error:
                form = QueryForm()
                form.add_service_errors(error)
                return self.page(kpi_return, form, status=409)
            messages.success(request, "Return validated.")
            return redirect("quality-staff:return", return_id=kpi_return.pk)
        form = QueryForm(request.POST)
        if form.is_valid():
            try:
                services.return_query(actor=request.user, kpi_return=kpi_return, query=form.cleaned_data["query"])
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Return queried. The provider has been e-mailed.")
                return redirect("quality-staff:return", return_id=kpi_return.pk)
        return self.page(kpi_return, form, status=400)
