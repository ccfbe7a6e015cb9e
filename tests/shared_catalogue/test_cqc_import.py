"""The CQC ratings import: `manage.py import_cqc <csv>` keeps the catalogue's
locations and ratings in step with the CQC's monthly file."""

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from shared_catalogue.cqc_import import REQUIRED_COLUMNS, cqc_ratings_import
from shared_catalogue.models import CQCLocation, CQCRating, Provider
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cqc"
SAMPLE = FIXTURES / "latest_ratings_sample.csv"
LATER = FIXTURES / "latest_ratings_later.csv"

BRIGHTWATER, MEADOWBANK, HARBOUR_LANE = "1-1012345678", "1-1023456789", "1-1034567890"
BRIGHTWATER_HOUSE, BRIGHTWATER_HOME_CARE, HARBOUR_LANE_HOSPICE = "1-101234567", "1-101234568", "1-103456789"
OAKFIELD_LODGE, WILLOW_COURT = "1-104567890", "1-105678901"


@pytest.fixture
def catalogue_providers(region):
    """Three providers registered with their CQC provider IDs, and one that
    declared its location without giving its CQC provider ID. Oakfield
    Healthcare, in the file, is not in the catalogue."""
    providers = {cqc_id: catalogue.register(name=name, cqc_provider_id=cqc_id) for cqc_id, name in (
        (BRIGHTWATER, "Brightwater Care"), (MEADOWBANK, "Meadowbank Support"),
        (HARBOUR_LANE, "Harbour Lane Hospice"))}
    willow = catalogue.register(name="Willow Court Care")
    CQCLocation.objects.create(location_id=WILLOW_COURT, provider=willow, name="Willow Court",
                               declared_by_provider=True)
    providers["willow"] = willow
    return providers


def run(*args) -> dict:
    """Run the command; its printed report as {label: number}, and the text."""
    out = io.StringIO()
    call_command("import_cqc", *map(str, args), "--no-progress", stdout=out)
    text = out.getvalue()
    counts = {label: int(value) for label, value in re.findall(r"^([A-Z][^:\n]*): (\d+)$", text, re.M)}
    return counts | {"text": text}


def snapshot() -> tuple:
    """Everything the import writes, to compare two states of the database."""
    return (
        list(CQCLocation.objects.order_by("location_id").values()),
        list(CQCRating.objects.order_by("pk").values()),
        list(Provider.objects.order_by("pk").values_list("pk", "cqc_overall_rating", "cqc_rating_published_on")),
    )


def test_matches_providers_and_adds_their_locations_and_ratings(catalogue_providers):
    report = run(SAMPLE)

    assert report["Rows read"] == 48
    assert report["Rows used (Overall service / population group)"] == 36
    assert report["Locations matched"] == 5
    assert report["Locations added"] == 4
    assert report["Locations updated"] == 1  # Willow Court, declared by its provider
    assert report["Locations unchanged"] == 0
    assert report["Ratings added"] == 30
    assert report["Providers updated"] == 4
    assert report["Unmatched locations"] == 1
    assert "Saved." in report["text"]

    house = CQCLocation.objects.get(location_id=BRIGHTWATER_HOUSE)
    assert house.provider == catalogue_providers[BRIGHTWATER]
    assert (house.name, house.care_home, house.location_type, house.inspection_category) == (
        "Brightwater House", True, "Social Care Org", "Residential social care")
    assert (house.street_address, house.town, house.postcode) == ("14 Mill Lane, Wistaston", "Crewe", "CW2 6QF")
    assert (house.local_authority, house.region) == ("Cheshire East", "North West")
    assert house.url == f"https://www.cqc.org.uk/location/{BRIGHTWATER_HOUSE}"
    assert (house.overall_rating, house.rating_published_on) == ("Good", date(2023, 3, 14))
    assert house.last_imported_at is not None and not house.declared_by_provider
    assert dict(house.ratings.values_list("domain", "rating")) == {
        "Overall": "Good", "Safe": "Good", "Effective": "Good", "Caring": "Outstanding", "Responsive": "Good",
        "Well-led": "Good"}

    # Only the Overall service group is kept, not the hospice's service rows.
    hospice = CQCLocation.objects.get(location_id=HARBOUR_LANE_HOSPICE)
    assert hospice.ratings.count() == 6 and hospice.ratings.get(domain="Safe").rating == "Good"

    # A provider carries the worst overall rating of its locations, with its date.
    brightwater = Provider.objects.get(pk=catalogue_providers[BRIGHTWATER].pk)
    assert (brightwater.cqc_overall_rating, brightwater.cqc_rating_published_on) == (
        "Requires improvement", date(2023, 11, 2))
    assert Provider.objects.get(cqc_provider_id=MEADOWBANK).cqc_overall_rating == "Outstanding"

    # A location the provider declared is kept up to date without a provider ID match.
    willow = CQCLocation.objects.get(location_id=WILLOW_COURT)
    assert willow.provider == catalogue_providers["willow"] and willow.declared_by_provider
    assert (willow.cqc_provider_id, willow.overall_rating, willow.town) == ("1-1056789012", "Good", "Chester")
    assert willow.ratings.get(domain="Overall").inherited
    assert Provider.objects.get(pk=catalogue_providers["willow"].pk).cqc_overall_rating == "Good"

    event = AuditEvent.objects.filter(action="cqc.imported").latest("id")
    assert event.actor_id is None and event.actor_label == "system"
    assert event.after["locations_added"] == 4 and event.after["ratings_added"] == 30
    assert event.object_label == SAMPLE.name


