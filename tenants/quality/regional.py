"""The regional view of provider risk: for each provider this authority
uses that partner authorities in the same region also use, the colour each
of them gives it, beside this authority's own, worst first.

Partners' colours come from shared_catalogue.SharedRisk, the projection the
risk service writes when a colour is recorded (tenants.quality.risk.refresh):
the colour, the one before, when it changed and the kinds of reason, never
the reasons' own words or anything restricted. An authority sees a partner's
colour for a provider only while both of them use it (an admission that is
not removed). Three queries however many providers and partners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef

from tenants.quality.risk import ORDER, WORDS


def trend_words(colour: str, previous: str) -> str:
    if not previous:
        return "First assessed"
    if previous == colour:
        return "No change"
    return "Worse" if ORDER[colour] > ORDER[previous] else "Better"


@dataclass
class Colour:
    """One authority's colour for a provider, as partners may read it."""

    authority: str
    colour: str
    previous: str
    changed_at: datetime | None
    headlines: list[str] = field(default_factory=list)

    @property
    def words(self) -> str:
        return WORDS[self.colour]

    @property
    def trend(self) -> str:
        return trend_words(self.colour, self.previous)


@dataclass
class RegionalRow:
    provider: object
    here: Colour | None
    partners: list[Colour]

    @property
    def worst(self) -> str:
        colours = [c.colour for c in self.partners] + ([self.here.colour] if self.here else [])
        return max(colours, key=ORDER.__getitem__)


def regional_view(*, colour: str = "", provider_ids=None) -> list[RegionalRow]:
    """The providers used here that partners in the region use too, each
    with this authority's last recorded colour and every such partner's,
    worst colour first (then the most partners at that colour, then by name).
    `colour` keeps only the rows whose worst colour it is; `provider_ids`
    only those providers."""
    from shared_catalogue.models import AdmissionProjection, SharedRisk
    from tenancy.selectors import authority_current
    from tenants.quality.models import RiskStatus

    here = authority_current()
    if here.region_id is None:
        return []
    used = AdmissionProjection.objects.exclude(status=AdmissionProjection.Status.REMOVED)
    partner_uses = used.filter(authority_id=OuterRef("authority_id"), provider_id=OuterRef("provider_id"))
    shared = (SharedRisk.objects
              .filter(provider_id__in=used.filter(authority=here).values("provider_id"),
                      authority__region_id=here.region_id, authority__is_active=True)
              .exclude(authority=here).filter(Exists(partner_uses))
              .select_related("authority", "provider").order_by("provider_id", "authority__name"))
    if provider_ids is not None:
        shared = shared.filter(provider_id__in=list(provider_ids))
    rows: dict[int, RegionalRow] = {}
    for item in shared:
        row = rows.setdefault(item.provider_id, RegionalRow(item.provider, None, []))
        row.partners.append(Colour(item.authority.name, item.colour, item.previous, item.changed_at,
                                   list(item.headlines)))
    for status in RiskStatus.objects.filter(provider_id__in=list(rows)):
        rows[status.provider_id].here = Colour(here.name, status.colour, status.previous, status.changed_at,
                                               list(status.headlines))
    found = list(rows.values())
    if colour:
        found = [row for row in found if row.worst == colour]
    found.sort(key=lambda r: (-ORDER[r.worst], -sum(ORDER[c.colour] for c in r.partners), r.provider.name))
    return found
