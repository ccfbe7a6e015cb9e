"""The reports an authority publishes, through the API:
/a/<slug>/api/v1/...

- `agreements/{id}/year-report/`: an agreement's year report (JSON), and its
  committee pack as `year-report/pack.xlsx` and `year-report/pack.pdf`;
  `?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: from the agreement's go-live,
  or its start, to today).
- `reports/calloff-outcomes/`: every call-off outcome in a period (JSON, or
  CSV with `?format=csv`), what the scheduled export sends.
- `reports/outcome-export/`: how often the export goes and to whom (GET;
  PUT for commissioners and authority admins).
- `reports/outcome-exports/`: each period's export and whether it was sent
  (one that found nobody to send to is not sent); `.../{id}/send/` sends one
  not sent yet (commissioners and authority admins).

Commissioners, brokers and finance viewers read them (tenants.reports.policy)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilterChoiceField, FilteredList, filters
from api.renderers import CSVRenderer, PDFRenderer, XLSXRenderer
from api.strict import StrictSerializer
from api.v1.calloffs import CSV_RESPONSE, _csv
from tenants.agreements.models import Agreement
from tenants.reports import policy, services
from tenants.reports.filters import OutcomeExportFilters, OutcomeFilters
from tenants.reports.models import OutcomeExport, OutcomeExportSettings
from tenants.reports.outcomes import Outcome, outcome_period, outcomes, outcomes_csv
from tenants.reports.packs import year_report_pdf, year_report_xlsx
from tenants.reports.year import default_period, period_errors, year_report

XLSX_TYPE = XLSXRenderer.media_type
MONEY = {"max_digits": 14, "decimal_places": 2}

# --- Output -------------------------------------------------------------------------


class AgreementRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()


class RoundCountOut(serializers.Serializer):
    round = serializers.IntegerField(allow_null=True, help_text="The round's number; null for providers whose "
                                                                "application was outside any round.")
    name = serializers.CharField()
    count = serializers.IntegerField()
    opens_on = serializers.DateField(allow_null=True)
    closes_on = serializers.DateField(allow_null=True)


class LotCountOut(serializers.Serializer):
    lot = serializers.IntegerField(help_text="The lot's id.")
    number = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class ProvidersOut(serializers.Serializer):
    contracted = serializers.IntegerField(help_text="Distinct providers with an admission activated by `to`.")
    rounds = serializers.IntegerField(help_text="Application rounds opened by `to`.")
    contracted_by_round = RoundCountOut(many=True)
    contracted_by_lot = LotCountOut(many=True)
    awaiting_onboarding = serializers.IntegerField()
    new_to_area = serializers.IntegerField()


class NeedCountOut(serializers.Serializer):
    need = serializers.CharField(allow_null=True, help_text="The package's primary need (dementia, "
                                                            "learning_disability ...); null where not recorded.")
    label = serializers.CharField()
    count = serializers.IntegerField()


class LiveLotOut(LotCountOut):
    by_need = NeedCountOut(many=True)


class PackagesLiveOut(serializers.Serializer):
    total = serializers.IntegerField()
    by_lot = LiveLotOut(many=True)


class MoneyLotOut(serializers.Serializer):
    lot = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    spend_to_date = serializers.DecimalField(**MONEY)
    committed = serializers.DecimalField(**MONEY)


class MoneyFunderOut(serializers.Serializer):
    funder = serializers.IntegerField(help_text="The funding authority's id.")
    name = serializers.CharField()
    slug = serializers.CharField()
    spend_to_date = serializers.DecimalField(**MONEY)
    committed = serializers.DecimalField(**MONEY)


class MoneyOut(serializers.Serializer):
    spend_to_date = serializers.DecimalField(**MONEY, help_text="Cost of care from `from` to `spend_until`.")
    committed = serializers.DecimalField(**MONEY, help_text="Spent, plus live placements at their current cost "
                                                            "to `committed_until`.")
    spend_until = serializers.DateField(help_text="The earlier of `to` and today.")
    committed_until = serializers.DateField(help_text="The end of the financial year `to` falls in.")
    by_lot = MoneyLotOut(many=True)
    by_funder = MoneyFunderOut(many=True)


YearReportOut = type("YearReportOut", (serializers.Serializer,), {
    "agreement": AgreementRefOut(),
    "from": serializers.DateField(),
    "to": serializers.DateField(),
    "today": serializers.DateField(help_text="The day the records were read."),
    "providers": ProvidersOut(),
    "sourcing_requests": serializers.IntegerField(help_text="Requests first published in the period, each once "
                                                            "however often published."),
    "packages_live": PackagesLiveOut(),
    "money": MoneyOut(),
    "__module__": __name__,
    "__doc__": "An agreement's year report (docs/reports.md defines each figure).",
})


class CallOffOutcomeOut(serializers.Serializer):
    date = serializers.DateField(source="day")
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    package = serializers.CharField(help_text="The package's reference (no one's name or other identifier).")
    sourcing_request = serializers.CharField(help_text="The reference of the request's first package.")
    agreement = serializers.CharField()
    lot = serializers.CharField()
    called_off_by = serializers.CharField()
    primary_need = serializers.CharField()
    provider = serializers.CharField(help_text="Awards: the provider.")
    weekly_price = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True,
                                            help_text="Awards: the weekly price awarded.")
    basis = serializers.CharField(help_text="Awards: the basis; no award: the next step.")
    reason = serializers.CharField()


class ExportSettingsOut(serializers.Serializer):
    frequency = serializers.ChoiceField(choices=OutcomeExportSettings.Frequency.choices)
    send_to_finance_viewers = serializers.BooleanField()
    recipients = serializers.ListField(child=serializers.EmailField())
    to = serializers.ListField(child=serializers.EmailField(), help_text="Every address it goes to now.")


class OutcomeExportOut(serializers.Serializer):
    id = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    frequency = serializers.ChoiceField(choices=OutcomeExportSettings.Frequency.choices)
    rows = serializers.IntegerField(help_text="Outcomes in the period when it was sent (or found nobody).")
    state = serializers.ChoiceField(choices=OutcomeExport.State.choices,
                                    help_text="sent; nobody: not sent, as there was nobody to send it to (it goes "
                                              "on the next morning's run once someone is named); waiting: queued.")
    sent_at = serializers.DateTimeField(allow_null=True)
    sent_to = serializers.SerializerMethodField(help_text="How many addresses it went to.")
    nobody_at = serializers.DateTimeField(allow_null=True, help_text="When it found nobody to send to.")

    def get_sent_to(self, export) -> int:
        return len(export.recipients)


# --- Input --------------------------------------------------------------------------

def _period_fields() -> dict:
    return {
        "from": serializers.DateField(required=False, input_formats=["%Y-%m-%d"],
                                      help_text="The first day (YYYY-MM-DD); the agreement's go-live (or start) if "
                                                "left out."),
        "to": serializers.DateField(required=False, input_formats=["%Y-%m-%d"],
                                    help_text="The last day (YYYY-MM-DD); today if left out."),
        "__module__": __name__,
    }


YearReportQuery = type("YearReportQuery", (StrictSerializer,), {
    **_period_fields(), "format": FilterChoiceField([("json", "JSON")], help_text="json (the committee packs "
                                                                                  "have paths of their own)."),
})
PackQuery = type("PackQuery", (StrictSerializer,), _period_fields())


class ExportSettingsIn(StrictSerializer):
    frequency = serializers.ChoiceField(choices=OutcomeExportSettings.Frequency.choices)
    send_to_finance_viewers = serializers.BooleanField()
    recipients = serializers.ListField(child=serializers.CharField(max_length=254), max_length=50,
                                       help_text="Other addresses: the monitoring officer, a finance mailbox.")


# --- Views --------------------------------------------------------------------------


class ReportsAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)

    def report(self, request, agreement_id, query=YearReportQuery) -> dict:
        self.require(policy.can_view_reports(self.access), policy.READ_REFUSED)
        agreement = Agreement.objects.filter(pk=agreement_id).first()
        if agreement is None:
            raise Http404("No agreement with that id here.")
        asked = filters(query, request)
        start, end = default_period(agreement)
        start, end = asked.get("from", start), asked.get("to", end)
        errors = period_errors(start, end)
        if errors:
            raise serializers.ValidationError(errors)
        return year_report(agreement, date_from=start, date_to=end)


def _file(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


def _pack_name(report: dict, extension: str) -> str:
    return f"{report['agreement']['reference']}-year-report-{report['from']:%Y%m%d}-{report['to']:%Y%m%d}.{extension}"


class YearReportView(ReportsAPI, APIView):
    @extend_schema(parameters=[YearReportQuery], responses={200: YearReportOut},
                   summary="An agreement's year report: providers, sourcing requests, packages live and money")
    def get(self, request, agreement_id):
        return Response(YearReportOut(self.report(request, agreement_id)).data)


class YearReportXLSXView(ReportsAPI, APIView):
    renderer_classes = [JSONRenderer, XLSXRenderer]

    @extend_schema(parameters=[PackQuery], operation_id="agreements_year_report_pack_xlsx",
                   responses={(200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY,
                                                                description="The committee pack as an XLSX "
                                                                            "workbook, with charts")},
                   summary="The year report's committee pack as XLSX")
    def get(self, request, agreement_id):
        report = self.report(request, agreement_id, PackQuery)
        return _file(year_report_xlsx(report, self.authority), XLSX_TYPE, _pack_name(report, "xlsx"))


class YearReportPDFView(ReportsAPI, APIView):
    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(parameters=[PackQuery], operation_id="agreements_year_report_pack_pdf",
                   responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                        description="The committee pack as PDF")},
                   summary="The year report's committee pack as PDF")
    def get(self, request, agreement_id):
        report = self.report(request, agreement_id, PackQuery)
        return _file(year_report_pdf(report, self.authority), "application/pdf", _pack_name(report, "pdf"))


class OutcomeListView(FilteredList, ReportsAPI, APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]
    filterset_class = OutcomeFilters

    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
                   responses={(200, "application/json"): CallOffOutcomeOut(many=True), (200, "text/csv"): CSV_RESPONSE},
                   summary="Every call-off outcome in a period: awards, no awards, withdrawn and cancelled")
    def get(self, request):
        self.require(policy.can_view_reports(self.access), policy.READ_REFUSED)
        asked = self.list_filters()
        start, end = outcome_period(asked.get("start"), asked.get("end"), timezone.localdate())
        rows = outcomes(date_from=start, date_to=end)
        if request.accepted_renderer.format == "csv":
            return _csv(outcomes_csv(rows), f"calloff-outcomes-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.csv")
        return Response(CallOffOutcomeOut(rows, many=True).data)


class ExportSettingsView(ReportsAPI, APIView):
    def _out(self, current) -> dict:
        return {"frequency": current.frequency, "send_to_finance_viewers": current.send_to_finance_viewers,
                "recipients": current.recipients, "to": services.export_recipients(current)}

    @extend_schema(responses={200: ExportSettingsOut}, summary="How often the call-off outcome export goes, and to "
                                                               "whom")
    def get(self, request):
        self.require(policy.can_view_reports(self.access) or policy.can_set_export(self.access),
                     policy.READ_REFUSED)
        return Response(ExportSettingsOut(self._out(services.export_settings())).data)

    @extend_schema(request=ExportSettingsIn, responses={200: ExportSettingsOut},
                   summary="Set how often the call-off outcome export goes, and to whom besides finance viewers")
    def put(self, request):
        self.require(policy.can_set_export(self.access), policy.SETTINGS_REFUSED)
        data = ExportSettingsIn(data=request.data)
        data.is_valid(raise_exception=True)
        current = services.export_settings_set(actor=request.user, **data.validated_data)
        return Response(ExportSettingsOut(self._out(current)).data)


class OutcomeExportListView(ReportsAPI, GenericAPIView):
    serializer_class = OutcomeExportOut
    filterset_class = OutcomeExportFilters

    @extend_schema(responses=OutcomeExportOut(many=True),
                   summary="Each period's call-off outcome export and whether it was sent, latest first")
    def get(self, request):
        self.require(policy.can_view_reports(self.access) or policy.can_set_export(self.access),
                     policy.READ_REFUSED)
        page = self.paginate_queryset(self.filter_queryset(OutcomeExport.objects.order_by("-period_start", "-pk")))
        return self.get_paginated_response(OutcomeExportOut(page, many=True).data)


class OutcomeExportSendView(ReportsAPI, APIView):
    @extend_schema(request=None, responses={202: OutcomeExportOut},
                   summary="Send a period's export that has not gone (it found nobody to send to); 409 if it was "
                           "sent, or there is still nobody to send it to")
    def post(self, request, export_id):
        self.require(policy.can_set_export(self.access), policy.SETTINGS_REFUSED)
        export = OutcomeExport.objects.filter(pk=export_id).first()
        if export is None:
            raise Http404("No export with that id here.")
        services.outcome_export_send_now(actor=request.user, export=export)
        export.refresh_from_db()
        return Response(OutcomeExportOut(export).data, status=202)