def test_unmatched_locations_are_reported_and_not_stored(catalogue_providers, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):  # before anything is imported
        run(SAMPLE, "--unmatched-report", tmp_path / "no-such-folder" / "unmatched.csv")
    assert not CQCRating.objects.exists()

    written = tmp_path / "unmatched.csv"
    report = run(SAMPLE, "--unmatched-report", written)

    assert report["Unmatched locations"] == 1
    assert f"1 unmatched location(s) written to {written}" in report["text"]
    assert not CQCLocation.objects.filter(location_id=OAKFIELD_LODGE).exists()
    with open(written, encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    assert rows == [{"Location ID": OAKFIELD_LODGE, "Location Name": "Oakfield Lodge", "Provider ID": "1-1045678901",
                     "Provider Name": "Oakfield Healthcare Ltd",
                     "Reason": "No catalogue provider has CQC provider ID 1-1045678901."}]


def test_a_second_run_of_the_same_file_changes_nothing(catalogue_providers):
    run(SAMPLE)
    before = snapshot()
    events = AuditEvent.objects.filter(action="cqc.imported").count()

    again = run(SAMPLE)

    assert again["Locations matched"] == 5 and again["Locations unchanged"] == 5
    assert again["Locations added"] == again["Locations updated"] == 0
    assert again["Ratings added"] == again["Providers updated"] == 0
    assert "Nothing changed" in again["text"]
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="cqc.imported").count() == events  # nothing to record


def test_a_later_file_adds_history_and_moves_the_provider_rating(catalogue_providers):
    run(SAMPLE)
    later = run(LATER)  # saved with a byte-order mark, as Excel's "CSV UTF-8" does

    assert later["Locations updated"] == 1 and later["Locations unchanged"] == 4
    assert later["Ratings added"] == 6 and later["Providers updated"] == 1
    home_care = CQCLocation.objects.get(location_id=BRIGHTWATER_HOME_CARE)
    assert (home_care.overall_rating, home_care.rating_published_on) == ("Good", date(2024, 8, 15))
    overall = list(home_care.ratings.filter(domain="Overall").values_list("published_on", "rating"))
    assert overall == [(date(2024, 8, 15), "Good"), (date(2023, 11, 2), "Requires improvement")]  # older kept
    assert home_care.ratings.count() == 12
    brightwater = Provider.objects.get(cqc_provider_id=BRIGHTWATER)
    assert (brightwater.cqc_overall_rating, brightwater.cqc_rating_published_on) == ("Good", date(2024, 8, 15))

    # The older file again restores nothing: history stays, the current rating stays the newer one.
    assert run(SAMPLE)["Ratings added"] == 0
    home_care.refresh_from_db()
    assert home_care.overall_rating == "Good"


def test_a_dry_run_reports_but_writes_nothing(catalogue_providers, tmp_path):
    before = snapshot()
    events = AuditEvent.objects.count()

    report = run(SAMPLE, "--dry-run", "--unmatched-report", tmp_path / "unmatched.csv")

    assert report["Locations added"] == 4 and report["Ratings added"] == 30
    assert "Dry run: every change was rolled back; nothing was saved." in report["text"]
    assert snapshot() == before
    assert AuditEvent.objects.count() == events
    assert (tmp_path / "unmatched.csv").exists()  # the report is still written


