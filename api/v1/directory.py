"""The public directory through the API: /api/v1/directory/... Open to
anyone, read-only, with the same filters and messages as /directory/."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.filters import FilteredList
from api.pagination import DirectoryPagination
from api.v1.refs import AreaOut
from shared_catalogue import selectors

FILTERS = ("q", "service", "client_group", "area", "postcode")

# --- Output -------------------------------------------------------------------------


class DirectoryCodeOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class DirectoryLotOut(serializers.Serializer):
    authority = AreaOut()
    agreement_reference = serializers.CharField()
    agreement_title = serializers.CharField()
    lot_number = serializers.CharField()
    lot_title = serializers.CharField()
    service = serializers.CharField(source="service_type.code", default=None, allow_null=True,
                                    help_text="The lot's service type code, when it has one.")


class DirectoryCqcOut(serializers.Serializer):
    provider_id = serializers.CharField(source="cqc_provider_id")
    overall_rating = serializers.CharField(source="cqc_overall_rating", help_text="Blank until rated.")
    published_on = serializers.DateField(source="cqc_rating_published_on", allow_null=True)


class DirectoryEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="Trading name.")
    legal_name = serializers.CharField()
    description = serializers.CharField()
    town = serializers.CharField()
    website = serializers.CharField()
    contact_phone = serializers.CharField()
    contact_email = serializers.CharField()
    services = DirectoryCodeOut(many=True, source="services.all")
    client_groups = DirectoryCodeOut(many=True, source="client_groups.all")
    areas = AreaOut(many=True, source="areas.all")
    postcode_districts = serializers.ListField(child=serializers.CharField())
    cqc = serializers.SerializerMethodField(help_text="Null when the provider is not registered with the CQC.")
    lots = DirectoryLotOut(many=True, source="listed_lots",
                           help_text="The live lots it is admitted to, in every authority.")

    @extend_schema_field(DirectoryCqcOut(allow_null=True))
    def get_cqc(self, provider):
        if not (provider.cqc_provider_id or provider.cqc_overall_rating):
            return None
        return DirectoryCqcOut(provider).data


class DirectoryEntryDetailOut(DirectoryEntryOut):
    specialisms = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField(), help_text="Besides English.")
    capacity_statement = serializers.CharField()


# --- Views ----------------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="Words from the name, the description or the services "
                                           "(web search syntax: \"quoted phrase\", or, -not). At most 200 characters."),
    OpenApiParameter("service", str, description="A service type code, for example `home-care`."),
    OpenApiParameter("client_group", str, description="A client group code, for example `dementia`."),
    OpenApiParameter("area", str, description="An authority's slug: providers that work in its area."),
    OpenApiParameter("postcode", str, description="A postcode district (`CW5`) or a full postcode (`CW5 6AA`), "
                                                  "which is read as its district."),
]


class DirectoryListView(FilteredList, GenericAPIView):
    permission_classes = [AllowAny]
    # checked by the directory's own rules, shared with /directory/ (selectors.directory_filters)
    query_parameters = FILTERS
    blank_parameters = FILTERS  # as the page's form sends them: no filter
    authentication_classes = []
    throttle_scope = "directory"  # api.throttling: per client address
    pagination_class = DirectoryPagination
    serializer_class = DirectoryEntryOut

    @extend_schema(parameters=FILTER_PARAMETERS, responses=DirectoryEntryOut(many=True),
                   summary="Find approved providers",
                   description="Providers admitted to at least one lot of a live agreement, by name. "
                               "A bad filter value is a 400 naming the field; a page beyond the last is a 404.")
    def get(self, request):
        self.list_filters()  # nothing but these parameters
        filters = selectors.directory_filters(**{name: request.query_params.get(name, "") for name in FILTERS})
        page = self.paginate_queryset(selectors.directory(filters=filters))
        return self.get_paginated_response(DirectoryEntryOut(page, many=True).data)


class DirectoryEntryView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "directory"  # api.throttling: per client address

    @extend_schema(responses=DirectoryEntryDetailOut, summary="One approved provider")
    def get(self, request, provider_id):
        provider = selectors.directory_entry(provider_id=provider_id)
        if provider is None:
            raise Http404("No such provider in the directory.")
        return Response(DirectoryEntryDetailOut(provider).data)
