"""Reads from the regional catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import ProviderMembership
from shared_catalogue.models import (
    CQCLocation,
    Evidence,
    EvidenceDecision,
    Provider,
    ProviderProfileVersion,
)

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
