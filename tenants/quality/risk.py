"""The early warning: each provider's colour (Green, Amber or Red) worked
out from what is known about it here (intelligence, KPI returns, quality
assessments and contract actions), always with the reasons that made it.

The rules are this authority's own, versioned (`RiskRules`); without any,
the defaults below apply. Everything is read in a fixed number of queries
however many providers and records there are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from tenants.quality.models import (
    SEVERITY_ORDER,
    Action,
    Assessment,
    Intelligence,
    KpiReturn,
    RiskRules,
    RiskStatus,
)

DEFAULT_RULES = {
    # intelligence kinds that make a provider red, and amber, within the look-back
    "red_kinds": ["safeguarding_decision", "unexpected_death", "financial_distress"],
    "amber_kinds": ["safeguarding_concern", "contract_concern", "whistleblowing", "manager_vacancy"],
    # any record at or above this severity makes it amber; this many high or critical ones make it red
    "amber_severity": "high",
    "red_high_count": 3,
    "lookback_days": 365,
    # latest quality rating
    "red_ratings": ["poor"],
    "amber_ratings": ["requires_improvement"],
    # the latest overall CQC rating of any of the provider's locations (from import_cqc)
    "red_cqc_ratings": ["Inadequate"],
    "amber_cqc_ratings": ["Requires improvement"],
    # KPI returns missing past their due date
    "amber_missing_returns": 2,
    "red_missing_returns": 6,
}
ORDER = {"red": 3, "amber": 2, "green": 1}
WORDS = {"red": "Red", "amber": "Amber", "green": "Green"}


# The kind of reason shared with partner authorities for intelligence this
# authority keeps to itself: the colour is shared, what lies behind it is not.
KEPT_HERE = "Intelligence not shared"


@dataclass
class Risk:
    provider_id: int
    colour: str = "green"
    reasons: list[str] = field(default_factory=list)
    # the kinds of reason, safe to share with partner authorities (no dates, names, sources or notes)
    headlines: list[str] = field(default_factory=list)

    def raise_to(self, colour: str, reason: str, headline: str) -> None:
        self.reasons.append(f"{WORDS[colour]}: {reason}")
        shared = f"{WORDS[colour]}: {headline}"
        if shared not in self.headlines:
            self.headlines.append(shared)
        if ORDER[colour] > ORDER[self.colour]:
            self.colour = colour

    @property
    def words(self) -> str:
        return WORDS[self.colour]


def current_rules() -> tuple[int, dict]:
    latest = RiskRules.objects.order_by("-version").first()
    return (latest.version, DEFAULT_RULES | latest.rules) if latest else (0, dict(DEFAULT_RULES))


def assess(provider_ids, *, today: date | None = None, rules: dict | None = None) -> dict[int, Risk]:
    """Each provider's colour and reasons: six queries."""
    today = today or timezone.localdate()
    if rules is None:
        rules = current_rules()[1]
    ids = list(provider_ids)
    risks = {pk: Risk(pk) for pk in ids}
    since = today - timedelta(days=int(rules["lookback_days"]))
    kind_words = dict(Intelligence.Kind.choices)

    # CQC ratings recorded by import_cqc are the timeline's; the ratings themselves count below.
    counts = (Intelligence.objects.filter(provider_id__in=ids, occurred_on__gte=since, closed_on__isnull=True,
                                          from_cqc_rating__isnull=True)
              .values("provider_id", "kind", "severity")
              .annotate(n=Count("pk"), shared=Count("pk", filter=Q(share=Intelligence.Share.PARTNERS)),
                        last=Max("occurred_on"))
              .order_by("provider_id", "kind", "severity"))
    high = defaultdict(int)
    threshold = SEVERITY_ORDER[rules["amber_severity"]]
    for row in counts:
        risk, kind, n = risks[row["provider_id"]], row["kind"], row["n"]
        label = f"{kind_words.get(kind, kind).lower()}" + (f" ({n})" if n > 1 else "") + \
            f", latest {row['last']:%-d %B %Y}"
        headline = kind_words.get(kind, kind) if row["shared"] else KEPT_HERE
        if kind in rules["red_kinds"]:
            risk.raise_to("red", label, headline)
        elif kind in rules["amber_kinds"]:
            risk.raise_to("amber", label, headline)
        elif SEVERITY_ORDER[row["severity"]] >= threshold:
            risk.raise_to("amber", f"{row['severity']} severity: {label}", headline)
        if SEVERITY_ORDER[row["severity"]] >= SEVERITY_ORDER["high"]:
            high[row["provider_id"]] += n
    for pk, n in high.items():
        if n >= rules["red_high_count"]:
            risks[pk].raise_to("red", f"{n} high or critical records in the last {rules['lookback_days']} days",
                               "Several high or critical records")

    latest = (Assessment.objects.filter(provider_id__in=ids, status=Assessment.Status.FINAL)
              .order_by("provider_id", "-finalised_at").distinct("provider_id")
              .values("provider_id", "rating", "finalised_at"))
    ratings = dict(Assessment._meta.get_field("rating").choices)
    for row in latest:
        words = f"quality assessment rated {ratings.get(row['rating'], row['rating'])} on " \
                f"{timezone.localdate(row['finalised_at']):%-d %B %Y}"
        headline = f"{ratings.get(row['rating'], row['rating'])} quality rating"
        if row["rating"] in rules["red_ratings"]:
            risks[row["provider_id"]].raise_to("red", words, headline)
        elif row["rating"] in rules["amber_ratings"]:
            risks[row["provider_id"]].raise_to("amber", words, headline)

    missing = (KpiReturn.objects.filter(provider_id__in=ids, status__in=(KpiReturn.Status.DUE,
                                                                         KpiReturn.Status.QUERIED),
                                        due_on__lt=today).values("provider_id").annotate(n=Count("pk")))
    for row in missing:
        n = row["n"]
        if n >= rules["red_missing_returns"]:
            risks[row["provider_id"]].raise_to("red", f"{n} performance returns missing", "KPI returns missing")
        elif n >= rules["amber_missing_returns"]:
            risks[row["provider_id"]].raise_to("amber", f"{n} performance returns missing", "KPI returns missing")

    from shared_catalogue.models import CQCLocation

    for location in CQCLocation.objects.filter(provider_id__in=ids).exclude(overall_rating="").values(
            "provider_id", "name", "location_id", "overall_rating", "rating_published_on"):
        rating = location["overall_rating"]
        words = f"CQC rated {location['name'] or location['location_id']} {rating}" + (
            f" on {location['rating_published_on']:%-d %B %Y}" if location["rating_published_on"] else "")
        if rating in rules["red_cqc_ratings"]:
            risks[location["provider_id"]].raise_to("red", words, f"CQC rated {rating}")
        elif rating in rules["amber_cqc_ratings"]:
            risks[location["provider_id"]].raise_to("amber", words, f"CQC rated {rating}")

    kinds = dict(Action.Kind.choices)
    for action in (Action.objects.filter(provider_id__in=ids, status=Action.Status.ACTIVE, starts_on__lte=today)
                   .values("provider_id", "kind", "starts_on")):
        colour = "red" if action["kind"] in Action.RESTRICTING or action["kind"] == "special_measures" else "amber"
        risks[action["provider_id"]].raise_to(colour, f"{kinds[action['kind']].lower()} since "
                                                      f"{action['starts_on']:%-d %B %Y}", kinds[action["kind"]])
    return risks


