"""Grants on an authority's agreement, and working under one
(/a/<slug>/api/v1/grants/...), documented in docs/grants.md.

In the owning authority: its staff list grants; its commissioners grant an
NHS body (or another authority) the right to call off under an agreement
and/or to co-fund its placements, and revoke it. The granted body's staff,
with the roles they hold at home, reach the owner's `grants/call-offs/`
endpoints: record the person (held apart, as for any call-off), create and
publish packages in their own name, and read their own call-offs and the
placements they called off or fund; recharges per period are read by finance
officers and commissioners of either. In the granted body's own authority,
`grants/held/` and `grants/joint-placements/` read the public projections.
The services decide; refusals are problem details (400, 403, 404, 409)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AuthorityMembership
from accounts.policy import Audience
from api.base import TenantAPIMixin
from api.filters import FilterChoiceField, filters
from api.strict import StrictSerializer
from api.v1 import calloffs, placements, pricing
from api.v1.calloffs import CalloffPersonIn, PackageFieldsIn, PackageOut, package_create_from
from api.v1.placements import PlacementOut
from api.v1.refs import AreaOut, NamedOut
from tenancy.models import Authority
from tenants.agreements import grants
from tenants.agreements import policy as agreement_policy
from tenants.agreements.models import Agreement, CallOffGrant, Lot
from tenants.calloffs import policy, services
from tenants.calloffs import selectors as calloff_selectors
from tenants.calloffs.models import Person
from tenants.placements import joint, recharges
from tenants.placements import selectors as placement_selectors

GRANT_REFUSED = "Only the agreement's commissioners grant call-off and co-funding rights."
GRANTED_REFUSED = "Only brokers and commissioners call off under a grant."
RECHARGES_REFUSED = "Only finance officers and commissioners read recharges."

# --- Output -------------------------------------------------------------------------


class GrantOut(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.IntegerField(source="agreement_id")
    agreement_reference = serializers.CharField(source="agreement.reference")
    grantee = AreaOut()
    may_call_off = serializers.BooleanField()
    may_co_fund = serializers.BooleanField()
    lots = serializers.SerializerMethodField(help_text="Ids of the lots it may call off from; empty: every lot.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    purchasing_agreement = serializers.CharField(help_text="The granted body's own purchasing agreement reference.")
    reason = serializers.CharField()
    granted_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoke_reason = serializers.CharField()

    def get_lots(self, grant) -> list[int]:
        return sorted(lot.pk for lot in grant.lots.all())


class HeldGrantOut(serializers.Serializer):
    owner = AreaOut()
    agreement = serializers.IntegerField(source="agreement_id", help_text="The agreement's id in the owner's "
                                                                          "authority.")
    agreement_reference = serializers.CharField()
    agreement_title = serializers.CharField()
    may_call_off = serializers.BooleanField()
    may_co_fund = serializers.BooleanField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    purchasing_agreement = serializers.CharField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class JointFunderOut(serializers.Serializer):
    authority = serializers.CharField(help_text="The funder's slug.")
    name = serializers.CharField()
    share = serializers.DecimalField(max_digits=5, decimal_places=2)
    purchasing_agreement = serializers.CharField()


class JointPlacementOut(serializers.Serializer):
    owner = AreaOut(help_text="The authority whose agreement it is under (and where it is managed).")
    placement = serializers.IntegerField(source="placement_id", help_text="Its id in the owner's authority.")
    package_reference = serializers.CharField()
    agreement_reference = serializers.CharField()
    lot_title = serializers.CharField()
    provider_name = serializers.CharField()
    called_off_by = AreaOut()
    status = serializers.CharField()
    start_on = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True)
    weekly_cost = serializers.DecimalField(max_digits=10, decimal_places=2)
    funders = JointFunderOut(many=True)


class GrantedPersonOut(serializers.Serializer):
    id = serializers.IntegerField()


class RechargeLineOut(serializers.Serializer):
    placement = serializers.IntegerField(source="placement.pk")
    package_reference = serializers.CharField(source="placement.package.reference")
    agreement_reference = serializers.CharField(source="placement.package.agreement.reference")
    provider = NamedOut(source="placement.provider")
    payer = AreaOut(help_text="The placement's payer: pays the provider in full.")
    funder = AreaOut(help_text="The funder that owes the payer its share.")
    share = serializers.DecimalField(max_digits=5, decimal_places=2)
    purchasing_agreement = serializers.CharField(help_text="The funder's own purchasing agreement reference.")
    days = serializers.IntegerField(help_text="Days of care in the period.")
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The placement's cost in the period.")
    owed = serializers.DecimalField(max_digits=12, decimal_places=2)


class RechargeTotalOut(serializers.Serializer):
    funder = AreaOut()
    payer = AreaOut()
    owed = serializers.DecimalField(max_digits=14, decimal_places=2)


class RechargesOut(serializers.Serializer):
    period = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    lines = RechargeLineOut(many=True)
    totals = RechargeTotalOut(many=True)


# --- Input --------------------------------------------------------------------------


class GrantIn(StrictSerializer):
    agreement = serializers.IntegerField()
    grantee = serializers.SlugField(help_text="The granted authority's slug (an NHS body, say).")
    may_call_off = serializers.BooleanField(default=False)
    may_co_fund = serializers.BooleanField(default=False)
    lots = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=50,
                                 help_text="Ids of the agreement's lots it may call off from; empty or left out: "
                                           "every lot.")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    purchasing_agreement = serializers.CharField(max_length=120, allow_blank=True)
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class RevokeIn(StrictSerializer):
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class GrantedPersonIn(StrictSerializer, CalloffPersonIn):
    pass


class GrantedPackageIn(StrictSerializer, PackageFieldsIn):
    agreement = serializers.IntegerField()
    lot = serializers.IntegerField()
    called_off_by = serializers.SlugField(required=False, allow_blank=True, default="",
                                          help_text="Your authority's slug; needed only if you work for more than "
                                                    "one granted authority.")
    people = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20,
                                   help_text="Ids from POST grants/call-offs/people/.")


class RechargeQuery(serializers.Serializer):
    period = FilterChoiceField(list(recharges.KINDS.items()), required=True,
                               help_text="monthly (a calendar month) or four_weekly (28 days).")
    starts_on = serializers.DateField(help_text="The period's first day (the 1st, for a month).")


# --- Views in the owning authority ---------------------------------------------------


class GrantsAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)


class GrantListView(GrantsAPI, GenericAPIView):
    serializer_class = GrantOut

    @extend_schema(responses=GrantOut(many=True), summary="Grants on this authority's agreements")
    def get(self, request):
        self.filter_queryset(None)  # no filters offered: an unknown one is a 400
        self.require(agreement_policy.can_view_grants(self.access), "Only staff read grants.")
        page = self.paginate_queryset(grants.grants_for_owner())
        return self.get_paginated_response(GrantOut(page, many=True).data)

    @extend_schema(request=GrantIn, responses={201: GrantOut},
                   summary="Grant an authority the right to call off and/or co-fund (commissioners)")
    def post(self, request):
        self.require(agreement_policy.can_grant(self.access), GRANT_REFUSED)
        data = GrantIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        agreement = Agreement.objects.filter(pk=fields.pop("agreement")).first()
        grantee = Authority.objects.filter(slug=fields.pop("grantee")).first()
        errors = {}
        wanted = fields.pop("lots")
        lots = list(Lot.objects.filter(pk__in=wanted, agreement=agreement)) if agreement is not None else []
        if agreement is None:
            errors["agreement"] = ["No such agreement here."]
        elif sorted(set(wanted)) != sorted(lot.pk for lot in lots):
            missing = sorted(set(wanted) - {lot.pk for lot in lots})
            errors["lots"] = [f"No such lot of {agreement.reference}: {', '.join(map(str, missing))}."]
        if grantee is None:
            errors["grantee"] = ["No such authority."]
        if errors:
            raise serializers.ValidationError(errors)
        grant = grants.grant_create(actor=request.user, agreement=agreement, grantee=grantee, lots=lots, **fields)
        return Response(GrantOut(grants.grants_for_owner().get(pk=grant.pk)).data, status=status.HTTP_201_CREATED)


class GrantRevokeView(GrantsAPI, APIView):
    @extend_schema(request=RevokeIn, responses=GrantOut,
                   summary="Revoke a grant: no new call-offs or co-funding; what was made stays visible")
    def post(self, request, grant_id):
        self.require(agreement_policy.can_grant(self.access), GRANT_REFUSED)
        grant = CallOffGrant.objects.filter(pk=grant_id).first()
        if grant is None:
            raise Http404("No grant with that id here.")
        data = RevokeIn(data=request.data)
        data.is_valid(raise_exception=True)
        grants.grant_revoke(actor=request.user, grant=grant, reason=data.validated_data["reason"])
        return Response(GrantOut(grants.grants_for_owner().get(pk=grant.pk)).data)


class GrantedAPI(TenantAPIMixin):
    """Staff here, and staff of a granted authority (scoped to its own call-offs)."""

    audience = Audience.GRANTED

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)

    def homes(self) -> frozenset[int]:
        return self.access.granted_authority_ids(*policy.SOURCING)

    def packages(self):
        if self.access.is_staff:
            return calloff_selectors.packages_under_grants(
                CallOffGrant.objects.values_list("grantee_id", flat=True))
        return calloff_selectors.packages_for_grantee(self.access)

    # the call-offs views (api/v1/calloffs.py, api/v1/placements.py) reached
    # through grants/call-offs/: the same serializers and services, on this scope

    def packages_scope(self):
        return self.packages()

    def placement_ids(self):
        if self.access.is_staff:
            self.require(policy.can_view_placements(self.access),
                         "Only brokers, commissioners and finance viewers read placements.")
            return placement_selectors.placements_joint()
        return placement_selectors.placements_under_grants(self.access.granted_authority_ids())


class GrantedPersonView(GrantedAPI, APIView):
    @extend_schema(request=GrantedPersonIn, responses={201: GrantedPersonOut},
                   summary="Record who a call-off under a grant is for (held apart, never shown to providers)")
    def post(self, request):
        data = GrantedPersonIn(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_create(actor=request.user, **data.validated_data)
        return Response({"id": person.pk}, status=status.HTTP_201_CREATED)


class GrantedPackageListView(GrantedAPI, GenericAPIView):
    serializer_class = PackageOut

    @extend_schema(responses=PackageOut(many=True),
                   summary="Call-offs made under grants (a granted body's staff: its own only)")
    def get(self, request):
        self.filter_queryset(None)  # no filters offered: an unknown one is a 400
        page = self.paginate_queryset(self.packages().prefetch_related("people"))
        return self.get_paginated_response(PackageOut(page, many=True).data)

    @extend_schema(request=GrantedPackageIn, responses={201: PackageOut},
                   summary="Create a draft package under a grant, in your own authority's name")
    def post(self, request):
        data = GrantedPackageIn(data=request.data)
        data.is_valid(raise_exception=True)
        people = Person.objects.all()
        if not self.access.is_staff:  # people recorded by the granted body's own staff only
            staff = AuthorityMembership.objects.current().filter(authority__in=self.homes()).values("user")
            people = people.filter(created_by__in=staff)
        package = package_create_from(request.user, data.validated_data, people)
        return Response(PackageOut(self.packages().prefetch_related("people").get(pk=package.pk)).data,
                        status=status.HTTP_201_CREATED)


class GrantedPackagePublishView(GrantedAPI, APIView):
    @extend_schema(request=None, responses=PackageOut,
                   summary="Publish a package made under a grant (needs the grant in force)")
    def post(self, request, package_id):
        package = self.packages().filter(pk=package_id).first()
        if package is None:
            raise Http404("No package with that id here.")
        services.package_publish(actor=request.user, package=package)
        return Response(PackageOut(self.packages().prefetch_related("people").get(pk=package.pk)).data)


# The rest of a call-off under a grant, for the granted body's staff (and the
# owner's): the calloffs and placements views themselves, on the grant's scope.
# Bids stay sealed until the deadline by the same rule (calloffs.sealing); the
# services decide who may act (the granted body's brokers and commissioners on
# its own call-offs; what was called off runs on under a revoked grant).


class GrantedPackageDetailView(GrantedAPI, calloffs.PackageDetailView):
    pass


class GrantedClarificationListView(GrantedAPI, calloffs.ClarificationListView):
    pass


class GrantedClarificationAnswerView(GrantedAPI, calloffs.ClarificationAnswerView):
    pass


class GrantedBidListView(GrantedAPI, calloffs.BidListView):
    pass


class GrantedBidDetailView(GrantedAPI, calloffs.BidDetailView):
    pass


class GrantedEvaluationView(GrantedAPI, calloffs.EvaluationView):
    pass


class GrantedNegotiationView(GrantedAPI, calloffs.NegotiationView):
    pass


class GrantedCandidatesView(GrantedAPI, calloffs.CandidatesView):
    pass


class GrantedAwardView(GrantedAPI, calloffs.AwardView):
    pass


class GrantedNoAwardView(GrantedAPI, calloffs.NoAwardView):
    pass


class GrantedCancelView(GrantedAPI, calloffs.CancelView):
    pass


class GrantedWithdrawView(GrantedAPI, calloffs.WithdrawView):
    pass


class GrantedPriceChecksView(GrantedAPI, pricing.PackagePriceChecksView):
    pass


class GrantedExplanationRequestView(GrantedAPI, pricing.ExplanationRequestView):
    pass


class GrantedExplanationDecideView(GrantedAPI, pricing.ExplanationDecideView):
    pass


class GrantedAwardAtRateView(GrantedAPI, pricing.AwardAtRateView):
    pass


class GrantedPlacementDetailView(GrantedAPI, placements.PlacementDetailView):
    pass


class GrantedFundersView(GrantedAPI, placements.FundersView):
    pass


class GrantedGoLiveView(GrantedAPI, placements.GoLiveView):
    pass


class GrantedVariationView(GrantedAPI, placements.VariationView):
    pass


class GrantedEndView(GrantedAPI, placements.EndView):
    pass


class GrantedPlacementListView(GrantedAPI, GenericAPIView):
    serializer_class = PlacementOut

    @extend_schema(responses=PlacementOut(many=True),
                   summary="Placements called off or co-funded under grants (a granted body's: its own only)")
    def get(self, request):
        self.filter_queryset(None)  # no filters offered: an unknown one is a 400
        if self.access.is_staff:
            self.require(policy.can_view_placements(self.access),
                         "Only brokers, commissioners and finance viewers read placements.")
            rows = placement_selectors.placements_joint()
        else:
            rows = placement_selectors.placements_under_grants(self.access.granted_authority_ids())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(PlacementOut(page, many=True).data)


class RechargesView(GrantedAPI, APIView):
    @extend_schema(parameters=[RechargeQuery], responses=RechargesOut,
                   summary="What each funder owes for placements another authority paid, for one period")
    def get(self, request):
        self.require(policy.can_view_recharges(self.access), RECHARGES_REFUSED)
        query = filters(RechargeQuery, request)
        period = recharges.period_for(kind=query["period"], starts_on=query["starts_on"])
        scope = None if self.access.has_role(*policy.RECHARGE_ROLES) else self.access.granted_authority_ids(
            *policy.RECHARGE_ROLES)
        lines = recharges.recharges(period=period, authority_ids=scope)
        totals = [{"funder": f, "payer": p, "owed": owed} for f, p, owed in recharges.recharge_totals(lines)]
        return Response(RechargesOut({"period": period.kind, "starts_on": period.starts_on,
                                      "ends_on": period.ends_on, "lines": lines, "totals": totals}).data)


# --- Views in the granted body's own authority ---------------------------------------


class HeldGrantListView(GrantsAPI, GenericAPIView):
    serializer_class = HeldGrantOut

    @extend_schema(responses=HeldGrantOut(many=True),
                   summary="Grants this authority holds on other authorities' agreements")
    def get(self, request):
        self.filter_queryset(None)  # no filters offered: an unknown one is a 400
        page = self.paginate_queryset(grants.grants_held(self.authority))
        return self.get_paginated_response(HeldGrantOut(page, many=True).data)


class JointPlacementListView(GrantsAPI, GenericAPIView):
    serializer_class = JointPlacementOut

    @extend_schema(responses=JointPlacementOut(many=True),
                   summary="Placements in other authorities this authority called off or co-funds")
    def get(self, request):
        self.filter_queryset(None)  # no filters offered: an unknown one is a 400
        self.require(policy.can_view_placements(self.access),
                     "Only brokers, commissioners and finance viewers read placements.")
        page = self.paginate_queryset(joint.joint_placements_seen_by(self.authority))
        return self.get_paginated_response(JointPlacementOut(page, many=True).data)



