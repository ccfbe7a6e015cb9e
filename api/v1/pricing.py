"""Pricing schedules through the API: /a/<slug>/api/v1/pricing/...

Staff: schedules per agreement and year (commissioners create and edit
drafts, add rates, publish; a published schedule is fixed, so changing it is
a 409); an agreement marked as priced by schedule; each opened bid's price
against its rate, flagged abnormally low or high; asking a low bid's provider
to explain (PCR 2015 regulation 69) and deciding on the answer; awarding a
package at the schedule's rate by the person's preference.

Providers: the published schedules of agreements they are admitted to, and
the explanations asked of them, which they answer. Drafts are never shown
to providers. Refusals are problem details (400, 403, 404, 409)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.strict import StrictSerializer
from api.v1.calloffs import AwardOut
from api.v1.refs import LotRefOut, NamedOut, ReferenceOut
from shared_catalogue.models import ServiceType
from tenants.agreements.models import Agreement
from tenants.calloffs import policy as calloffs_policy
from tenants.calloffs import selectors as calloff_selectors
from tenants.calloffs.models import Award, Bid
from tenants.pricing import policy, selectors, services
from tenants.pricing.filters import ScheduleFilters
from tenants.pricing.models import BidPriceCheck, PricingSchedule, Rate

MONEY = {"max_digits": 10, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}

# --- Output -------------------------------------------------------------------------


class RateOut(serializers.Serializer):
    id = serializers.IntegerField()
    lot = LotRefOut()
    service_type = serializers.CharField(source="service_type.code", allow_null=True,
                                         help_text="A catalogue service type code; null: the lot's own.")
    tier = serializers.CharField()
    zone = serializers.CharField()
    need_level = serializers.CharField(help_text="A primary need code; blank for any need.")
    unit = serializers.ChoiceField(choices=Rate.Unit.choices)
    amount = serializers.DecimalField(**MONEY)
    fair_cost = serializers.DecimalField(**MONEY, allow_null=True,
                                         help_text="The fair cost of care for the same unit, for reference.")
    fair_cost_note = serializers.CharField()


class ScheduleOut(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = ReferenceOut()
    year = serializers.IntegerField()
    effective_from = serializers.DateField()
    effective_to = serializers.DateField()
    status = serializers.ChoiceField(choices=PricingSchedule.Status.choices)
    low_band_percent = serializers.DecimalField(**PERCENT, help_text="Below this per cent of the rate: abnormally "
                                                                     "low.")
    high_band_percent = serializers.DecimalField(**PERCENT, help_text="Above this per cent of the rate: high.")
    note = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class ScheduleDetailOut(ScheduleOut):
    rates = RateOut(many=True, source="rates.all")


class PriceCheckOut(serializers.Serializer):
    id = serializers.IntegerField()
    bid = serializers.IntegerField(source="bid_id")
    package = serializers.IntegerField(source="bid.package_id")
    provider = NamedOut(source="bid.provider")
    rate = RateOut(allow_null=True)
    weekly_price = serializers.DecimalField(**MONEY)
    weekly_rate = serializers.DecimalField(**MONEY, allow_null=True, help_text="The rate's weekly equivalent for "
                                                                                "the package's hours or sessions.")
    percent_of_rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    flag = serializers.ChoiceField(choices=BidPriceCheck.Flag.choices)
    explanation_status = serializers.ChoiceField(choices=BidPriceCheck.Explanation.choices)
    request = serializers.CharField()
    requested_at = serializers.DateTimeField(allow_null=True)
    explanation = serializers.CharField()
    explained_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    blocks_award = serializers.BooleanField()


class AgreementPricingOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    priced_by_schedule = serializers.BooleanField()


# --- Input --------------------------------------------------------------------------


class ScheduleIn(StrictSerializer):
    agreement = serializers.IntegerField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    effective_from = serializers.DateField()
    effective_to = serializers.DateField()
    low_band_percent = serializers.DecimalField(**PERCENT, required=False)
    high_band_percent = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ScheduleChangeIn(StrictSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    effective_from = serializers.DateField(required=False)
    effective_to = serializers.DateField(required=False)
    low_band_percent = serializers.DecimalField(**PERCENT, required=False)
    high_band_percent = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class RateIn(StrictSerializer):
    lot = serializers.IntegerField(help_text="A lot of the schedule's agreement.")
    service_type = serializers.SlugField(required=False, allow_null=True, default=None,
                                         help_text="A catalogue service type code; leave it out for the lot's own.")
    tier = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    zone = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    need_level = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    unit = serializers.ChoiceField(choices=Rate.Unit.choices)
    amount = serializers.DecimalField(**MONEY)
    fair_cost = serializers.DecimalField(**MONEY, required=False, allow_null=True, default=None)
    fair_cost_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PricedBySchedulesIn(StrictSerializer):
    priced_by_schedule = serializers.BooleanField()
    reason = serializers.CharField(max_length=2000)


class ExplanationRequestIn(StrictSerializer):
    request = serializers.CharField(max_length=5000, help_text="What the provider should explain.")


class ExplanationDecideIn(StrictSerializer):
    accepted = serializers.BooleanField()
    reason = serializers.CharField(max_length=5000)


class ExplanationIn(StrictSerializer):
    explanation = serializers.CharField(max_length=10000)


class AwardAtRateIn(StrictSerializer):
    bid = serializers.IntegerField(help_text="The bid of the provider the person prefers.")
    expressed_by = serializers.CharField(max_length=150, help_text="Whose preference: the person, or who in their "
                                                                    "family.")
    reason = serializers.CharField(max_length=5000, help_text="Why this provider; quoted in the bidders' letters.")


# --- Staff --------------------------------------------------------------------------


class PricingAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)

    def packages_scope(self):
        """The packages whose bids' prices this view reaches: all of this
        authority's. Under grants/call-offs/ the caller's own (api/v1/grants.py)."""
        return calloff_selectors.packages_for_staff()

    def considers(self, package) -> bool:
        """Who considers a package's bids' prices: those who evaluate bids here,
        or the granted body's brokers and commissioners on its own call-off."""
        return policy.can_ask_explanation(self.access) or (
            package is not None and calloffs_policy.can_source_package(self.access, package))

    def schedule(self, schedule_id) -> PricingSchedule:
        self.require(policy.can_view_prices(self.access), "Only authority staff read pricing schedules.")
        found = selectors.schedule_for_staff(schedule_id)
        if found is None:
            raise Http404("No pricing schedule with that id here.")
        return found

    def detail(self, schedule_id, status_code=status.HTTP_200_OK) -> Response:
        return Response(ScheduleDetailOut(selectors.schedule_for_staff(schedule_id)).data, status=status_code)

    def rate_fields(self, schedule: PricingSchedule, data: dict) -> dict:
        fields = dict(data)
        lot = schedule.agreement.lots.filter(pk=fields.pop("lot")).first()
        if lot is None:
            raise serializers.ValidationError({"lot": ["That is not a lot of this agreement."]})
        code = fields.pop("service_type", None)
        service_type = None
        if code:
            service_type = ServiceType.objects.filter(code=code).first()
            if service_type is None:
                raise serializers.ValidationError({"service_type": ["No such service type."]})
        return fields | {"lot": lot, "service_type": service_type}


