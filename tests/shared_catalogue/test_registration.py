"""Providers register once for the region; their profile is versioned."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import ProviderRole
from audit.models import AuditEvent
from shared_catalogue import services
from shared_catalogue.models import Provider, ProviderProfileVersion, ServiceType
from shared_catalogue.selectors import profile_as_at
from tests import support
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def test_registering_makes_the_person_its_admin_and_version_one(region):
    person = support.make_user()
    provider = services.provider_register(
        actor=person, legal_name="Brightday Opportunities CIC", name="Brightday", kind="cic",
        company_number="sc123456", postcode="cw1  2ab", services=list(ServiceType.objects.filter(
            code="community-support")), areas=[region.alpha], postcode_districts=["cw1 2ab", "CH41"],
    )
    assert provider.company_number == "SC123456" and provider.postcode == "CW1 2AB"
    assert provider.postcode_districts == ["CW1", "CH41"]
    assert provider.memberships.get().role == ProviderRole.PROVIDER_ADMIN
    version = ProviderProfileVersion.objects.get(provider=provider)
    assert version.number == 1 and version.snapshot["areas"] == ["alpha"]
    assert version.snapshot["services"] == ["community-support"]
    assert AuditEvent.objects.filter(action="provider.registered", object_id=str(provider.pk)).exists()
    assert Provider.objects.filter(search="brightday").exists()  # the search vector is kept


@pytest.mark.parametrize("fields, field, message", [
    ({"kind": "company", "company_number": ""}, "company_number", "needs its Companies House number"),
    ({"kind": "company", "company_number": "1234"}, "company_number", "8 digits"),
    ({"kind": "charity", "company_number": "", "charity_number": "12"}, "charity_number", "like 1234567"),
    ({"cqc_provider_id": "123"}, "cqc_provider_id", "1-101641521"),
    ({"postcode": "nowhere"}, "postcode", "full UK postcode"),
    ({"postcode_districts": ["CW1", "zz zz"]}, "postcode_districts", "not postcode districts"),
])
def test_bad_details_are_refused_with_the_field_named(region, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        catalogue.register(**fields)
    assert message in " ".join(refused.value.message_dict[field])
    assert not Provider.objects.filter(legal_name__startswith="Care Co").filter(**{
        k: v for k, v in fields.items() if k == "company_number" and v}).exists()


def test_the_same_company_cannot_register_twice(region):
    first = catalogue.register()
    with pytest.raises(ValidationError, match="Companies House number is already registered"):
        catalogue.register(company_number=first.company_number)


def test_profile_changes_are_versioned_and_readable_as_at_a_date(region, time_machine):
    registered_on = timezone.now() - timedelta(days=10)
    time_machine.move_to(registered_on)
    provider = catalogue.register(description="Day services in Crewe.")
    admin = catalogue.admin_of(provider)
    time_machine.move_to(registered_on + timedelta(days=5))
    services.provider_profile_update(actor=admin, provider=provider, description="Day services in Crewe and Nantwich.",
                                     client_groups=[], specialisms=["dementia friendly", "Dementia Friendly"])
    provider.refresh_from_db()
    assert provider.profile_version == 2 and provider.specialisms == ["dementia friendly"]
    old = profile_as_at(provider=provider, when=timezone.localdate() - timedelta(days=2))
    new = profile_as_at(provider=provider, when=timezone.localdate())
    assert old.number == 1 and old.snapshot["description"] == "Day services in Crewe."
    assert new.number == 2 and "Nantwich" in new.snapshot["description"]
    assert profile_as_at(provider=provider, when=timezone.localdate() - timedelta(days=6)) is None
    event = AuditEvent.objects.get(action="provider.profile_changed", object_id=str(provider.pk))
    assert event.before["description"] == "Day services in Crewe."
    assert set(event.after) == {"description", "specialisms"}


def test_registration_page(client, region):
    person = support.make_user()
    client.force_login(person)
    response = client.post("/providers/register/", {
        "legal_name": "Meadow Farm Day Services Limited", "name": "Meadow Farm", "kind": "company",
        "company_number": "01234567", "postcode": "CW5 6AA", "contact_email": "hello@meadow.example",
    })
    provider = Provider.objects.get(name="Meadow Farm")
    assert response.status_code == 302 and response.url == f"/providers/{provider.pk}/"
    assert client.get("/providers/").content.decode().count("Meadow Farm") >= 1
    bad = client.post("/providers/register/", {"legal_name": "X", "name": "X", "kind": "company"})
    assert bad.status_code == 400 and "needs its Companies House number" in bad.content.decode()


def test_registration_through_the_api(client, region):
    client.force_login(support.make_user())
    created = client.post("/api/v1/providers/", {
        "legal_name": "Hilltop Home Care Limited", "name": "Hilltop", "kind": "company",
        "company_number": "07654321", "services": ["home-care"], "areas": ["beta"],
    }, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["services"] == ["home-care"] and created.json()["areas"] == ["beta"]
    duplicate = client.post("/api/v1/providers/", {
        "legal_name": "Hilltop Two Limited", "name": "Hilltop 2", "kind": "company", "company_number": "07654321",
    }, content_type="application/json")
    assert duplicate.status_code == 400
    assert "already registered" in duplicate.json()["detail"]
    unknown_service = client.post("/api/v1/providers/", {
        "legal_name": "Y Ltd", "name": "Y", "kind": "company", "company_number": "07654322", "services": ["nope"],
    }, content_type="application/json")
    assert unknown_service.status_code == 400 and "services" in unknown_service.json()["errors"]


def test_a_provider_declares_its_cqc_locations_and_cannot_claim_anothers(region, client):
    from shared_catalogue.models import CQCLocation

    provider = catalogue.register(cqc_provider_id="1-1000000001", cqc_locations=["1-2000000001", " 1-2000000002 "])
    declared = CQCLocation.objects.filter(provider=provider).order_by("location_id")
    assert [(loc.location_id, loc.declared_by_provider) for loc in declared] == [
        ("1-2000000001", True), ("1-2000000002", True)]
    assert ProviderProfileVersion.objects.get(provider=provider).snapshot["cqc_locations"] == [
        "1-2000000001", "1-2000000002"]

    # a location the CQC import already knows, run by nobody on Jointly, can be claimed;
    # one that another provider runs cannot, and nothing of the change is kept
    CQCLocation.objects.create(location_id="1-2000000003", name="Orchard House", overall_rating="Good")
    other = catalogue.register()
    with pytest.raises(ValidationError) as refused:
        services.provider_profile_update(actor=catalogue.admin_of(other), provider=other,
                                         cqc_locations=["1-2000000003", "1-2000000001"], town="Crewe")
    assert "Another provider runs 1-2000000001" in refused.value.message_dict["cqc_locations"][0]
    other.refresh_from_db()
    assert other.town == "" and other.profile_version == 1
    assert CQCLocation.objects.get(location_id="1-2000000003").provider is None

    with pytest.raises(ValidationError, match="not CQC location IDs: 12345"):
        services.provider_profile_update(actor=catalogue.admin_of(other), provider=other, cqc_locations=["12345"])

    services.provider_profile_update(actor=catalogue.admin_of(other), provider=other, cqc_locations=["1-2000000003"])
    assert CQCLocation.objects.get(location_id="1-2000000003").provider == other

    # withdrawing a declared location the CQC never listed forgets it
    services.provider_profile_update(actor=catalogue.admin_of(provider), provider=provider,
                                     cqc_locations=["1-2000000001"])
    assert not CQCLocation.objects.filter(location_id="1-2000000002").exists()

    # the profile page takes them as a comma-separated list, and the API as a list
    client.force_login(catalogue.admin_of(provider))
    page = client.get(f"/providers/{provider.pk}/profile/").content.decode()
    assert 'value="1-2000000001"' in page
    response = client.get(f"/api/v1/providers/{provider.pk}/")
    assert [loc["location_id"] for loc in response.json()["cqc_locations"]] == ["1-2000000001"]
    response = client.patch(f"/api/v1/providers/{provider.pk}/", {"cqc_locations": ["1-2000000003"]},
                            content_type="application/json")
    assert response.status_code == 409
    assert "Another provider runs 1-2000000003" in response.json()["errors"]["cqc_locations"][0]
