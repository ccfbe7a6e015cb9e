"""Importing the CQC's published ratings into the regional catalogue.

The CQC publishes its "Care directory with ratings" (and "Latest ratings")
every month. Its Locations sheet, saved as CSV, has one row per location,
service or population group and key question (domain). We read the rows of the
"Overall" service / population group: a location's overall rating and its
rating for each key question. docs/cqc-import.md maps the columns.

A location is kept when its CQC provider ID is that of a catalogue provider,
or when the catalogue already knows the location (a provider declared it).
Other locations are reported as unmatched and not stored. Ratings are history:
a new publication adds rows and never replaces older ones.

One call reads the whole file first, then writes in one transaction in the
public schema with a constant number of queries: the catalogue's providers,
locations and the matched locations' ratings are fetched once each, and the
changes are written with bulk_create and bulk_update (one query per batch).
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from audit.services import audit_record
from common import csvsafe
from common.errors import Invalid
from outbox.services import outbox_add
from shared_catalogue.models import CQC_ID, AdmissionProjection, CQCLocation, CQCRating, Provider
from tenancy.models import Authority

PUBLIC = get_public_schema_name()

OVERALL = "Overall"
DOMAINS = (OVERALL, "Safe", "Effective", "Caring", "Responsive", "Well-led")
# Worst first: a provider is shown with the worst current overall rating of its locations.
RANK = {
    CQCRating.Value.INADEQUATE: 0,
    CQCRating.Value.REQUIRES_IMPROVEMENT: 1,
    CQCRating.Value.GOOD: 2,
    CQCRating.Value.OUTSTANDING: 3,
}

# The CQC's column headings that the import reads, and the location field each fills.
LOCATION_COLUMNS = {
    "Location Name": "name",
    "Location Type": "location_type",
    "Location Primary Inspection Category": "inspection_category",
    "Care Home?": "care_home",
    "Location Street Address": "street_address",
    "Location City": "town",
    "Location Post Code": "postcode",
    "Location Local Authority": "local_authority",
    "Location Region": "region",
    "URL": "url",
}
REQUIRED_COLUMNS = (
    "Location ID", *LOCATION_COLUMNS, "Location Address Line 2", "Service / Population Group", "Domain",
    "Latest Rating", "Publication Date", "Report Type", "Inherited Rating (Y/N)", "Provider ID", "Provider Name",
)
# What the import keeps on a location; last_imported_at moves only when one of them changes.
LOCATION_FIELDS = (*LOCATION_COLUMNS.values(), "cqc_provider_id", "provider_id", "overall_rating",
                   "rating_published_on")
UNMATCHED_COLUMNS = ("Location ID", "Location Name", "Provider ID", "Provider Name", "Reason")

BATCH = 1000  # rows per INSERT or UPDATE statement
MAX_ERRORS = 10  # bad lines named in one refusal
_LOCK = 7_413_002  # advisory lock: one import at a time

Progress = Callable[..., Iterable]


@dataclass(frozen=True)
class _Rating:
    domain: str
    rating: str
    published_on: date
    report_type: str
    inherited: bool


@dataclass
class _FileLocation:
    """One location as the file describes it, with its Overall-group ratings."""

    location_id: str
    provider_id: str
    provider_name: str
    details: dict
    ratings: dict[tuple[str, date], _Rating] = field(default_factory=dict)

    def latest_overall(self) -> _Rating | None:
        overall = [r for r in self.ratings.values() if r.domain == OVERALL]
        return max(overall, key=lambda r: r.published_on, default=None)


@dataclass(frozen=True)
class Unmatched:
    location_id: str
    location_name: str
    provider_id: str
    provider_name: str

    @property
    def reason(self) -> str:
        if not self.provider_id:
            return "The file gives no CQC provider ID, and the catalogue does not know the location."
        return f"No catalogue provider has CQC provider ID {self.provider_id}."


@dataclass
class CQCImportReport:
    source: str
    sha256: str = ""
    dry_run: bool = False
    rows_read: int = 0
    rows_used: int = 0
    locations_added: int = 0
    locations_updated: int = 0
    locations_unchanged: int = 0
    ratings_added: int = 0
    providers_updated: int = 0
    ratings_changed: int = 0
    authorities_told: int = 0
    unmatched: list[Unmatched] = field(default_factory=list)

    @property
    def locations_matched(self) -> int:
        return self.locations_added + self.locations_updated + self.locations_unchanged

    @property
    def changed(self) -> bool:
        return bool(self.locations_added or self.locations_updated or self.ratings_added or self.providers_updated)

    def counts(self) -> dict[str, int]:
        return {
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "locations_matched": self.locations_matched,
            "locations_added": self.locations_added,
            "locations_updated": self.locations_updated,
            "locations_unchanged": self.locations_unchanged,
            "ratings_added": self.ratings_added,
            "providers_updated": self.providers_updated,
            "ratings_changed": self.ratings_changed,
            "authorities_told": self.authorities_told,
            "unmatched_locations": len(self.unmatched),
        }

    def summary(self) -> list[str]:
        """The report, a line per count, as the command prints it."""
        lines = [f"{label}: {value}" for label, value in (
            ("Rows read", self.rows_read),
            (f"Rows used ({OVERALL} service / population group)", self.rows_used),
            ("Locations matched", self.locations_matched),
            ("Locations added", self.locations_added),
            ("Locations updated", self.locations_updated),
            ("Locations unchanged", self.locations_unchanged),
            ("Ratings added", self.ratings_added),
            ("Providers updated", self.providers_updated),
            ("Providers' locations with a new overall rating", self.ratings_changed),
            ("Authorities told, for their intelligence", self.authorities_told),
            ("Unmatched locations", len(self.unmatched)),
        )]
        if self.dry_run:
            lines.append("Dry run: every change was rolled back; nothing was saved.")
        elif self.changed:
            lines.append("Saved.")
        else:
            lines.append("Nothing changed: the catalogue already holds these ratings.")
        return lines


def cqc_ratings_import(*, path: Path | str, dry_run: bool = False,
                       progress: Progress | None = None) -> CQCImportReport:
    """Import a CQC ratings file (the Locations sheet saved as CSV).

    Refuses the whole file (Invalid) when it cannot be read, lacks a required
    column or has a malformed row; nothing is written then. `progress` wraps
    the row iterator (called with the rows and `total`), e.g. tqdm. A dry run
    does every write and rolls it back. A real run that changes something
    records one audit event, by the system, in the public schema.
    """
    path = Path(path)
    report = CQCImportReport(source=str(path), dry_run=dry_run, sha256=_sha256(path))
    found = _read(path, report, progress)
    with schema_context(PUBLIC), transaction.atomic():
        _lock()
        _write(found, report)
        if dry_run:
            transaction.set_rollback(True)
        elif report.changed:
            audit_record(actor=None, action="cqc.imported", obj=("cqc_ratings_file", report.sha256, path.name),
                         schema=PUBLIC, after=report.counts(), context={"file": path.name})
    return report


def cqc_unmatched_report_write(*, report: CQCImportReport, out: TextIO) -> int:
    """Write the unmatched locations as CSV to a text stream (opened with
    newline=""); returns how many."""
    writer = csvsafe.writer(out)
    writer.writerow(UNMATCHED_COLUMNS)
    for item in report.unmatched:
        writer.writerow([item.location_id, item.location_name, item.provider_id, item.provider_name, item.reason])
    return len(report.unmatched)


def worst_rating(locations: Iterable[CQCLocation]) -> tuple[str, date | None]:
    """The worst current overall rating among locations, with its publication
    date (the latest, among locations rated equally); ('', None) if none is rated."""
    rated = [(loc.overall_rating, loc.rating_published_on) for loc in locations if loc.overall_rating in RANK]
    if not rated:
        return "", None
    return min(rated, key=lambda pair: (RANK[pair[0]], -(pair[1] or date.min).toordinal()))


# --- Reading ---------------------------------------------------------------------

def _sha256(path: Path) -> str:
    try:
        with open(path, "rb") as source:
            return hashlib.file_digest(source, "sha256").hexdigest()
    except OSError as error:
        raise Invalid(f"Cannot read {path}: {error.strerror or error}.")


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank row, the header first."""
    with open(path, encoding="utf-8-sig", newline="") as source:
        reader = csv.reader(source)
        try:
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, cells
        except UnicodeDecodeError:
            raise Invalid(f"Line {reader.line_num + 1} of {path.name} is not UTF-8 text. "
                          "Save the sheet as \"CSV UTF-8\".")
        except csv.Error as error:
            raise Invalid(f"Line {reader.line_num} of {path.name} is not valid CSV: {error}.")


