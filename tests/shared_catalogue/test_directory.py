"""The public directory: approved providers that anyone can find, on the
regional site (/directory/) and through the API (/api/v1/directory/)."""

import re
from datetime import date

import pytest
from rest_framework.test import APIClient

from shared_catalogue import services
from shared_catalogue.models import AdmissionProjection, ClientGroup, Provider, ServiceType
from tests import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

Status = AdmissionProjection.Status


def _codes(model, *codes):
    return list(model.objects.filter(code__in=codes))


def _provider(name, *, services=(), groups=(), areas=(), districts=(), **fields):
    return catalogue.register(name=name, services=_codes(ServiceType, *services),
                              client_groups=_codes(ClientGroup, *groups), areas=list(areas),
                              postcode_districts=list(districts), **fields)


@pytest.fixture
def listed(region):
    """Three listed providers, and one of each kind that must not be listed
    although it offers the same as the first."""
    meadow = _provider("Meadow Farm", services=["day-opportunities-building-based"],
                       groups=["learning-disability"], areas=[region.alpha], districts=["CW5", "CW1"],
                       description="Farm-based days with animals and horticulture.")
    catalogue.admit(meadow, region.alpha, lot_number="1", lot_title="Building based",
                    service="day-opportunities-building-based")
    hilltop = _provider("Hilltop Support", services=["home-care"], groups=["older-people", "dementia"],
                        areas=[region.beta], districts=["CH41"], description="Visits in your own house.",
                        cqc_provider_id="1-101641521")
    Provider.objects.filter(pk=hilltop.pk).update(cqc_overall_rating="Good",  # as the CQC import keeps it
                                                  cqc_rating_published_on=date(2025, 3, 3))
    catalogue.admit(hilltop, region.beta, lot_number="2", lot_title="Home care", service="home-care",
                    agreement_title="Beta home care FPS")
    catalogue.admit(hilltop, region.nhs, lot_number="1", lot_title="Hospital discharge",
                    agreement_title="NHS North discharge DPS")
    catalogue.admit(hilltop, region.alpha, lot_number="9", lot_title="Suspended lot", status=Status.SUSPENDED)
    riverside = _provider("Riverside Recovery", services=["mental-health-recovery"], groups=["mental-health"],
                          areas=[region.alpha, region.nhs], districts=["CW1"],
                          description="Recovery-focused support in the community.")
    catalogue.admit(riverside, region.nhs, lot_number="3", lot_title="Recovery")

    same = {"services": ["day-opportunities-building-based"], "groups": ["learning-disability"],
            "areas": [region.alpha], "districts": ["CW5"], "description": "Farm-based days, horticulture."}
    unlisted = {
        "pending": _provider("Pending Farm", **same),
        "suspended": _provider("Suspended Farm", **same),
        "removed": _provider("Removed Farm", **same),
        "not_live": _provider("Not Live Farm", **same),
        "inactive": _provider("Inactive Farm", **same),
        "never": _provider("Never Admitted Farm", **same),
    }
    catalogue.admit(unlisted["pending"], region.alpha, status=Status.PENDING_ONBOARDING)
    catalogue.admit(unlisted["suspended"], region.alpha, status=Status.SUSPENDED)
    catalogue.admit(unlisted["removed"], region.alpha, status=Status.REMOVED)
    catalogue.admit(unlisted["not_live"], region.alpha, live=False)
    catalogue.admit(unlisted["inactive"], region.alpha)
    Provider.objects.filter(pk=unlisted["inactive"].pk).update(is_active=False)
    return {"meadow": meadow, "hilltop": hilltop, "riverside": riverside, "unlisted": unlisted}


def _page_names(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<h3 class="govuk-heading-m[^"]*"><a class="govuk-link" href="/directory/\d+/">([^<]+)</a>',
                      html)


def _api_names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def _problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


# --- Who is listed --------------------------------------------------------------------------


def test_only_providers_admitted_to_a_live_lot_are_listed(client, listed):
    expected = ["Hilltop Support", "Meadow Farm", "Riverside Recovery"]  # by name
    response = client.get("/directory/")
    assert response.status_code == 200
    assert _page_names(response) == expected
    assert "3 providers found" in response.content.decode()
    assert _api_names(client.get("/api/v1/directory/")) == expected
    # Even when they match every filter.
    search = "?q=horticulture&service=day-opportunities-building-based&area=alpha&postcode=CW5"
    assert _page_names(client.get(f"/directory/{search}")) == ["Meadow Farm"]
    assert _api_names(client.get(f"/api/v1/directory/{search}")) == ["Meadow Farm"]


