"""Payments to providers through the API.

Staff (/a/<slug>/api/v1/payments/...): the authority's cadence, periods,
generating schedules, each schedule with its lines (and the cost lines
behind each figure), queries and invoices; issuing, regenerating,
adjusting a line, answering a query, approving (finance officers) and the
export for the finance system (CSV or XLSX; marks the schedules exported);
supplier references and cost centres.

Providers (/a/<slug>/api/v1/provider/payments/...): their own schedules
once issued, confirming, querying, and invoices (typed, or with the PDF).

The services decide; refusals are problem details (400, 403, 404, 409)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.parsers import StrictJSONParser
from api.renderers import CSVRenderer
from api.strict import StrictSerializer
from api.v1.refs import AreaOut, NamedOut
from shared_catalogue.models import Provider
from tenants.agreements.models import Lot
from tenants.payments import policy, selectors, services
from tenants.payments.filters import PeriodFilters, ProviderScheduleFilters, ScheduleFilters
from tenants.payments.models import Cadence, Line, Schedule

READ_REFUSED = "Only finance officers and commissioners read payment schedules."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- Output -------------------------------------------------------------------------


class PaymentSettingsOut(serializers.Serializer):
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    anchor_on = serializers.DateField(allow_null=True, help_text="Four-weekly: the first day of a period.")


class PaymentPeriodOut(serializers.Serializer):
    id = serializers.IntegerField()
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    days = serializers.IntegerField()


class PaymentPeriodRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class PaymentCostPieceOut(serializers.Serializer):
    cost_line = serializers.IntegerField(help_text="The placement's cost line (its id).")
    weekly_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    from_ = serializers.DateField()
    to = serializers.DateField()
    days = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class PaymentLineOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Line.Kind.choices)
    placement = serializers.IntegerField(source="placement_id")
    package_reference = serializers.CharField(source="placement.package.reference")
    covers = PaymentPeriodRefOut(help_text="The period whose care the line pays.")
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)
    days = serializers.IntegerField()
    computed_amount = serializers.DecimalField(max_digits=12, decimal_places=2,
                                               help_text="What the cost lines give.")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="What is paid.")
    label = serializers.CharField(help_text='What the line pays for, in words: "Care from 3 to 30 September '
                                            '2026", or for an adjustment "Change to the cost of 1 to 30 '
                                            'September 2026 since it was approved" or "Care from 3 to 30 '
                                            'September 2026 not on the approved schedule".')
    paid_before = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                           help_text="An adjustment: what the cost lines gave when that period "
                                                     "was approved; null for care that was not on the approved "
                                                     "schedule (nothing was paid for it).")
    adjust_reason = serializers.CharField()
    cost_lines = PaymentCostPieceOut(many=True, help_text="The cost lines behind the figure, with their days.")


class PaymentQueryOut(serializers.Serializer):
    id = serializers.IntegerField()
    line = serializers.IntegerField(source="line_id", allow_null=True)
    invoice = serializers.CharField(source="invoice.number", allow_null=True, default=None)
    reason = serializers.CharField()
    difference = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True,
                                          help_text="For an invoice: the invoice less the schedule's total.")
    raised_at = serializers.DateTimeField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class PaymentInvoiceOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    invoice_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    schedule_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    difference = serializers.DecimalField(max_digits=12, decimal_places=2)
    matched = serializers.BooleanField()
    has_file = serializers.SerializerMethodField()

    def get_has_file(self, invoice) -> bool:
        return bool(invoice.file)


class PaymentScheduleOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    provider = NamedOut()
    payer = AreaOut(help_text="The authority that called off and pays the provider in full.")
    period = PaymentPeriodRefOut()
    status = serializers.ChoiceField(choices=Schedule.Status.choices)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    open_queries = serializers.IntegerField()
    issued_at = serializers.DateTimeField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    exported_at = serializers.DateTimeField(allow_null=True)
    export_count = serializers.IntegerField()


class PaymentScheduleDetailOut(PaymentScheduleOut):
    lines = PaymentLineOut(many=True)
    queries = PaymentQueryOut(many=True)
    invoices = PaymentInvoiceOut(many=True)


class PaymentLeftOut(serializers.Serializer):
    schedule = PaymentScheduleOut()
    waiting = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Placements (their ids) with care in the period that are not on this schedule: regenerating "
                  "it adds them; an approved schedule is never regenerated, so their care is paid as an "
                  "adjustment in the next period's schedule for the provider and payer.")


class PaymentGenerateOut(serializers.Serializer):
    added = PaymentScheduleOut(many=True, help_text="New draft schedules, for providers and payers that had none "
                                                    "in the period.")
    remade = PaymentScheduleOut(many=True, help_text="Drafts made again from the cost lines.")
    left = PaymentLeftOut(many=True, help_text="Schedules issued or further, left as they are.")


# --- Input --------------------------------------------------------------------------


class PaymentSettingsIn(StrictSerializer):
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    anchor_on = serializers.DateField(required=False, allow_null=True, default=None)


class PaymentPeriodIn(StrictSerializer):
    day = serializers.DateField(help_text="Any day of the period: the period it falls in is made.")


class PaymentGenerateIn(StrictSerializer):
    provider = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="Only this provider's schedules (its id).")


class PaymentReasonIn(StrictSerializer):
    reason = serializers.CharField(max_length=2000)


class PaymentAdjustIn(StrictSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField(max_length=2000)


class PaymentAnswerIn(StrictSerializer):
    answer = serializers.CharField(max_length=4000)


class PaymentExportIn(StrictSerializer):
    schedules = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000)
    format = serializers.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")], default="csv")


class SupplierReferenceIn(StrictSerializer):
    reference = serializers.CharField(max_length=40)


class CostCentreIn(StrictSerializer):
    code = serializers.CharField(max_length=40)


class PaymentQueryIn(StrictSerializer):
    reason = serializers.CharField(max_length=2000)
    line = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The line queried (its id), or leave out for the whole schedule.")


class PaymentInvoiceIn(StrictSerializer):
    number = serializers.CharField(max_length=60)
    invoice_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    file = serializers.FileField(required=False, allow_null=True, default=None, help_text="The invoice as a PDF.")


# --- Staff --------------------------------------------------------------------------


class PaymentsAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def require(self, allowed: bool, message: str = READ_REFUSED) -> None:
        if not allowed:
            raise PermissionDenied(message)

    def reader(self) -> None:
        self.require(policy.can_view_payments(self.access))

    def schedule(self, schedule_id) -> Schedule:
        self.reader()
        found = selectors.schedule_for_staff(schedule_id)
        if found is None:
            raise Http404("No payment schedule with that id here.")
        return found

    def detail(self, schedule: Schedule, status_code=200) -> Response:
        return Response(PaymentScheduleDetailOut(selectors.schedule_for_staff(schedule.pk)).data, status=status_code)


def _body(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class SettingsView(PaymentsAPI, APIView):
    @extend_schema(responses=PaymentSettingsOut, summary="How this authority pays providers: four-weekly or monthly")
    def get(self, request):
        self.reader()
        return Response(PaymentSettingsOut(services.payment_settings()).data)

    @extend_schema(request=PaymentSettingsIn, responses=PaymentSettingsOut,
                   summary="Choose four-weekly (with the first day of a period) or monthly")
    def put(self, request):
        return Response(PaymentSettingsOut(services.payment_settings_set(actor=request.user,
                                                                  **_body(PaymentSettingsIn, request))).data)


class PeriodListView(PaymentsAPI, GenericAPIView):
    serializer_class = PaymentPeriodOut
    filterset_class = PeriodFilters

    @extend_schema(responses=PaymentPeriodOut(many=True), summary="Payment periods, latest first")
    def get(self, request):
        self.reader()
        page = self.paginate_queryset(self.filter_queryset(selectors.periods()))
        return self.get_paginated_response(PaymentPeriodOut(page, many=True).data)

    @extend_schema(request=PaymentPeriodIn, responses={201: PaymentPeriodOut}, summary="Make the period a day falls in")
    def post(self, request):
        period = services.period_open(actor=request.user, **_body(PaymentPeriodIn, request))
        return Response(PaymentPeriodOut(period).data, status=status.HTTP_201_CREATED)


class GenerateView(PaymentsAPI, APIView):
    @extend_schema(request=PaymentGenerateIn, responses=PaymentGenerateOut,
                   summary="Generate the period's draft schedules from the placements' cost lines: adds schedules "
                           "for providers and payers with none yet, makes the drafts again, and says which it "
                           "left as they are")
    def post(self, request, period_id):
        self.reader()
        period = selectors.period(period_id)
        if period is None:
            raise Http404("No payment period with that id here.")
        provider_id = _body(PaymentGenerateIn, request)["provider"]
        provider = Provider.objects.filter(pk=provider_id).first() if provider_id else None
        if provider_id and provider is None:
            raise serializers.ValidationError({"provider": ["No such provider."]})
        made = services.schedules_generate(actor=request.user, period=period, provider=provider)
        rows = {s.pk: s for s in selectors.schedules_for_staff().filter(
            pk__in=[s.pk for s in made] + [s.pk for s in made.left])}
        return Response(PaymentGenerateOut({
            "added": [rows[s.pk] for s in made.added], "remade": [rows[s.pk] for s in made.remade],
            "left": [{"schedule": rows[s.pk], "waiting": s.waiting} for s in made.left]}).data)


class ScheduleListView(PaymentsAPI, GenericAPIView):
    serializer_class = PaymentScheduleOut
    filterset_class = ScheduleFilters

    @extend_schema(responses=PaymentScheduleOut(many=True), summary="Payment schedules, latest period first")
    def get(self, request):
        self.reader()
        page = self.paginate_queryset(self.filter_queryset(selectors.schedules_for_staff()))
        return self.get_paginated_response(PaymentScheduleOut(page, many=True).data)


class ScheduleDetailView(PaymentsAPI, APIView):
    @extend_schema(responses=PaymentScheduleDetailOut, summary="One schedule: lines (with their cost lines), queries, "
                                                        "invoices")
    def get(self, request, schedule_id):
        return self.detail(self.schedule(schedule_id))


class IssueView(PaymentsAPI, APIView):
    @extend_schema(request=None, responses=PaymentScheduleDetailOut, summary="Issue the draft to the provider")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        services.schedule_issue(actor=request.user, schedule=schedule)
        return self.detail(schedule)


class RegenerateView(PaymentsAPI, APIView):
    @extend_schema(request=PaymentReasonIn, responses=PaymentScheduleDetailOut,
                   summary="Make the schedule again from the cost lines (back to a draft), with a reason")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        services.schedule_regenerate(actor=request.user, schedule=schedule, **_body(PaymentReasonIn, request))
        return self.detail(schedule)


class ApproveView(PaymentsAPI, APIView):
    @extend_schema(request=None, responses=PaymentScheduleDetailOut,
                   summary="Approve the schedule for payment (finance officers; once per period)")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        services.schedule_approve(actor=request.user, schedule=schedule)
        return self.detail(schedule)


class LineAdjustView(PaymentsAPI, APIView):
    @extend_schema(request=PaymentAdjustIn, responses=PaymentScheduleDetailOut,
                   summary="Pay a line a different amount, with the reason")
    def post(self, request, schedule_id, line_id):
        schedule = self.schedule(schedule_id)
        line = selectors.line_of(schedule, line_id)
        if line is None:
            raise Http404("No such line on this schedule.")
        services.line_adjust(actor=request.user, line=line, **_body(PaymentAdjustIn, request))
        return self.detail(schedule)


class QueryAnswerView(PaymentsAPI, APIView):
    @extend_schema(request=PaymentAnswerIn, responses=PaymentScheduleDetailOut, summary="Answer the provider's query")
    def post(self, request, schedule_id, query_id):
        schedule = self.schedule(schedule_id)
        query = selectors.query_of(schedule, query_id)
        if query is None:
            raise Http404("No such query on this schedule.")
        services.query_answer(actor=request.user, query=query, **_body(PaymentAnswerIn, request))
        return self.detail(schedule)


def _download(body, content_type: str, filename: str, already) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if already:
        response["Jointly-Already-Exported"] = ", ".join(s.reference for s in already)
    add_never_cache_headers(response)
    return response


EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV; the header Jointly-Already-Exported "
                                                                     "names schedules exported before."),
    (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX, one sheet named Payments."),
}


class ExportView(PaymentsAPI, APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(request=PaymentExportIn, responses=EXPORT_RESPONSES,
                   summary="Export approved schedules for the finance system (marks them exported; a "
                           "re-export is allowed and says so)")
    def post(self, request):
        self.reader()
        body = _body(PaymentExportIn, request)
        found = list(Schedule.objects.filter(pk__in=body["schedules"]))
        missing = sorted(set(body["schedules"]) - {s.pk for s in found})
        if missing:
            raise serializers.ValidationError({"schedules": [f"No schedule with id {n} here." for n in missing]})
        made, already = services.schedules_export(actor=request.user, schedules=found, kind=body["format"])
        if body["format"] == "xlsx":
            return _download(made, XLSX, "payments.xlsx", already)
        return _download(made, "text/csv; charset=utf-8", "payments.csv", already)


class SupplierReferenceView(PaymentsAPI, APIView):
    @extend_schema(request=SupplierReferenceIn, responses=SupplierReferenceIn,
                   summary="Set a provider's supplier number in the finance system")
    def put(self, request, provider_id):
        provider = Provider.objects.filter(pk=provider_id).first()
        if provider is None:
            raise Http404("No such provider.")
        found = services.supplier_reference_set(actor=request.user, provider=provider,
                                                **_body(SupplierReferenceIn, request))
        return Response({"reference": found.reference})


class CostCentreView(PaymentsAPI, APIView):
    @extend_schema(request=CostCentreIn, responses=CostCentreIn,
                   summary="Set the cost centre a lot's placements are charged to")
    def put(self, request, lot_id):
        lot = Lot.objects.filter(pk=lot_id).first()
        if lot is None:
            raise Http404("No such lot here.")
        found = services.cost_centre_set(actor=request.user, lot=lot, **_body(CostCentreIn, request))
        return Response({"code": found.code})


INVOICE_FILE = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The invoice PDF.")}


def _invoice_file(invoice) -> FileResponse:
    """The stored PDF as a download, never rendered by the browser (as evidence is)."""
    try:
        handle = invoice.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(handle, as_attachment=True, filename=f"invoice-{slugify(invoice.number)}.pdf",
                            content_type=invoice.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class InvoiceFileView(PaymentsAPI, APIView):
    @extend_schema(responses=INVOICE_FILE, summary="Download an invoice's PDF")
    def get(self, request, invoice_id):
        self.reader()
        invoice = selectors.invoice_for_staff(invoice_id)
        if invoice is None:
            raise Http404("No such invoice file.")
        return _invoice_file(invoice)


# --- Providers ----------------------------------------------------------------------


class ProviderPaymentsAPI(TenantAPIMixin):
    audience = Audience.PROVIDER

    def schedule(self, schedule_id) -> Schedule:
        found = selectors.schedule_for_provider(self.access.provider_ids, schedule_id)
        if found is None:
            raise Http404("No payment schedule of yours with that id here.")
        return found

    def detail(self, schedule: Schedule, status_code=200) -> Response:
        fresh = selectors.schedule_for_provider(self.access.provider_ids, schedule.pk)
        return Response(PaymentScheduleDetailOut(fresh).data, status=status_code)


class ProviderScheduleListView(ProviderPaymentsAPI, GenericAPIView):
    serializer_class = PaymentScheduleOut
    filterset_class = ProviderScheduleFilters

    @extend_schema(responses=PaymentScheduleOut(many=True), summary="Your organisations' payment schedules here")
    def get(self, request):
        rows = selectors.schedules_for_provider(self.access.provider_ids)
        page = self.paginate_queryset(self.filter_queryset(rows))
        return self.get_paginated_response(PaymentScheduleOut(page, many=True).data)


class ProviderScheduleDetailView(ProviderPaymentsAPI, APIView):
    @extend_schema(responses=PaymentScheduleDetailOut, summary="One of your payment schedules")
    def get(self, request, schedule_id):
        return self.detail(self.schedule(schedule_id))


class ProviderConfirmView(ProviderPaymentsAPI, APIView):
    @extend_schema(request=None, responses=PaymentScheduleDetailOut, summary="Confirm the schedule is right")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        services.schedule_confirm(actor=request.user, schedule=schedule)
        return self.detail(schedule)


class ProviderQueryView(ProviderPaymentsAPI, APIView):
    @extend_schema(request=PaymentQueryIn, responses={201: PaymentScheduleDetailOut},
                   summary="Query the schedule, or one line of it, with a reason")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        body = _body(PaymentQueryIn, request)
        line = None
        if body["line"] is not None:
            line = selectors.line_of(schedule, body["line"])
            if line is None:
                raise serializers.ValidationError({"line": ["That line is not on this schedule."]})
        services.schedule_query(actor=request.user, schedule=schedule, reason=body["reason"], line=line)
        return self.detail(schedule, status.HTTP_201_CREATED)


class ProviderInvoiceView(ProviderPaymentsAPI, APIView):
    parser_classes = [MultiPartParser, FormParser, StrictJSONParser]

    @extend_schema(request={"multipart/form-data": PaymentInvoiceIn, "application/json": PaymentInvoiceIn},
                   responses={201: PaymentScheduleDetailOut},
                   summary="Enter (or upload, as a PDF) your invoice against the schedule; a difference from "
                           "its total raises a query")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        body = _body(PaymentInvoiceIn, request)
        services.invoice_add(actor=request.user, schedule=schedule, number=body["number"],
                             invoice_date=body["invoice_date"], amount=body["amount"], upload=body["file"])
        return self.detail(schedule, status.HTTP_201_CREATED)


class ProviderInvoiceFileView(ProviderPaymentsAPI, APIView):
    @extend_schema(responses=INVOICE_FILE, summary="Download your invoice's PDF")
    def get(self, request, invoice_id):
        invoice = selectors.invoice_for_provider(self.access.provider_ids, invoice_id)
        if invoice is None:
            raise Http404("No such invoice file of yours.")
        return _invoice_file(invoice)