def _header(cells: list[str]) -> dict[str, int]:
    """Each required column's position; refuses a file that lacks any."""
    names = [cell.strip().lstrip("\ufeff").strip() for cell in cells]
    positions = {name: index for index, name in reversed(list(enumerate(names)))}
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise Invalid(f"The file is missing the CQC column{'s' if len(missing) > 1 else ''} "
                      f"{', '.join(missing)}. Save the Locations sheet of the CQC's care directory "
                      "with ratings as CSV, keeping its headings.")
    return {name: positions[name] for name in REQUIRED_COLUMNS}


def _read(path: Path, report: CQCImportReport, progress: Progress | None) -> dict[str, _FileLocation]:
    """The file's locations by location ID, in file order, with their Overall-group ratings."""
    rows = _rows(path)
    first = next(rows, None)
    columns = _header(first[1] if first else [])
    if progress is not None:
        rows = progress(rows, total=max(_count_lines(path) - first[0], 0))
    found: dict[str, _FileLocation] = {}
    errors: list[str] = []
    for line, cells in rows:
        report.rows_read += 1
        row = {name: (cells[index].strip() if index < len(cells) else "") for name, index in columns.items()}
        if row["Service / Population Group"].lower() != OVERALL.lower():
            continue
        domain = _domain(row["Domain"])
        if domain is None:
            continue
        try:
            rating = _rating(row, domain)
            location_id = row["Location ID"]
            if not CQC_ID.match(location_id):
                raise Invalid(f"'{location_id}' is not a CQC location ID (like 1-101641521)")
        except Invalid as error:
            errors.append(f"line {line}: {error.messages[0]}")
            continue
        report.rows_used += 1
        location = found.get(location_id)
        if location is None:
            location = found[location_id] = _FileLocation(
                location_id=location_id, provider_id=row["Provider ID"], provider_name=row["Provider Name"],
                details=_details(row))
        location.ratings[(domain, rating.published_on)] = rating
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise Invalid(f"Nothing was imported: {'; '.join(errors[:MAX_ERRORS])}{more}.")
    return found