def test_an_unlisted_provider_has_no_entry(client, listed):
    for provider in listed["unlisted"].values():
        assert client.get(f"/directory/{provider.pk}/").status_code == 404
        body = _problem(client.get(f"/api/v1/directory/{provider.pk}/"), 404)
        assert body["detail"] == "No such provider in the directory."
    assert client.get("/directory/99999999/").status_code == 404
    _problem(client.get("/api/v1/directory/99999999/"), 404)


def test_an_entry_shows_what_is_offered_the_rating_and_only_live_active_lots(client, listed):
    hilltop = listed["hilltop"]
    page = client.get(f"/directory/{hilltop.pk}/").content.decode()
    assert '<h1 class="govuk-heading-xl">Hilltop Support</h1>' in page
    for text in ("Home care", "Older people", "Dementia", "Beta Council", "CH41",
                 "Good, published 3 March 2025",
                 "Beta Council: Beta home care FPS, lot 2 (Home care)",
                 "NHS North ICB: NHS North discharge DPS, lot 1 (Hospital discharge)"):
        assert text in page, text
    assert "Suspended lot" not in page

    entry = client.get(f"/api/v1/directory/{hilltop.pk}/").json()
    assert entry["services"] == [{"code": "home-care", "name": "Home care"}]
    assert [g["code"] for g in entry["client_groups"]] == ["dementia", "older-people"]  # the taxonomy's order
    assert entry["areas"] == [{"slug": "beta", "name": "Beta Council"}]
    assert entry["cqc"] == {"provider_id": "1-101641521", "overall_rating": "Good", "published_on": "2025-03-03"}
    assert [(lot["authority"]["slug"], lot["lot_number"], lot["service"]) for lot in entry["lots"]] == [
        ("beta", "2", "home-care"), ("nhs-north", "1", None)]
    meadow = client.get(f"/api/v1/directory/{listed['meadow'].pk}/").json()
    assert meadow["cqc"] is None
    assert "CQC rating" not in client.get(f"/directory/{listed['meadow'].pk}/").content.decode()


# --- Filters --------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ("q=horticulture", ["Meadow Farm"]),                       # the description
    ("q=hilltop", ["Hilltop Support"]),                         # the name
    ("q=home+care", ["Hilltop Support"]),                       # a service's name, not in its own words
    ("q=recovery+-farm", ["Riverside Recovery"]),               # web search syntax
    ("service=home-care", ["Hilltop Support"]),
    ("client_group=mental-health", ["Riverside Recovery"]),
    ("client_group=learning-disability", ["Meadow Farm"]),
    ("area=alpha", ["Meadow Farm", "Riverside Recovery"]),      # the areas it works in, not where admitted
    ("area=nhs-north", ["Riverside Recovery"]),
    ("postcode=cw1+2ab", ["Meadow Farm", "Riverside Recovery"]),  # a full postcode reads as its district
    ("postcode=CW12AB", ["Meadow Farm", "Riverside Recovery"]),
    ("postcode=ch41", ["Hilltop Support"]),
    ("postcode=CW5+6AA", ["Meadow Farm"]),
    ("area=alpha&service=mental-health-recovery&postcode=CW1", ["Riverside Recovery"]),
    ("q=nothing+like+this", []),
])
def test_each_filter_on_the_page_and_in_the_api(client, listed, query, expected):
    response = client.get(f"/directory/?{query}")
    assert response.status_code == 200
    assert _page_names(response) == expected
    assert _api_names(client.get(f"/api/v1/directory/?{query}")) == expected
    if not expected:
        html = response.content.decode()
        assert "0 providers found" in html and 'data-testid="no-results"' in html


def test_the_form_keeps_what_was_asked(client, listed):
    html = client.get("/directory/?q=farm&service=home-care&postcode=cw5").content.decode()
    assert 'name="q" value="farm"' in html
    assert '<option value="home-care" selected>Home care</option>' in html
    assert 'name="postcode" value="cw5"' in html
    assert "csrfmiddlewaretoken" not in html  # a search is a GET: no token in the address