def refresh(*, today: date | None = None) -> list[tuple[int, str, str]]:
    """Work out every admitted provider's colour and record changes: each is
    audited, and quality officers are told. Returns (provider, from, to)."""
    from django.db import transaction

    from audit.services import audit_record
    from tenancy.selectors import authority_current
    from tenants.admissions.models import Admission

    version, rules = current_rules()
    ids = set(Admission.objects.exclude(status=Admission.Status.REMOVED).values_list("provider_id", flat=True))
    risks = assess(ids, today=today, rules=rules)
    known = {s.provider_id: s for s in RiskStatus.objects.filter(provider_id__in=ids)}
    changes = []
    here = authority_current()
    with transaction.atomic():
        for pk, risk in risks.items():
            status = known.get(pk)
            if status is not None and status.colour == risk.colour and status.reasons == risk.reasons \
                    and status.headlines == risk.headlines:
                continue
            before = status.colour if status else ""
            status, _ = RiskStatus.objects.update_or_create(provider_id=pk, defaults={
                "colour": risk.colour, "reasons": risk.reasons, "headlines": risk.headlines,
                "rules_version": version,
                **({"changed_at": timezone.now(), "previous": before} if before != risk.colour else {})})
            share(status, here)
            if before != risk.colour:
                audit_record(actor=None, action="provider.risk_changed", obj=("provider", pk),
                             before={"colour": before}, after={"colour": risk.colour, "reasons": risk.reasons},
                             context={"rules_version": version})
                changes.append((pk, before, risk.colour))
    return changes