def _count_lines(path: Path) -> int:
    with open(path, "rb") as source:
        return sum(1 for _ in source)


_DOMAINS = {domain.lower(): domain for domain in DOMAINS}
_RATINGS = {value.lower(): value for value in CQCRating.Value.values}


def _domain(value: str) -> str | None:
    return _DOMAINS.get(" ".join(value.split()).lower().replace(" ", "-"))


def _rating(row: dict, domain: str) -> _Rating:
    value = " ".join(row["Latest Rating"].split())
    if not value:
        raise Invalid(f"no rating for {domain}")
    return _Rating(domain=domain, rating=_RATINGS.get(value.lower(), value)[:40],
                   published_on=_date(row["Publication Date"]), report_type=row["Report Type"][:60],
                   inherited=row["Inherited Rating (Y/N)"].upper().startswith("Y"))


def _date(value: str) -> date:
    """A publication date as the CQC writes it (dd/mm/yyyy), or ISO."""
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        raise Invalid(f"the publication date '{value}' is not a date like 31/01/2025")


def _yes_no(value: str) -> bool | None:
    return {"y": True, "yes": True, "n": False, "no": False}.get(value.lower())


def _details(row: dict) -> dict:
    """The location's own fields from one of its rows (every row repeats them)."""
    details = {target: row[column] for column, target in LOCATION_COLUMNS.items()}
    details["care_home"] = _yes_no(row["Care Home?"])
    details["street_address"] = ", ".join(part for part in (row["Location Street Address"],
                                                             row["Location Address Line 2"]) if part)
    details["postcode"] = " ".join(details["postcode"].upper().split())
    details["cqc_provider_id"] = row["Provider ID"]
    for name, value in details.items():
        if isinstance(value, str):
            details[name] = value[:CQCLocation._meta.get_field(name).max_length]
    return details


# --- Writing ---------------------------------------------------------------------