@pytest.mark.parametrize("query, field, message", [
    ("service=flying", "service", "“flying” is not a service in the directory. Choose a service from the list."),
    ("client_group=giants", "client_group", "“giants” is not a group of people in the directory."),
    ("area=atlantis", "area", "“atlantis” is not an area in the directory. Choose an area from the list."),
    ("area=alpha-nhs", "area", "“alpha-nhs” is not an area in the directory."),  # a partnership has no area
    ("postcode=nowhere", "postcode", "Enter a postcode district like CW5, or a full postcode like CW5 6AA."),
    ("postcode=CW5+6A", "postcode", "Enter a postcode district like CW5"),
    ("q=" + "word+" * 50, "q", "Search words must be 200 characters or fewer."),
])
def test_bad_filter_values_are_named_with_what_to_do(client, listed, query, field, message):
    response = client.get(f"/directory/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html and f'<a href="#id_{field}">{message}' in html
    assert "<title>Error: Find support" in html
    assert _page_names(response) == []
    body = _problem(client.get(f"/api/v1/directory/?{query}"), 400)
    assert body["errors"][field][0].startswith(message)


def test_several_bad_values_are_all_named(client, listed):
    html = client.get("/directory/?service=flying&postcode=zz").content.decode()
    assert 'href="#id_service"' in html and 'href="#id_postcode"' in html
    body = _problem(client.get("/api/v1/directory/?service=flying&postcode=zz"), 400)
    assert set(body["errors"]) == {"service", "postcode"}


def test_search_follows_a_change_of_services(client, listed):
    hilltop, admin = listed["hilltop"], catalogue.admin_of(listed["hilltop"])
    services.provider_profile_update(actor=admin, provider=hilltop,
                                     services=_codes(ServiceType, "respite-short-breaks"))
    assert _api_names(client.get("/api/v1/directory/?q=respite")) == ["Hilltop Support"]
    assert _api_names(client.get("/api/v1/directory/?q=home+care")) == []
    # A renamed service type is searchable once the vectors are refreshed (after a bulk load too).
    ServiceType.objects.filter(code="respite-short-breaks").update(name="Short breaks for carers")
    services.providers_search_refresh()
    assert _api_names(client.get("/api/v1/directory/?q=carers")) == ["Hilltop Support"]


@pytest.mark.parametrize("words", ['"unbalanced', "a & | ! :* ( )", "the", "-", "café's", "OR"])
def test_any_words_are_searched_without_a_server_error(client, listed, words):
    assert client.get("/directory/", {"q": words}).status_code == 200
    assert client.get("/api/v1/directory/", {"q": words}).status_code == 200


@pytest.mark.parametrize("field", ["q", "service", "client_group", "area", "postcode"])
def test_a_null_character_is_a_bad_request_not_a_server_error(client, listed, field):
    assert client.get("/directory/", {field: "a\x00b"}).status_code == 400
    body = _problem(client.get("/api/v1/directory/", {field: "a\x00b"}), 400)
    assert list(body["errors"]) == [field]


# --- Pages, signed out, and paging ---------------------------------------------------------------


def test_the_directory_needs_no_sign_in_and_is_in_the_regional_navigation(client, listed):
    home = client.get("/").content.decode()
    assert re.search(r'href="/directory/"[^>]*data-testid="find-support">Find support<', home)
    page = client.get("/directory/").content.decode()
    assert re.search(r'href="/directory/" aria-current="page" data-testid="find-support"', page)
    assert client.get(f"/directory/{listed['meadow'].pk}/").status_code == 200
    assert APIClient().get("/api/v1/directory/").status_code == 200
    assert APIClient().get(f"/api/v1/directory/{listed['meadow'].pk}/").status_code == 200
    client.force_login(support.make_user())  # and works the same signed in
    assert _page_names(client.get("/directory/")) == ["Hilltop Support", "Meadow Farm", "Riverside Recovery"]


def test_headings_go_in_order_and_every_filter_has_a_label(client, listed):
    html = client.get("/directory/").content.decode()
    main = html[html.index('id="main-content"'):html.index("</main>")]
    levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    form = main[main.index('data-testid="filters"'):main.index("</form>")]
    for control in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', form):
        assert f'<label for="{control}"' in form, control
    entry = client.get(f"/directory/{listed['hilltop'].pk}/").content.decode()
    entry = entry[entry.index('id="main-content"'):entry.index("</main>")]
    levels = [int(level) for level in re.findall(r"<h([1-6])", entry)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))


def _many(count, region, *, name="Provider", area=None, service="community-support"):
    """Listed providers in bulk (for paging; the services are tested above)."""
    services = _codes(ServiceType, service)
    made = []
    for n in range(count):
        provider = _provider(f"{name} {n:03d}", services=[s.code for s in services], groups=["autism"],
                             areas=[area or region.alpha], districts=["CW1"])
        catalogue.admit(provider, area or region.alpha)
        made.append(provider)
    return made


