"""The catalogue through the API: provider self-service on the regional site
(/api/v1/providers/...) and the catalogue as authority staff see it
(/a/<slug>/api/v1/catalogue/...)."""

from datetime import date

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from accounts.roles import ProviderRole
from api.base import TenantAPIMixin
from api.filters import FilteredList, filters
from api.parsers import StrictJSONParser
from shared_catalogue import policy, selectors, services
from shared_catalogue.filters import CatalogueFilters
from shared_catalogue.models import PROFILE_RELATIONS, ClientGroup, EvidenceType, Provider, ServiceType
from shared_catalogue.uploads import ALLOWED
from shared_catalogue.views import evidence_file_response
from tenancy.models import Authority

# --- Output -------------------------------------------------------------------------


class CQCLocationOut(serializers.Serializer):
    location_id = serializers.CharField()
    name = serializers.CharField(help_text="Blank until the CQC import has seen the location.")
    overall_rating = serializers.CharField()
    rating_published_on = serializers.DateField(allow_null=True)
    declared_by_provider = serializers.BooleanField()


class ProviderOut(serializers.Serializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Provider.Kind.choices)
    company_number = serializers.CharField()
    charity_number = serializers.CharField()
    cqc_provider_id = serializers.CharField()
    address_line_1 = serializers.CharField()
    address_line_2 = serializers.CharField()
    town = serializers.CharField()
    postcode = serializers.CharField()
    website = serializers.CharField()
    contact_name = serializers.CharField()
    contact_email = serializers.CharField()
    contact_phone = serializers.CharField()
    description = serializers.CharField()
    capacity_statement = serializers.CharField()
    services = serializers.SerializerMethodField(help_text="Service type codes.")
    client_groups = serializers.SerializerMethodField(help_text="Client group codes.")
    areas = serializers.SerializerMethodField(help_text="Slugs of the authority areas covered.")
    postcode_districts = serializers.ListField(child=serializers.CharField())
    specialisms = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    cqc_overall_rating = serializers.CharField()
    cqc_rating_published_on = serializers.DateField(allow_null=True)
    cqc_locations = CQCLocationOut(many=True)
    profile_version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def get_services(self, provider) -> list[str]:
        return [s.code for s in provider.services.all()]

    def get_client_groups(self, provider) -> list[str]:
        return [c.code for c in provider.client_groups.all()]

    def get_areas(self, provider) -> list[str]:
        return [a.slug for a in provider.areas.all()]


class DecisionOut(serializers.Serializer):
    decision = serializers.CharField()
    reason = serializers.CharField()
    authority = serializers.CharField(source="authority.name")
    decided_by = serializers.CharField(source="decided_by.get_full_name")
    decided_at = serializers.DateTimeField()


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    evidence_type = serializers.ChoiceField(choices=EvidenceType.choices)
    title = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    cover_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    verification = serializers.CharField()
    expiry = serializers.SerializerMethodField()
    days_to_expiry = serializers.SerializerMethodField()
    usable = serializers.SerializerMethodField(help_text="Verified and in date: a decision may rely on it.")
    decisions = DecisionOut(many=True, source="decisions.all")

    def get_expiry(self, evidence) -> str:
        return selectors.evidence_status(evidence).expiry

    def get_days_to_expiry(self, evidence) -> int | None:
        return evidence.days_to_expiry()

    def get_usable(self, evidence) -> bool:
        return selectors.evidence_status(evidence).usable


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=ProviderRole.choices)
    granted_at = serializers.DateTimeField()


# --- Input ------------------------------------------------------------------------------


class ProviderIn(serializers.Serializer):
    legal_name = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Provider.Kind.choices)
    company_number = serializers.CharField(max_length=8, required=False, allow_blank=True)
    charity_number = serializers.CharField(max_length=12, required=False, allow_blank=True)
    cqc_provider_id = serializers.CharField(max_length=16, required=False, allow_blank=True)
    address_line_1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line_2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    town = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=8, required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    capacity_statement = serializers.CharField(required=False, allow_blank=True)
    services = serializers.SlugRelatedField(slug_field="code", many=True, required=False,
                                            queryset=ServiceType.objects.all())
    client_groups = serializers.SlugRelatedField(slug_field="code", many=True, required=False,
                                                 queryset=ClientGroup.objects.all())
    areas = serializers.SlugRelatedField(
        slug_field="slug", many=True, required=False,
        queryset=Authority.objects.filter(is_active=True, kind__in=["council", "nhs_body"]))
    postcode_districts = serializers.ListField(child=serializers.CharField(max_length=8), required=False)
    specialisms = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    languages = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    cqc_locations = serializers.ListField(child=serializers.CharField(max_length=16), required=False,
                                          help_text="CQC location IDs the organisation runs.")