def _lock() -> None:
    """Imports wait for each other, so two never add the same location."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])


def _write(found: dict[str, _FileLocation], report: CQCImportReport) -> None:
    now = timezone.now()
    providers = _catalogue_providers()
    by_cqc_id = {p.cqc_provider_id: p for p in providers.values() if p.cqc_provider_id}
    locations = {loc.location_id: loc for loc in CQCLocation.objects.all()}
    known = _rating_keys([locations[i].pk for i in found if i in locations])

    added, updated, new_ratings, touched, rerated = [], [], [], set(), []
    for item in found.values():
        provider = by_cqc_id.get(item.provider_id)
        location = locations.get(item.location_id)
        if provider is None and location is None:
            report.unmatched.append(Unmatched(item.location_id, item.details["name"], item.provider_id,
                                              item.provider_name))
            continue
        if location is None:
            location = locations[item.location_id] = CQCLocation(location_id=item.location_id)
            added.append(location)
        touched.add(location.provider_id)
        current = (location.overall_rating, location.rating_published_on)
        changed = _apply(location, item, provider)
        touched.add(location.provider_id)
        if location.provider_id and location.rating_published_on and \
                (location.overall_rating, location.rating_published_on) != current:
            rerated.append(location)
        ratings = [r for key, r in item.ratings.items() if (location.pk, *key) not in known]
        new_ratings.extend((location, r) for r in ratings)
        if location.pk is None:
            location.last_imported_at = now
        elif changed or ratings:
            location.last_imported_at = now
            updated.append(location)
        else:
            report.locations_unchanged += 1

    CQCLocation.objects.bulk_create(added, batch_size=BATCH)
    CQCLocation.objects.bulk_update(updated, [*LOCATION_FIELDS, "last_imported_at"], batch_size=BATCH)
    saved = CQCRating.objects.bulk_create([
        CQCRating(location=location, domain=r.domain, rating=r.rating, published_on=r.published_on,
                  report_type=r.report_type, inherited=r.inherited, imported_at=now)
        for location, r in new_ratings
    ], batch_size=BATCH)
    report.locations_added, report.locations_updated, report.ratings_added = len(added), len(updated), len(new_ratings)
    report.providers_updated = _providers_rate(providers, locations.values(), touched - {None})
    # A location of a catalogue provider whose current overall rating is a new publication: every
    # authority using the provider records it as intelligence.
    new_overall = {(row.location_id, row.published_on): row.pk for row in saved if row.domain == OVERALL}
    changes = [(location.provider_id, new_overall[key]) for location in rerated
               if (key := (location.pk, location.rating_published_on)) in new_overall]
    report.ratings_changed = len(changes)
    report.authorities_told = _tell_authorities(changes)


def _tell_authorities(changes: list[tuple[int, int]]) -> int:
    """Send each authority that uses a provider (an admission here that is
    not removed, from the admissions projection) its providers' new overall
    ratings, to record as intelligence (quality.cqc_ratings_record): one
    outbox message per authority, written into its schema in this import's
    transaction, so a rolled-back import tells nobody. Two queries, and one
    insert per authority told."""
    if not changes:
        return 0
    from tenants.quality.tasks import cqc_ratings_record_task

    by_provider: dict[int, list[int]] = defaultdict(list)
    for provider_id, rating_id in changes:
        by_provider[provider_id].append(rating_id)
    told: dict[int, set[int]] = defaultdict(set)
    for authority_id, provider_id in (AdmissionProjection.objects.filter(provider_id__in=list(by_provider))
                                      .exclude(status=AdmissionProjection.Status.REMOVED)
                                      .values_list("authority_id", "provider_id").distinct()):
        told[authority_id].update(by_provider[provider_id])
    schemas = dict(Authority.objects.filter(pk__in=list(told)).values_list("pk", "schema_name"))
    for authority_id, rating_ids in told.items():
        with schema_context(schemas[authority_id]):
            outbox_add(cqc_ratings_record_task, sorted(rating_ids))
    return len(told)


def _catalogue_providers() -> dict[int, Provider]:
    """Every provider the import could touch: those with a CQC provider ID and
    those linked to a location."""
    return {p.pk: p for p in Provider.objects.filter(
        ~Q(cqc_provider_id="") | Exists(CQCLocation.objects.filter(provider=OuterRef("pk")))
    ).only("pk", "cqc_provider_id", "cqc_overall_rating", "cqc_rating_published_on")}


def _rating_keys(location_ids: list[int]) -> set[tuple[int, str, date]]:
    """The (location, domain, published_on) ratings already held."""
    return set(CQCRating.objects.filter(location_id__in=location_ids)
               .values_list("location_id", "domain", "published_on"))


def _apply(location: CQCLocation, item: _FileLocation, provider: Provider | None) -> bool:
    """Bring a location up to the file; whether any field changed. The provider
    link follows the CQC when the provider is in the catalogue and is kept
    otherwise. An overall rating older than the one held is not applied."""
    values = dict(item.details)
    if provider is not None:
        values["provider_id"] = provider.pk
    overall = item.latest_overall()
    if overall is not None and (location.rating_published_on is None
                                or overall.published_on >= location.rating_published_on):
        values["overall_rating"], values["rating_published_on"] = overall.rating, overall.published_on
    changed = False
    for name, value in values.items():
        if getattr(location, name) != value:
            setattr(location, name, value)
            changed = True
    return changed


def _providers_rate(providers: dict[int, Provider], locations: Iterable[CQCLocation], touched: set[int]) -> int:
    """Give each touched provider the worst current overall rating of all its
    locations; returns how many changed."""
    by_provider = defaultdict(list)
    for location in locations:
        if location.provider_id in touched:
            by_provider[location.provider_id].append(location)
    changed = []
    for provider_id in touched:
        provider = providers[provider_id]
        rating, published_on = worst_rating(by_provider[provider_id])
        if (provider.cqc_overall_rating, provider.cqc_rating_published_on) != (rating, published_on):
            provider.cqc_overall_rating, provider.cqc_rating_published_on = rating, published_on
            changed.append(provider)
    Provider.objects.bulk_update(changed, ["cqc_overall_rating", "cqc_rating_published_on"], batch_size=BATCH)
    return len(changed)
