"""Agreements open to providers' applications, through the API:
/api/v1/open-agreements/. Open to anyone, read-only, with the same filters
and messages as the /agreements/ page."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny

from api.filters import FilteredList
from api.pagination import PageNumberPagination
from api.v1.refs import AreaOut
from shared_catalogue import open_agreements
from tenancy.routing import public_reverse, tenant_reverse

FILTERS = ("q", "authority", "service", "when")


class OpenAgreementsPagination(PageNumberPagination):
    page_size = 20
    max_page_size = 100


class OpenLotOut(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    service = serializers.CharField(help_text="The lot's service type, blank when it has none.")


class OpenAgreementOut(serializers.Serializer):
    authority = AreaOut(help_text="The authority (or partnership) that runs the agreement.")
    agreement_id = serializers.IntegerField(help_text="The agreement's id in that authority's API.")
    reference = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["dps", "fps", "dynamic_market"])
    kind_label = serializers.CharField()
    service_area = serializers.CharField()
    description = serializers.CharField()
    lots = OpenLotOut(many=True)
    continuous = serializers.BooleanField(help_text="Applications at any time during the term (no rounds).")
    round_number = serializers.IntegerField(allow_null=True, help_text="Null when applications are continuous.")
    opens_on = serializers.DateField()
    closes_on = serializers.DateField(help_text="When the round closes, or when the agreement ends.")
    apply_url = serializers.SerializerMethodField(help_text="Where a person starts applying on the web site.")
    application_api = serializers.SerializerMethodField(
        help_text="The authority's API endpoint to start an application (a provider's session or token).")

    def to_representation(self, window):
        data = super().to_representation(window)
        if window.continuous:
            data["round_number"] = None
        return data

    def get_apply_url(self, window) -> str:
        return public_reverse("open-agreements:apply", args=[window.authority.slug, window.agreement_id])

    def get_application_api(self, window) -> str:
        return tenant_reverse(window.authority, "tenant-api:provider-applications")


FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="Words from the title, service, description, reference or authority "
                                           "(every word must match). At most 200 characters."),
    OpenApiParameter("authority", str, description="An authority's slug, for example `cheshire-east`."),
    OpenApiParameter("service", str, description="A service type code, for example `home-care`."),
    OpenApiParameter("when", str, enum=list(open_agreements.WHEN),
                     description="`now` (the default): taking applications today; `soon`: a round opens later."),
]


class OpenAgreementListView(FilteredList, GenericAPIView):
    permission_classes = [AllowAny]
    # checked by the rules shared with /open-agreements/ (open_agreements.filters_from)
    query_parameters = FILTERS
    blank_parameters = ("q", "authority", "service")  # as the page's form sends them: no filter
    authentication_classes = []
    throttle_scope = "directory"  # the public read scope (api.throttling): per client address
    pagination_class = OpenAgreementsPagination
    serializer_class = OpenAgreementOut

    @extend_schema(parameters=FILTER_PARAMETERS, responses=OpenAgreementOut(many=True),
                   summary="Agreements open to providers' applications",
                   description="Every authority's agreements taking applications now (or opening later), soonest "
                               "closing first. A bad filter value is a 400 naming the field; a page beyond the last "
                               "is a 404.")
    def get(self, request):
        self.list_filters()  # nothing but these parameters
        filters = open_agreements.filters_from(**{name: request.query_params.get(name, "") for name in FILTERS})
        page = self.paginate_queryset(open_agreements.windows(filters=filters))
        return self.get_paginated_response(OpenAgreementOut(page, many=True).data)