class PersonIn(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    role = serializers.ChoiceField(choices=ProviderRole.choices)


class EvidenceIn(serializers.Serializer):
    evidence_type = serializers.ChoiceField(choices=EvidenceType.choices)
    title = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    issued_on = serializers.DateField(required=False, allow_null=True, default=None)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    cover_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True,
                                           default=None)
    file = serializers.FileField(help_text="PDF, Word, OpenDocument, Excel, PNG or JPEG, up to 10 MB.")
    replaces = serializers.IntegerField(required=False, allow_null=True, default=None)


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["verified", "rejected"])
    reason = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


# --- Provider self-service (regional site) -----------------------------------------------------------


class OwnProviderMixin:
    permission_classes = [IsAuthenticated]

    def own_provider(self, provider_id) -> Provider:
        provider = selectors.provider_for_member(user=self.request.user, provider_id=provider_id)
        if provider is None:
            raise Http404("You have no organisation with that id.")
        return provider


def _relations(data: dict) -> dict:
    return {name: data.pop(name) for name in PROFILE_RELATIONS if name in data}


class ProviderListView(OwnProviderMixin, GenericAPIView):
    serializer_class = ProviderOut
    pagination_class = None

    @extend_schema(responses=ProviderOut(many=True), summary="Your organisations")
    def get(self, request):
        providers = self.filter_queryset(selectors.providers_for_member(request.user)
                                         .prefetch_related("services", "client_groups", "areas"))
        return Response(ProviderOut(providers, many=True).data)

    @extend_schema(request=ProviderIn, responses={201: ProviderOut}, summary="Register an organisation")
    def post(self, request):
        data = ProviderIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        provider = services.provider_register(actor=request.user, **_relations(fields), **fields)
        return Response(ProviderOut(provider).data, status=status.HTTP_201_CREATED)


class ProviderDetailView(OwnProviderMixin, APIView):
    @extend_schema(responses=ProviderOut, summary="One of your organisations")
    def get(self, request, provider_id):
        return Response(ProviderOut(self.own_provider(provider_id)).data)

    @extend_schema(request=ProviderIn(partial=True), responses=ProviderOut, summary="Change the profile")
    def patch(self, request, provider_id):
        provider = self.own_provider(provider_id)
        data = ProviderIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        provider = services.provider_profile_update(actor=request.user, provider=provider, **_relations(fields),
                                                    **fields)
        return Response(ProviderOut(provider).data)


