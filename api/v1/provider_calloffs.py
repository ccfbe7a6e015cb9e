"""The provider's side of stage 2 through the API.

Inside an authority (/a/<slug>/api/v1/provider/calloffs/...): the packages
the person's organisations are invited to bid for, as providers see them
(never the person, who else was invited or another bid), the published
questions and answers (never who asked), asking a question, and the
organisation's own sealed bid: read it, save a draft, submit or revise it
with an Idempotency-Key, withdraw it. On the regional site
(/api/v1/opportunities/): every open opportunity in every authority, from the
public projection.

A package only others were invited to is not found. A person here for more
than one invited organisation names it with `?provider=<id>`; naming an
organisation they do not belong to is refused (403) and recorded as an
attempt to read a sealed bid. Provider admins and bid writers write; viewers
read. The services decide; their refusals are problem details: 400 for bad
input, 409 when the state of things does not allow it (after the deadline,
with the deadline and the time of arrival).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience, access_for
from api.base import TenantAPIMixin
from api.v1.calloffs import PackageNeedsOut, WithdrawalOut
from api.v1.provider_applications import AuthorityRefOut
from api.v1.refs import LotRefOut, NamedOut, ReferenceOut
from common.errors import Invalid
from shared_catalogue.filters import OpportunityFilters
from shared_catalogue.models import OpportunityProjection
from tenancy.routing import tenant_reverse
from tenants.calloffs import provider_access, sealing, selectors, services
from tenants.calloffs.filters import InvitationFilters
from tenants.calloffs.models import Bid, Package

TEXT_LIMIT = 20_000
# A bid's state as the provider sees it: "none" before anything is saved.
BID_STATES = [("none", "Not started"), *Bid.Status.choices]

PROVIDER_PARAMETER = OpenApiParameter(
    "provider", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False,
    description="Which of your organisations acts: needed only if more than one of them is invited.")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="A unique key you make for each submission (up to 80 characters). Sending the same key again "
                "(a retry) returns the same receipt with 200 and never makes a second bid; the same key with other "
                "content is refused with 409.")

# --- Output -------------------------------------------------------------------------------


class CriteriaOut(serializers.Serializer):
    quality = serializers.DecimalField(max_digits=5, decimal_places=2, source="weight_quality")
    outcomes = serializers.DecimalField(max_digits=5, decimal_places=2, source="weight_outcomes")
    price = serializers.DecimalField(max_digits=5, decimal_places=2, source="weight_price",
                                     help_text="The lowest compliant price scores 100.")
    social_value = serializers.DecimalField(max_digits=5, decimal_places=2, source="weight_social_value")


class DeadlineMoveOut(serializers.Serializer):
    before = serializers.DateTimeField()
    after = serializers.DateTimeField()
    changed_at = serializers.DateTimeField()


class OwnBidStateOut(serializers.Serializer):
    """One of your invited organisations and the state of its bid (no content)."""

    provider = NamedOut()
    may_bid = serializers.BooleanField(help_text="Whether you may write this organisation's bid.")
    status = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="bid.version", default=0)
    submitted_at = serializers.DateTimeField(source="bid.submitted_at", default=None,
                                             help_text="Receipt time of the latest submission, by the server.")
    content_sha256 = serializers.CharField(source="bid.content_sha256", default="")
    successful = serializers.BooleanField(allow_null=True, help_text="Once awarded: whether this bid won.")

    @extend_schema_field(serializers.ChoiceField(choices=BID_STATES))
    def get_status(self, row) -> str:
        return row["bid"].status if row["bid"] else "none"


class PackageSummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Package.Status.choices)
    bidding_open = serializers.SerializerMethodField()
    agreement = ReferenceOut()
    lot = LotRefOut()
    locality = serializers.CharField()
    bid_deadline = serializers.DateTimeField()

    def get_bidding_open(self, package) -> bool:
        return selectors.bidding_open(package, self.context.get("now"))


class OfferInvitationOut(serializers.Serializer):
    package = PackageSummaryOut()
    provider = NamedOut(help_text="Your organisation that is invited.")
    invited_at = serializers.DateTimeField()
    bid_status = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=BID_STATES))
    def get_bid_status(self, invitation) -> str:
        bid = self.context["bids"].get((invitation.package_id, invitation.provider_id))
        return bid.status if bid else "none"


class OfferPackageOut(PackageSummaryOut, PackageNeedsOut):
    """A package as providers see it: what the authority published for them."""

    called_off_by = AuthorityRefOut()
    budget_weekly = serializers.DecimalField(max_digits=10, decimal_places=2,
                                             help_text="The personal budget: the most a bid may cost a week to be "
                                                       "judged within budget.")
    criteria = serializers.SerializerMethodField(help_text="Award criteria weights, in per cent.")
    published_at = serializers.DateTimeField()
    clarification_deadline = serializers.DateTimeField()
    questions_open = serializers.SerializerMethodField()
    deadline_moves = serializers.SerializerMethodField()
    your_bids = serializers.SerializerMethodField()
    withdrawal = serializers.SerializerMethodField(help_text="When the authority withdrew it: why, and whether bids "
                                                             "were left unopened.")

    @extend_schema_field(WithdrawalOut(allow_null=True))
    def get_withdrawal(self, package) -> dict | None:
        if package.status != Package.Status.WITHDRAWN:
            return None
        return WithdrawalOut(package.withdrawal).data

    @extend_schema_field(CriteriaOut)
    def get_criteria(self, package) -> dict:
        return CriteriaOut(package).data

    def get_questions_open(self, package) -> bool:
        return selectors.questions_open(package, self.context.get("now"))

    @extend_schema_field(DeadlineMoveOut(many=True))
    def get_deadline_moves(self, package) -> list:
        return DeadlineMoveOut(package.deadline_changes.order_by("changed_at"), many=True).data

    @extend_schema_field(OwnBidStateOut(many=True))
    def get_your_bids(self, package) -> list:
        return OwnBidStateOut(self.context["invited"], many=True).data


class OfferClarificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    answer = serializers.CharField()
    published_at = serializers.DateTimeField()


class WaitingQuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    asked_at = serializers.DateTimeField()
    provider = NamedOut(help_text="Your organisation that asked.")


class ClarificationsOut(serializers.Serializer):
    published = OfferClarificationOut(many=True,
                                      help_text="Answered and published to every invitee, without who asked.")
    waiting = WaitingQuestionOut(many=True, help_text="Your organisations' own questions not answered yet.")
    questions_open = serializers.BooleanField()
    clarification_deadline = serializers.DateTimeField()


class OfferBidContentOut(serializers.Serializer):
    weekly_price = serializers.CharField(help_text="Pounds and pence, as a string.")
    hourly_rate = serializers.CharField(allow_null=True)
    hours_per_week = serializers.CharField(allow_null=True)
    breakdown = serializers.CharField()
    outcomes_response = serializers.CharField()
    start_available_on = serializers.DateField()
    social_value = serializers.CharField()


class ReceiptOut(serializers.Serializer):
    version = serializers.IntegerField()
    received_at = serializers.DateTimeField(help_text="The exact time of receipt, by the server's clock.")
    content_sha256 = serializers.CharField(help_text="HMAC-SHA256 of the bid's content in canonical JSON (sorted "
                                                     "keys, no spaces), keyed with the bid's receipt key.")
    idempotency_key = serializers.CharField()


class SubmissionOut(ReceiptOut):
    replayed = serializers.BooleanField(help_text="True when this answers a retry: the same key, the same "
                                                  "receipt, nothing submitted twice.")
    package = serializers.IntegerField(source="bid.package_id")
    provider = serializers.IntegerField(source="bid.provider_id")
    bid_status = serializers.CharField(source="bid.status")
    receipt_key = serializers.CharField(help_text="The bid's secret receipt key: with it, and only with it, the "
                                                  "digest can be checked against the content. Keep it private.")


class OfferBidOut(serializers.Serializer):
    provider = NamedOut()
    status = serializers.ChoiceField(choices=Bid.Status.choices)
    version = serializers.IntegerField(help_text="How many times it has been submitted.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    content_sha256 = serializers.CharField()
    updated_at = serializers.DateTimeField()
    receipt_key = serializers.SerializerMethodField(help_text="The bid's secret receipt key, which checks the digests.")
    content = serializers.SerializerMethodField()
    receipts = serializers.SerializerMethodField()

    def get_receipt_key(self, bid) -> str | None:
        return self.context.get("receipt_key")

    @extend_schema_field(OfferBidContentOut)
    def get_content(self, bid) -> dict:
        return self.context["content"]

    @extend_schema_field(ReceiptOut(many=True))
    def get_receipts(self, bid) -> list:
        return ReceiptOut(selectors.bid_receipts(bid), many=True).data


# --- Input --------------------------------------------------------------------------------


def _money(label: str, required_note: str = "") -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None, max_length=20,
                                 help_text=f"{label}: pounds and pence, like \"425.50\".{required_note}")


class BidIn(serializers.Serializer):
    """What a bid says. Checked by the service, with the same messages as the pages."""

    weekly_price = _money("The whole cost a week", " Required.")
    hourly_rate = _money("The hourly rate")
    hours_per_week = _money("Hours a week (a number)")
    breakdown = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)
    outcomes_response = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT,
                                              help_text="How you will achieve the outcomes. Required.")
    start_available_on = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None,
                                               max_length=20, help_text="When you could start, like 2026-12-01. "
                                                                        "Required.")
    social_value = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)


class OfferQuestionIn(serializers.Serializer):
    question = serializers.CharField(allow_blank=True, max_length=5000)


# --- Inside an authority ----------------------------------------------------------------------


class ProviderCalloffAPI(TenantAPIMixin):
    audience = Audience.PROVIDER

    def package(self, package_id) -> Package:
        return provider_access.access_package(self.access, package_id)

    def bidder(self, package: Package) -> selectors.Invited:
        provider_id = provider_access.parse_provider(self.request.query_params.get("provider"))
        return provider_access.access_bidder(access=self.access, user=self.request.user, package=package,
                                             provider_id=provider_id, channel="api")

    def writer(self, package: Package) -> selectors.Invited:
        row = self.bidder(package)
        if not provider_access.may_bid(self.access, row):
            raise PermissionDenied(provider_access.WRITE_REFUSED)
        return row

    def bid_response(self, package: Package, row: selectors.Invited, status_code=status.HTTP_200_OK) -> Response:
        bid = Bid.objects.select_related("provider").filter(package=package, provider=row.provider).first()
        if bid is None:
            raise Http404("Your organisation has no bid for this package yet.")
        content = sealing.read_bid(bid, user=self.request.user, channel="api", access=access_for(self.request))
        return Response(OfferBidOut(bid, context={"content": content, "receipt_key": sealing.receipt_key(bid)}).data,
                        status=status_code)


class PackageListView(ProviderCalloffAPI, GenericAPIView):
    serializer_class = OfferInvitationOut
    filterset_class = InvitationFilters

    @extend_schema(responses=OfferInvitationOut(many=True),
                   summary="Packages here your organisations are invited to bid for, soonest deadline first")
    def get(self, request):
        rows = self.filter_queryset(selectors.invitations_for_provider(self.access.provider_ids))
        page = self.paginate_queryset(rows)
        context = {"now": timezone.now(),
                   "bids": selectors.own_bids(self.access.provider_ids, {i.package_id for i in page})}
        return self.get_paginated_response(OfferInvitationOut(page, many=True, context=context).data)


class PackageDetailView(ProviderCalloffAPI, APIView):
    @extend_schema(responses=OfferPackageOut, summary="A package as providers see it, with the state of your bids")
    def get(self, request, package_id):
        package = self.package(package_id)
        invited = selectors.invited_organisations(package, self.access.provider_ids)
        rows = [{"provider": row.provider, "bid": row.bid, "successful": row.successful,
                 "may_bid": provider_access.may_bid(self.access, row)} for row in invited]
        return Response(OfferPackageOut(package, context={"now": timezone.now(), "invited": rows}).data)


class ClarificationsView(ProviderCalloffAPI, APIView):
    def listing(self, package, status_code=status.HTTP_200_OK) -> Response:
        invited = [row.provider.pk for row in selectors.invited_organisations(package, self.access.provider_ids)]
        return Response(ClarificationsOut({
            "published": selectors.clarifications_published(package),
            "waiting": selectors.clarifications_waiting(package, invited),
            "questions_open": selectors.questions_open(package),
            "clarification_deadline": package.clarification_deadline}).data, status=status_code)

    @extend_schema(responses=ClarificationsOut, summary="Published questions and answers, and your own waiting")
    def get(self, request, package_id):
        return self.listing(self.package(package_id))

    @extend_schema(request=OfferQuestionIn, parameters=[PROVIDER_PARAMETER], responses={201: ClarificationsOut},
                   summary="Ask a question before questions close; the answer is published to every invitee "
                           "without saying who asked")
    def post(self, request, package_id):
        package = self.package(package_id)
        row = self.writer(package)
        data = OfferQuestionIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.clarification_ask(actor=request.user, package=package, provider=row.provider,
                                   question=data.validated_data["question"])
        return self.listing(package, status.HTTP_201_CREATED)


class BidView(ProviderCalloffAPI, APIView):
    @extend_schema(parameters=[PROVIDER_PARAMETER], responses=OfferBidOut,
                   summary="Your organisation's bid, read through the seal (and recorded)")
    def get(self, request, package_id):
        package = self.package(package_id)
        return self.bid_response(package, self.bidder(package))

    @extend_schema(request=BidIn, parameters=[PROVIDER_PARAMETER], responses=OfferBidOut,
                   summary="Save a draft (sealed; not received by the authority until submitted)")
    def put(self, request, package_id):
        package = self.package(package_id)
        row = self.writer(package)
        data = BidIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.bid_save(actor=request.user, package=package, provider=row.provider, content=data.validated_data)
        return self.bid_response(package, row)


class BidSubmitView(ProviderCalloffAPI, APIView):
    throttle_scope = "bid_submit"  # api.throttling

    @extend_schema(
        request=BidIn, parameters=[PROVIDER_PARAMETER, IDEMPOTENCY_KEY],
        responses={201: SubmissionOut, 200: OpenApiResponse(SubmissionOut, description="A retry: the same receipt"),
                   409: OpenApiResponse(description="Bidding has closed, or the key was used for other content")},
        summary="Submit or revise the bid before the deadline; the receipt has the server's time and a keyed digest")
    def post(self, request, package_id):
        package = self.package(package_id)
        row = self.writer(package)
        key = request.headers.get("Idempotency-Key", "")
        if not key.strip():
            raise Invalid({"idempotency_key": "Send an Idempotency-Key header: a unique key for this submission, "
                                              "sent again unchanged if you retry it."})
        data = BidIn(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.bid_submit(actor=request.user, package=package, provider=row.provider,
                                      content=data.validated_data, idempotency_key=key)
        return Response(SubmissionOut(receipt).data,
                        status=status.HTTP_200_OK if receipt.replayed else status.HTTP_201_CREATED)


class BidWithdrawView(ProviderCalloffAPI, APIView):
    @extend_schema(request=None, parameters=[PROVIDER_PARAMETER], responses=OfferBidOut,
                   summary="Withdraw the submitted bid before the deadline; a new one may follow")
    def post(self, request, package_id):
        package = self.package(package_id)
        row = self.writer(package)
        if row.bid is None:
            raise Http404("Your organisation has no bid for this package.")
        services.bid_withdraw(actor=request.user, bid=row.bid)
        return self.bid_response(package, row)


# --- On the regional site ------------------------------------------------------------------


class OpportunityOut(serializers.Serializer):
    authority = AuthorityRefOut()
    provider = NamedOut(help_text="Your organisation that is invited.")
    package_id = serializers.IntegerField(help_text="The package's id in the authority.")
    reference = serializers.CharField()
    title = serializers.CharField()
    agreement_title = serializers.CharField()
    lot_number = serializers.CharField()
    lot_title = serializers.CharField()
    locality = serializers.CharField()
    bid_deadline = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=OpportunityProjection.Status.choices)
    invited_at = serializers.DateTimeField()
    api_url = serializers.SerializerMethodField(help_text="The package in the authority's API.")
    page_url = serializers.SerializerMethodField(help_text="The package's page in the authority.")

    def get_api_url(self, row) -> str:
        return tenant_reverse(row.authority, "tenant-api:provider-calloff", kwargs={"package_id": row.package_id})

    def get_page_url(self, row) -> str:
        return tenant_reverse(row.authority, "provider-calloffs:package", kwargs={"package_id": row.package_id})


class OpportunitiesView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = OpportunityOut
    filterset_class = OpportunityFilters

    @extend_schema(responses=OpportunityOut(many=True),
                   summary="Open opportunities for your organisations in every authority, soonest deadline first")
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(selectors.opportunities_for(request.user)))
        return self.get_paginated_response(OpportunityOut(page, many=True).data)


# --- After award ----------------------------------------------------------------------------


class StartPersonOut(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    preferred_name = serializers.CharField()
    name_recorded = serializers.BooleanField(
        help_text="False for a person imported from the authority's earlier records, which carry no name.")
    display_name = serializers.CharField(
        help_text="The name to show: first and last name, or \"Name not recorded (imported)\".")
    date_of_birth = serializers.DateField(allow_null=True)
    nhs_number = serializers.CharField()
    address = serializers.CharField()
    postcode = serializers.CharField()
    social_worker = serializers.CharField()


class StartPlacementOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    start_on = serializers.DateField()
    weekly_cost = serializers.DecimalField(max_digits=10, decimal_places=2)


class StartContactOut(serializers.Serializer):
    name = serializers.CharField(source="contact_name")
    email = serializers.EmailField(source="contact_email")


class StartOut(serializers.Serializer):
    package = ReferenceOut()
    purpose = serializers.CharField(help_text="The purpose recorded with this look at the person's details.")
    people = StartPersonOut(many=True, help_text="Who the care is for.")
    start_on = serializers.DateField(source="package.start_on", help_text="The start the package asked for.")
    pattern = serializers.CharField(source="package.pattern")
    duration_weeks = serializers.IntegerField(source="package.duration_weeks", allow_null=True)
    placement = StartPlacementOut(allow_null=True, help_text="The placement made from the award.")
    contact = StartContactOut(source="*", help_text="Who at the authority to contact to agree the start.")


class ResultOut(serializers.Serializer):
    compliant = serializers.BooleanField(source="evaluation.compliant", allow_null=True, default=None)
    compliance_notes = serializers.CharField(source="evaluation.compliance_notes", default="")
    within_budget = serializers.BooleanField(source="evaluation.within_budget", allow_null=True, default=None)
    quality = serializers.DecimalField(max_digits=5, decimal_places=2, source="evaluation.quality", default=None,
                                       allow_null=True)
    outcomes = serializers.DecimalField(max_digits=5, decimal_places=2, source="evaluation.outcomes", default=None,
                                        allow_null=True)
    social_value = serializers.DecimalField(max_digits=5, decimal_places=2, source="evaluation.social_value",
                                            default=None, allow_null=True)
    price = serializers.DecimalField(max_digits=5, decimal_places=2, source="evaluation.price", default=None,
                                     allow_null=True)
    total = serializers.DecimalField(max_digits=6, decimal_places=2, source="evaluation.total", default=None,
                                     allow_null=True)
    winner_total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True,
                                            help_text="The successful bid's total, out of 100.")
    basis = serializers.CharField(help_text="How the award was made.")
    letter = serializers.CharField(source="letter.body", default="", help_text="The feedback letter as sent.")


class StartView(ProviderCalloffAPI, APIView):
    @extend_schema(parameters=[PROVIDER_PARAMETER], responses=StartOut,
                   summary="After award, for the awarded provider's admins and bid writers: who the care is for and "
                           "how it starts",
                   description="Each call is recorded with its purpose (to arrange the start of the awarded care) in "
                               "the authority's audit trail. Before the award, for an unsuccessful bidder, or for a "
                               "viewer, it is refused with 403, and the attempt is recorded.")
    def get(self, request, package_id):
        from tenants.calloffs import start

        package = self.package(package_id)
        row = self.bidder(package)
        details = start.start_details(actor=request.user, package=package, provider_id=row.provider.pk,
                                      channel="api")
        response = Response(StartOut(details).data)
        response["Cache-Control"] = "no-store"
        return response


class ResultView(ProviderCalloffAPI, APIView):
    @extend_schema(parameters=[PROVIDER_PARAMETER], responses=ResultOut,
                   summary="After award, for an unsuccessful bidder: its scores and why the award went elsewhere",
                   description="404 until the package is awarded to another bid, and for an organisation that did "
                               "not bid.")
    def get(self, request, package_id):
        from tenants.calloffs import start

        package = self.package(package_id)
        row = self.bidder(package)
        result = start.result_for(package=package, bid=row.bid)
        if result is None:
            raise Http404("There is no result to show: the package is not awarded to another bid, or your "
                          "organisation did not bid.")
        return Response(ResultOut(result).data)
