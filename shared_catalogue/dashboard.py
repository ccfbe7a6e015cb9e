"""The provider's home on the regional site: everything the organisation has
to do or know, in every authority, read from the public projections (never
by visiting each authority's schema), in a fixed number of queries however
many authorities, applications, admissions or opportunities there are.

- agreements it could join: open now, not yet applied to (AgreementWindow);
- its applications and their decisions (ApplicationProjection);
- its admissions and the onboarding still to do (AdmissionProjection), and
  the evidence that needs attention (its locker, already loaded by the page);
- for each authority where it is admitted, a link to what that authority is
  waiting for from it (read there, in that authority's provider home);
- its opportunities with its own bid status, deadlines and the clarification
  answers published, and its awards with what happens next
  (OpportunityProjection, whose bid columns only this provider's people read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from shared_catalogue import open_agreements
from shared_catalogue.models import (
    AdmissionProjection,
    AgreementWindow,
    ApplicationProjection,
    Evidence,
    EvidenceType,
    OpportunityProjection,
    Provider,
)
from shared_catalogue.selectors import evidence_status

# What every authority's questionnaire asks for in some form; shown as missing when not held.
EXPECTED_EVIDENCE = (EvidenceType.PUBLIC_LIABILITY, EvidenceType.EMPLOYERS_LIABILITY,
                     EvidenceType.SAFEGUARDING_POLICY)
# Opportunities closed, awarded or not, stay on the home page this long.
RECENT = timedelta(days=90)


@dataclass(frozen=True)
class EvidenceNeed:
    what: str
    why: str
    evidence: Evidence | None = None


@dataclass
class Dashboard:
    joinable: list[AgreementWindow] = field(default_factory=list)
    applications: list[ApplicationProjection] = field(default_factory=list)
    admissions: list[AdmissionProjection] = field(default_factory=list)
    evidence_needs: list[EvidenceNeed] = field(default_factory=list)
    open_opportunities: list[OpportunityProjection] = field(default_factory=list)
    awaiting: list[OpportunityProjection] = field(default_factory=list)
    won: list[OpportunityProjection] = field(default_factory=list)
    lost: list[OpportunityProjection] = field(default_factory=list)

    @property
    def onboarding(self) -> list[AdmissionProjection]:
        return [a for a in self.admissions if a.onboarding_outstanding]

    @property
    def admitted_authorities(self) -> list:
        """Each authority where the organisation is admitted (suspended
        included: it still owes returns there), once, from the admissions
        already loaded: what each is waiting for is on its provider home."""
        seen: dict[int, object] = {}
        for a in self.admissions:
            seen.setdefault(a.authority_id, a.authority)
        return list(seen.values())


def evidence_needs(evidence: list[Evidence], today: date | None = None) -> list[EvidenceNeed]:
    """Documents expired, expiring, rejected or missing (from a list already loaded)."""
    needs = []
    current = evidence  # the page's list holds current documents only (not those replaced)
    for item in current:
        status = evidence_status(item, today=today)
        if status.expiry in ("expired", "expiring"):
            needs.append(EvidenceNeed(item.get_evidence_type_display(), status.expiry_label, item))
        elif item.verification == Evidence.Verification.REJECTED:
            needs.append(EvidenceNeed(item.get_evidence_type_display(), "Rejected: upload a new one", item))
    held = {e.evidence_type for e in current if e.verification != Evidence.Verification.REJECTED}
    needs += [EvidenceNeed(kind.label, "Not in your locker: most questionnaires ask for it")
              for kind in EXPECTED_EVIDENCE if kind not in held]
    return needs


def for_provider(provider: Provider, *, evidence: list[Evidence], now=None) -> Dashboard:
    """Five queries: open windows not applied to, applications, admissions, opportunities (and none for the evidence,
    which the page has loaded)."""
    now = now or timezone.now()
    board = Dashboard(
        joinable=list(open_agreements.joinable_for([provider.pk], today=timezone.localdate(now))),
        applications=list(ApplicationProjection.objects.filter(provider=provider).select_related("authority")
                          .order_by("-created_at")[:50]),
        admissions=list(AdmissionProjection.objects.filter(provider=provider).exclude(status="removed")
                        .select_related("authority").order_by("authority__name", "agreement_reference",
                                                              "lot_number")),
        evidence_needs=evidence_needs(evidence, today=timezone.localdate(now)),
    )
    Status = OpportunityProjection.Status
    for row in (OpportunityProjection.objects.filter(provider=provider).exclude(status=Status.CANCELLED)
                .exclude(bid_deadline__lt=now - RECENT).select_related("authority").order_by("bid_deadline")):
        if row.status == Status.OPEN:
            board.open_opportunities.append(row)
        elif row.status == Status.CLOSED and row.bid_status == "submitted":
            board.awaiting.append(row)
        elif row.successful is True:
            board.won.append(row)
        elif row.successful is False:
            board.lost.append(row)
    return board