def share(status: RiskStatus, authority=None) -> None:
    """Mirror a provider's colour here to the partner authorities (call
    inside the transaction that recorded it): the colour, the one before,
    when it changed and the kinds of reason, never the reasons themselves."""
    from shared_catalogue.models import SharedRisk
    from tenancy.selectors import authority_current

    SharedRisk.objects.update_or_create(authority=authority or authority_current(), provider_id=status.provider_id,
                                        defaults=_shared_fields(status))


def _shared_fields(status: RiskStatus) -> dict:
    return {"colour": status.colour, "previous": status.previous, "changed_at": status.changed_at,
            "headlines": list(status.headlines), "rules_version": status.rules_version,
            "updated_at": timezone.now()}


def rebuild_shared(authority) -> dict:
    """Make the authority's SharedRisk rows match the colours recorded in
    its schema exactly (`manage.py quality_rebuild_shared_risk`)."""
    from django.db import transaction
    from django_tenants.utils import schema_context

    from shared_catalogue.models import SharedRisk

    with schema_context(authority.schema_name), transaction.atomic():
        rows = [SharedRisk(authority=authority, provider_id=status.provider_id, **_shared_fields(status))
                for status in RiskStatus.objects.all()]
        stale = SharedRisk.objects.filter(authority=authority).exclude(
            provider_id__in=[row.provider_id for row in rows]).delete()[0]
        SharedRisk.objects.bulk_create(rows, update_conflicts=True, unique_fields=["authority", "provider"],
                                       update_fields=["colour", "previous", "changed_at", "headlines",
                                                      "rules_version", "updated_at"])
    return {"authority": authority.slug, "statuses": len(rows), "removed": stale}


@dataclass
class DashboardRow:
    provider: object
    risk: Risk
    lots: list
    changed_at: object = None
    previous: str = ""
    rating: str = ""

    @property
    def trend(self) -> str:
        if not self.previous or self.previous == self.risk.colour:
            return "No change" if self.previous else "First assessed"
        return "Worse" if ORDER[self.risk.colour] > ORDER[self.previous] else "Better"


def dashboard(*, lot_id: int | None = None, service_type: str = "", colour: str = "",
              today: date | None = None) -> list[DashboardRow]:
    """Every provider admitted here, riskiest first, with its reasons, the
    date its colour last changed, its trend and latest rating: nine queries
    however many providers and records there are."""
    from tenants.admissions.models import Admission

    admissions = Admission.objects.exclude(status=Admission.Status.REMOVED).select_related("provider", "lot",
                                                                                          "lot__service_type")
    if lot_id:
        admissions = admissions.filter(lot_id=lot_id)
    if service_type:
        admissions = admissions.filter(lot__service_type__code=service_type)
    providers: dict[int, tuple] = {}
    for admission in admissions:
        entry = providers.setdefault(admission.provider_id, (admission.provider, []))
        entry[1].append(admission.lot)
    risks = assess(providers, today=today)
    statuses = {s.provider_id: s for s in RiskStatus.objects.filter(provider_id__in=list(providers))}
    ratings = dict(Assessment._meta.get_field("rating").choices)
    latest = {row["provider_id"]: ratings.get(row["rating"], "") for row in
              Assessment.objects.filter(provider_id__in=list(providers), status=Assessment.Status.FINAL)
              .order_by("provider_id", "-finalised_at").distinct("provider_id").values("provider_id", "rating")}
    rows = []
    for pk, (provider, lots) in providers.items():
        status = statuses.get(pk)
        changed = status.colour != risks[pk].colour if status else True
        rows.append(DashboardRow(provider, risks[pk], lots, None if changed else status.changed_at,
                                 (status.colour if changed else status.previous) if status else "",
                                 latest.get(pk, "")))
    if colour:
        rows = [r for r in rows if r.risk.colour == colour]
    rows.sort(key=lambda r: (-ORDER[r.risk.colour], -len(r.risk.reasons), r.provider.name))
    return rows


def service_types_of(lots) -> list[tuple[str, str]]:
    """The service types of some lots, as (code, name), for the filters."""
    return sorted({(lot.service_type.code, lot.service_type.name) for lot in lots if lot.service_type_id})