class PeopleView(FilteredList, OwnProviderMixin, APIView):
    @extend_schema(responses=PersonOut(many=True), summary="People in the organisation")
    def get(self, request, provider_id):
        self.list_filters()
        provider = self.own_provider(provider_id)
        memberships = [m for row in selectors.provider_people(provider=provider) for m in row["memberships"]]
        return Response(PersonOut(memberships, many=True).data)

    @extend_schema(request=PersonIn, responses={201: PersonOut}, summary="Add someone, by e-mail")
    def post(self, request, provider_id):
        provider = self.own_provider(provider_id)
        data = PersonIn(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.provider_person_add(actor=request.user, provider=provider, **data.validated_data)
        return Response(PersonOut(membership).data, status=status.HTTP_201_CREATED)


class PersonView(OwnProviderMixin, APIView):
    @extend_schema(responses={204: None}, summary="Take a role away")
    def delete(self, request, provider_id, membership_id):
        provider = self.own_provider(provider_id)
        membership = selectors.provider_membership_get(provider=provider, membership_id=membership_id)
        if membership is None:
            raise Http404("No such role in this organisation.")
        services.provider_person_remove(actor=request.user, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceListView(FilteredList, OwnProviderMixin, APIView):
    parser_classes = [MultiPartParser, FormParser, StrictJSONParser]

    @extend_schema(responses=EvidenceOut(many=True), summary="The evidence locker")
    def get(self, request, provider_id):
        self.list_filters()
        provider = self.own_provider(provider_id)
        return Response(EvidenceOut(selectors.provider_evidence(provider=provider), many=True).data)

    @extend_schema(request={"multipart/form-data": EvidenceIn}, responses={201: EvidenceOut},
                   summary="Upload a document")
    def post(self, request, provider_id):
        provider = self.own_provider(provider_id)
        data = EvidenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        replaces_id = fields.pop("replaces")
        replaces = selectors.evidence_get(provider=provider, evidence_id=replaces_id) if replaces_id else None
        if replaces_id and replaces is None:
            raise serializers.ValidationError({"replaces": "No such document in this locker."})
        evidence = services.evidence_upload(actor=request.user, provider=provider, upload=fields.pop("file"),
                                            replaces=replaces, **fields)
        evidence = selectors.evidence_get(provider=provider, evidence_id=evidence.pk)
        return Response(EvidenceOut(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceDetailView(OwnProviderMixin, APIView):
    @extend_schema(responses=EvidenceOut, summary="One document, with its checks")
    def get(self, request, provider_id, evidence_id):
        evidence = selectors.evidence_get(provider=self.own_provider(provider_id), evidence_id=evidence_id)
        if evidence is None:
            raise Http404("No such document in this locker.")
        return Response(EvidenceOut(evidence).data)


# A document is served as the type its content was checked to be on upload.
DOCUMENT_RESPONSES = {(200, content_type): bytes for content_type in ALLOWED}


class EvidenceFileView(OwnProviderMixin, APIView):
    @extend_schema(responses=DOCUMENT_RESPONSES, summary="Download the document")
    def get(self, request, provider_id, evidence_id):
        evidence = selectors.evidence_get(provider=self.own_provider(provider_id), evidence_id=evidence_id)
        if evidence is None:
            raise Http404("No such document in this locker.")
        return evidence_file_response(evidence)


# --- The catalogue inside an authority ---------------------------------------------------------------


class CatalogueEntryOut(serializers.Serializer):
    provider = ProviderOut(source="*")
    evidence = serializers.SerializerMethodField()

    def get_evidence(self, provider) -> dict:
        return selectors.evidence_summary(getattr(provider, "current_evidence", provider.evidence.all()))


class CatalogueListView(FilteredList, TenantAPIMixin, GenericAPIView):
    audience = Audience.STAFF
    serializer_class = CatalogueEntryOut
    filterset_class = CatalogueFilters

    @extend_schema(responses=CatalogueEntryOut(many=True), summary="Registered providers, with their evidence counts")
    def get(self, request):
        asked = self.list_filters()
        service = asked.get("service")
        providers = selectors.catalogue_providers(words=asked.get("q", ""), service=service.code if service else "")
        page = self.paginate_queryset(providers)
        return self.get_paginated_response(CatalogueEntryOut(page, many=True).data)


class CatalogueProviderOut(serializers.Serializer):
    provider = ProviderOut()
    evidence = EvidenceOut(many=True)
    profile_as_at = serializers.JSONField(allow_null=True)


class AsAtQuery(serializers.Serializer):
    as_at = serializers.DateField(required=False, allow_null=True, default=None,
                                  error_messages={"invalid": "Use a date like 2026-03-31."})


class CatalogueProviderView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    @extend_schema(parameters=[OpenApiParameter("as_at", date, description="Also the profile as it stood then.")],
                   responses=CatalogueProviderOut, summary="One provider: profile, evidence and checks")
    def get(self, request, provider_id):
        provider = selectors.catalogue_provider(provider_id=provider_id)
        if provider is None:
            raise Http404("No such provider in the catalogue.")
        as_at = filters(AsAtQuery, request).get("as_at")
        version = selectors.profile_as_at(provider=provider, when=as_at) if as_at else None
        return Response(CatalogueProviderOut({
            "provider": provider,
            "evidence": selectors.provider_evidence(provider=provider),
            "profile_as_at": ({"version": version.number, "changed_at": version.changed_at.isoformat(),
                               "profile": version.snapshot} if version else None),
        }).data)


class EvidenceDecisionView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    @extend_schema(request=DecisionIn, responses={201: DecisionOut}, summary="Verify or reject a document")
    def post(self, request, evidence_id):
        if not policy.can_decide_evidence(self.access):
            self.permission_denied(request, "Only quality officers and commissioners can verify or reject evidence.")
        evidence = selectors.evidence_get_any(evidence_id=evidence_id)
        if evidence is None:
            raise Http404("No such document.")
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.evidence_decide(actor=request.user, authority=self.authority, evidence=evidence,
                                          **data.validated_data)
        return Response(DecisionOut(record).data, status=status.HTTP_201_CREATED)


class CatalogueEvidenceFileView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    @extend_schema(responses=DOCUMENT_RESPONSES, summary="Download a provider's document")
    def get(self, request, evidence_id):
        evidence = selectors.evidence_get_any(evidence_id=evidence_id)
        if evidence is None:
            raise Http404("No such document.")
        return evidence_file_response(evidence)
