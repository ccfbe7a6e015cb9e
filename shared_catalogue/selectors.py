"""Reads from the regional catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import ProviderMembership
from common.errors import Invalid
from shared_catalogue.models import (
    AdmissionProjection,
    ClientGroup,
    CQCLocation,
    Evidence,
    EvidenceDecision,
    Provider,
    ProviderProfileVersion,
    ServiceType,
    postcode_district,
)
from tenancy.models import Authority

EXPIRING_SOON_DAYS = 30


def providers_for_member(user) -> QuerySet[Provider]:
    """The active organisations a person has a current role in."""
    return (Provider.objects.filter(is_active=True, memberships__user=user,
                                    memberships__revoked_at__isnull=True)
            .distinct().order_by("name"))


def provider_for_member(*, user, provider_id) -> Provider | None:
    """One of the person's own organisations, or None: someone else's and a
    missing one look the same."""
    try:
        provider_id = int(provider_id)
    except (TypeError, ValueError):
        return None
    return providers_for_member(user).filter(pk=provider_id).first()


def provider_people(*, provider) -> list[dict]:
    people: dict[int, dict] = {}
    for m in (ProviderMembership.objects.current().filter(provider=provider)
              .select_related("user").order_by("user__full_name", "user__email", "role")):
        people.setdefault(m.user_id, {"user": m.user, "memberships": []})["memberships"].append(m)
    return list(people.values())


def provider_membership_get(*, provider, membership_id) -> ProviderMembership | None:
    try:
        membership_id = int(membership_id)
    except (TypeError, ValueError):
        return None
    return (ProviderMembership.objects.current().select_related("user", "provider")
            .filter(provider=provider, pk=membership_id).first())


# --- Evidence ----------------------------------------------------------------------

@dataclass(frozen=True)
class EvidenceStatus:
    """How a document stands today: checked or not, and in date or not."""

    verification: str
    verification_label: str
    expiry: str  # "no_expiry", "current", "expiring", "expired"
    expiry_label: str
    days_left: int | None

    @property
    def usable(self) -> bool:
        """Whether a decision may rely on it: verified and not expired."""
        return self.verification == Evidence.Verification.VERIFIED and self.expiry != "expired"

    @property
    def tag_colour(self) -> str:
        if self.expiry == "expired" or self.verification == Evidence.Verification.REJECTED:
            return "red"
        if self.expiry == "expiring" or self.verification == Evidence.Verification.PENDING:
            return "yellow"
        return "green"


def evidence_status(evidence: Evidence, *, today: date | None = None) -> EvidenceStatus:
    days = evidence.days_to_expiry(today)
    if days is None:
        expiry, label = "no_expiry", "Does not expire"
    elif days < 0:
        expiry, label = "expired", f"Expired {evidence.expires_on:%-d %b %Y}"
    elif days <= EXPIRING_SOON_DAYS:
        expiry, label = "expiring", "Expires today" if days == 0 else f"Expires in {days} day{'s' if days != 1 else ''}"
    else:
        expiry, label = "current", f"Valid until {evidence.expires_on:%-d %b %Y}"
    return EvidenceStatus(evidence.verification, evidence.get_verification_display(), expiry, label, days)


def provider_evidence(*, provider, include_replaced: bool = False) -> QuerySet[Evidence]:
    """A provider's documents with their decisions (who checked, where, when)."""
    evidence = (Evidence.objects.filter(provider=provider)
                .select_related("uploaded_by", "replaces")
                .prefetch_related(Prefetch(
                    "decisions",
                    queryset=EvidenceDecision.objects.select_related("authority", "decided_by")
                    .order_by("-decided_at"))))
    if not include_replaced:
        evidence = evidence.filter(replaced_by__isnull=True)
    return evidence.order_by("evidence_type", "-uploaded_at")


def evidence_get(*, provider, evidence_id) -> Evidence | None:
    try:
        evidence_id = int(evidence_id)
    except (TypeError, ValueError):
        return None
    return provider_evidence(provider=provider, include_replaced=True).filter(pk=evidence_id).first()


