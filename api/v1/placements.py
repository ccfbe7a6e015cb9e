"""Placements for an authority's staff through the API:
/a/<slug>/api/v1/placements/...

Placements (list, detail with funders, cost lines, variations and
uplifts), funders (PUT the whole set; shares total 100%; in a partnership
any member may fund), go-live, variations (a weekly cost, or a unit rate and
units a week, from a date, backdated allowed, optionally with the line's own
funder shares), ending; rate schedules (commissioners add them: a
percentage or a new rate), an uplift's preview and applying it; the
commitment report (JSON or CSV). Brokers and commissioners manage; finance
viewers read. The services decide; refusals are problem details (400, 403,
409)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilterChoiceField, filters
from api.renderers import CSVRenderer
from api.strict import StrictSerializer
from api.v1.calloffs import _csv
from api.v1.refs import AreaOut, LotRefOut, NamedOut, ReferenceOut
from tenancy.models import Authority
from tenants.agreements.models import Agreement
from tenants.calloffs import policy
from tenants.placements import commitment as reports
from tenants.placements import selectors, services
from tenants.placements.filters import PlacementFilters, RateScheduleFilters
from tenants.placements.models import CostLine, Placement, Unit
from tenants.placements.uplifts import uplift_preview

READ_REFUSED = "Only brokers, commissioners and finance viewers read placements."
MANAGE_REFUSED = "Only brokers and commissioners manage placements."

# --- Output -------------------------------------------------------------------------


class FunderOut(serializers.Serializer):
    authority = AreaOut()
    share = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Per cent.")
    purchasing_agreement = serializers.CharField(help_text="The funder's own individual purchasing agreement "
                                                           "reference.")
    grant = serializers.IntegerField(source="grant_id", allow_null=True,
                                     help_text="The co-funding grant a funder from another authority holds.")


class PlacementOut(serializers.Serializer):
    id = serializers.IntegerField()
    package = ReferenceOut()
    provider = NamedOut()
    payer = AreaOut(help_text="Who pays the provider and recovers the other funders' shares.")
    status = serializers.ChoiceField(choices=Placement.Status.choices)
    start_on = serializers.DateField()
    weekly_cost = serializers.DecimalField(max_digits=10, decimal_places=2)
    went_live_at = serializers.DateTimeField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    end_reason = serializers.CharField()
    replacement = ReferenceOut(allow_null=True, help_text="When the placement was terminated: the package that "
                                                          "re-sources the person's care.")
    funders = FunderOut(many=True, source="funders.all")
    created_at = serializers.DateTimeField()


class VariationOut(serializers.Serializer):
    effective_on = serializers.DateField()
    weekly_cost_before = serializers.DecimalField(max_digits=10, decimal_places=2)
    weekly_cost_after = serializers.DecimalField(max_digits=10, decimal_places=2)
    reason = serializers.CharField()
    made_at = serializers.DateTimeField()


class UpliftOut(serializers.Serializer):
    schedule = serializers.IntegerField(source="schedule_id")
    uplift_percent = serializers.DecimalField(source="schedule.uplift_percent", max_digits=5, decimal_places=2,
                                              allow_null=True)
    new_rate = serializers.DecimalField(source="schedule.new_rate", max_digits=10, decimal_places=2,
                                        allow_null=True)
    weekly_cost_before = serializers.DecimalField(max_digits=10, decimal_places=2)
    weekly_cost_after = serializers.DecimalField(max_digits=10, decimal_places=2)
    applied_at = serializers.DateTimeField()


class LineShareOut(serializers.Serializer):
    authority = serializers.SlugField(source="authority.slug")
    share = serializers.DecimalField(max_digits=5, decimal_places=2)


class CostLineOut(serializers.Serializer):
    id = serializers.IntegerField()
    effective_from = serializers.DateField(help_text="In force from this day until the next line's date or the end.")
    unit = serializers.ChoiceField(choices=Unit.choices)
    rate = serializers.DecimalField(max_digits=10, decimal_places=2)
    quantity = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="Units a week.")
    weekly_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    source = serializers.ChoiceField(choices=CostLine.Source.choices)
    reason = serializers.CharField()
    made_by = serializers.EmailField(source="made_by.email", allow_null=True, default=None)
    made_at = serializers.DateTimeField()
    shares = LineShareOut(many=True, source="shares.all",
                          help_text="The line's own funder shares; empty: the placement's funders.")


class PlacementDetailOut(PlacementOut):
    cost_lines = CostLineOut(many=True, source="cost_lines.all")
    variations = VariationOut(many=True, source="variations.all")
    uplifts = UpliftOut(many=True, source="uplifts.all")


class RateScheduleOut(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.IntegerField(source="agreement_id")
    agreement_reference = serializers.CharField(source="agreement.reference")
    lot = LotRefOut(allow_null=True)
    effective_from = serializers.DateField()
    uplift_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    new_rate = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    new_rate_unit = serializers.ChoiceField(choices=Unit.choices)
    note = serializers.CharField()
    applied = serializers.IntegerField(help_text="Placements it has been applied to.")


class UpliftAppliedOut(serializers.Serializer):
    applied = serializers.IntegerField(help_text="Placements uplifted by this call (each is uplifted once).")
    placements = serializers.ListField(child=serializers.IntegerField())


class UpliftRowOut(serializers.Serializer):
    placement = serializers.IntegerField(source="placement.pk")
    package = serializers.CharField(source="placement.package.reference")
    provider = serializers.CharField(source="placement.provider.name")
    unit = serializers.ChoiceField(source="line.unit", choices=Unit.choices)
    quantity = serializers.DecimalField(source="line.quantity", max_digits=7, decimal_places=2)
    rate_before = serializers.DecimalField(max_digits=10, decimal_places=2)
    rate_after = serializers.DecimalField(max_digits=10, decimal_places=2)
    weekly_before = serializers.DecimalField(max_digits=10, decimal_places=2)
    weekly_after = serializers.DecimalField(max_digits=10, decimal_places=2)
    skipped = serializers.CharField(help_text="Why the placement keeps its rate; empty when it changes.")


class UpliftPreviewOut(serializers.Serializer):
    schedule = RateScheduleOut()
    placements = UpliftRowOut(many=True, source="rows")
    changing = serializers.IntegerField(source="placements", help_text="Placements whose rate changes.")
    weekly_before = serializers.DecimalField(max_digits=12, decimal_places=2)
    weekly_after = serializers.DecimalField(max_digits=12, decimal_places=2)
    weekly_difference = serializers.DecimalField(max_digits=12, decimal_places=2)


class CommitmentRowOut(serializers.Serializer):
    name = serializers.CharField(source="label")
    to_date = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="From 1 April to today.")
    forecast = serializers.DecimalField(max_digits=14, decimal_places=2,
                                        help_text="After today to 31 March, live placements continuing.")
    total = serializers.DecimalField(max_digits=14, decimal_places=2)


class CommitmentWeekOut(CommitmentRowOut):
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class CommitmentOut(serializers.Serializer):
    year = serializers.IntegerField(help_text="The financial year, named by the year its April falls in.")
    start = serializers.DateField()
    end = serializers.DateField()
    today = serializers.DateField()
    total = CommitmentRowOut()
    funders = CommitmentRowOut(many=True)
    lots = CommitmentRowOut(many=True)
    providers = CommitmentRowOut(many=True)
    weeks = CommitmentWeekOut(many=True)


# --- Input --------------------------------------------------------------------------


class ShareIn(StrictSerializer):
    authority = serializers.SlugField(help_text="The funding authority's slug.")
    share = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Per cent; all shares total 100.")
    purchasing_agreement = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default="",
        help_text="The funder's own purchasing agreement reference; for a funder under a co-funding grant, the "
                  "grant's unless given.")


class FundersIn(StrictSerializer):
    shares = ShareIn(many=True, allow_empty=True, max_length=20)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    payer = serializers.SlugField(required=False, allow_blank=True, default="",
                                  help_text="Who pays the provider (and recovers the others' shares): the authority "
                                            "that called off or a funder. Blank: unchanged.")


class GoLiveIn(serializers.Serializer):
    start_on = serializers.DateField(required=False, allow_null=True, default=None,
                                     help_text="Leave it out to keep the planned start date.")


class VariationIn(StrictSerializer):
    effective_on = serializers.DateField(help_text="From this day; a past date (backdated) is allowed.")
    weekly_cost = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, default=None,
                                           help_text="The new weekly cost; or give unit, rate and quantity.")
    unit = serializers.ChoiceField(choices=Unit.choices, required=False, default=None)
    rate = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, default=None,
                                    help_text="Pounds per unit.")
    quantity = serializers.DecimalField(max_digits=7, decimal_places=2, required=False, default=None,
                                        help_text="Units a week.")
    shares = ShareIn(many=True, required=False, max_length=20,
                     help_text="This line's own funder shares (total 100); leave out to use the placement's.")
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class EndIn(serializers.Serializer):
    ended_on = serializers.DateField()
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class RateScheduleIn(StrictSerializer):
    agreement = serializers.IntegerField()
    lot = serializers.IntegerField(required=False, allow_null=True, default=None,
                                   help_text="One lot of the agreement; leave it out for every lot.")
    effective_from = serializers.DateField()
    uplift_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True,
                                              default=None, help_text="A percentage; or give new_rate.")
    new_rate = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True,
                                        default=None, help_text="Placements paid less per unit rise to it.")
    new_rate_unit = serializers.ChoiceField(choices=Unit.choices, required=False, default=Unit.WEEK)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# --- Views --------------------------------------------------------------------------


class PlacementsAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)

    def placement_ids(self):
        """The placements this view reaches (None: all of this authority's).
        The views under grants/call-offs/ narrow it to the caller's grants."""
        self.require(policy.can_view_placements(self.access), READ_REFUSED)
        return None

    def placement(self, placement_id) -> Placement:
        ids = self.placement_ids()
        placement = selectors.placement_for_staff(placement_id)
        if placement is None or ids is not None and not ids.filter(pk=placement.pk).exists():
            raise Http404("No placement with that id here.")
        return placement

    def managed(self, placement_id) -> Placement:
        placement = self.placement(placement_id)
        self.require(policy.can_manage_placement(self.access, placement), MANAGE_REFUSED)
        return placement

    def detail(self, placement: Placement) -> Response:
        return Response(PlacementDetailOut(selectors.placement_for_staff(placement.pk)).data)


def _shares(rows) -> list[tuple]:
    found = Authority.objects.in_bulk([row["authority"] for row in rows], field_name="slug")
    unknown = sorted({row["authority"] for row in rows} - set(found))
    if unknown:
        raise serializers.ValidationError({"shares": [f"No such authority: {', '.join(unknown)}."]})
    return [(found[row["authority"]], row["share"], row.get("purchasing_agreement", "")) for row in rows]


class PlacementListView(PlacementsAPI, GenericAPIView):
    serializer_class = PlacementOut
    filterset_class = PlacementFilters

    @extend_schema(responses=PlacementOut(many=True),
                   summary="Placements, newest first, with their funders")
    def get(self, request):
        self.require(policy.can_view_placements(self.access), READ_REFUSED)
        page = self.paginate_queryset(self.filter_queryset(selectors.placements_for_staff()))
        return self.get_paginated_response(PlacementOut(page, many=True).data)


class PlacementDetailView(PlacementsAPI, APIView):
    @extend_schema(responses=PlacementDetailOut, summary="One placement: funders, variations and uplifts")
    def get(self, request, placement_id):
        return self.detail(self.placement(placement_id))


class FundersView(PlacementsAPI, APIView):
    @extend_schema(request=FundersIn, responses=PlacementDetailOut,
                   summary="Set who pays what share (the whole set; shares total 100%)")
    def put(self, request, placement_id):
        placement = self.managed(placement_id)
        data = FundersIn(data=request.data)
        data.is_valid(raise_exception=True)
        payer = None
        if data.validated_data["payer"]:
            payer = Authority.objects.filter(slug=data.validated_data["payer"]).first()
            if payer is None:
                raise serializers.ValidationError({"payer": ["No such authority."]})
        services.placement_set_funders(actor=request.user, placement=placement,
                                       shares=_shares(data.validated_data["shares"]),
                                       reason=data.validated_data["reason"], payer=payer)
        return self.detail(placement)


class GoLiveView(PlacementsAPI, APIView):
    @extend_schema(request=GoLiveIn, responses=PlacementDetailOut, summary="Confirm the placement has gone live")
    def post(self, request, placement_id):
        placement = self.managed(placement_id)
        data = GoLiveIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.placement_go_live(actor=request.user, placement=placement, **data.validated_data)
        return self.detail(placement)


class VariationView(PlacementsAPI, APIView):
    @extend_schema(request=VariationIn, responses={201: PlacementDetailOut},
                   summary="Vary a live placement's cost from a date (a new cost line), with a reason")
    def post(self, request, placement_id):
        placement = self.managed(placement_id)
        data = VariationIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["shares"] = _shares(fields["shares"]) if fields.get("shares") else None
        services.placement_vary(actor=request.user, placement=placement, **fields)
        response = self.detail(placement)
        response.status_code = status.HTTP_201_CREATED
        return response


class EndView(PlacementsAPI, APIView):
    @extend_schema(request=EndIn, responses=PlacementDetailOut, summary="End the placement, with a reason")
    def post(self, request, placement_id):
        placement = self.managed(placement_id)
        data = EndIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.placement_end(actor=request.user, placement=placement, **data.validated_data)
        return self.detail(placement)


class RateScheduleListView(PlacementsAPI, GenericAPIView):
    serializer_class = RateScheduleOut
    filterset_class = RateScheduleFilters

    @extend_schema(responses=RateScheduleOut(many=True), summary="Rate schedules (annual uplifts)")
    def get(self, request):
        self.require(policy.can_view_placements(self.access), READ_REFUSED)
        page = self.paginate_queryset(self.filter_queryset(selectors.rate_schedules()))
        return self.get_paginated_response(RateScheduleOut(page, many=True).data)

    @extend_schema(request=RateScheduleIn, responses={201: RateScheduleOut},
                   summary="Add a rate schedule (commissioners)")
    def post(self, request):
        self.require(policy.can_set_rates(self.access), "Only commissioners set rate schedules.")
        data = RateScheduleIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agreement = Agreement.objects.filter(pk=fields.pop("agreement")).first()
        if agreement is None:
            raise serializers.ValidationError({"agreement": ["No such agreement here."]})
        lot_id = fields.pop("lot")
        lot = agreement.lots.filter(pk=lot_id).first() if lot_id is not None else None
        if lot_id is not None and lot is None:
            raise serializers.ValidationError({"lot": ["That is not a lot of this agreement."]})
        schedule = services.rate_schedule_add(actor=request.user, agreement=agreement, lot=lot, **fields)
        return Response(RateScheduleOut(selectors.rate_schedule(schedule.pk)).data, status=status.HTTP_201_CREATED)


class UpliftApplyView(PlacementsAPI, APIView):
    @extend_schema(request=None, responses=UpliftAppliedOut,
                   summary="Apply an uplift to every placement live on its date (once each)")
    def post(self, request, schedule_id):
        self.require(policy.can_manage_placements(self.access), MANAGE_REFUSED)
        schedule = selectors.rate_schedule(schedule_id)
        if schedule is None:
            raise Http404("No such rate schedule.")
        made = services.uplift_apply(actor=request.user, schedule=schedule)
        return Response(UpliftAppliedOut({"applied": len(made), "placements": [u.placement_id for u in made]}).data)


class UpliftPreviewView(PlacementsAPI, APIView):
    @extend_schema(responses=UpliftPreviewOut,
                   summary="What applying an uplift would do: each placement before and after, and the totals")
    def get(self, request, schedule_id):
        self.require(policy.can_manage_placements(self.access), MANAGE_REFUSED)
        schedule = selectors.rate_schedule(schedule_id)
        if schedule is None:
            raise Http404("No such rate schedule.")
        preview = uplift_preview(schedule)
        return Response(UpliftPreviewOut(preview).data)


class CommitmentQuery(StrictSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False, default=None,
                                    help_text="The financial year by the year its April falls in (2026: April "
                                              "2026 to March 2027); leave out for this year.")
    format = FilterChoiceField([("json", "JSON"), ("csv", "CSV")], help_text="csv for the CSV export.")


class CommitmentView(PlacementsAPI, APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(parameters=[CommitmentQuery],
                   responses={(200, "application/json"): CommitmentOut,
                              (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV (text/csv)")},
                   summary="Commitment for a financial year: per week, funder, lot and provider, to date and "
                           "forecast")
    def get(self, request):
        self.require(policy.can_view_placements(self.access), READ_REFUSED)
        today = timezone.localdate()
        year = filters(CommitmentQuery, request).get("year") or reports.financial_year_of(today)
        report = reports.commitment(year=year, today=today)
        if request.accepted_renderer.format == "csv":
            return _csv(reports.commitment_csv(report), f"commitment-{year}.csv")
        return Response(CommitmentOut(report).data)
