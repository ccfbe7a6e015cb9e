"""The person using the API, their tokens, and an authority's team."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import AuthorityMembership
from accounts.policy import Audience, can_manage_team, mfa_enabled, needs_mfa, token_management_refusal
from accounts.roles import AuthorityRole
from api.base import TenantAPIMixin
from common.filters import ChoiceFilter, StrictFilterSet

# --- /api/v1/me/ ---------------------------------------------------------------

class WorkspaceOut(serializers.Serializer):
    kind = serializers.CharField()
    slug = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    via = serializers.CharField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    mfa_enabled = serializers.BooleanField()
    mfa_required = serializers.BooleanField()
    authorities = WorkspaceOut(many=True)
    providers = WorkspaceOut(many=True)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOut, summary="Who you are and where you work")
    def get(self, request):
        user = request.user
        places = selectors.workspaces_for(user)
        return Response(MeOut({
            "id": user.pk, "email": user.email, "full_name": user.full_name,
            "mfa_enabled": mfa_enabled(user), "mfa_required": needs_mfa(user),
            "authorities": places["authorities"], "providers": places["providers"],
        }).data)


# --- /api/v1/tokens/ -----------------------------------------------------------

class TokenOut(serializers.Serializer):
    token_key = serializers.CharField(help_text="The first characters of the token, to recognise it.")
    name = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=services.MAX_TOKEN_DAYS, required=False, default=services.DEFAULT_TOKEN_DAYS,
        help_text=f"Every token expires: 1 to {services.MAX_TOKEN_DAYS} days "
                  f"(default {services.DEFAULT_TOKEN_DAYS}).",
    )


class SignedInSession(BasePermission):
    """Tokens are managed from a signed-in session, never with a token; creating
    one needs a recent two-factor code (accounts.policy)."""

    def has_permission(self, request, view):
        code, message = token_management_refusal(request, creating=request.method == "POST")
        if code:
            raise PermissionDenied(message, code=code)
        return True


class TokenCreatedOut(TokenOut):
    token = serializers.CharField(help_text="The token itself. Shown once; store it safely.")


class TokenListView(GenericAPIView):
    permission_classes = [IsAuthenticated, SignedInSession]
    serializer_class = TokenOut
    pagination_class = None

    @extend_schema(responses=TokenOut(many=True), summary="Your API tokens")
    def get(self, request):
        return Response(TokenOut(self.filter_queryset(selectors.api_tokens_for(request.user)), many=True).data)

    @extend_schema(request=TokenIn, responses={201: TokenCreatedOut}, summary="Create an API token")
    def post(self, request):
        data = TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        token, plain = services.api_token_create(actor=request.user, **data.validated_data)
        out = TokenOut(token).data | {"token": plain}
        return Response(out, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated, SignedInSession]

    @extend_schema(responses={204: None}, summary="Revoke one of your API tokens")
    def delete(self, request, token_key):
        token = selectors.api_token_get(user=request.user, token_key=token_key)
        if token is None:
            raise Http404("You have no token starting with that.")
        services.api_token_revoke(actor=request.user, token=token, reason="Revoked through the API")
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- /a/<slug>/api/v1/team/ ------------------------------------------------------

class MembershipOut(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=AuthorityRole.choices)
    granted_at = serializers.DateTimeField()


class MembershipIn(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    role = serializers.ChoiceField(choices=AuthorityRole.choices)
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class RevokeIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class TeamFilters(StrictFilterSet):
    role = ChoiceFilter(choices=AuthorityRole.choices, help_text="Only people holding this role.")


class TeamView(TenantAPIMixin, GenericAPIView):
    audience = Audience.STAFF
    serializer_class = MembershipOut
    filterset_class = TeamFilters

    @extend_schema(responses=MembershipOut(many=True), summary="Current roles in this authority")
    def get(self, request):
        memberships = (
            AuthorityMembership.objects.current()
            .filter(authority=self.authority)
            .select_related("user")
            .order_by("user__email", "role")
        )
        page = self.paginate_queryset(self.filter_queryset(memberships))
        return self.get_paginated_response(MembershipOut(page, many=True).data)

    @extend_schema(request=MembershipIn, responses={201: MembershipOut}, summary="Give someone a role")
    def post(self, request):
        if not can_manage_team(self.access):
            self.permission_denied(request, "Only an authority admin can give roles.")
        data = MembershipIn(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_grant_by_email(actor=request.user, authority=self.authority,
                                                        **data.validated_data)
        return Response(MembershipOut(membership).data, status=status.HTTP_201_CREATED)


class TeamMemberView(TenantAPIMixin, APIView):
    audience = Audience.STAFF

    @extend_schema(request=RevokeIn, responses={204: None}, summary="Take a role away")
    def delete(self, request, membership_id):
        if not can_manage_team(self.access):
            self.permission_denied(request, "Only an authority admin can take roles away.")
        membership = selectors.authority_membership_get(authority=self.authority, membership_id=membership_id)
        if membership is None:
            raise Http404("No such role in this authority.")
        data = RevokeIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.membership_revoke(actor=request.user, membership=membership, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
