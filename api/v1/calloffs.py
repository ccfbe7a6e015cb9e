"""Call-offs for an authority's staff through the API:
/a/<slug>/api/v1/calloffs/...

Packages (list, create, read, change while draft, eligibility, publish), the
people they are for (recorded apart; identity only with a `purpose`, which is
recorded), clarifications, deadline moves, bids (sealed until the deadline:
every attempt goes through calloffs.sealing and is logged), evaluation,
negotiation, candidates, award, no award, the bids as CSV, and the
utilisation report (JSON, or CSV with `?format=csv`).

Staff only (TenantAPIMixin, audience staff); what each role may do is asked
of calloffs.policy or decided by the services, whose refusals are problem
details: 400 for bad input (with the field), 403 when the role may not, 409
when the state of things does not allow it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.policy import Audience, access_for
from api.base import TenantAPIMixin
from api.filters import FilteredList, filters
from api.renderers import CSVRenderer
from api.v1.directory import DirectoryCodeOut
from api.v1.refs import AreaOut, LotRefOut, NamedOut, ReferenceOut
from shared_catalogue.models import ClientGroup
from tenancy.models import Authority
from tenants.agreements.models import Agreement, Lot
from tenants.calloffs import policy, sealing, selectors, services
from tenants.calloffs.filters import PackageFilters, UtilisationFilters
from tenants.calloffs.models import (
    Award,
    Bid,
    BidEvaluation,
    Clarification,
    NoAward,
    Package,
    Person,
    Withdrawal,
)

SOURCE_REFUSED = "Only brokers and commissioners create, publish and award packages."
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="CSV (text/csv)")

# --- Output -------------------------------------------------------------------------


class PackageOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Package.Status.choices)
    title = serializers.CharField()
    agreement = ReferenceOut()
    lot = LotRefOut()
    called_off_by = AreaOut()
    people = serializers.SerializerMethodField(help_text="Ids of the people it is for; who they are is held apart.")
    budget_weekly = serializers.DecimalField(max_digits=10, decimal_places=2)
    clarification_deadline = serializers.DateTimeField()
    bid_deadline = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    close_failed_at = serializers.DateTimeField(
        allow_null=True, help_text="Set while closing has failed (it is retried and the operators alerted): the bids "
                                   "stay sealed until it succeeds.")
    client_group = DirectoryCodeOut(allow_null=True)
    primary_need = serializers.ChoiceField(choices=Package.PrimaryNeed.choices, allow_null=True)
    sourcing_request = serializers.IntegerField(
        source="sourcing_request_id", help_text="The first package of the sourcing request (its own id when it is the "
                                                "first): a request published again counts once.")
    republished_from = serializers.IntegerField(source="republished_from_id", allow_null=True,
                                                help_text="The package this one publishes again.")
    invited = serializers.SerializerMethodField(help_text="Providers invited; null while a draft.")
    bids_received = serializers.SerializerMethodField(
        help_text="Submitted bids; null until bidding has closed (until then even the number stays sealed).")

    def get_people(self, package) -> list[int]:
        return [person.pk for person in package.people.all()]

    def get_invited(self, package) -> int | None:
        return None if package.status == Package.Status.DRAFT else package.invited

    def get_bids_received(self, package) -> int | None:
        return package.bids_received if package.closed_at else None


class InvitationOut(serializers.Serializer):
    provider = NamedOut()
    invited_at = serializers.DateTimeField()
    notified_at = serializers.DateTimeField(allow_null=True)


class NotInvitedOut(serializers.Serializer):
    provider = NamedOut()
    reason = serializers.CharField()


class DeadlineChangeOut(serializers.Serializer):
    before = serializers.DateTimeField()
    after = serializers.DateTimeField()
    reason = serializers.CharField()
    changed_by = serializers.CharField(source="changed_by.email")
    changed_at = serializers.DateTimeField()


class AwardOut(serializers.Serializer):
    bid = serializers.IntegerField(source="bid_id")
    provider = NamedOut(source="bid.provider")
    basis = serializers.ChoiceField(choices=Award.Basis.choices)
    reason = serializers.CharField()
    preference_expressed_by = serializers.SerializerMethodField()
    weekly_price = serializers.DecimalField(source="bid.weekly_price", max_digits=10, decimal_places=2)
    awarded_at = serializers.DateTimeField()
    placement = serializers.IntegerField(source="package.placement.pk")

    def get_preference_expressed_by(self, award) -> str | None:
        preference = (getattr(award.package, "preference", None)
                      if award.basis in (Award.Basis.PREFERENCE, Award.Basis.SCHEDULE_RATE) else None)
        return preference.expressed_by if preference else None


class NoAwardOut(serializers.Serializer):
    next_step = serializers.ChoiceField(choices=NoAward.Next.choices)
    reason = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    follow_on = serializers.IntegerField(source="follow_on_id", allow_null=True,
                                         help_text="When published again: the new draft package.")


class WithdrawalOut(serializers.Serializer):
    """Why a request ended without award, as every invitee is told it."""

    reason = serializers.ChoiceField(choices=Withdrawal.Reason.choices)
    note = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    bids_unopened = serializers.BooleanField(help_text="Withdrawn before bidding closed: its bids are never opened.")


class StaffWithdrawalOut(WithdrawalOut):
    status_before = serializers.ChoiceField(choices=Package.Status.choices)
    recorded_by = serializers.CharField(source="recorded_by.email")
    notified_at = serializers.DateTimeField(allow_null=True, help_text="When the last invitee was e-mailed.")


class ChainStepOut(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Package.Status.choices)
    lot = LotRefOut()
    created_at = serializers.DateTimeField()


class PackageNeedsOut(serializers.Serializer):
    """What a package asks for, as providers read it: for staff and providers alike."""

    client_group = DirectoryCodeOut(allow_null=True, help_text="Who the support is for (the catalogue's groups).")
    primary_need = serializers.ChoiceField(choices=Package.PrimaryNeed.choices, allow_null=True)
    outcomes = serializers.CharField()
    support_needed = serializers.CharField()
    hours_per_week = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    sessions_per_week = serializers.IntegerField(allow_null=True)
    pattern = serializers.CharField()
    start_on = serializers.DateField()
    duration_weeks = serializers.IntegerField(allow_null=True)
    postcode_district = serializers.CharField()
    skills = serializers.CharField()
    language = serializers.CharField()
    staff_gender = serializers.ChoiceField(choices=Package.StaffGender.choices)
    transport = serializers.CharField()
    other_requirements = serializers.CharField()


class ResourcingOut(serializers.Serializer):
    placement = serializers.IntegerField(source="pk", help_text="The placement that was terminated.")
    package = ReferenceOut(help_text="The package that placement came from.")
    provider = NamedOut(help_text="Not invited to this package while the termination stands.")
    ended_on = serializers.DateField()


class PackageDetailOut(PackageOut, PackageNeedsOut):
    locality = serializers.CharField()
    weight_quality = serializers.DecimalField(max_digits=5, decimal_places=2)
    weight_price = serializers.DecimalField(max_digits=5, decimal_places=2)
    weight_outcomes = serializers.DecimalField(max_digits=5, decimal_places=2)
    weight_social_value = serializers.DecimalField(max_digits=5, decimal_places=2)
    urgent_reason = serializers.CharField()
    invitations = serializers.SerializerMethodField(help_text="Frozen at publication; empty while a draft.")
    not_invited = serializers.SerializerMethodField(help_text="Admitted to the lot but not invited, and why.")
    deadline_changes = DeadlineChangeOut(many=True, source="deadline_changes.all")
    award = serializers.SerializerMethodField()
    no_award = serializers.SerializerMethodField()
    withdrawal = serializers.SerializerMethodField(help_text="When cancelled (a draft) or withdrawn: why.")
    chain = serializers.SerializerMethodField(help_text="Every package of its sourcing request, first to latest.")
    resourcing_of = serializers.SerializerMethodField(
        help_text="When this package re-sources a placement terminated as a contract action: that placement.")
    resourced_by = serializers.SerializerMethodField(
        help_text="When this package's placement was terminated: the package that re-sources it.")

    @extend_schema_field(StaffWithdrawalOut(allow_null=True))
    def get_withdrawal(self, package) -> dict | None:
        if package.status not in (Package.Status.WITHDRAWN, Package.Status.CANCELLED):
            return None
        return StaffWithdrawalOut(package.withdrawal).data

    @extend_schema_field(ChainStepOut(many=True))
    def get_chain(self, package) -> list:
        return ChainStepOut(selectors.package_chain(package), many=True).data

    @extend_schema_field(InvitationOut(many=True))
    def get_invitations(self, package) -> list:
        return InvitationOut(selectors.invitations_of(package)["invited"], many=True).data

    @extend_schema_field(NotInvitedOut(many=True))
    def get_not_invited(self, package) -> list:
        return NotInvitedOut(selectors.invitations_of(package)["not_invited"], many=True).data

    @extend_schema_field(AwardOut(allow_null=True))
    def get_award(self, package) -> dict | None:
        return AwardOut(package.award).data if package.status == Package.Status.AWARDED else None

    @extend_schema_field(NoAwardOut(allow_null=True))
    def get_no_award(self, package) -> dict | None:
        return NoAwardOut(package.no_award).data if package.status == Package.Status.NO_AWARD else None

    @extend_schema_field(ResourcingOut(allow_null=True))
    def get_resourcing_of(self, package) -> dict | None:
        ended = getattr(package, "replaces", None)
        return ResourcingOut(ended).data if ended is not None else None

    @extend_schema_field(ReferenceOut(allow_null=True))
    def get_resourced_by(self, package) -> dict | None:
        placement = getattr(package, "placement", None) if package.status == Package.Status.AWARDED else None
        replacement = placement.replacement if placement is not None else None
        return ReferenceOut(replacement).data if replacement is not None else None


class EligibilityOut(serializers.Serializer):
    provider = NamedOut(source="admission.provider")
    eligible = serializers.BooleanField()
    reason = serializers.CharField()


class CalloffPersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class IdentityOut(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    preferred_name = serializers.CharField()
    name_recorded = serializers.BooleanField(
        help_text="False for a person imported from the authority's earlier records, which carry no name.")
    display_name = serializers.CharField(
        help_text="The name to show: first and last name, or \"Name not recorded (imported)\".")
    nhs_number = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    address = serializers.CharField()
    postcode = serializers.CharField()
    social_worker = serializers.CharField()


class ClarificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    asked_by_provider = NamedOut(source="provider", help_text="Staff only: invitees never see who asked.")
    question = serializers.CharField()
    asked_at = serializers.DateTimeField()
    answer = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


class EvaluationOut(serializers.Serializer):
    compliant = serializers.BooleanField()
    compliance_notes = serializers.CharField()
    quality = serializers.DecimalField(max_digits=5, decimal_places=2)
    outcomes = serializers.DecimalField(max_digits=5, decimal_places=2)
    social_value = serializers.DecimalField(max_digits=5, decimal_places=2)
    price = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Worked out: lowest compliant "
                                                                             "price scores 100.")
    total = serializers.DecimalField(max_digits=6, decimal_places=2)
    within_budget = serializers.BooleanField()
    evaluated_by = serializers.CharField(source="evaluated_by.email")
    evaluated_at = serializers.DateTimeField()


class BidContentOut(serializers.Serializer):
    weekly_price = serializers.CharField()
    hourly_rate = serializers.CharField(allow_null=True)
    hours_per_week = serializers.CharField(allow_null=True)
    breakdown = serializers.CharField()
    outcomes_response = serializers.CharField()
    social_value = serializers.CharField()
    start_available_on = serializers.CharField()


class BidOut(serializers.Serializer):
    id = serializers.IntegerField()
    provider = NamedOut()
    submitted_at = serializers.DateTimeField(help_text="The exact time the latest version was received.")
    version = serializers.IntegerField()
    content_sha256 = serializers.CharField(help_text="The latest receipt's digest (HMAC-SHA256 keyed with the "
                                                     "bid's receipt key, which the bidder holds).")
    weekly_price = serializers.DecimalField(max_digits=10, decimal_places=2,
                                            help_text="As opened, or as agreed in negotiation.")
    content = serializers.SerializerMethodField(help_text="The bid as submitted, read through the seal.")
    evaluation = serializers.SerializerMethodField()

    @extend_schema_field(BidContentOut)
    def get_content(self, bid) -> dict:
        return BidContentOut(self.context["contents"][bid.pk]).data

    @extend_schema_field(EvaluationOut(allow_null=True))
    def get_evaluation(self, bid) -> dict | None:
        try:
            return EvaluationOut(bid.evaluation).data
        except BidEvaluation.DoesNotExist:
            return None


class NegotiationOut(serializers.Serializer):
    id = serializers.IntegerField()
    bid = serializers.IntegerField(source="bid_id")
    note = serializers.CharField()
    price_before = serializers.DecimalField(max_digits=10, decimal_places=2)
    price_after = serializers.DecimalField(max_digits=10, decimal_places=2)
    recorded_at = serializers.DateTimeField()


class CandidateOut(serializers.Serializer):
    bid = serializers.IntegerField(source="pk")
    provider = NamedOut()
    weekly_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    total = serializers.DecimalField(source="evaluation.total", max_digits=6, decimal_places=2)


class UtilisationRowOut(serializers.Serializer):
    month = serializers.DateField(help_text="The first day of the month.")
    agreement = serializers.CharField(source="lot.agreement.reference")
    lot = LotRefOut()
    requests = serializers.IntegerField(help_text="Sourcing requests made.")
    published = serializers.IntegerField(help_text="Call-offs published.")
    bids = serializers.IntegerField(help_text="Bids received, counted once bidding has closed.")
    awards = serializers.IntegerField()
    live = serializers.IntegerField(help_text="Placements gone live.")


# --- Input --------------------------------------------------------------------------


class PackageFieldsIn(serializers.Serializer):
    """What providers will read (checked for identifiers by the service),
    the budget, the award criteria and the deadlines. Times without an
    offset are UK local time."""

    title = serializers.CharField(max_length=200)
    client_group = serializers.SlugRelatedField(
        slug_field="code", queryset=ClientGroup.objects.all(), required=False, allow_null=True, default=None,
        help_text="A client group code from the regional catalogue, for example `dementia`.",
        error_messages={"does_not_exist": "“{value}” is not a client group code of the regional catalogue (such "
                                          "as `dementia` or `learning-disability`)."})
    primary_need = serializers.ChoiceField(choices=Package.PrimaryNeed.choices, required=False, allow_null=True,
                                           default=None)
    outcomes = serializers.CharField(max_length=5000)
    support_needed = serializers.CharField(max_length=5000)
    hours_per_week = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False,
                                              allow_null=True, default=None)
    sessions_per_week = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True,
                                                 default=None)
    pattern = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    start_on = serializers.DateField()
    duration_weeks = serializers.IntegerField(min_value=1, max_value=520, required=False, allow_null=True,
                                              default=None)
    locality = serializers.CharField(max_length=120)
    postcode_district = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    skills = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    language = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    staff_gender = serializers.ChoiceField(choices=Package.StaffGender.choices, required=False,
                                           default=Package.StaffGender.ANY)
    transport = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    other_requirements = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    budget_weekly = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    weight_quality = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                              required=False, default="40")
    weight_price = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                            required=False, default="20")
    weight_outcomes = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                               required=False, default="30")
    weight_social_value = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                   required=False, default="10")
    clarification_deadline = serializers.DateTimeField()
    bid_deadline = serializers.DateTimeField()
    urgent_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PackageIn(PackageFieldsIn):
    agreement = serializers.IntegerField()
    lot = serializers.IntegerField()
    called_off_by = serializers.SlugField(required=False, allow_blank=True, default="",
                                          help_text="In a partnership: the slug of the member authority calling "
                                                    "off (one of the agreement's call-off authorities).")
    people = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=20,
                                   help_text="Ids from POST calloffs/people/.")


class CalloffPersonIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    preferred_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    nhs_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    address = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    social_worker = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class IdentityQuery(serializers.Serializer):
    purpose = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    package = serializers.IntegerField(required=False, allow_null=True, default=None)


class ClarificationAnswerIn(serializers.Serializer):
    answer = serializers.CharField(max_length=10000, allow_blank=True)
    question = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                     help_text="The question reworded for publication; leave it out to keep it.")


class DeadlineIn(serializers.Serializer):
    bid_deadline = serializers.DateTimeField(help_text="Without an offset: UK local time.")
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ClarificationDeadlineIn(serializers.Serializer):
    clarification_deadline = serializers.DateTimeField(help_text="Without an offset: UK local time.")
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class EvaluationIn(serializers.Serializer):
    compliant = serializers.BooleanField()
    compliance_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    quality = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    outcomes = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    social_value = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)


class NegotiationIn(serializers.Serializer):
    note = serializers.CharField(max_length=5000, allow_blank=True)
    price_after = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class AwardIn(serializers.Serializer):
    bid = serializers.IntegerField()
    expressed_by = serializers.CharField(max_length=150, required=False, allow_blank=True, default="",
                                         help_text="Whose preference chose it, when more than one candidate fits.")
    preference_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    exception_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                             help_text="Only to award a bid that is not a candidate.")


class NoAwardIn(serializers.Serializer):
    next_step = serializers.ChoiceField(choices=NoAward.Next.choices)
    reason = serializers.CharField(max_length=5000, allow_blank=True)


class PackageWithdrawIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Withdrawal.Reason.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 help_text="Needed for `other`. Every invited provider is told it: never identifying.")


class RepublishIn(serializers.Serializer):
    lot = serializers.IntegerField(required=False, allow_null=True, default=None,
                                   help_text="Another lot of the same agreement; the same lot if left out.")


# --- Views --------------------------------------------------------------------------


class CalloffsAPI(TenantAPIMixin):
    audience = Audience.STAFF

    def packages_scope(self):
        """The packages this view reaches: all of this authority's. The views
        under grants/call-offs/ narrow it to the caller's grants (api/v1/grants.py)."""
        return selectors.packages_for_staff()

    def package(self, package_id) -> Package:
        package = self.packages_scope().filter(pk=package_id).first()
        if package is None:
            raise Http404("No package with that id here.")
        return package

    def require(self, allowed: bool, message: str) -> None:
        if not allowed:
            raise PermissionDenied(message)

    def detail(self, package_id, status_code=status.HTTP_200_OK) -> Response:
        package = (self.packages_scope().filter(pk=package_id)
                   .select_related("withdrawal__recorded_by")
                   .prefetch_related("people", "deadline_changes__changed_by").first())
        return Response(PackageDetailOut(package).data, status=status_code)


