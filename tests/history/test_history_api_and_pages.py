"""History imports through the API and the staff page: a dry run answers
200 with the report, applying 201, a bad file 400 with every problem and
nothing written; providers and another authority's staff are refused (403);
the list of imports filters strictly; the page checks, then imports."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole, ProviderRole
from tenants.history.models import HistoryImport, ImportedRow
from tenants.history.selectors import imported_spot_packages
from tenants.placements.models import Placement
from tests import support
from tests.history.support import example, world

pytestmark = pytest.mark.django_db
API = "/a/alpha/api/v1/history-imports/"
PAGE = "/a/alpha/staff/history/"


@pytest.fixture
def w(region):
    return world(region.alpha)


def client_for(user) -> APIClient:
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(user)
    return api


def upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else example(name), content_type="text/csv")


def test_dry_run_then_apply_then_list_through_the_api(w):
    api = client_for(w.commissioner)
    checked = api.post(API, {"kind": "spot_placements", "file": upload("spot_placements.csv")}, format="multipart")
    assert checked.status_code == 200, checked.content
    body = checked.json()
    assert (body["dry_run"], body["ok"], body["would_create"]["placements"], body["import_id"]) == (True, True, 3, None)
    with schema_context("alpha"):
        assert not Placement.objects.exists()
    applied = api.post(API, {"kind": "spot_placements", "file": upload("spot_placements.csv"), "dry_run": "false"},
                       format="multipart")
    assert applied.status_code == 201, applied.content
    assert applied.json()["created"]["placements"] == 3
    listed = api.get(API, {"kind": "spot_placements"})
    assert listed.status_code == 200
    [one] = listed.json()["results"]
    assert (one["file_name"], one["rows"], one["applied_by"]) == ("spot_placements.csv", 3, "Dana Commissioner")
    assert api.get(f"{API}{one['id']}/").json()["file_sha256"] == body["file_sha256"]
    assert api.get(f"{API}999999/").status_code == 404
    # an imported placement shows on the ordinary pages, and its package is told apart from call-offs
    with schema_context("alpha"):
        placement = ImportedRow.objects.get(reference="SP-0002").placement
        holding_id = placement.package.agreement_id
        assert set(imported_spot_packages().values_list("placement__pk", flat=True)) == set(
            Placement.objects.values_list("pk", flat=True))
    page = Client()
    page.force_login(w.commissioner)
    detail = page.get(f"/a/alpha/staff/placements/{placement.pk}/")
    assert detail.status_code == 200 and "Brightday Support" in detail.content.decode()
    listing = page.get("/a/alpha/staff/placements/").content.decode()
    assert "Import placements from before Jointly" in listing
    assert page.get("/a/alpha/staff/placements/commitment/").status_code == 200
    holding = page.get(f"/a/alpha/staff/agreements/{holding_id}/")
    assert holding.status_code == 200 and "Spot purchases outside any agreement" in holding.content.decode()
    assert api.get(API, {"kind": "applications"}).json()["results"] == []
    refused = api.get(API, {"colour": "blue"})
    assert refused.status_code == 400 and "colour" in refused.json()["errors"]
    assert api.get(API, {"applied_after": "yesterday"}).status_code == 400


def test_a_bad_file_is_a_400_with_every_problem_and_nothing_written(w):
    api = client_for(w.commissioner)
    bad = (example("spot_placements.csv").replace(b"01/06/2021", b"2099-01-01")
           .replace(b"Nantwich", b"CW5 5AB").replace(b"09000002,CEC", b"00000000,CEC"))
    for dry_run in ("true", "false"):
        answer = api.post(API, {"kind": "spot_placements", "file": upload("bad.csv", bad), "dry_run": dry_run},
                          format="multipart")
        assert answer.status_code == 400, answer.content
        assert answer["Content-Type"] == "application/problem+json"
        body = answer.json()
        assert set(body["errors"]) == {"row 2, start_date", "row 3, locality", "row 4, provider"}
        assert len(body["report"]["problems"]) == 3 and "3 problems" in body["detail"]
    with schema_context("alpha"):
        assert not Placement.objects.exists() and not HistoryImport.objects.exists()
    strict = api.post(API, {"kind": "spot_placements", "file": upload("spot_placements.csv"), "colour": "x"},
                      format="multipart")
    assert strict.status_code == 400 and "colour" in strict.json()["errors"]
    assert api.post(API, {"kind": "letters", "file": upload("spot_placements.csv")},
                    format="multipart").status_code == 400


def test_providers_brokers_and_another_authoritys_staff_are_refused(w, region):
    provider_person = support.make_provider_person(w.providers["oak"])
    broker = support.make_staff(region.alpha, AuthorityRole.BROKER)
    elsewhere = support.make_staff(region.beta, AuthorityRole.COMMISSIONER)
    for user in (provider_person, broker, elsewhere):
        api = client_for(user)
        posted = api.post(API, {"kind": "spot_placements", "file": upload("spot_placements.csv"),
                                "dry_run": "false"}, format="multipart")
        assert posted.status_code == 403, (user, posted.content)
        assert api.get(API).status_code == 403
    with schema_context("alpha"):
        assert not Placement.objects.exists()


def test_the_page_checks_a_file_then_imports_it(client, w):
    client.force_login(w.commissioner)
    home = client.get(PAGE)
    assert home.status_code == 200 and "Import your history" in home.content.decode()
    bad = client.post(PAGE, {"kind": "applications", "file": upload(
        "bad.csv", example("applications.csv").replace(b"2022-09-20", b"2099-09-20"))})
    assert bad.status_code == 400
    assert "is in the future" in bad.content.decode() and "Import it" not in bad.content.decode()
    checked = client.post(PAGE, {"kind": "applications", "file": upload("applications.csv")})
    page = checked.content.decode()
    assert checked.status_code == 200 and "Ready to import" in page and "Import it" in page
    with schema_context("alpha"):
        assert not HistoryImport.objects.exists()
    sha = checked.context["report"].file_sha256
    assert client.post(f"{PAGE}apply/", {"sha256": "0" * 64}).status_code == 302  # not the file checked
    with schema_context("alpha"):
        assert not HistoryImport.objects.exists()
    applied = client.post(f"{PAGE}apply/", {"sha256": sha}, follow=True)
    assert applied.status_code == 200 and "Imported" in applied.content.decode()
    assert "APP-2022-001" in applied.content.decode()
    with schema_context("alpha"):
        assert HistoryImport.objects.get().created["admissions"] == 4
        application = ImportedRow.objects.get(reference="APP-2022-001").application
        admission = application.admissions.first()
    # what was imported shows on the ordinary pages
    assert client.get(f"/a/alpha/staff/applications/{application.pk}/").status_code == 200
    assert client.get(f"/a/alpha/staff/admissions/{admission.pk}/").status_code == 200
    assert "Import earlier applications" in client.get("/a/alpha/staff/admissions/").content.decode()
    # the file is gone from the session once imported
    assert client.post(f"{PAGE}apply/", {"sha256": sha}).status_code == 302
    with schema_context("alpha"):
        assert HistoryImport.objects.count() == 1
    unknown = client.get(PAGE, {"colour": "x"})  # an unknown filter is told, never ignored
    assert unknown.status_code == 400 and 'data-testid="filter-errors"' in unknown.content.decode()
    broker = support.make_staff(w.authority, AuthorityRole.BROKER)
    client.force_login(broker)
    assert client.get(PAGE).status_code == 403


def test_the_provider_sees_its_imported_application_and_admission(client, w):
    run_apps = client_for(w.commissioner).post(
        API, {"kind": "applications", "file": upload("applications.csv"), "dry_run": "false"}, format="multipart")
    assert run_apps.status_code == 201, run_apps.content
    person = support.make_provider_person(w.providers["oak"], ProviderRole.PROVIDER_ADMIN)
    with schema_context("alpha"):
        application = ImportedRow.objects.get(reference="APP-2022-001").application
    client.force_login(person)
    listing = client.get("/a/alpha/provider/applications/")
    assert listing.status_code == 200 and "CEC-DAYOPS-FPS-2022" in listing.content.decode()
    assert client.get(f"/a/alpha/provider/applications/{application.pk}/").status_code == 200
    home = client.get(f"/providers/{w.providers['oak'].pk}/")  # its home, across every authority
    assert home.status_code == 200


def test_the_list_of_imports_takes_the_same_queries_for_one_or_many(w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = client_for(w.commissioner)

    def make(n):
        with schema_context("alpha"):
            HistoryImport.objects.bulk_create([HistoryImport(kind="applications", file_name=f"f{i}.csv",
                                                             file_sha256="0" * 64, rows=1, applied_by=w.commissioner)
                                               for i in range(n)])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(API).status_code == 200
        return len(captured)

    make(1)
    queries()  # the first request warms what is cached per process
    one = queries()
    make(9)
    assert queries() == one


def test_an_imported_person_shows_as_name_not_recorded_with_their_reference(client, w):
    applied = client_for(w.commissioner).post(
        API, {"kind": "spot_placements", "file": upload("spot_placements.csv"), "dry_run": "false"},
        format="multipart")
    assert applied.status_code == 201, applied.content
    with schema_context("alpha"):
        row = ImportedRow.objects.select_related("placement__package", "person").get(reference="SP-0001")
        package, person = row.placement.package, row.person
    assert (person.first_name, person.last_name) == ("", "")  # an import never takes a name
    assert person.display_name == "Name not recorded (imported)" and not person.name_recorded
    assert type(person)(first_name="Margaret", last_name="Okoro").display_name == "Margaret Okoro"
    client.force_login(w.commissioner)
    shown = client.post(f"/a/alpha/staff/calloffs/{package.pk}/people/{person.pk}/",
                        {"purpose": "Checking the imported placement"})
    page = shown.content.decode()
    assert shown.status_code == 200 and "Name not recorded (imported)" in page
    assert "CASE-1001" in page and "Find the name in your case records" in page
    api = client_for(w.commissioner).get(f"/a/alpha/api/v1/calloffs/people/{person.pk}/identity/",
                                         {"purpose": "Checking the imported placement", "package": package.pk})
    assert api.status_code == 200, api.content
    assert (api.json()["display_name"], api.json()["name_recorded"]) == ("Name not recorded (imported)", False)
