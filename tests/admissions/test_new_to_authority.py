"""A provider new to an authority is flagged when admitted (what councils
report as "new to the area"), and an admission shows the round it came from:
stored by the service, shown on the pages and in the API, and filterable."""

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from tenants.admissions.models import Admission
from tests import support
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
ADMISSIONS = "/a/alpha/staff/admissions/"


def admitted(setup, provider, lots) -> list[Admission]:
    application = stage1.apply(setup, provider, lots)
    stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 4, "employment": 4})
    with schema_context(setup.authority.schema_name):
        return list(Admission.objects.filter(application=application).select_related("application__round")
                    .order_by("lot__number"))


def test_a_provider_is_new_on_its_first_admission_here_only(region):
    first = stage1.open_agreement(region.alpha)
    brightday = stage1.provider_with_evidence(region.alpha, "Brightday Support")
    both = admitted(first, brightday, ["1", "2"])
    # every lot of the first application counts as new, not only the first lot admitted
    assert [a.new_to_authority for a in both] == [True, True]
    assert both[0].application.round.number == 1

    second = stage1.open_agreement(region.alpha)
    again = admitted(second, brightday, ["3"])
    assert [a.new_to_authority for a in again] == [False]  # admitted here before, under another agreement

    # a new authority knows nothing of the provider's admissions elsewhere
    elsewhere = stage1.open_agreement(region.beta)
    assert [a.new_to_authority for a in admitted(elsewhere, brightday, ["1"])] == [True]


def test_the_pages_and_the_api_show_the_round_and_the_flag_and_filter_by_it(client, region):
    setup = stage1.open_agreement(region.alpha)
    new = admitted(setup, stage1.provider_with_evidence(region.alpha, "Brightday Support"), ["1"])[0]
    known_provider = stage1.provider_with_evidence(region.alpha, "Oak Tree Care")
    first = admitted(setup, known_provider, ["2"])[0]  # new here then
    known = admitted(stage1.open_agreement(region.alpha), known_provider, ["1"])[0]  # known by now
    staff = support.make_staff(region.alpha, AuthorityRole.COMMISSIONER)

    client.force_login(staff)
    page = client.get(ADMISSIONS).content.decode()
    assert f'data-testid="new-{new.pk}"' in page and f'data-testid="new-{known.pk}"' not in page
    assert "; round 1" in page
    only_new = client.get(ADMISSIONS, {"new_to_authority": "true", "status": ""}).content.decode()
    assert f'data-testid="admission-{new.pk}"' in only_new and f'data-testid="admission-{first.pk}"' in only_new
    assert f'data-testid="admission-{known.pk}"' not in only_new
    detail = client.get(f"{ADMISSIONS}{new.pk}/").content.decode()
    assert "Round 1:" in detail and "New to Alpha Council" in detail

    api = APIClient()
    api.force_authenticate(staff)
    rows = api.get("/a/alpha/api/v1/admissions/", {"new_to_authority": "false"}).json()["results"]
    assert [row["id"] for row in rows] == [known.pk]
    assert rows[0]["new_to_authority"] is False and rows[0]["round"]["number"] == 1
    row = api.get(f"/a/alpha/api/v1/admissions/{new.pk}/").json()
    assert row["new_to_authority"] is True and row["round"]["id"] == new.application.round_id


def test_a_staff_list_page_says_what_is_wrong_with_its_filters_instead_of_ignoring_them(client, region):
    setup = stage1.open_agreement(region.alpha)
    admitted(setup, stage1.provider_with_evidence(region.alpha, "Brightday Support"), ["1"])
    client.force_login(support.make_staff(region.alpha, AuthorityRole.COMMISSIONER))
    for query, said in (({"status": "gone"}, "status: “gone” is not one of the values offered"),
                        ({"colour": "blue"}, "This list has no filter “colour”"),
                        ({"new_to_authority": "perhaps"}, "“perhaps” is not true or false")):
        response = client.get(ADMISSIONS, query)
        page = response.content.decode()
        assert response.status_code == 400 and 'data-testid="filter-errors"' in page and said in page, query
        assert "Brightday Support" not in page  # nothing listed that looks filtered but is not
    response = client.get("/a/alpha/staff/applications/", {"status": "gone"})
    assert response.status_code == 400 and "is not one of the values offered" in response.content.decode()