def _people_ids():
    return Prefetch("people", queryset=Person.objects.only("pk"))


def package_create_from(actor, validated: dict, people) -> Package:
    """A draft package from a create request's validated fields: the agreement,
    lot, people (from `people`, the records this caller may use) and calling
    authority looked up, each that names nothing here a 400 naming it."""
    fields = dict(validated)
    agreement = Agreement.objects.filter(pk=fields.pop("agreement")).first()
    lot = Lot.objects.filter(pk=fields.pop("lot")).first()
    wanted = fields.pop("people")
    found = list(people.filter(pk__in=wanted))
    slug = fields.pop("called_off_by")
    caller = Authority.objects.filter(slug=slug).first() if slug else None
    errors = {}
    if agreement is None:
        errors["agreement"] = ["No such agreement here."]
    if lot is None:
        errors["lot"] = ["No such lot here."]
    missing = sorted(set(wanted) - {p.pk for p in found})
    if missing:
        errors["people"] = [f"No such person here: {', '.join(map(str, missing))}."]
    if slug and caller is None:
        errors["called_off_by"] = ["No such authority."]
    if errors:
        raise serializers.ValidationError(errors)
    return services.package_create(actor=actor, agreement=agreement, lot=lot, people=found, called_off_by=caller,
                                   **fields)


