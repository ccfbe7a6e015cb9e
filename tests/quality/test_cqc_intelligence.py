"""CQC rating changes become intelligence by themselves: `import_cqc` tells
every authority that uses a provider (through its outbox) about a new
overall rating of one of the provider's locations, and each records it on
its timeline with the publication date and the CQC as the source. The
early warning keeps reading the rating itself."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from django_tenants.utils import schema_context

from outbox.models import Message
from shared_catalogue.cqc_import import REQUIRED_COLUMNS, cqc_ratings_import
from shared_catalogue.models import Provider
from tenants.quality import risk
from tenants.quality.models import Intelligence
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

CQC_PROVIDER, LOCATION = "1-1099887766", "1-109988776"
KEY_QUESTIONS = ("Overall", "Safe", "Effective", "Caring", "Responsive", "Well-led")


def write(path, rating: str, published: str, location_id: str = LOCATION) -> None:
    """A CQC file with one location of the provider, rated `rating` for every key question."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=REQUIRED_COLUMNS)
        writer.writeheader()
        for question in KEY_QUESTIONS:
            writer.writerow({name: "" for name in REQUIRED_COLUMNS} | {
                "Location ID": location_id, "Location Name": "Riverside House", "Care Home?": "Y",
                "Location City": "Crewe", "Location Post Code": "CW1 2AB", "Service / Population Group": "Overall",
                "Domain": question, "Latest Rating": rating, "Publication Date": published,
                "Report Type": "Location", "Inherited Rating (Y/N)": "N", "Provider ID": CQC_PROVIDER,
                "Provider Name": "Riverside Care Ltd"})


def records(authority) -> list[tuple]:
    with schema_context(authority.schema_name):
        return list(Intelligence.objects.filter(kind="cqc_rating").order_by("occurred_on").values_list(
            "provider_id", "occurred_on", "source", "service", "severity", "share", "summary"))


@pytest.fixture
def used(region):
    """A provider with a CQC provider ID admitted in Alpha and in Beta (which
    use it); the NHS body does not use it."""
    alpha = stage2.live_market(region.alpha, 1)
    provider = alpha.providers[0]
    Provider.objects.filter(pk=provider.pk).update(cqc_provider_id=CQC_PROVIDER)
    stage2.admit(stage2.live_market(region.beta, 0), provider=provider)
    stage2.live_market(region.nhs, 1)  # the NHS body uses another provider
    return provider


def test_a_new_rating_from_the_import_is_intelligence_in_every_authority_that_uses_the_provider(
        region, used, tmp_path, django_capture_on_commit_callbacks):
    first, later = tmp_path / "first.csv", tmp_path / "later.csv"
    write(first, "Good", "14/03/2023")
    write(later, "Inadequate", "02/10/2026")

    with django_capture_on_commit_callbacks(execute=True):
        report = cqc_ratings_import(path=first)
    assert (report.ratings_changed, report.authorities_told) == (1, 2)
    assert records(region.alpha) == records(region.beta) == [
        (used.pk, date(2023, 3, 14), "Care Quality Commission", "Riverside House", "low", "here",
         "The CQC rated this location Good overall (its first published rating).")]
    assert records(region.nhs) == []

    with django_capture_on_commit_callbacks(execute=True):
        report = cqc_ratings_import(path=later)
    assert (report.ratings_changed, report.authorities_told) == (1, 2)
    for authority in (region.alpha, region.beta):
        latest = records(authority)[-1]
        assert latest[1:5] == (date(2026, 10, 2), "Care Quality Commission", "Riverside House", "high")
        assert latest[6] == "The CQC rated this location Inadequate overall (previously Good)."
    assert records(region.nhs) == []

    # the same file again, or an older one, is no change: nothing more is sent or recorded
    with django_capture_on_commit_callbacks(execute=True):
        assert cqc_ratings_import(path=later).authorities_told == 0
        assert cqc_ratings_import(path=first).authorities_told == 0
    assert len(records(region.alpha)) == len(records(region.beta)) == 2

    # the early warning reads the rating itself: red for it, once, not again for its record
    with schema_context(region.alpha.schema_name):
        reasons = risk.assess([used.pk])[used.pk].reasons
    assert reasons == ["Red: CQC rated Riverside House Inadequate on 2 October 2026"]


def test_each_authority_records_a_rating_once_however_often_its_message_runs(
        region, used, tmp_path, django_capture_on_commit_callbacks):
    from tenants.quality.tasks import cqc_ratings_record_task

    path = tmp_path / "first.csv"
    write(path, "Requires improvement", "14/03/2023")
    with django_capture_on_commit_callbacks(execute=True):
        cqc_ratings_import(path=path)
    with schema_context(region.alpha.schema_name):
        message = Message.objects.get(task="quality.cqc_ratings_record")
        assert message.sent_at is not None
        cqc_ratings_record_task(*message.args)  # by hand, without the outbox: still once
        assert Intelligence.objects.filter(kind="cqc_rating").count() == 1
        assert Intelligence.objects.get(kind="cqc_rating").severity == "medium"


def test_a_dry_run_tells_nobody(region, used, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "first.csv"
    write(path, "Good", "14/03/2023")
    with django_capture_on_commit_callbacks(execute=True):
        report = cqc_ratings_import(path=path, dry_run=True)
    assert report.authorities_told == 2  # what a real run would do
    for authority in (region.alpha, region.beta):
        with schema_context(authority.schema_name):
            assert not Message.objects.filter(task="quality.cqc_ratings_record").exists()
        assert records(authority) == []


def test_the_provider_page_and_the_api_show_the_cqc_record_with_its_date_and_source(
        region, used, tmp_path, client, django_capture_on_commit_callbacks):
    from rest_framework.test import APIClient

    from tests import support

    path = tmp_path / "later.csv"
    write(path, "Inadequate", "02/10/2026")
    with django_capture_on_commit_callbacks(execute=True):
        cqc_ratings_import(path=path)
    officer = support.make_staff(region.alpha, "quality_officer")
    client.force_login(officer)
    page = client.get(f"/a/alpha/staff/quality/providers/{used.pk}/").content.decode()
    assert "CQC rating change" in page and "Source: Care Quality Commission" in page and "2 Oct 2026" in page
    api = APIClient()
    api.force_authenticate(officer)
    listed = api.get(f"/a/alpha/api/v1/intelligence/?kind=cqc_rating&provider={used.pk}").json()["results"]
    assert [(r["occurred_on"], r["source"], r["severity"]) for r in listed] == [
        ("2026-10-02", "Care Quality Commission", "high")]
    assert api.get("/a/alpha/api/v1/intelligence/?kind=cqc").status_code == 400  # not a kind
    # an authority that does not use the provider has no record of it
    api.force_authenticate(support.make_staff(region.nhs, "quality_officer"))
    assert api.get(f"/a/nhs-north/api/v1/intelligence/?provider={used.pk}").json()["results"] == []
    # the provider reads none of it
    api.force_authenticate(catalogue.admin_of(used))
    assert api.get("/a/alpha/api/v1/intelligence/").status_code == 403
