"""Agreements open to providers' applications, in every authority of the
region: read from the public application-window projection
(shared_catalogue.AgreementWindow, kept in step by the agreements' services),
one query however many authorities. Used by the public page
(/agreements/), the public API (/api/v1/open-agreements/) and the
provider's home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from common.errors import Invalid
from shared_catalogue.models import AgreementWindow, ApplicationProjection, ServiceType
from tenancy.models import Authority

WORDS_MAX = 200
WHEN = {"now": "Open now", "soon": "Opening later"}


@dataclass(frozen=True)
class Filters:
    words: str = ""
    authority: Authority | None = None
    service: ServiceType | None = None
    when: str = "now"


def authorities() -> QuerySet[Authority]:
    """Authorities that may run agreements (councils, NHS bodies, partnerships)."""
    return Authority.objects.filter(is_active=True).exclude(kind=Authority.Kind.PLATFORM).order_by("name")


def filters_from(*, q: str = "", authority: str = "", service: str = "", when: str = "") -> Filters:
    """The filters as asked for (query-string values), checked: raises
    Invalid naming each bad one, with the same messages for the page and API."""
    asked = {name: " ".join(str(value or "").split())
             for name, value in {"q": q, "authority": authority, "service": service, "when": when}.items()}
    errors = {name: "Remove the null character: it cannot be searched for."
              for name, value in asked.items() if "\x00" in value}
    if "q" not in errors and len(asked["q"]) > WORDS_MAX:
        errors["q"] = f"Search words must be {WORDS_MAX} characters or fewer."
    found_authority = found_service = None
    if asked["authority"] and "authority" not in errors:
        found_authority = authorities().filter(slug=asked["authority"]).first()
        if found_authority is None:
            errors["authority"] = "That is not an authority in the region. Choose one from the list."
    if asked["service"] and "service" not in errors:
        found_service = ServiceType.objects.filter(code=asked["service"]).first()
        if found_service is None:
            errors["service"] = "That is not a service in the list. Choose one from the list."
    if asked["when"] and "when" not in errors and asked["when"] not in WHEN:
        errors["when"] = "Choose open now or opening later."
    if errors:
        raise Invalid(errors)
    return Filters(words=asked["q"], authority=found_authority, service=found_service, when=asked["when"] or "now")


def windows(*, filters: Filters | None = None, today: date | None = None) -> QuerySet[AgreementWindow]:
    """Application windows open today (or, `when="soon"`, opening later),
    soonest closing first, one per agreement."""
    filters = filters or Filters()
    today = today or timezone.localdate()
    rows = AgreementWindow.objects.select_related("authority")
    if filters.when == "soon":
        rows = rows.filter(opens_on__gt=today).order_by("opens_on", "title", "pk")
    else:
        rows = rows.filter(opens_on__lte=today, closes_on__gte=today).order_by("closes_on", "title", "pk")
    if filters.authority is not None:
        rows = rows.filter(authority=filters.authority)
    if filters.service is not None:
        rows = rows.filter(services__contains=[filters.service.code])
    for word in filters.words.split():
        rows = rows.filter(Q(title__icontains=word) | Q(service_area__icontains=word)
                           | Q(description__icontains=word) | Q(reference__icontains=word)
                           | Q(authority__name__icontains=word))
    return rows


def window_get(*, authority: Authority, agreement_id: int, today: date | None = None) -> AgreementWindow | None:
    """The agreement's window open today, or None."""
    return windows(today=today).filter(authority=authority, agreement_id=agreement_id).first()


def joinable_for(provider_ids, today: date | None = None) -> QuerySet[AgreementWindow]:
    """Open windows of agreements none of these organisations has applied to
    (an application withdrawn does not count): one query."""
    applied = ApplicationProjection.objects.filter(
        authority=OuterRef("authority"), agreement_id=OuterRef("agreement_id"), provider_id__in=provider_ids,
    ).exclude(status="withdrawn")
    return windows(today=today).exclude(Exists(applied))