def rules_change(*, actor, rules: dict, reason: str) -> dict:
    """A new version of this authority's rules: the keys given replace the
    current values; each is checked against the defaults' kind."""
    from django.db import transaction

    from accounts.policy import access_here
    from audit.services import audit_record
    from common.errors import Invalid, require
    from tenants.quality import policy
    from tenants.quality.models import Intelligence

    require(policy.can_define_kpis(access_here(actor)), "Only commissioners change the early-warning rules.")
    errors = {}
    kinds, ratings = set(Intelligence.Kind.values), {"excellent", "good", "requires_improvement", "poor"}
    cqc = {"Outstanding", "Good", "Requires improvement", "Inadequate"}
    for key, value in (rules or {}).items():
        if key not in DEFAULT_RULES:
            errors[key] = f"There is no rule called {key}."
        elif key.endswith("_kinds") and not (isinstance(value, list) and set(value) <= kinds):
            errors[key] = "A list of intelligence kinds."
        elif key.endswith("_cqc_ratings") and not (isinstance(value, list) and set(value) <= cqc):
            errors[key] = "A list of CQC ratings: Outstanding, Good, Requires improvement, Inadequate."
        elif key.endswith("_ratings") and not key.endswith("_cqc_ratings") and not (
                isinstance(value, list) and set(value) <= ratings):
            errors[key] = "A list of ratings: excellent, good, requires_improvement, poor."
        elif key == "amber_severity" and value not in SEVERITY_ORDER:
            errors[key] = "One of low, medium, high, critical."
        elif key in ("red_high_count", "lookback_days", "amber_missing_returns", "red_missing_returns") and not (
                isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 3650):
            errors[key] = "A whole number from 1 to 3650."
    if not rules:
        errors["rules"] = "Give at least one rule to change."
    if not (reason or "").strip():
        errors["reason"] = "Say why the rules change."
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        version, current = current_rules()
        RiskRules.objects.select_for_update().all()
        merged = current | rules
        made = RiskRules.objects.create(version=version + 1, rules=merged, reason=reason.strip(), created_by=actor)
        audit_record(actor=actor, action="risk_rules.changed", obj=made, before=current, after=merged,
                     reason=reason.strip())
    return {"version": made.version, "rules": merged, "reason": made.reason}


def changes_mail(changes: list[tuple[int, str, str]]) -> int:
    """One e-mail to this authority's quality officers listing the providers
    whose colour changed, with the reasons."""
    from django.core.mail import send_mail

    from accounts.models import AuthorityMembership
    from accounts.roles import AuthorityRole
    from shared_catalogue.models import Provider
    from tenancy.selectors import authority_current

    authority = authority_current()
    recipients = sorted(set(AuthorityMembership.objects.current()
                            .filter(authority=authority, role=AuthorityRole.QUALITY_OFFICER, user__is_active=True)
                            .values_list("user__email", flat=True)))
    if not recipients:
        return 0
    names = dict(Provider.objects.filter(pk__in=[c[0] for c in changes]).values_list("pk", "name"))
    reasons = {s.provider_id: s.reasons for s in RiskStatus.objects.filter(provider_id__in=[c[0] for c in changes])}
    lines = []
    for pk, before, after in changes:
        lines.append(f"{names.get(pk, pk)}: {WORDS.get(before, 'not assessed')} to {WORDS[after]}")
        lines += [f"  - {reason}" for reason in reasons.get(pk, [])]
    send_mail(subject=f"Provider risk changed in {authority.name}",
              message="The early warning has changed for these providers:\n\n" + "\n".join(lines)
              + "\n\nSign in to Jointly and open Monitoring, then Provider risk, for the details.\n",
              from_email=None, recipient_list=recipients)
    return len(recipients)


@dataclass
class Known:
    risk: Risk
    rating: str


def dashboard_for(provider_ids) -> dict[int, Known]:
    """The colour, its reasons and the latest final rating of some providers
    (a broker's view beside each bid): six queries."""
    ids = list(provider_ids)
    if not ids:
        return {}
    ratings = dict(Assessment._meta.get_field("rating").choices)
    latest = {row["provider_id"]: ratings.get(row["rating"], "") for row in
              Assessment.objects.filter(provider_id__in=ids, status=Assessment.Status.FINAL)
              .order_by("provider_id", "-finalised_at").distinct("provider_id").values("provider_id", "rating")}
    return {pk: Known(risk, latest.get(pk, "")) for pk, risk in assess(ids).items()}
