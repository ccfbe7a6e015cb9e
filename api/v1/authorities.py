"""Authorities: the regional list, and the one an authority URL names."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilteredList
from tenancy.models import Authority
from tenancy.selectors import authorities_for_directory
from tenants.workspace.selectors import providers_named, role_labels


class AuthorityOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Authority.Kind.choices)
    official_code = serializers.CharField()
    region = serializers.CharField(source="region.name", default=None)
    members = serializers.SerializerMethodField()

    def get_members(self, authority) -> list[str]:
        return [m.slug for m in authority.members.all()] if authority.is_partnership else []


class AuthorityListView(FilteredList, APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(responses=AuthorityOut(many=True), summary="Authorities in the region")
    def get(self, request):
        self.list_filters()
        return Response(AuthorityOut(authorities_for_directory(), many=True).data)


class HereOut(serializers.Serializer):
    authority = AuthorityOut()
    staff_roles = serializers.ListField(child=serializers.CharField())
    acting_for_providers = serializers.ListField(child=serializers.CharField())


class AuthorityHereView(TenantAPIMixin, APIView):
    """The authority this URL is under, and what you are here as."""

    audience = Audience.MEMBER

    @extend_schema(responses=HereOut, summary="This authority, and your roles in it")
    def get(self, request):
        access = self.access
        return Response(HereOut({
            "authority": self.authority,
            "staff_roles": role_labels(access.staff_roles) if access.is_staff else [],
            "acting_for_providers": [o["provider"].name for o in providers_named(access.provider_roles)],
        }).data)