def test_pages_keep_the_filters_and_mark_the_current_page(client, region):
    _many(45, region, name="Support Co")
    _many(3, region, name="Elsewhere", area=region.beta)
    response = client.get("/directory/?service=community-support&area=alpha")
    html = response.content.decode()
    assert "45 providers found" in html and "Showing 1 to 20" in html
    assert len(_page_names(response)) == 20
    nav = html[html.index('class="govuk-pagination"'):html.index("</nav>", html.index('class="govuk-pagination"'))]
    assert 'aria-label="Page 1" aria-current="page"' in nav
    assert 'href="?service=community-support&amp;area=alpha&amp;page=2" rel="next"' in nav
    assert 'href="?service=community-support&amp;area=alpha&amp;page=3" aria-label="Page 3"' in nav

    second = client.get("/directory/?service=community-support&area=alpha&page=3")
    assert _page_names(second) == [f"Support Co {n:03d}" for n in range(40, 45)]
    html = second.content.decode()
    assert 'aria-label="Page 3" aria-current="page"' in html
    assert 'href="?service=community-support&amp;area=alpha&amp;page=2" rel="prev"' in html
    assert 'rel="next"' not in html

    api = client.get("/api/v1/directory/?service=community-support&area=alpha&page_size=20").json()
    assert api["count"] == 45 and len(api["results"]) == 20
    assert "service=community-support" in api["next"] and "area=alpha" in api["next"] and "page=2" in api["next"]


def test_a_page_beyond_the_last_is_not_found_on_both(client, region):
    _many(3, region)
    response = client.get("/directory/?area=alpha&page=2")
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no page 2 of these results: they fill 1 page." in html
    assert 'href="?area=alpha&amp;page=1"' in html
    body = _problem(client.get("/api/v1/directory/?area=alpha&page=2"), 404)
    assert body["detail"] == "There is no page 2 of these results: they fill 1 page."
    # An empty result is still page 1.
    assert client.get("/directory/?q=zebra").status_code == 200
    assert client.get("/api/v1/directory/?q=zebra").json()["count"] == 0


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5"])
def test_a_page_that_is_not_a_number_is_a_bad_request(client, region, page):
    response = client.get(f"/directory/?page={page}")
    assert response.status_code == 400
    assert "A page number is a whole number, 1 or more." in response.content.decode()
    body = _problem(client.get(f"/api/v1/directory/?page={page}"), 400)
    assert body["errors"] == {"page": ["A page number is a whole number, 1 or more."]}


def test_the_api_page_size_is_capped_at_100(client, region):
    providers = Provider.objects.bulk_create(
        Provider(legal_name=f"Bulk Provider {n:03d} Ltd", name=f"Bulk Provider {n:03d}") for n in range(105))
    AdmissionProjection.objects.bulk_create(
        AdmissionProjection(authority=region.alpha, provider=p, admission_id=900_000 + n, agreement_reference="A-1",
                            agreement_title="Alpha DPS", agreement_live=True, lot_number="1", lot_title="Lot",
                            status=Status.ACTIVE) for n, p in enumerate(providers))
    assert len(client.get("/api/v1/directory/").json()["results"]) == 20
    assert len(client.get("/api/v1/directory/?page_size=7").json()["results"]) == 7
    capped = client.get("/api/v1/directory/?page_size=500").json()
    assert capped["count"] == 105 and len(capped["results"]) == 100
    assert "page=2" in capped["next"]
    for bad in ("0", "abc", "-5"):
        body = _problem(client.get(f"/api/v1/directory/?page_size={bad}"), 400)
        assert body["errors"] == {"page_size": ["A page size is a whole number from 1 to 100."]}


# --- Queries ----------------------------------------------------------------------------------

# SET search_path; the form's services, client groups and areas; count; the page; its services,
# client groups, areas and lots.
PAGE_QUERIES = 10
# The same without the form.
API_QUERIES = 7


def test_a_page_of_results_costs_the_same_queries_whatever_its_size(client, region, django_assert_num_queries):
    _many(50, region, name="Alpha Provider")
    _many(5, region, name="Beta Provider", area=region.beta)
    for provider in Provider.objects.filter(name__startswith="Alpha Provider")[:10]:
        catalogue.admit(provider, region.nhs, lot_number="4")  # some with more than one lot
    client.get("/directory/")  # the regional site's route, cached from here on

    with django_assert_num_queries(PAGE_QUERIES):
        five = client.get("/directory/?area=beta")
    assert len(_page_names(five)) == 5
    with django_assert_num_queries(PAGE_QUERIES):
        twenty = client.get("/directory/?area=alpha")
    assert len(_page_names(twenty)) == 20

    with django_assert_num_queries(API_QUERIES):
        five = client.get("/api/v1/directory/?page_size=5")
    assert len(five.json()["results"]) == 5
    with django_assert_num_queries(API_QUERIES):
        fifty = client.get("/api/v1/directory/?page_size=50")
    assert len(fifty.json()["results"]) == 50
    # A filter by code costs one look-up each in the API (the page has them from its form).
    with django_assert_num_queries(API_QUERIES + 1):
        client.get("/api/v1/directory/?area=alpha&page_size=50")


def test_the_openapi_schema_documents_the_directory(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/directory/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"q", "service", "client_group", "area", "postcode", "page", "page_size"} <= names
    assert operation["security"] == [{}]  # no sign-in
    assert "/api/v1/directory/{provider_id}/" in schema["paths"]