class ScheduleListView(PricingAPI, GenericAPIView):
    serializer_class = ScheduleOut
    filterset_class = ScheduleFilters

    @extend_schema(responses=ScheduleOut(many=True),
                   summary="Pricing schedules, by agreement and year")
    def get(self, request):
        self.require(policy.can_view_prices(self.access), "Only authority staff read pricing schedules.")
        page = self.paginate_queryset(self.filter_queryset(selectors.schedules_for_staff()))
        return self.get_paginated_response(ScheduleOut(page, many=True).data)

    @extend_schema(request=ScheduleIn, responses={201: ScheduleDetailOut},
                   summary="Start a year's pricing schedule for an agreement, as a draft (commissioners)")
    def post(self, request):
        self.require(policy.can_set_prices(self.access), services.SET_REFUSED)
        data = ScheduleIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agreement = Agreement.objects.filter(pk=fields.pop("agreement")).first()
        if agreement is None:
            raise serializers.ValidationError({"agreement": ["No such agreement here."]})
        schedule = services.schedule_create(actor=request.user, agreement=agreement, **fields)
        return self.detail(schedule.pk, status.HTTP_201_CREATED)


class ScheduleDetailView(PricingAPI, APIView):
    @extend_schema(responses=ScheduleDetailOut, summary="One pricing schedule with its rates")
    def get(self, request, schedule_id):
        return self.detail(self.schedule(schedule_id).pk)

    @extend_schema(request=ScheduleChangeIn, responses=ScheduleDetailOut,
                   summary="Change a draft schedule (a published one is fixed: 409)")
    def patch(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        data = ScheduleChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.schedule_update(actor=request.user, schedule=schedule, **data.validated_data)
        return self.detail(schedule.pk)


class RateListView(PricingAPI, APIView):
    @extend_schema(request=RateIn, responses={201: ScheduleDetailOut}, summary="Add a rate to a draft schedule")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        data = RateIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.rate_add(actor=request.user, schedule=schedule, **self.rate_fields(schedule, data.validated_data))
        return self.detail(schedule.pk, status.HTTP_201_CREATED)


class RateDetailView(PricingAPI, APIView):
    def rate(self, schedule: PricingSchedule, rate_id) -> Rate:
        found = schedule.rates.filter(pk=rate_id).first()
        if found is None:
            raise Http404("No such rate in this schedule.")
        return found

    @extend_schema(request=RateIn, responses=ScheduleDetailOut, summary="Replace a rate of a draft schedule")
    def put(self, request, schedule_id, rate_id):
        schedule = self.schedule(schedule_id)
        rate = self.rate(schedule, rate_id)
        data = RateIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.rate_update(actor=request.user, rate=rate, **self.rate_fields(schedule, data.validated_data))
        return self.detail(schedule.pk)

    @extend_schema(request=None, responses={204: None}, summary="Remove a rate from a draft schedule")
    def delete(self, request, schedule_id, rate_id):
        schedule = self.schedule(schedule_id)
        services.rate_remove(actor=request.user, rate=self.rate(schedule, rate_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchedulePublishView(PricingAPI, APIView):
    @extend_schema(request=None, responses=ScheduleDetailOut,
                   summary="Publish the schedule to the agreement's admitted providers (it is then fixed)")
    def post(self, request, schedule_id):
        schedule = self.schedule(schedule_id)
        services.schedule_publish(actor=request.user, schedule=schedule)
        return self.detail(schedule.pk)


class PricedByScheduleView(PricingAPI, APIView):
    @extend_schema(request=PricedBySchedulesIn, responses=AgreementPricingOut,
                   summary="Mark an agreement as priced by schedule (call-offs at the rate by preference), or not")
    def put(self, request, agreement_id):
        self.require(policy.can_set_prices(self.access), services.SET_REFUSED)
        agreement = Agreement.objects.filter(pk=agreement_id).first()
        if agreement is None:
            raise Http404("No agreement with that id here.")
        data = PricedBySchedulesIn(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = services.agreement_price_by_schedule(actor=request.user, agreement=agreement,
                                                         **data.validated_data)
        return Response(AgreementPricingOut(agreement).data)


class PackagePriceChecksView(PricingAPI, GenericAPIView):
    serializer_class = PriceCheckOut

    def package(self, package_id):
        package = self.packages_scope().filter(pk=package_id).first()
        self.require(self.considers(package), "Only brokers, commissioners and evaluators read bids' prices.")
        if package is None:
            raise Http404("No package with that id here.")
        return package

    @extend_schema(responses=PriceCheckOut(many=True),
                   summary="Each opened bid's price against the schedule's rate, flagged low or high "
                           "(empty while bids are sealed)")
    def get(self, request, package_id):
        self.filter_queryset(None)  # none offered: an unknown one is a 400, before anything is looked up
        page = self.paginate_queryset(selectors.checks_for_package(self.package(package_id)))
        return self.get_paginated_response(PriceCheckOut(page, many=True).data)


class PriceCheckAPI(PricingAPI):
    def check_of(self, check_id) -> BidPriceCheck:
        found = selectors.check_for_staff(check_id)
        package = self.packages_scope().filter(pk=found.bid.package_id).first() if found is not None else None
        self.require(self.considers(package), "Only brokers, commissioners and evaluators consider bids' prices.")
        if found is None or package is None:
            raise Http404("No price check with that id here.")
        return found

    def done(self, check_id) -> Response:
        return Response(PriceCheckOut(selectors.check_for_staff(check_id)).data)


class ExplanationRequestView(PriceCheckAPI, APIView):
    @extend_schema(request=ExplanationRequestIn, responses=PriceCheckOut,
                   summary="Ask the provider of an abnormally low bid to explain its price (PCR 2015 reg 69)")
    def post(self, request, check_id):
        check = self.check_of(check_id)
        data = ExplanationRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.explanation_request(actor=request.user, check=check, **data.validated_data)
        return self.done(check.pk)


class ExplanationDecideView(PriceCheckAPI, APIView):
    @extend_schema(request=ExplanationDecideIn, responses=PriceCheckOut,
                   summary="Accept or reject the provider's explanation of its price, with the reason")
    def post(self, request, check_id):
        check = self.check_of(check_id)
        data = ExplanationDecideIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.explanation_decide(actor=request.user, check=check, **data.validated_data)
        return self.done(check.pk)


class AwardAtRateView(PricingAPI, APIView):
    @extend_schema(request=AwardAtRateIn, responses={201: AwardOut},
                   summary="Award at the schedule's rate to the provider the person prefers (agreements priced "
                           "by schedule)")
    def post(self, request, package_id):
        package = self.packages_scope().filter(pk=package_id).first()
        self.require(policy.can_award_at_rate(self.access) or (
            package is not None and calloffs_policy.can_source_package(self.access, package)),
            "Only brokers and commissioners award packages.")
        if package is None:
            raise Http404("No package with that id here.")
        data = AwardAtRateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        bid = Bid.objects.filter(package=package, pk=fields.pop("bid")).first()
        if bid is None:
            raise serializers.ValidationError({"bid": ["No such bid on this package."]})
        made = services.award_at_rate(actor=request.user, package=package, bid=bid, **fields)
        made = Award.objects.select_related("bid__provider", "package__placement").get(pk=made.pk)
        return Response(AwardOut(made).data, status=status.HTTP_201_CREATED)


# --- Providers ----------------------------------------------------------------------


class ProviderPricingAPI(TenantAPIMixin):
    audience = Audience.PROVIDER


class ProviderScheduleListView(ProviderPricingAPI, GenericAPIView):
    serializer_class = ScheduleDetailOut

    @extend_schema(responses=ScheduleDetailOut(many=True),
                   summary="Published fees of the agreements your organisations are admitted to")
    def get(self, request):
        self.filter_queryset(None)  # none offered: an unknown one is a 400
        page = self.paginate_queryset(selectors.schedules_for_provider(self.access.provider_ids))
        return self.get_paginated_response(ScheduleDetailOut(page, many=True).data)


class ProviderScheduleDetailView(ProviderPricingAPI, APIView):
    @extend_schema(responses=ScheduleDetailOut, summary="One published pricing schedule")
    def get(self, request, schedule_id):
        found = selectors.schedule_for_provider(self.access.provider_ids, schedule_id)
        if found is None:
            raise Http404("No published pricing schedule with that id for you here.")
        return Response(ScheduleDetailOut(found).data)


class ProviderPriceCheckOut(serializers.Serializer):
    id = serializers.IntegerField()
    package = ReferenceOut(source="bid.package")
    provider = NamedOut(source="bid.provider")
    weekly_price = serializers.DecimalField(**MONEY)
    weekly_rate = serializers.DecimalField(**MONEY, allow_null=True)
    percent_of_rate = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    explanation_status = serializers.ChoiceField(choices=BidPriceCheck.Explanation.choices)
    request = serializers.CharField()
    requested_at = serializers.DateTimeField(allow_null=True)
    explanation = serializers.CharField()
    explained_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()


class ProviderPriceCheckListView(ProviderPricingAPI, GenericAPIView):
    serializer_class = ProviderPriceCheckOut

    @extend_schema(responses=ProviderPriceCheckOut(many=True),
                   summary="Explanations of your bids' prices asked of your organisations")
    def get(self, request):
        self.filter_queryset(None)  # none offered: an unknown one is a 400
        page = self.paginate_queryset(selectors.checks_for_provider(self.access.provider_ids))
        return self.get_paginated_response(ProviderPriceCheckOut(page, many=True).data)


class ProviderExplainView(ProviderPricingAPI, APIView):
    @extend_schema(request=ExplanationIn, responses=ProviderPriceCheckOut,
                   summary="Explain your bid's price, as asked (PCR 2015 regulation 69)")
    def post(self, request, check_id):
        check = selectors.check_for_provider(self.access.provider_ids, check_id)
        if check is None:
            raise Http404("No explanation is asked of you with that id here.")
        data = ExplanationIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.explanation_give(actor=request.user, check=check, **data.validated_data)
        return Response(ProviderPriceCheckOut(selectors.check_for_provider(self.access.provider_ids,
                                                                           check.pk)).data)
