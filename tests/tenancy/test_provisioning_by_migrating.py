"""Building an authority's schema by replaying every migration (instead of
cloning the template) is DDL, so only the owner's database role may do it.
Commits (the owner's is another connection), so it removes what it made."""

import pytest
from django.db import connection
from django_tenants.utils import schema_exists

from tenancy.services import authority_create
from tests import support


def _tables(schema):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [schema])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.committed
def test_migrating_gives_the_same_tables(committed_db, region):
    """Replaying migrations is DDL: the owner's connection builds the schema,
    and the application's role gets the same grants as on a clone."""
    from tenancy.roles import as_owner
    from tenancy.services import AuthorityError

    with pytest.raises(AuthorityError, match="owner's database role"):
        authority_create(actor=None, kind="council", name="Delta Council", slug="delta",
                         official_code="E06000904", by_migrating=True)
    assert not schema_exists("delta")
    with as_owner():
        delta = authority_create(actor=None, kind="council", name="Delta Council", slug="delta",
                                 official_code="E06000904", by_migrating=True)
    try:
        assert _tables("delta") == _tables("tenant_template")
        with connection.cursor() as cursor:
            cursor.execute("SELECT has_table_privilege('delta.audit_auditevent', 'INSERT'), "
                           "has_table_privilege('delta.audit_auditevent', 'UPDATE'), "
                           "has_table_privilege('delta.agreements_agreement', 'UPDATE')")
            assert cursor.fetchone() == (True, False, True)
    finally:
        support.scratch_authority_remove(delta)
