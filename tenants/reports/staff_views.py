"""The reports for an authority's staff: each agreement's year report with
its charts and committee pack, and the call-off outcomes with their
scheduled export. Commissioners, brokers and finance viewers read them;
commissioners and authority admins set where the export goes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views import View

from accounts.mixins import StaffPageMixin
from tenants.agreements.models import Agreement
from tenants.reports import policy, services
from tenants.reports.charts import year_report_charts
from tenants.reports.forms import ExportSettingsForm, OutcomePeriodForm, PeriodForm
from tenants.reports.models import OutcomeExport
from tenants.reports.outcomes import outcome_period, outcomes, outcomes_csv
from tenants.reports.packs import year_report_pdf, year_report_xlsx
from tenants.reports.year import default_period, period_errors, year_report


class ReportsPage(StaffPageMixin, View):
    def render(self, template: str, status: int = 200, **context):
        context.setdefault("access", self.access)
        context.setdefault("authority", self.authority)
        return render(self.request, f"reports/staff/{template}", context, status=status)

    def require_read(self) -> None:
        self.require(policy.can_view_reports(self.access), policy.READ_REFUSED)


def _problems(form) -> str:
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())


def _refused(form) -> HttpResponse:
    return HttpResponse(f"Check the period: {_problems(form)}\n", status=400, content_type="text/plain; charset=utf-8")


def _file(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


class ReportsHomeView(ReportsPage):
    def get(self, request):
        self.require_read()
        agreements = Agreement.objects.exclude(status=Agreement.Status.DRAFT).order_by("title", "reference")
        return self.render("home.html", agreements=agreements)


class YearReportView(ReportsPage):
    """An agreement's year report: figures, charts with their tables, the
    period to choose and the committee pack to download."""

    def figures(self, request, agreement_id):
        self.require_read()
        agreement = Agreement.objects.filter(pk=agreement_id).first()
        if agreement is None:
            raise Http404("No agreement with that number here.")
        form = PeriodForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return agreement, form, None
        start, end = form.period(default_period(agreement))
        errors = period_errors(start, end)
        if errors:
            for name, problems in errors.items():
                for problem in problems:
                    form.add_error(name if form.is_bound else None, problem)
            return agreement, form, None
        return agreement, form, year_report(agreement, date_from=start, date_to=end)

    def get(self, request, agreement_id):
        agreement, form, report = self.figures(request, agreement_id)
        query = f"?from={report['from']:%Y-%m-%d}&to={report['to']:%Y-%m-%d}" if report else ""
        return self.render("year.html", status=200 if report else 400, agreement=agreement, form=form,
                           report=report, charts=year_report_charts(report) if report else [],
                           period=(report["from"], report["to"]) if report else None,
                           xlsx_url=reverse("reports-staff:year-xlsx", args=[agreement.pk]) + query,
                           pdf_url=reverse("reports-staff:year-pdf", args=[agreement.pk]) + query)


def _pack_name(report: dict, extension: str) -> str:
    return f"{report['agreement']['reference']}-year-report-{report['from']:%Y%m%d}-{report['to']:%Y%m%d}.{extension}"


class YearReportXLSXView(YearReportView):
    def get(self, request, agreement_id):
        _, form, report = self.figures(request, agreement_id)
        if report is None:
            return _refused(form)
        return _file(year_report_xlsx(report, self.authority),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _pack_name(report, "xlsx"))


class YearReportPDFView(YearReportView):
    def get(self, request, agreement_id):
        _, form, report = self.figures(request, agreement_id)
        if report is None:
            return _refused(form)
        return _file(year_report_pdf(report, self.authority), "application/pdf", _pack_name(report, "pdf"))


class OutcomesView(ReportsPage):
    """Every call-off outcome in a period, the CSV of it, and the scheduled export."""

    def rows(self, request, *, settings_only: bool = False):
        """(form, period, rows); an authority admin who sets the export but
        does not read the outcomes gets the settings only (no rows)."""
        if settings_only and not policy.can_view_reports(self.access):
            self.require(policy.can_set_export(self.access), policy.READ_REFUSED)
            return OutcomePeriodForm(), None, []
        self.require_read()
        form = OutcomePeriodForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return form, None, None
        data = form.cleaned_data if form.is_bound else {}
        start, end = outcome_period(data.get("start"), data.get("end"), timezone.localdate())
        if start > end:
            form.add_error("end" if form.is_bound else None, "The end of the period must be on or after its start")
            return form, None, None
        return form, (start, end), outcomes(date_from=start, date_to=end)

    def get(self, request, settings_form=None, status=200):
        form, period, rows = self.rows(request, settings_only=True)
        current = services.export_settings()
        query = f"?start={period[0]:%Y-%m-%d}&end={period[1]:%Y-%m-%d}" if period else ""
        return self.render(
            "outcomes.html", status=status if rows is not None else 400, form=form, period=period, rows=rows or [],
            csv_url=reverse("reports-staff:outcomes-csv") + query, settings=current,
            recipients=services.export_recipients(current),
            settings_form=settings_form or ExportSettingsForm(initial={
                "frequency": current.frequency, "send_to_finance_viewers": current.send_to_finance_viewers,
                "recipients": "\n".join(current.recipients)}),
            can_set=policy.can_set_export(self.access), can_read=policy.can_view_reports(self.access),
            exports=OutcomeExport.objects.order_by("-period_start")[:12])


class OutcomesCSVView(OutcomesView):
    def get(self, request):
        form, period, rows = self.rows(request)
        if rows is None:
            return _refused(form)
        return _file(outcomes_csv(rows).encode("utf-8"), "text/csv; charset=utf-8",
                     f"calloff-outcomes-{period[0]:%Y-%m-%d}-to-{period[1]:%Y-%m-%d}.csv")


class ExportSettingsView(OutcomesView):
    def get(self, request):
        return redirect("reports-staff:outcomes")

    def post(self, request):
        self.require(policy.can_set_export(self.access), policy.SETTINGS_REFUSED)
        form = ExportSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.export_settings_set(actor=request.user, **form.cleaned_data)
            except ValidationError as refused:
                for field, problems in refused.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, "Saved: the call-off outcome export goes as set below.")
                return redirect("reports-staff:outcomes")
        return OutcomesView.get(self, request, settings_form=form, status=400)


class ExportSendView(OutcomesView):
    """Send a period's export that has not gone (it found nobody to send to)."""

    def get(self, request, export_id):
        return redirect("reports-staff:outcomes")

    def post(self, request, export_id):
        self.require(policy.can_set_export(self.access), policy.SETTINGS_REFUSED)
        export = OutcomeExport.objects.filter(pk=export_id).first()
        if export is None:
            raise Http404("No export with that number here.")
        try:
            services.outcome_export_send_now(actor=request.user, export=export)
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, f"The export for {export.period_start:%-d %B %Y} to "
                                      f"{export.period_end:%-d %B %Y} is on its way.")
        return redirect("reports-staff:outcomes")