class PackageListView(CalloffsAPI, GenericAPIView):
    serializer_class = PackageOut
    filterset_class = PackageFilters

    @extend_schema(responses=PackageOut(many=True), summary="Packages, newest first")
    def get(self, request):
        rows = self.filter_queryset(selectors.packages_for_staff()).prefetch_related(_people_ids())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(PackageOut(page, many=True).data)

    @extend_schema(request=PackageIn, responses={201: PackageDetailOut},
                   summary="Create a draft package (a sourcing request) for people recorded first")
    def post(self, request):
        self.require(policy.can_source(self.access), SOURCE_REFUSED)
        data = PackageIn(data=request.data)
        data.is_valid(raise_exception=True)
        package = package_create_from(request.user, data.validated_data, Person.objects.all())
        return self.detail(package.pk, status.HTTP_201_CREATED)


class PackageDetailView(CalloffsAPI, APIView):
    @extend_schema(responses=PackageDetailOut,
                   summary="One package: what providers read, invitations and reasons, deadline changes, outcome")
    def get(self, request, package_id):
        return self.detail(self.package(package_id).pk)

    @extend_schema(request=PackageFieldsIn(partial=True), responses=PackageDetailOut,
                   summary="Change a draft (the fields sent)")
    def patch(self, request, package_id):
        package = self.package(package_id)
        self.require(policy.can_source_package(self.access, package), SOURCE_REFUSED)
        data = PackageFieldsIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.package_update(actor=request.user, package=package, **data.validated_data)
        return self.detail(package.pk)


