"""Building blocks for history-import tests: the providers and the agreement
the example files name, and the files themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from shared_catalogue.models import Provider
from tenancy.models import Authority
from tenants.history import services
from tests import support
from tests.admissions import support as stage1

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "history"
AGREEMENT = "CEC-DAYOPS-FPS-2022"


def example(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class World:
    authority: Authority
    commissioner: object
    setup: stage1.Setup
    providers: dict


def world(authority: Authority) -> World:
    """The day-opportunities FPS the example files name (from August 2022,
    two rounds) and four providers with the example files' identifiers."""
    setup = stage1.agreement(authority, reference=AGREEMENT, starts_on=date(2022, 8, 1),
                             rounds=[(date(2022, 8, 1), date(2022, 9, 30)), (date(2023, 3, 1), date(2023, 3, 31))])
    providers = {
        "oak": Provider.objects.create(legal_name="Oak Tree Care Limited", name="Oak Tree Care",
                                       cqc_provider_id="1-900000001", company_number="09000001"),
        "brightday": Provider.objects.create(legal_name="Brightday Support Limited", name="Brightday Support",
                                             company_number="09000002"),
        "willow": Provider.objects.create(legal_name="Willow Day Services Limited", name="Willow Day Services",
                                          company_number="09000003"),
        "harbour": Provider.objects.create(legal_name="Harbour Skills CIC", name="Harbour Skills",
                                           kind="cic", company_number="09000004"),
    }
    commissioner = support.make_staff(authority, AuthorityRole.COMMISSIONER, full_name="Dana Commissioner")
    return World(authority, commissioner, setup, providers)


def run(world: World, name: str | bytes, kind: str, *, dry_run: bool = True, actor=None):
    data = example(name) if isinstance(name, str) else name
    with schema_context(world.authority.schema_name):
        return services.history_import(actor=actor or world.commissioner, kind=kind,
                                       file_name=name if isinstance(name, str) else "upload.csv", data=data,
                                       dry_run=dry_run)
