"""Backing up one authority and restoring it (the runbook in
docs/operating.md): its schema, the public rows that describe it, its audit
anchors and its evidence files, under its own schema name or another; the
restored chain verifies, its evidence is served again and its sealed bids
open at closing with the right prices.

pg_dump and psql are other processes, which see only committed data: these
tests commit, on authorities of their own."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal

import pytest
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_chain_anchor
from shared_catalogue.models import Evidence
from tenancy.backup import BackupError, authority_backup, authority_restore, backup_read, rehome_dump
from tenancy.models import Authority, Route
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Bid, Package, SealingIdentity
from tests import support
from tests.calloffs import support as market_support
from tests.shared_catalogue import support as catalogue


def _sealed_market():
    """A committed authority with a live agreement, two providers admitted
    (with evidence verified by its officer), a published package and two
    sealed bids on it."""
    authority = support.scratch_authority()
    market = market_support.live_market(authority, providers=2)
    package = market_support.package(market)
    market_support.submit(market, package, market.providers[0], price="410.00")
    market_support.submit(market, package, market.providers[1], price="436.50")
    audit_chain_anchor(schema=authority.schema_name, source="test")  # as beat does hourly
    return authority, market, package


def _close(schema: str, package_id: int) -> dict:
    with schema_context(schema):
        package = Package.objects.get(pk=package_id)
        assert calloffs.package_close(package_id=package_id, by="deadline", now=package.bid_deadline)
        return {bid.provider_id: bid.weekly_price for bid in Bid.objects.filter(package_id=package_id)}


def _evidence_of(market) -> list[Evidence]:
    return list(Evidence.objects.filter(provider__in=market.providers).order_by("pk"))


def _download(client, slug: str, evidence: Evidence) -> bytes:
    response = client.get(f"/a/{slug}/staff/catalogue/{evidence.provider_id}/evidence/{evidence.pk}/download/")
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


@pytest.mark.committed
def test_restored_under_another_schema_name_its_bids_open_chain_verifies_and_evidence_is_served(
        committed_db, tmp_path, client):
    authority, market, package = _sealed_market()
    original_schema = authority.schema_name
    try:
        manifest = authority_backup(slug=authority.slug, directory=tmp_path / "backup")
        assert manifest["authority"]["schema"] == original_schema
        assert len(manifest["evidence_missing_from_store"]) == 0
        dump = (tmp_path / "backup" / "schema.sql").read_text()
        assert "410.00" not in dump and "436.50" not in dump  # the dump holds the bids sealed

        new_schema = f"restored_{secrets.token_hex(3)}"
        new_slug = new_schema.replace("_", "-")
        call_command("authority_restore", str(tmp_path / "backup"), schema=new_schema, slug=new_slug,
                     name=f"Restored {new_slug}", official_code="")
        restored = Authority.objects.get(slug=new_slug)
        assert restored.schema_name == new_schema and restored.pk != authority.pk
        assert Route.objects.filter(tenant=restored, domain=new_slug).exists()

        # Its schema's data, pointing at its own new id where it pointed at the old one.
        with schema_context(new_schema):
            copy = Package.objects.get(pk=package.pk)
            assert copy.reference == package.reference and copy.status == "published"
            assert Bid.objects.filter(package=copy, status="submitted").count() == 2
            assert copy.called_off_by_id in (None, restored.pk)
            assert SealingIdentity.objects.get().key_id  # travelled with the schema

        # The chain verifies under its new name, against the anchors the backup carried.
        report = audit_chain_verify(schema=new_schema)
        assert report.ok, report.problem
        assert report.anchors_checked >= 1
        call_command("audit_verify", schema=new_schema)

        # Sealed bids open there with the right prices, and in the original too.
        a, b = market.providers
        assert _close(new_schema, package.pk) == {a.pk: Decimal("410.00"), b.pk: Decimal("436.50")}
        assert _close(original_schema, package.pk) == {a.pk: Decimal("410.00"), b.pk: Decimal("436.50")}
        call_command("audit_verify", schema=original_schema)
        call_command("audit_verify", schema=new_schema)

        # The memberships came back with it: its broker reads the evidence through the checked view.
        client.force_login(market.broker)
        for evidence in _evidence_of(market):
            assert _download(client, new_slug, evidence) == catalogue.PDF
        assert AuditEvent.objects.filter(action="authority.restored", object_id=str(restored.pk)).exists()
    finally:
        for slug in (authority.slug, locals().get("new_slug")):
            found = Authority.objects.filter(slug=slug).first() if slug else None
            if found:
                support.scratch_authority_remove(found)


@pytest.mark.committed
@pytest.mark.parametrize("store", ["disk", "bucket"])
def test_the_runbook_back_up_drop_restore_check(store, committed_db, tmp_path, client, request):
    """Back up an authority with evidence files and sealed bids, lose it (its
    schema, its public rows, its anchors and its evidence files), restore it,
    then check: schema data, files served, audit_verify, bids open. With the
    evidence on local disk, and in a bucket."""
    if store == "bucket":
        request.getfixturevalue("evidence_bucket")
    authority, market, package = _sealed_market()
    slug, schema = authority.slug, authority.schema_name
    with schema_context(schema):
        events = AuditEvent.objects.count()
    evidence = _evidence_of(market)
    try:
        call_command("authority_backup", slug, str(tmp_path / "backup"))
        manifest, public = backup_read(tmp_path / "backup")
        assert {item["id"] for item in public["evidence"]} >= {item.pk for item in evidence}
        assert public["anchors"] and "tenancy_route" in public["rows"]
        for item in evidence:
            assert manifest["files"][f"evidence/{item.file.name}"]

        # Lost: the authority, its schema, its anchors, and its providers' evidence files.
        support.scratch_authority_remove(authority)
        for item in evidence:
            storages["evidence"].delete(item.file.name)
        assert not Authority.objects.filter(slug=slug).exists()

        call_command("authority_restore", str(tmp_path / "backup"))
        restored = Authority.objects.get(slug=slug)
        assert restored.schema_name == schema and restored.pk == authority.pk
        with schema_context(schema):
            assert AuditEvent.objects.count() == events
            assert Package.objects.get(pk=package.pk).status == "published"
        for item in evidence:
            assert storages["evidence"].exists(item.file.name)
        call_command("audit_verify", schema=schema)
        client.force_login(market.broker)
        for item in evidence:
            assert _download(client, slug, item) == catalogue.PDF
        a, b = market.providers
        assert _close(schema, package.pk) == {a.pk: Decimal("410.00"), b.pk: Decimal("436.50")}
        call_command("audit_verify", schema=schema)  # and still after closing there
    finally:
        found = Authority.objects.filter(slug=slug).first()
        if found:
            support.scratch_authority_remove(found)


@pytest.mark.committed
def test_a_restore_refuses_a_damaged_backup_and_a_name_in_use_and_leaves_nothing_behind(committed_db, tmp_path):
    authority = support.scratch_authority()
    try:
        authority_backup(slug=authority.slug, directory=tmp_path / "backup")
        with pytest.raises(BackupError, match="not empty"):
            authority_backup(slug=authority.slug, directory=tmp_path / "backup")
        with pytest.raises(CommandError, match="exists already"):
            call_command("authority_restore", str(tmp_path / "backup"))
        with pytest.raises(BackupError, match="same slug, name"):
            authority_restore(directory=tmp_path / "backup", schema="restored_elsewhere")
        authorities = Authority.objects.count()

        public = tmp_path / "backup" / "public.json"
        rows = json.loads(public.read_text())
        rows["authority"]["name"] = "Someone else"
        public.write_text(json.dumps(rows))
        with pytest.raises(BackupError, match="public.json does not match its checksum"):
            authority_restore(directory=tmp_path / "backup", schema="restored_elsewhere", slug="restored-elsewhere",
                              name="Elsewhere", official_code="")
        assert Authority.objects.count() == authorities
        with support.superuser_connection() as su, su.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'restored_elsewhere'")
            assert cursor.fetchone() is None
    finally:
        support.scratch_authority_remove(authority)


def test_renaming_a_dump_rewrites_statements_never_the_rows():
    dump = ("CREATE SCHEMA alpha;\n"
            "CREATE TABLE alpha.calloffs_bid (id bigint DEFAULT nextval('alpha.calloffs_bid_id_seq'::regclass));\n"
            "COPY alpha.calloffs_package (id, title) FROM stdin;\n"
            "1\tMoved from alpha.beta to alpha. on CREATE SCHEMA alpha;\n"
            "\\.\n"
            "ALTER TABLE ONLY alpha.calloffs_bid ADD CONSTRAINT x REFERENCES alpha.calloffs_package(id);\n"
            "CREATE TABLE alphabet.other (id int);\n")
    moved = rehome_dump(dump, "alpha", "omega")
    assert moved.splitlines() == [
        "CREATE SCHEMA omega;",
        "CREATE TABLE omega.calloffs_bid (id bigint DEFAULT nextval('omega.calloffs_bid_id_seq'::regclass));",
        "COPY omega.calloffs_package (id, title) FROM stdin;",
        "1\tMoved from alpha.beta to alpha. on CREATE SCHEMA alpha;",
        "\\.",
        "ALTER TABLE ONLY omega.calloffs_bid ADD CONSTRAINT x REFERENCES omega.calloffs_package(id);",
        "CREATE TABLE alphabet.other (id int);",
    ]


@pytest.mark.django_db
def test_bids_sealed_under_the_schema_name_still_open_where_the_identity_remembers_it(region):
    """Version 1 keys were derived from the schema's name. The migration
    records that name in the authority's sealing identity; bids sealed under
    it open wherever the schema is restored, and new bids use version 2."""
    from tenants.calloffs import sealing

    market = market_support.live_market(region.alpha, providers=1)
    package = market_support.package(market)
    bid = market_support.submit(market, package, market.providers[0], price="399.00").bid
    with schema_context("alpha"):
        identity = SealingIdentity.objects.get()
        legacy = sealing._derived(settings.BID_SEALING_KEY, f"alpha:package:{package.pk}")
        record = sealing.canonical({**market_support.bid_content("399.00"), sealing.RECEIPT_KEY: "r"})
        Bid.objects.filter(pk=bid.pk).update(sealed=legacy.encrypt(record))
        bid.refresh_from_db()
        with pytest.raises(InvalidToken):
            sealing.unseal(bid)  # no version-1 name remembered: it cannot open
        SealingIdentity.objects.filter(pk=1).update(legacy_schema="alpha")
        assert sealing.unseal(bid)["weekly_price"] == "399.00"
        fresh = sealing.seal(package.pk, {"weekly_price": "1.00"}, receipt_key="r")
        with pytest.raises(InvalidToken):
            legacy.decrypt(fresh)  # new seals are version 2, under the identity
        current = sealing._derived(settings.BID_SEALING_KEY, f"authority:{identity.key_id}:package:{package.pk}")
        assert json.loads(current.decrypt(fresh))["weekly_price"] == "1.00"


@pytest.mark.django_db
def test_the_migration_gives_an_authority_that_has_sealed_an_identity_that_remembers_its_name(region):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("tenants.calloffs.migrations.0004_sealing_identity")
    market = market_support.live_market(region.beta, providers=1)
    market_support.submit(market, market_support.package(market), market.providers[0])
    for schema, expected in (("beta", "beta"), (region.nhs.schema_name, None), (settings.TENANT_BASE_SCHEMA, None)):
        with schema_context(schema):
            SealingIdentity.objects.all().delete()  # as before the migration
            migration.identity_for_sealed_schemas(apps, SimpleNamespace(connection=connection))
            identity = SealingIdentity.objects.first()
            assert (identity.legacy_schema if identity else None) == expected, schema