class EligibilityView(FilteredList, CalloffsAPI, APIView):
    @extend_schema(responses=EligibilityOut(many=True),
                   summary="Who would be invited if it were published now, and who not and why")
    def get(self, request, package_id):
        self.list_filters()
        return Response(EligibilityOut(services.eligibility(self.package(package_id)), many=True).data)


class PublishView(CalloffsAPI, APIView):
    @extend_schema(request=None, responses=PackageDetailOut,
                   summary="Publish: invite every eligible provider; the list is frozen")
    def post(self, request, package_id):
        package = self.package(package_id)
        self.require(policy.can_source_package(self.access, package, new=True), SOURCE_REFUSED)
        services.package_publish(actor=request.user, package=package)
        return self.detail(package_id)


class PersonCreateView(CalloffsAPI, APIView):
    @extend_schema(request=CalloffPersonIn, responses={201: CalloffPersonOut},
                   summary="Record who a package is for, apart from the package")
    def post(self, request):
        data = CalloffPersonIn(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.person_create(actor=request.user, **data.validated_data)
        return Response(CalloffPersonOut(person).data, status=status.HTTP_201_CREATED)


class PersonIdentityView(CalloffsAPI, APIView):
    @extend_schema(parameters=[OpenApiParameter("purpose", str, required=True,
                                                description="Why you need to see who this is; recorded."),
                               OpenApiParameter("package", int, description="The package you are working on.")],
                   responses=IdentityOut, summary="Who a person is: brokers and commissioners, with a purpose")
    def get(self, request, person_id):
        asked = filters(IdentityQuery, request)
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            self.require(policy.can_see_identity(self.access), "You cannot see who this package is for.")
            raise Http404("No such person here.")
        package = None
        if asked.get("package") is not None:
            package = selectors.package_for_staff(asked["package"])
            if package is None or selectors.package_person(package, person.pk) is None:
                raise serializers.ValidationError({"package": ["That package is not for this person."]})
        shown = services.person_identity(actor=request.user, person=person, package=package,
                                         purpose=asked.get("purpose", ""))
        response = Response(IdentityOut(shown).data)
        add_never_cache_headers(response)
        return response


class ClarificationListView(FilteredList, CalloffsAPI, APIView):
    @extend_schema(responses=ClarificationOut(many=True),
                   summary="Questions from invitees, with who asked (staff only)")
    def get(self, request, package_id):
        self.list_filters()
        package = self.package(package_id)
        return Response(ClarificationOut(selectors.clarifications_for_staff(package), many=True).data)


class ClarificationAnswerView(CalloffsAPI, APIView):
    @extend_schema(request=ClarificationAnswerIn, responses=ClarificationOut,
                   summary="Answer and publish to every invitee, without saying who asked")
    def post(self, request, package_id, clarification_id):
        clarification = selectors.clarification_for_staff(self.package(package_id), clarification_id)
        if clarification is None:
            raise Http404("No such question on this package.")
        data = ClarificationAnswerIn(data=request.data)
        data.is_valid(raise_exception=True)
        answered = services.clarification_answer(actor=request.user, clarification=clarification,
                                                 answer=data.validated_data["answer"],
                                                 question=data.validated_data["question"] or None)
        return Response(ClarificationOut(Clarification.objects.select_related("provider").get(pk=answered.pk)).data)


class DeadlineView(CalloffsAPI, APIView):
    @extend_schema(request=DeadlineIn, responses=PackageDetailOut,
                   summary="Move the bid deadline (commissioners), with a reason every invitee is told")
    def post(self, request, package_id):
        package = self.package(package_id)
        data = DeadlineIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.deadline_move(actor=request.user, package=package, **data.validated_data)
        return self.detail(package.pk)


class ClarificationDeadlineView(CalloffsAPI, APIView):
    @extend_schema(request=ClarificationDeadlineIn, responses=PackageDetailOut,
                   summary="Move the clarification deadline (commissioners); once a bid is in, only later")
    def post(self, request, package_id):
        package = self.package(package_id)
        data = ClarificationDeadlineIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.clarification_deadline_move(actor=request.user, package=package, **data.validated_data)
        return self.detail(package.pk)


class BidsAPI(CalloffsAPI):
    def opened(self, package_id, bid_id=None) -> Package:
        package = self.package(package_id)
        sealing.refuse_until_open(package, user=self.request.user, channel="api", bid_id=bid_id)
        return package

    def read(self, bids) -> dict:
        access = access_for(self.request)
        return {bid.pk: sealing.read_bid(bid, user=self.request.user, channel="api", access=access) for bid in bids}


class BidListView(FilteredList, BidsAPI, APIView):
    @extend_schema(responses=BidOut(many=True),
                   summary="Bids, once bidding has closed (before then: 403, and the attempt is recorded)")
    def get(self, request, package_id):
        self.list_filters()
        bids = list(selectors.bids_submitted(self.opened(package_id)))
        return Response(BidOut(bids, many=True, context={"contents": self.read(bids)}).data)


class BidDetailView(BidsAPI, APIView):
    @extend_schema(responses=BidOut,
                   summary="One bid, once bidding has closed (before then: 403, and the attempt is recorded)")
    def get(self, request, package_id, bid_id):
        bid = selectors.bid_of(self.opened(package_id, bid_id), bid_id)
        if bid is None:
            raise Http404("No such bid on this package.")
        return Response(BidOut(bid, context={"contents": self.read([bid])}).data)


class EvaluationView(BidsAPI, APIView):
    @extend_schema(request=EvaluationIn, responses=EvaluationOut,
                   summary="Score a bid against the published criteria; price is worked out")
    def post(self, request, package_id, bid_id):
        bid = selectors.bid_of(self.opened(package_id, bid_id), bid_id)
        if bid is None:
            raise Http404("No such bid on this package.")
        data = EvaluationIn(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = services.bid_evaluate(actor=request.user, bid=bid, **data.validated_data)
        return Response(EvaluationOut(evaluation).data)


class NegotiationView(BidsAPI, APIView):
    @extend_schema(request=NegotiationIn, responses={201: NegotiationOut},
                   summary="Record a negotiation round, which may lower the weekly price")
    def post(self, request, package_id, bid_id):
        bid = selectors.bid_of(self.opened(package_id, bid_id), bid_id)
        if bid is None:
            raise Http404("No such bid on this package.")
        data = NegotiationIn(data=request.data)
        data.is_valid(raise_exception=True)
        negotiation = services.negotiation_record(actor=request.user, bid=bid, **data.validated_data)
        return Response(NegotiationOut(negotiation).data, status=status.HTTP_201_CREATED)


class CandidatesView(FilteredList, BidsAPI, APIView):
    @extend_schema(responses=CandidateOut(many=True),
                   summary="Compliant, evaluated bids within the budget, best total first")
    def get(self, request, package_id):
        self.list_filters()
        return Response(CandidateOut(services.candidates(self.opened(package_id)), many=True).data)


class AwardView(CalloffsAPI, APIView):
    @extend_schema(request=AwardIn, responses={201: AwardOut},
                   summary="Award: the only candidate, the person's preference among several, or an exception")
    def post(self, request, package_id):
        package = self.package(package_id)
        data = AwardIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        bid = Bid.objects.filter(package=package, pk=fields.pop("bid")).first()
        if bid is None:
            raise serializers.ValidationError({"bid": ["No such bid on this package."]})
        made = services.award(actor=request.user, package=package, bid=bid, **fields)
        made = Award.objects.select_related("bid__provider", "package__placement").get(pk=made.pk)
        return Response(AwardOut(made).data, status=status.HTTP_201_CREATED)


class NoAwardView(CalloffsAPI, APIView):
    @extend_schema(request=NoAwardIn, responses={201: NoAwardOut},
                   summary="Record that nothing is awarded, and what happens next")
    def post(self, request, package_id):
        package = self.package(package_id)
        data = NoAwardIn(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.no_award(actor=request.user, package=package, **data.validated_data)
        return Response(NoAwardOut(outcome).data, status=status.HTTP_201_CREATED)


class CancelView(CalloffsAPI, APIView):
    @extend_schema(request=PackageWithdrawIn, responses=PackageDetailOut,
                   summary="Cancel a draft, with the reason (409 once published: withdraw it instead)")
    def post(self, request, package_id):
        package = self.package(package_id)
        data = PackageWithdrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.package_cancel(actor=request.user, package=package, **data.validated_data)
        return self.detail(package.pk)


class WithdrawView(CalloffsAPI, APIView):
    @extend_schema(request=PackageWithdrawIn, responses=PackageDetailOut,
                   summary="Withdraw a published package before award, with the reason; every invitee is told, and "
                           "bids not yet opened never are (409 for a draft, or once awarded or ended)")
    def post(self, request, package_id):
        package = self.package(package_id)
        data = PackageWithdrawIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.package_withdraw(actor=request.user, package=package, **data.validated_data)
        return self.detail(package.pk)


class RepublishView(CalloffsAPI, APIView):
    @extend_schema(request=RepublishIn, responses={201: PackageDetailOut},
                   summary="Publish a withdrawn or not awarded request again: a new draft linked to the first, so "
                           "the request counts once (409 in any other state, or if already published again)")
    def post(self, request, package_id):
        package = self.package(package_id)
        data = RepublishIn(data=request.data)
        data.is_valid(raise_exception=True)
        lot = None
        if data.validated_data["lot"] is not None:
            lot = Lot.objects.filter(pk=data.validated_data["lot"]).first()
            if lot is None:
                raise serializers.ValidationError({"lot": ["No such lot here."]})
        follow_on = services.package_republish(actor=request.user, package=package, lot=lot)
        return self.detail(follow_on.pk, status.HTTP_201_CREATED)


def _csv(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


class BidsExportView(CalloffsAPI, APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(responses={(200, "text/csv"): CSV_RESPONSE},
                   summary="The bids as CSV, once bidding has closed (before then: 403, recorded)")
    def get(self, request, package_id):
        package = self.package(package_id)
        return _csv(services.bids_export(actor=request.user, package=package), f"{package.reference}-bids.csv")


class UtilisationView(FilteredList, CalloffsAPI, APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]
    filterset_class = UtilisationFilters

    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
                   responses={(200, "application/json"): UtilisationRowOut(many=True),
                              (200, "text/csv"): CSV_RESPONSE},
                   summary="Utilisation by lot and month: requests, published, bids, awards, gone live")
    def get(self, request):
        self.require(policy.can_view_utilisation(self.access),
                     "Only brokers, commissioners and finance viewers read the utilisation report.")
        rows = selectors.utilisation(**self.list_filters())
        if request.accepted_renderer.format == "csv":
            return _csv(selectors.utilisation_csv(rows), "utilisation.csv")
        return Response(UtilisationRowOut(rows, many=True).data)