def evidence_summary(evidence_list, *, today: date | None = None) -> dict:
    """Counts for a list of documents: verified, awaiting, rejected, expiring, expired."""
    summary = {"verified": 0, "pending": 0, "rejected": 0, "expiring": 0, "expired": 0, "total": 0}
    for item in evidence_list:
        status = evidence_status(item, today=today)
        summary["total"] += 1
        summary[status.verification] += 1
        if status.expiry in ("expiring", "expired"):
            summary[status.expiry] += 1
    return summary


# --- The catalogue as authority staff see it --------------------------------------------

def catalogue_providers(*, words: str = "", service: str = "") -> QuerySet[Provider]:
    providers = (Provider.objects.filter(is_active=True)
                 .prefetch_related("services", "areas",
                                   Prefetch("evidence", queryset=Evidence.objects.filter(replaced_by__isnull=True),
                                            to_attr="current_evidence"))
                 .order_by("name"))
    if words:
        from django.contrib.postgres.search import SearchQuery

        providers = providers.filter(search=SearchQuery(words, search_type="websearch", config="english"))
    if service:
        providers = providers.filter(services__code=service)
    return providers


def catalogue_provider(*, provider_id) -> Provider | None:
    try:
        provider_id = int(provider_id)
    except (TypeError, ValueError):
        return None
    return (Provider.objects.filter(pk=provider_id, is_active=True)
            .prefetch_related("services", "client_groups", "areas",
                              Prefetch("cqc_locations", queryset=CQCLocation.objects.order_by("name")))
            .first())


def profile_as_at(*, provider, when: date | datetime | None) -> ProviderProfileVersion | None:
    """The version of a provider's profile that stood at the end of `when` (a day) or at `when`."""
    versions = ProviderProfileVersion.objects.filter(provider=provider)
    if when is None:
        return versions.order_by("-number").first()
    if isinstance(when, date) and not isinstance(when, datetime):
        when = timezone.make_aware(datetime.combine(when, time.max))
    return versions.filter(changed_at__lte=when).order_by("-number").first()


def evidence_get_any(*, evidence_id) -> Evidence | None:
    """Any active provider's document, for authority staff."""
    try:
        evidence_id = int(evidence_id)
    except (TypeError, ValueError):
        return None
    return (Evidence.objects.filter(pk=evidence_id, provider__is_active=True)
            .select_related("provider", "uploaded_by")
            .prefetch_related(Prefetch("decisions", queryset=EvidenceDecision.objects.select_related(
                "authority", "decided_by").order_by("-decided_at")))
            .first())


# --- The public directory -----------------------------------------------------------
#
# Citizens, families and brokers find approved support: a provider is listed
# while it is active and admitted to at least one lot of a live agreement
# (the admission projection, public schema), whichever authority admitted it.

DIRECTORY_WORDS_MAX = 200


@dataclass(frozen=True)
class DirectoryOptions:
    """What the directory can be filtered by: the choices a form offers."""

    services: list[ServiceType]
    client_groups: list[ClientGroup]
    areas: list[Authority]


def directory_areas() -> QuerySet[Authority]:
    """The authority areas a provider can say it works in."""
    return Authority.objects.filter(is_active=True, kind__in=[Authority.Kind.COUNCIL, Authority.Kind.NHS_BODY]
                                    ).order_by("name")


def directory_options() -> DirectoryOptions:
    return DirectoryOptions(services=list(ServiceType.objects.order_by("position", "name")),
                            client_groups=list(ClientGroup.objects.order_by("position", "name")),
                            areas=list(directory_areas()))


@dataclass(frozen=True)
class DirectoryFilters:
    words: str = ""
    service: ServiceType | None = None
    client_group: ClientGroup | None = None
    area: Authority | None = None
    district: str = ""


def _shown(value: str) -> str:
    return value if len(value) <= 40 else f"{value[:39]}…"


