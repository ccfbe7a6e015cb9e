"""Creating an authority: one service, used by a command and the admin;
its schema is cloned from the migrated template."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from audit.models import AuditEvent
from tenancy.models import Authority
from tenancy.services import authority_create
from tests import support

pytestmark = pytest.mark.django_db


def _tables(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [schema])
        return [row[0] for row in cursor.fetchall()]


def test_clone_gives_the_same_tables_as_the_template(region):
    authority = authority_create(actor=None, kind="council", name="Gamma Council", slug="gamma",
                                 official_code="E06000903")
    assert schema_exists("gamma")
    assert _tables("gamma") == _tables("tenant_template")
    with schema_context("gamma"):
        events = list(AuditEvent.objects.values_list("action", flat=True))
    assert events == ["authority.provisioned"]
    assert AuditEvent.objects.filter(action="authority.created", object_id=str(authority.pk)).get().context == {
        "provisioned_by": "cloning"
    }


def test_cloned_schema_keeps_the_append_only_trigger(region):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'alpha.audit_auditevent'::regclass "
                       "AND tgenabled = 'O' ORDER BY 1")
        assert [name for (name,) in cursor.fetchall()] == ["audit_event_append_only", "audit_event_no_truncate"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "council", "official_code": "QYG"}, "ONS GSS code"),
        ({"kind": "nhs_body", "official_code": "E06000049"}, "ODS code"),
        ({"kind": "council", "official_code": "E06000901"}, "official code already exists"),
        ({"kind": "council", "official_code": "E06000905", "slug": "Bad Slug"}, "lower-case"),
        ({"kind": "council", "official_code": "E06000905", "slug": "admin"}, "reserved"),
    ],
)
def test_bad_authority_details_are_refused_and_nothing_is_created(region, fields, message):
    details = {"name": "Epsilon Council", "slug": "epsilon"} | fields
    with pytest.raises(ValidationError) as refused:
        authority_create(actor=None, **details)
    assert message.lower() in " ".join(refused.value.messages).lower()
    assert not Authority.objects.filter(name="Epsilon Council").exists()
    assert not schema_exists(details["slug"].replace("-", "_").lower())


def test_partnership_needs_two_councils_or_nhs_bodies(region):
    with pytest.raises(ValidationError, match="at least two"):
        authority_create(actor=None, kind="partnership", name="Solo", slug="solo", members=[region.alpha])
    with pytest.raises(ValidationError, match="councils and NHS bodies"):
        authority_create(actor=None, kind="partnership", name="Nested", slug="nested",
                         members=[region.alpha, region.partners])


def test_only_an_operator_creates_authorities(region):
    staff = support.make_staff(region.alpha)
    with pytest.raises(ValidationError, match="platform operator"):
        authority_create(actor=staff, kind="council", name="Zeta Council", slug="zeta",
                         official_code="E06000906")


def test_create_authority_command(region):
    call_command("create_authority", "eta", "Eta Council", "--code", "E06000907", "--region", "E12000002")
    eta = Authority.objects.get(slug="eta")
    assert eta.region.name == "North West" and schema_exists("eta")
    with pytest.raises(CommandError, match="ONS GSS code"):
        call_command("create_authority", "theta", "Theta Council", "--code", "nonsense")


def test_admin_add_creates_the_schema(client, region):
    operator = support.make_user(mfa=True)
    operator.is_platform_operator = True
    operator.save()
    client.force_login(operator)
    response = client.post("/admin/tenancy/authority/add/", {
        "kind": "nhs_body", "name": "NHS Iota ICB", "slug": "iota", "official_code": "QIO",
        "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    iota = Authority.objects.get(slug="iota")
    assert iota.schema_name == "iota" and schema_exists("iota")
    event = AuditEvent.objects.get(action="authority.created", object_id=str(iota.pk))
    assert event.actor_id == operator.pk


def _names(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename || '.' || indexname FROM pg_indexes WHERE schemaname = %s "
                       "UNION ALL SELECT t.relname || '.' || c.conname FROM pg_constraint c "
                       "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relnamespace = to_regnamespace(%s) "
                       "ORDER BY 1", [schema, schema])
        return [row[0] for row in cursor.fetchall()]


def test_a_clone_keeps_the_templates_names_for_constraints_and_indexes(region):
    # A later migration drops a constraint by its name: it must be the same in every schema.
    names = _names("tenant_template")
    assert "payments_invoice.one_invoice_number_per_provider_any_case" in names
    assert "calloffs_bid.one_bid_per_provider" in names
    assert _names("alpha") == names


def test_a_schema_cloned_before_names_were_kept_gets_the_templates_names_back(region):
    with support.superuser_connection() as su, su.cursor() as cursor:
        cursor.execute("ALTER INDEX alpha.one_bid_per_provider RENAME TO calloffs_bid_package_id_provider_id_key")
        try:
            cursor.execute("SELECT public.jointly_restore_names('alpha')")
            assert cursor.fetchone()[0] == 1
            cursor.execute("SELECT public.jointly_restore_names('alpha')")
            assert cursor.fetchone()[0] == 0
        finally:
            cursor.execute("SELECT public.jointly_restore_names('alpha')")
    assert _names("alpha") == _names("tenant_template")
