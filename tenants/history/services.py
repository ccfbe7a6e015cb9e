"""Importing an authority's history from CSV: spot placements (with their
cost from their start), and earlier applications and admissions (with their
round and their real dates).

`history_import` reads and checks every row and reports every problem; a dry
run (the default) stops there and writes nothing. Applying writes all of it
in one transaction, only when nothing is wrong: each row is kept against its
own `import_reference`, so importing the same file again makes nothing twice
(a row already imported is skipped and said so; a different row under a
reference already used is a problem). Each import is audited: who, when,
the file's digest and what it made.

What is made is what Jointly would have made itself, with the real dates:

- a spot placement is an awarded package (held apart: the person by their
  reference in the authority's records, nothing identifying in any text)
  with the provider's recorded price as its bid, a live or ended placement
  from its start, its funders, and a cost line (source "recorded") from the
  start date, so the commitment report and spend cover it. One bought
  outside any agreement is filed under the authority's "spot purchases"
  holding agreement, which is ended from the start so nothing can be called
  off under it;
- an application is a decided application (submitted, decided) with each
  lot's outcome, and an admission for each lot passed (active from its
  activation date, or pending onboarding), mirrored to the provider's views.
  Whether a provider was new to the authority is judged by the dates: an
  earlier admission or placement, imported or not, means it was not; and an
  admission made in Jointly after imported history that comes before it is
  corrected (and the correction audited).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.policy import access_here
from audit.services import audit_record
from common.errors import Conflict, Invalid, require
from common.identifiers import find_identifiers, identifier_message
from common.numbers import decimal_or_none
from shared_catalogue.models import ClientGroup, CQCLocation, Provider
from tenancy.models import Authority
from tenancy.selectors import authority_current
from tenants.admissions import projection
from tenants.admissions.models import Admission, Application, ApplicationLot, OnboardingItem
from tenants.admissions.services import provider_is_new_here
from tenants.agreements.models import Agreement, ApplicationRound, CallOffGrant, Lot, QuestionnaireVersion
from tenants.calloffs.models import Award, Bid, Package, Person
from tenants.history import policy
from tenants.history.models import HistoryImport, ImportedRow, Kind, SpotPurchases
from tenants.history.reading import Cells, Column, Problem, Row, read
from tenants.placements import joint
from tenants.placements.models import CostLine, Funder, Placement, Unit

HUNDRED = Decimal("100")
PENCE = Decimal("0.01")
REFUSED = "Only commissioners and authority admins import an authority's history."
PROVIDER_HELP = ("the provider's CQC provider ID (1-101234567), a CQC location ID, its Companies House number or "
                 "its charity number, as the regional catalogue holds it")

SPOT_COLUMNS = (
    Column("import_reference", True, "your own reference for the placement, unique in your records"),
    Column("provider", True, PROVIDER_HELP),
    Column("agreement", False, "the agreement's reference, blank for a spot purchase outside any agreement"),
    Column("lot", False, "the lot's number, with the agreement"),
    Column("person_reference", True, "the person's reference in your case records: never a name or NHS number"),
    Column("start_date", True, "when the care started"),
    Column("end_date", False, "when it ended, blank if it goes on"),
    Column("end_reason", False, "why it ended"),
    Column("weekly_cost", False, "the cost a week, or give rate, unit and quantity"),
    Column("rate", False, "the rate per unit"),
    Column("unit", False, "week, hour, session or day"),
    Column("quantity", False, "units a week"),
    Column("client_group", False, "who the support is for, a client group of the regional catalogue"),
    Column("primary_need", False, "the main need, such as dementia"),
    Column("description", False, "what the support is, in words providers could read"),
    Column("locality", False, "an area or postcode district, never an address"),
    Column("funders", False, "who paid what share, like “alpha: 60; nhs-north: 40”; blank: this authority alone"),
)
APPLICATION_COLUMNS = (
    Column("import_reference", True, "your own reference for the application, unique in your records"),
    Column("provider", True, PROVIDER_HELP),
    Column("agreement", True, "the agreement's reference"),
    Column("round", False, "the application round's number (FPS)"),
    Column("lots", True, "the lots applied for, like “1; 3”"),
    Column("submitted_date", True, "when the application was submitted"),
    Column("decision_date", True, "when it was decided"),
    Column("outcomes", True, "passed or failed for each lot, in the order of lots (one value for all)"),
    Column("admission_status", False, "active or pending_onboarding, for the lots passed"),
    Column("activated_date", False, "when the admission became active"),
)
LAYOUTS = {Kind.SPOT_PLACEMENTS: SPOT_COLUMNS, Kind.APPLICATIONS: APPLICATION_COLUMNS}
OUTCOMES = {"passed": ApplicationLot.Outcome.PASSED, "pass": ApplicationLot.Outcome.PASSED,
            "successful": ApplicationLot.Outcome.PASSED, "admitted": ApplicationLot.Outcome.PASSED,
            "failed": ApplicationLot.Outcome.FAILED, "fail": ApplicationLot.Outcome.FAILED,
            "unsuccessful": ApplicationLot.Outcome.FAILED, "not successful": ApplicationLot.Outcome.FAILED}


@dataclass
class Report:
    """What a file holds and what importing it would make (or made)."""

    kind: str
    file_name: str
    file_sha256: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    would_create: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)
    dry_run: bool = True
    history_import: HistoryImport | None = None

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"kind": self.kind, "file_name": self.file_name, "file_sha256": self.file_sha256, "rows": self.rows,
                "dry_run": self.dry_run, "ok": self.ok, "problems": [p.as_dict() for p in self.problems],
                "skipped": [p.as_dict() for p in self.skipped], "would_create": self.would_create,
                "created": self.created, "import_id": self.history_import.pk if self.history_import else None}


class FileRefused(Invalid):
    """Applying a file with problems: nothing was written. Carries the report."""

    def __init__(self, report: Report):
        self.report = report
        errors: dict[str, list[str]] = {}
        for p in report.problems:
            key = f"row {p.row}" + (f", {p.column}" if p.column else "") if p.row else "file"
            errors.setdefault(key, []).append(p.message)
        super().__init__(errors)


def _moment(day: date) -> datetime:
    """A recorded date as a time: midday in London, so its date is the same in every report."""
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


def _digest_row(row: Row) -> str:
    return hashlib.sha256(json.dumps(row.cells, sort_keys=True).encode()).hexdigest()


# --- Look-ups shared by both kinds --------------------------------------------------

class Lookups:
    """Catalogue, agreement and authority look-ups, each asked once per file."""

    def __init__(self):
        self.providers: dict[str, tuple[Provider | None, str]] = {}
        self.agreements: dict[str, Agreement | None] = {}
        self._groups = None
        self._authorities: dict[str, Authority | None] = {}

    def provider(self, cells: Cells) -> Provider | None:
        value = cells.text("provider", required=True, max_length=40)
        if not value:
            return None
        if value not in self.providers:
            self.providers[value] = self._provider(value)
        found, message = self.providers[value]
        if message:
            cells.problem("provider", message)
        return found

    @staticmethod
    def _provider(value: str) -> tuple[Provider | None, str]:
        plain = value.strip().upper().replace(" ", "")
        found = {p.pk: p for p in Provider.objects.filter(cqc_provider_id__iexact=plain)}
        found |= {p.pk: p for p in Provider.objects.filter(company_number=plain)}
        found |= {p.pk: p for p in Provider.objects.filter(charity_number=plain)}
        location = CQCLocation.objects.filter(location_id__iexact=plain, provider__isnull=False) \
            .select_related("provider").first()
        if location:
            found[location.provider.pk] = location.provider
        if len(found) > 1:
            names = ", ".join(sorted(p.name for p in found.values()))
            return None, (f"“{value}” matches more than one provider in the catalogue ({names}): use its CQC "
                          "provider ID.")
        if not found:
            return None, (f"No provider in the regional catalogue has the identifier “{value}”. Use {PROVIDER_HELP}; "
                          "a provider not yet in the catalogue registers first.")
        return next(iter(found.values())), ""

    def agreement(self, cells: Cells, *, required: bool) -> Agreement | None:
        value = cells.text("agreement", required=required, max_length=60)
        if not value:
            return None
        key = value.upper()
        if key not in self.agreements:
            self.agreements[key] = (Agreement.objects.filter(reference__iexact=value)
                                    .prefetch_related("lots", "rounds").first())
        found = self.agreements[key]
        if found is None:
            cells.problem("agreement", f"No agreement here has the reference “{value}”. Set the agreement up in "
                                       "Jointly first (with its lots and rounds), then import its history.")
        return found

    @staticmethod
    def lot(cells: Cells, agreement: Agreement, number: str) -> Lot | None:
        for lot in agreement.lots.all():
            if lot.number.lower() == number.lower():
                return lot
        numbers = ", ".join(lot.number for lot in agreement.lots.all()) or "none yet"
        cells.problem("lots" if "lots" in cells.row.cells else "lot",
                      f"{agreement.reference} has no lot {number} (its lots: {numbers}).")
        return None

    def client_group(self, cells: Cells) -> ClientGroup | None:
        value = cells.text("client_group", max_length=120)
        if not value:
            return None
        if self._groups is None:
            self._groups = list(ClientGroup.objects.all())
        for group in self._groups:
            if value.lower() in (group.code.lower(), group.name.lower()):
                return group
        cells.problem("client_group", f"“{value}” is not a client group of the regional catalogue. Its groups: "
                                      f"{', '.join(g.code for g in self._groups)}.")
        return None

    def authority(self, slug: str) -> Authority | None:
        if slug not in self._authorities:
            self._authorities[slug] = Authority.objects.filter(slug=slug.lower()).first()
        return self._authorities[slug]


def _guard(cells: Cells, *columns: str) -> None:
    """Text that could reach providers carries nothing that identifies a person."""
    for column in columns:
        findings = find_identifiers(cells.row.cells.get(column, ""))
        if findings:
            cells.problem(column, identifier_message(findings))


# --- Spot placements ----------------------------------------------------------------

@dataclass
class SpotPlan:
    row: Row
    reference: str
    digest: str
    provider: Provider
    agreement: Agreement | None
    lot: Lot | None
    person_reference: str
    start: date
    end: date | None
    end_reason: str
    unit: str
    rate: Decimal
    quantity: Decimal
    weekly: Decimal
    client_group: ClientGroup | None
    primary_need: str
    description: str
    locality: str
    funders: list[tuple[Authority, Decimal]]


def _spot_plan(cells: Cells, look: Lookups, here: Authority) -> SpotPlan | None:
    before = len(cells.problems)
    provider = look.provider(cells)
    agreement = look.agreement(cells, required=False)
    lot_number = cells.text("lot", max_length=20)
    lot = None
    if agreement and not lot_number:
        cells.problem("lot", "Give the lot's number with the agreement.")
    elif lot_number and not cells.row.cells.get("agreement"):
        cells.problem("lot", "A lot needs its agreement: give the agreement's reference, or leave both blank for a "
                             "spot purchase outside any agreement.")
    elif agreement and lot_number:
        lot = look.lot(cells, agreement, lot_number)
    person_reference = cells.text("person_reference", required=True, max_length=80)
    found = find_identifiers(person_reference, kinds=("nhs_number", "postcode", "email", "phone"))
    if found:
        cells.problem("person_reference", "Use the person's reference in your case records, never their details: "
                                          f"this holds {'; '.join(str(f) for f in found)}.")
    start = cells.date("start_date", required=True)
    end = cells.date("end_date")
    if start and end and end < start:
        cells.problem("end_date", "The end date is before the start date.")
    if start and agreement and start < agreement.starts_on:
        cells.problem("start_date", f"The placement starts before {agreement.reference} did "
                                    f"({agreement.starts_on:%-d %B %Y}): leave the agreement blank for a spot purchase "
                                    "made before it.")
    end_reason = cells.text("end_reason", max_length=500)
    if end_reason and not end:
        cells.problem("end_reason", "An end reason needs an end date.")
    unit, rate, quantity, weekly = _cost(cells)
    client_group = look.client_group(cells)
    primary_need = cells.choice("primary_need", Package.PrimaryNeed)
    description = cells.text("description", max_length=1000)
    locality = cells.text("locality", max_length=120)
    _guard(cells, "description", "locality", "end_reason")
    funders = _funders(cells, look, here, agreement)
    if len(cells.problems) > before:
        return None
    return SpotPlan(cells.row, cells.row.cells["import_reference"], _digest_row(cells.row), provider, agreement, lot,
                    person_reference, start, end, end_reason, unit, rate, quantity, weekly, client_group, primary_need,
                    description, locality, funders)


def _cost(cells: Cells):
    weekly = cells.money("weekly_cost")
    rate = cells.money("rate")
    unit = cells.choice("unit", Unit)
    quantity = cells.quantity("quantity")
    given = {name for name in ("rate", "unit", "quantity") if cells.row.cells.get(name)}
    if not given and not cells.row.cells.get("weekly_cost"):
        cells.problem("weekly_cost", "Give the weekly cost, or the rate, unit and quantity a week.")
        return None, None, None, None
    if given:
        if not cells.row.cells.get("rate"):
            cells.problem("rate", "Give the rate with its unit and quantity.")
        if not cells.row.cells.get("unit"):
            cells.problem("unit", "Give the rate's unit: week, hour, session or day.")
        if unit and unit != Unit.WEEK and not cells.row.cells.get("quantity"):
            cells.problem("quantity", "Give how many hours, sessions or days a week.")
        if rate is None or not unit:
            return None, None, None, None
        quantity = quantity or Decimal("1")
        if unit == Unit.WEEK and quantity != 1:
            cells.problem("quantity", "A weekly rate is for one week: leave the quantity blank or 1.")
        computed = (rate * quantity).quantize(PENCE, ROUND_HALF_UP)
        if computed >= Decimal("100000000"):
            cells.problem("quantity", "The rate × quantity comes to £100,000,000 a week or more: check them.")
            return None, None, None, None
        if weekly is not None and weekly != computed:
            cells.problem("weekly_cost", f"The weekly cost £{weekly:,.2f} is not the rate × quantity "
                                         f"(£{computed:,.2f}): give one or make them agree.")
        return unit, rate, quantity, computed
    if weekly is None:
        return None, None, None, None
    return Unit.WEEK, weekly, Decimal("1"), weekly


def _funders(cells: Cells, look: Lookups, here: Authority, agreement: Agreement | None):
    value = cells.text("funders", max_length=300)
    if not value:
        if here.is_partnership:
            cells.problem("funders", "In a partnership each placement is a member's: say who funded it, like "
                                     "“alpha: 100”.")
        return [(here, HUNDRED)]
    allowed = {here.pk} | (set(here.members.values_list("pk", flat=True)) if here.is_partnership else set())
    if agreement:  # a co-funding grant, not revoked: the history it covers may predate the grant's record
        allowed |= set(CallOffGrant.objects.filter(agreement=agreement, may_co_fund=True, revoked_at__isnull=True)
                       .values_list("grantee_id", flat=True))
    shares, bad = [], False
    for part in [p.strip() for p in value.split(";") if p.strip()]:
        slug, _, share = part.partition(":")
        authority = look.authority(slug.strip())
        try:
            amount = decimal_or_none(share.strip().rstrip("%"))
        except ValueError:
            amount = None
        if authority is None or amount is None or not (0 < amount <= 100) or amount.as_tuple().exponent < -2:
            cells.problem("funders", f"“{part}” is not a funder and share: write the authority's short name (as in "
                                     "its address) and a percentage, like “alpha: 60”.")
            bad = True
        elif authority.pk not in allowed:
            cells.problem("funders", f"{authority.name} cannot fund placements here: only this authority, its "
                                     "partnership's members, or a body holding a co-funding grant on the agreement.")
            bad = True
        elif any(a.pk == authority.pk for a, _ in shares):
            cells.problem("funders", f"{authority.name} is named twice.")
            bad = True
        else:
            shares.append((authority, amount))
    if not bad and sum(s for _, s in shares) != HUNDRED:
        cells.problem("funders", f"The shares add up to {sum(s for _, s in shares)}%, not 100%.")
        bad = True
    return None if bad else sorted(shares, key=lambda pair: -pair[1])


def _spot_apply(plans: list[SpotPlan], actor, here: Authority) -> tuple[dict[str, int], list[ImportedRow]]:
    holding = None
    people: dict[str, Person] = {}
    known = {r.person_reference: r.person for r in ImportedRow.objects.filter(
        person_reference__in={p.person_reference for p in plans}, person__isnull=False).select_related("person")}
    made = {"placements": 0, "people": 0, "cost_lines": 0}
    rows = []
    for plan in plans:
        agreement, lot = plan.agreement, plan.lot
        if agreement is None:
            holding = holding or _spot_holding(actor, here)
            agreement, lot = holding.agreement, holding.lot
        person = people.get(plan.person_reference) or known.get(plan.person_reference)
        if person is None:
            person = Person.objects.create(first_name="", last_name="", created_by=actor)
            made["people"] += 1
        people[plan.person_reference] = person
        started = _moment(plan.start)
        need = Package.PrimaryNeed(plan.primary_need).label if plan.primary_need else ""
        title = "Spot placement" + (f": {need.lower()}" if need else "")
        described = plan.description or "Recorded from the authority's records of placements made before Jointly."
        package = Package.objects.create(
            reference=_package_reference(plan.reference), agreement=agreement, lot=lot,
            called_off_by=plan.funders[0][0] if here.is_partnership else here, status=Package.Status.AWARDED,
            title=title, client_group=plan.client_group, primary_need=plan.primary_need or None,
            outcomes=described, support_needed=described, start_on=plan.start,
            hours_per_week=plan.quantity if plan.unit == Unit.HOUR else None,
            sessions_per_week=int(plan.quantity) if plan.unit == Unit.SESSION and plan.quantity == int(plan.quantity)
            else None,
            locality=plan.locality or "Not recorded", budget_weekly=plan.weekly,
            clarification_deadline=started.replace(hour=10), bid_deadline=started.replace(hour=11),
            created_by=actor, created_at=started)
        package.people.set([person])
        bid = Bid.objects.create(package=package, provider=plan.provider, status=Bid.Status.SUBMITTED, sealed=b"",
                                 version=1, submitted_at=started, updated_at=started, updated_by=actor,
                                 opened_at=started, weekly_price=plan.weekly,
                                 content={"weekly_price": str(plan.weekly), "recorded": True})
        Award.objects.create(package=package, bid=bid, basis=Award.Basis.EXCEPTION, awarded_by=actor,
                             awarded_at=started,
                             reason="A spot placement made before Jointly, recorded from the authority's records.")
        ended = plan.end is not None
        placement = Placement.objects.create(
            package=package, bid=bid, provider=plan.provider, payer_id=package.called_off_by_id,
            start_on=plan.start, weekly_cost=plan.weekly,
            status=Placement.Status.ENDED if ended else Placement.Status.LIVE, went_live_at=started,
            went_live_confirmed_by=actor, ended_on=plan.end,
            end_reason=plan.end_reason or ("Ended before the history was imported." if ended else ""),
            created_at=started)
        grants = {g.grantee_id: g for g in CallOffGrant.objects.filter(
            agreement=agreement, may_co_fund=True, revoked_at__isnull=True)} if len(plan.funders) > 1 else {}
        Funder.objects.bulk_create([Funder(placement=placement, authority=a, share=s, grant=grants.get(a.pk),
                                           purchasing_agreement=grants[a.pk].purchasing_agreement
                                           if a.pk in grants else "")
                                    for a, s in plan.funders])
        CostLine.objects.create(placement=placement, effective_from=plan.start, unit=plan.unit, rate=plan.rate,
                                quantity=plan.quantity, weekly_amount=plan.weekly, source=CostLine.Source.RECORDED,
                                reason="Recorded from the authority's records when its history was imported.",
                                made_by=actor)
        joint.sync(placement)
        made["placements"] += 1
        made["cost_lines"] += 1
        rows.append(ImportedRow(kind=Kind.SPOT_PLACEMENTS, reference=plan.reference, row_sha256=plan.digest,
                                line=plan.row.number, person_reference=plan.person_reference, person=person,
                                placement=placement))
    return made, rows


def _package_reference(reference: str) -> str:
    return "SPOT-" + hashlib.sha256(reference.encode()).hexdigest()[:16].upper()


def _spot_holding(actor, here: Authority) -> SpotPurchases:
    """The holding agreement for spot purchases outside any agreement: made once, ended from the start."""
    found = SpotPurchases.objects.select_related("agreement", "lot").filter(pk=1).first()
    if found:
        return found
    reference, n = "SPOT-PURCHASES", 1
    while Agreement.objects.filter(reference=reference).exists():
        n += 1
        reference = f"SPOT-PURCHASES-{n}"
    today = timezone.localdate()
    agreement = Agreement.objects.create(
        kind=Agreement.Kind.FPS, title="Spot purchases outside any agreement", reference=reference,
        service_area="Care bought one placement at a time, before or outside the authority's agreements",
        description="Holds the spot placements imported from the authority's records. It takes no applications "
                    "and nothing is called off under it.",
        starts_on=date(2000, 1, 1), ends_on=max(today, date(2000, 1, 2)), status=Agreement.Status.ENDED,
        onboarding_checklist=[], created_by=actor)
    agreement.call_off_authorities.set([here])
    lot = Lot.objects.create(agreement=agreement, number="S", title="Spot purchases")
    audit_record(actor=actor, action="agreement.spot_purchases_made", obj=agreement,
                 after={"reference": reference, "status": agreement.status})
    return SpotPurchases.objects.create(agreement=agreement, lot=lot)


# --- Applications and admissions -----------------------------------------------------

@dataclass
class ApplicationPlan:
    row: Row
    reference: str
    digest: str
    provider: Provider
    agreement: Agreement
    version: QuestionnaireVersion
    round: ApplicationRound | None
    lots: list[tuple[Lot, str]]
    submitted: date
    decided: date
    status: str
    activated: date | None


def _application_plan(cells: Cells, look: Lookups, standing: set[tuple[int, int]]) -> ApplicationPlan | None:
    before = len(cells.problems)
    provider = look.provider(cells)
    agreement = look.agreement(cells, required=True)
    version = round_ = None
    lots: list[tuple[Lot, str]] = []
    numbers = cells.listed("lots", required=True)
    outcomes = [o.lower() for o in cells.listed("outcomes", required=True)]
    if len(set(n.lower() for n in numbers)) != len(numbers):
        cells.problem("lots", "A lot is named twice.")
    bad = [o for o in outcomes if o not in OUTCOMES]
    if bad:
        cells.problem("outcomes", f"“{bad[0]}” is not an outcome: write passed or failed for each lot.")
    elif numbers and outcomes and len(outcomes) not in (1, len(numbers)):
        cells.problem("outcomes", f"{len(outcomes)} outcomes for {len(numbers)} lots: give one for each lot, in the "
                                  "same order, or one for all.")
    elif numbers and outcomes:
        outcomes = outcomes * len(numbers) if len(outcomes) == 1 else outcomes
    if agreement:
        version = QuestionnaireVersion.objects.filter(agreement=agreement).order_by("-number").first()
        if version is None:
            cells.problem("agreement", f"{agreement.reference} has no selection questionnaire yet: set it up before "
                                       "importing the applications made to it.")
        for n, number in enumerate(numbers):
            lot = look.lot(cells, agreement, number)
            if lot and len(outcomes) == len(numbers) and outcomes[n] in OUTCOMES:
                lots.append((lot, OUTCOMES[outcomes[n]]))
        round_ = _round(cells, agreement)
    submitted = cells.date("submitted_date", required=True)
    decided = cells.date("decision_date", required=True)
    activated = cells.date("activated_date")
    if submitted and decided and decided < submitted:
        cells.problem("decision_date", "The decision date is before the application was submitted.")
    passed = [lot for lot, outcome in lots if outcome == ApplicationLot.Outcome.PASSED]
    status = cells.choice("admission_status", Admission.Status)
    if status and status not in (Admission.Status.ACTIVE, Admission.Status.PENDING_ONBOARDING):
        cells.problem("admission_status", "Write active or pending_onboarding.")
    if not status:
        status = Admission.Status.ACTIVE if activated else Admission.Status.PENDING_ONBOARDING
    if not passed and (cells.row.cells.get("admission_status") or activated):
        cells.problem("admission_status", "No lot was passed, so there is no admission to give a status or date.")
    if passed and status == Admission.Status.ACTIVE and not activated \
            and "activated_date" not in {p.column for p in cells.problems if p.row == cells.row.number}:
        cells.problem("activated_date", "Give the date the admission became active.")
    if status == Admission.Status.PENDING_ONBOARDING and activated:
        cells.problem("activated_date", "An admission pending onboarding has no activation date: leave it blank, or "
                                        "write active.")
    if activated and decided and activated < decided:
        cells.problem("activated_date", "The admission became active before the decision.")
    if provider:
        for lot in passed:
            if (provider.pk, lot.pk) in standing:
                cells.problem("lots", f"{provider.name} is already admitted to lot {lot.number} of "
                                      f"{agreement.reference} (here, or in an earlier row).")
    if len(cells.problems) > before:
        return None
    standing.update((provider.pk, lot.pk) for lot in passed)
    return ApplicationPlan(cells.row, cells.row.cells["import_reference"], _digest_row(cells.row), provider, agreement,
                           version, round_, lots, submitted, decided, status, activated)


def _round(cells: Cells, agreement: Agreement) -> ApplicationRound | None:
    value = cells.text("round", max_length=10)
    rounds = list(agreement.rounds.all())
    if not value:
        if agreement.kind == Agreement.Kind.FPS and rounds:
            cells.problem("round", f"{agreement.reference} takes applications in rounds: give the round's number "
                                   f"({', '.join(str(r.number) for r in rounds)}).")
        return None
    digits = value.lower().removeprefix("round").strip()
    for found in rounds:
        if digits == str(found.number):
            return found
    cells.problem("round", f"{agreement.reference} has no round “{value}” (its rounds: "
                           f"{', '.join(str(r.number) for r in rounds) or 'none yet'}). Set the round up first.")
    return None


def _applications_apply(plans: list[ApplicationPlan], actor) -> tuple[dict[str, int], list[ImportedRow]]:
    made = {"applications": 0, "admissions": 0, "new_to_authority": 0}
    rows = []
    counters: dict[int, int] = {}
    for plan in sorted(plans, key=lambda p: (p.decided, p.submitted, p.row.number)):
        decided_at = _moment(plan.decided)
        application = Application.objects.create(
            agreement=plan.agreement, provider=plan.provider, version=plan.version, round=plan.round,
            status=Application.Status.DECIDED, created_by=actor, created_at=_moment(plan.submitted),
            submitted_at=_moment(plan.submitted), decided_at=decided_at)
        ApplicationLot.objects.bulk_create([ApplicationLot(application=application, lot=lot,
                                                           provider=plan.provider, live=False, outcome=outcome)
                                            for lot, outcome in plan.lots])
        new_here = provider_is_new_here(provider_id=plan.provider.pk, application=application, as_of=decided_at)
        for lot, outcome in plan.lots:
            if outcome != ApplicationLot.Outcome.PASSED:
                continue
            if lot.pk not in counters:
                counters[lot.pk] = Admission.objects.filter(lot=lot).count()
            counters[lot.pk] += 1
            active = plan.status == Admission.Status.ACTIVE
            activated_at = _moment(plan.activated) if active else None
            admission = Admission.objects.create(
                agreement=plan.agreement, lot=lot, provider=plan.provider, application=application,
                reference=f"{plan.agreement.reference}/L{lot.number}/{counters[lot.pk]:03d}", status=plan.status,
                admitted_at=decided_at, new_to_authority=new_here, activated_at=activated_at,
                changed_at=activated_at or decided_at)
            OnboardingItem.objects.bulk_create([
                OnboardingItem(admission=admission, position=n, name=name, done_at=activated_at,
                               note="Recorded from the authority's records." if active else "")
                for n, name in enumerate(plan.agreement.onboarding_checklist, start=1)])
            projection.write(admission)
            made["admissions"] += 1
            made["new_to_authority"] += int(new_here)
        projection.write_application(application)
        made["applications"] += 1
        rows.append(ImportedRow(kind=Kind.APPLICATIONS, reference=plan.reference, row_sha256=plan.digest,
                                line=plan.row.number, application=application))
    return made, rows


def _new_to_authority_correct(*, actor, provider_ids: set[int], since: datetime) -> int:
    """Admissions already here, made after imported history that comes before
    them, were judged without it: judged again by their dates, and each
    correction audited."""
    changed = 0
    for admission in Admission.objects.filter(provider_id__in=provider_ids, admitted_at__gt=since) \
            .select_related("application"):
        expected = provider_is_new_here(provider_id=admission.provider_id, application=admission.application,
                                        as_of=admission.admitted_at)
        if expected != admission.new_to_authority:
            Admission.objects.filter(pk=admission.pk).update(new_to_authority=expected)
            audit_record(actor=actor, action="admission.new_to_authority_corrected", obj=admission,
                         before={"new_to_authority": admission.new_to_authority},
                         after={"new_to_authority": expected},
                         reason="Imported history shows the provider's earlier work with the authority.")
            changed += 1
    return changed


# --- The import -----------------------------------------------------------------------

def history_import(*, actor, kind: str, file_name: str, data: bytes, dry_run: bool = True) -> Report:
    """Check a history file and report every problem; unless `dry_run`,
    import it all in one transaction (only if nothing is wrong). Raises
    FileRefused (400, with the report) when applying a file with problems."""
    require(policy.can_import_history(access_here(actor)), REFUSED)
    if kind not in Kind.values:
        raise Invalid({"kind": f"Choose what the file holds: {', '.join(Kind.values)}."})
    file_name = (file_name or "history.csv").replace("\x00", "")[-200:]
    report = Report(kind=kind, file_name=file_name, file_sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    if dry_run:
        _check(report, data)
        return report
    try:
        with transaction.atomic():
            # one import at a time per authority: two at once could both find a reference free
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                               [f"history-import-{authority_current().schema_name}"])
            plans = _check(report, data)
            if report.problems:
                raise FileRefused(report)
            if not plans:
                raise FileRefused(_nothing_new(report))
            _apply(report, plans, actor)
    except IntegrityError as error:  # an admission made here while the file was imported, say
        raise Conflict("Something here changed while the file was being imported, so none of it was kept. "
                       "Check the file again and import it.") from error
    return report


def _nothing_new(report: Report) -> Report:
    report.problems.append(Problem(0, "", "Every row of this file was imported before: there is nothing new to "
                                          "import."))
    return report


def _check(report: Report, data: bytes) -> list:
    rows, problems = read(data, LAYOUTS[report.kind])
    report.rows = len(rows)
    report.problems.extend(problems)
    if not rows:
        return []
    look = Lookups()
    here = authority_current()
    references = [r.cells.get("import_reference", "") for r in rows]
    before = {r.reference: r for r in ImportedRow.objects.filter(kind=report.kind, reference__in=references)
              .select_related("history_import")}
    seen: dict[str, int] = {}
    standing = set(Admission.objects.exclude(status=Admission.Status.REMOVED).values_list("provider_id", "lot_id")) \
        if report.kind == Kind.APPLICATIONS else set()
    plans = []
    for row in rows:
        cells = Cells(row, report.problems)
        reference = cells.text("import_reference", required=True, max_length=80)
        if not reference:
            continue
        if reference in seen:
            cells.problem("import_reference", f"“{reference}” is also the reference of row {seen[reference]}: each "
                                              "row needs its own.")
            continue
        seen[reference] = row.number
        if reference in before:
            earlier = before[reference]
            if earlier.row_sha256 == _digest_row(row):
                report.skipped.append(Problem(row.number, "import_reference", f"“{reference}” was imported on "
                                              f"{timezone.localtime(earlier.history_import.applied_at):%-d %B %Y}: "
                                              "left as it is."))
            else:
                cells.problem("import_reference", f"“{reference}” was imported on "
                                                  f"{timezone.localtime(earlier.history_import.applied_at):%-d %B %Y} "
                                                  "with different details: an imported record is not changed by "
                                                  "importing it again (change it in Jointly, or give a new "
                                                  "reference).")
            continue
        if report.kind == Kind.SPOT_PLACEMENTS:
            plan = _spot_plan(cells, look, here)
        else:
            plan = _application_plan(cells, look, standing)
        if plan is not None:
            plans.append(plan)
    report.problems.sort(key=lambda p: (p.row, p.column))
    if report.kind == Kind.SPOT_PLACEMENTS:
        report.would_create = {"placements": len(plans),
                               "people": len({p.person_reference for p in plans}
                                             - set(ImportedRow.objects.filter(
                                                 person_reference__in={p.person_reference for p in plans})
                                                 .values_list("person_reference", flat=True))),
                               "cost_lines": len(plans),
                               "spot_purchases_outside_agreements": sum(1 for p in plans if p.agreement is None)}
    else:
        report.would_create = {"applications": len(plans),
                               "admissions": sum(1 for p in plans for _, o in p.lots
                                                 if o == ApplicationLot.Outcome.PASSED)}
    return plans


def _apply(report: Report, plans: list, actor) -> None:
    here = authority_current()
    if report.kind == Kind.SPOT_PLACEMENTS:
        made, rows = _spot_apply(plans, actor, here)
        providers = {p.provider.pk for p in plans}
        since = _moment(min(p.start for p in plans))
    else:
        made, rows = _applications_apply(plans, actor)
        providers = {p.provider.pk for p in plans}
        since = _moment(min(p.decided for p in plans))
    made["admissions_corrected"] = _new_to_authority_correct(actor=actor, provider_ids=providers, since=since)
    done = HistoryImport.objects.create(kind=report.kind, file_name=report.file_name,
                                        file_sha256=report.file_sha256, rows=report.rows, created=made,
                                        skipped=len(report.skipped), applied_by=actor)
    for row in rows:
        row.history_import = done
    ImportedRow.objects.bulk_create(rows)
    audit_record(actor=actor, action="history.imported", obj=done,
                 after={"kind": report.kind, "file": report.file_name, "sha256": report.file_sha256,
                        "rows": report.rows, "created": made, "skipped": len(report.skipped)})
    report.created = made
    report.history_import = done