def directory_filters(*, q: str = "", service: str = "", client_group: str = "", area: str = "",
                      postcode: str = "", options: DirectoryOptions | None = None) -> DirectoryFilters:
    """The filters as asked for (query-string values), checked: raises
    Invalid naming each bad one, with the same messages for pages and API.
    Codes are looked up in `options` when given (no further queries), else
    one query for each code given."""
    asked = {"q": q, "service": service, "client_group": client_group, "area": area, "postcode": postcode}
    asked = {name: " ".join(str(value or "").split()) for name, value in asked.items()}
    errors = {name: "Remove the null character: it cannot be searched for."
              for name, value in asked.items() if "\x00" in value}
    if "q" not in errors and len(asked["q"]) > DIRECTORY_WORDS_MAX:
        errors["q"] = f"Search words must be {DIRECTORY_WORDS_MAX} characters or fewer."

    codes = {  # field: (where to look, the key, what to say when it is not there)
        "service": (lambda v: options.services if options else ServiceType.objects.filter(code=v), "code",
                    "“{}” is not a service in the directory. Choose a service from the list."),
        "client_group": (lambda v: options.client_groups if options else ClientGroup.objects.filter(code=v), "code",
                         "“{}” is not a group of people in the directory. Choose who the support is for "
                         "from the list."),
        "area": (lambda v: options.areas if options else directory_areas().filter(slug=v), "slug",
                 "“{}” is not an area in the directory. Choose an area from the list."),
    }
    found = {}
    for name, (candidates, key, message) in codes.items():
        value = asked[name]
        if value and name not in errors:
            found[name] = next((item for item in candidates(value) if getattr(item, key) == value), None)
            if found[name] is None:
                errors[name] = message.format(_shown(value))

    district = ""
    if asked["postcode"] and "postcode" not in errors:
        district = postcode_district(asked["postcode"])
        if not district:
            errors["postcode"] = "Enter a postcode district like CW5, or a full postcode like CW5 6AA."
    if errors:
        raise Invalid(errors)
    return DirectoryFilters(words=asked["q"], service=found.get("service"), client_group=found.get("client_group"),
                            area=found.get("area"), district=district)


def directory_lots() -> QuerySet[AdmissionProjection]:
    """Admissions that list a provider: active, on a live agreement."""
    return AdmissionProjection.objects.filter(agreement_live=True, status=AdmissionProjection.Status.ACTIVE)


def _directory_listed() -> QuerySet[Provider]:
    return (Provider.objects.filter(is_active=True).filter(Exists(directory_lots().filter(provider=OuterRef("pk"))))
            .defer("search"))  # the stored vector is for matching, not for showing


def _directory_prefetch(providers: QuerySet[Provider]) -> QuerySet[Provider]:
    """Everything an entry shows, one query per relation for the whole page."""
    return providers.prefetch_related(
        Prefetch("services", queryset=ServiceType.objects.order_by("position", "name")),
        Prefetch("client_groups", queryset=ClientGroup.objects.order_by("position", "name")),
        Prefetch("areas", queryset=Authority.objects.order_by("name")),
        Prefetch("admissions", to_attr="listed_lots",
                 queryset=directory_lots().select_related("authority", "service_type")
                 .order_by("authority__name", "agreement_title", "lot_number", "pk")),
    )


def directory(*, filters: DirectoryFilters | None = None) -> QuerySet[Provider]:
    """Listed providers matching the filters, by name."""
    filters = filters or DirectoryFilters()
    providers = _directory_listed()
    if filters.words:
        providers = providers.filter(search=SearchQuery(filters.words, search_type="websearch", config="english"))
    if filters.service is not None:
        providers = providers.filter(services=filters.service)
    if filters.client_group is not None:
        providers = providers.filter(client_groups=filters.client_group)
    if filters.area is not None:
        providers = providers.filter(areas=filters.area)
    if filters.district:
        providers = providers.filter(postcode_districts__contains=[filters.district])
    return _directory_prefetch(providers).order_by("name", "pk")


def directory_entry(*, provider_id) -> Provider | None:
    """One listed provider, or None: unlisted and missing look the same."""
    try:
        provider_id = int(provider_id)
    except (TypeError, ValueError):
        return None
    return _directory_prefetch(_directory_listed().filter(pk=provider_id)).first()