def test_a_file_without_the_cqc_columns_is_refused_by_name(catalogue_providers, tmp_path):
    wrong = tmp_path / "wrong.csv"
    kept = [name for name in REQUIRED_COLUMNS if name not in ("Domain", "Publication Date")]
    wrong.write_text(",".join(kept) + "\n", encoding="utf-8")

    with pytest.raises(CommandError, match="missing the CQC columns Domain, Publication Date"):
        run(wrong)
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "absent.csv")
    assert not CQCLocation.objects.exclude(location_id=WILLOW_COURT).exists()


def test_bom_whitespace_iso_dates_are_read_and_bad_rows_refuse_the_file(catalogue_providers, tmp_path):
    messy = tmp_path / "messy.csv"
    write_file(messy, [(BRIGHTWATER_HOUSE, BRIGHTWATER)], date_text=" 2023-03-14 ", pad=True)
    assert run(messy)["Ratings added"] == 6
    assert CQCLocation.objects.get(location_id=BRIGHTWATER_HOUSE).rating_published_on == date(2023, 3, 14)

    bad = tmp_path / "bad.csv"
    write_file(bad, [(BRIGHTWATER_HOME_CARE, BRIGHTWATER)], date_text="31/02/2024")
    with pytest.raises(CommandError, match=r"line 2: the publication date '31/02/2024' is not a date"):
        run(bad)
    assert not CQCLocation.objects.filter(location_id=BRIGHTWATER_HOME_CARE).exists()


def test_the_number_of_queries_does_not_grow_with_the_file(region, tmp_path):
    def queries(count: int, prefix: str) -> tuple[int, int]:
        """Queries to import `count` new locations, then a later publication of them all."""
        pairs = []
        for number in range(count):
            provider_id = f"1-{prefix}{number // 3:04d}0000"  # three locations per provider
            if number % 3 == 0:
                catalogue.register(cqc_provider_id=provider_id)
            pairs.append((f"1-{prefix}{number:04d}00", provider_id))
        counted = []
        for published in ("14/03/2023", "01/07/2024"):
            path = tmp_path / f"{prefix}-{published.replace('/', '')}.csv"
            write_file(path, pairs, date_text=published)
            with CaptureQueriesContext(connection) as captured:
                report = run(path)
            assert report["Ratings added"] == count * 6 and report["Providers updated"] == count // 3
            counted.append(len(captured))
        return tuple(counted)

    assert queries(3, "201") == queries(30, "202")


def test_the_progress_bar_wraps_the_rows(catalogue_providers):
    from tqdm import tqdm

    shown = io.StringIO()
    report = cqc_ratings_import(path=SAMPLE, dry_run=True,
                                progress=lambda rows, total: tqdm(rows, total=total, file=shown, mininterval=0))
    assert report.rows_read == 48
    assert "48/48" in shown.getvalue()


DOMAIN_RATINGS = (("Overall", "Good"), ("Safe", "Good"), ("Effective", "Requires improvement"),
                  ("Caring", "Good"), ("Responsive", "Outstanding"), ("Well-led", "Good"))


def write_file(path: Path, locations, *, date_text: str = "14/03/2023", pad: bool = False) -> None:
    """A CQC file with a location per (location ID, provider ID), six Overall-group rows each."""
    header = ["Location ID", "Location ODS Code", "Location Name", "Care Home?", "Location Type",
              "Location Primary Inspection Category", "Location Street Address", "Location Address Line 2",
              "Location City", "Location Post Code", "Location Local Authority", "Location Region",
              "Location NHS Region", "Location ONSPD CCG Code", "Location ONSPD CCG",
              "Location Commissioning CCG Code", "Location Commissioning CCG Name", "Service / Population Group",
              "Domain", "Latest Rating", "Publication Date", "Report Type", "Inherited Rating (Y/N)", "URL",
              "Provider ID", "Provider Name", "Brand ID", "Brand Name"]
    space = " " if pad else ""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([f"{space}{name}{space}" for name in header])
        for location_id, provider_id in locations:
            for domain, rating in DOMAIN_RATINGS:
                row = [location_id, "", f"Home {location_id}", "Y", "Social Care Org", "Residential social care",
                       "1 High Street", "", "Crewe", "CW1 2AB", "Cheshire East", "North West", "North West", "", "",
                       "", "", "Overall", domain, rating, date_text, "Location", "N",
                       f"https://www.cqc.org.uk/location/{location_id}", provider_id, "A Provider Ltd", "-", "-"]
                writer.writerow([f"{space}{cell}{space}" for cell in row])
