"""The demo region. Seeding takes long, so the module seeds an empty
database once (`seeded`, which keeps what that first seeding reported) and
every test shares that region, seeding it again and rolling back what it
changed."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuthorityMembership, ProviderMembership, User
from demo.seed import seed_demo
from tenancy.models import Authority

# One worker should run the module (pytest-xdist), seeding once; see tests/conftest.py on groups.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo_seed")]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo region seeded in a transaction around the module's tests
    (each test's own transaction is a savepoint inside it), rolled back after
    them: nothing stays for other modules."""
    from django.db import connection, transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        connection.set_schema_to_public()
        try:
            first = seed_demo()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield first
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def test_seed_builds_the_region_once(seeded, region):
    assert seeded.created > 50  # the first seeding, from an empty database
    east = Authority.objects.get(slug="cheshire-east")
    assert east.official_code == "E06000049" and east.schema_name == "cheshire_east"
    partnership = Authority.objects.get(slug="cheshire-wirral")
    assert set(partnership.members.values_list("slug", flat=True)) == {
        "cheshire-east", "cheshire-west", "wirral", "cheshire-merseyside-icb"
    }
    roles = set(AuthorityMembership.objects.filter(authority=east).values_list("role", flat=True))
    assert roles == {"commissioner", "broker", "evaluator", "quality_officer", "finance_viewer", "authority_admin"}
    assert ProviderMembership.objects.filter(user__email="nadia.brooks@bids.example").count() == 2
    assert User.objects.get(email="operator@jointly.example").is_platform_operator
    counts = (User.objects.count(), AuthorityMembership.objects.count(), Authority.objects.count())
    assert seed_demo().created == 0
    assert (User.objects.count(), AuthorityMembership.objects.count(), Authority.objects.count()) == counts


def test_seed_command_prints_how_to_sign_in(seeded, region, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "admin@cheshireeast.example" in out and "demo-password-2026" in out
    assert "/a/cheshire-wirral/" in out and "demo_totp" in out


def test_seed_gives_providers_profiles_and_evidence_once(seeded, region):
    from shared_catalogue.models import CQCLocation, Evidence, Provider

    seed_demo()
    hilltop = Provider.objects.get(name="Hilltop Home Care")
    assert hilltop.profile_version == 1
    assert list(hilltop.services.values_list("code", flat=True)) == ["home-care"]
    assert set(hilltop.areas.values_list("slug", flat=True)) == {"cheshire-east"}
    assert CQCLocation.objects.get(provider=hilltop).location_id == "1-2087654321"
    assert hilltop.contact_email == "amira@hilltop.example" and hilltop.contact_name == "Amira Begum"
    documents = Evidence.objects.filter(provider=hilltop)
    assert documents.count() == 4
    assert documents.filter(verification=Evidence.Verification.VERIFIED).count() == 3
    before = (Evidence.objects.count(), list(Provider.objects.values_list("profile_version", flat=True)))
    assert seed_demo().created == 0
    assert (Evidence.objects.count(), list(Provider.objects.values_list("profile_version", flat=True))) == before


def test_seed_runs_stage_one_so_the_directory_has_providers(seeded, region):
    from django_tenants.utils import schema_context

    from shared_catalogue.models import AdmissionProjection
    from tenants.agreements.models import Agreement

    seed_demo()
    listed = AdmissionProjection.objects.filter(agreement_live=True, status="active")
    assert sorted({p.provider.name for p in listed}) == ["Brightday Opportunities", "Castle Care at Home",
                                                          "Hilltop Home Care", "Meadow Farm", "Peak Homecare"]
    assert AdmissionProjection.objects.filter(authority__slug="cheshire-wirral", status="pending_onboarding",
                                              provider__name="Riverside Recovery").exists()
    with schema_context("cheshire_wirral"):
        assert Agreement.objects.get(reference="CW-SL-DPS").status == "open"
    before = AdmissionProjection.objects.count()
    seed_demo()
    assert AdmissionProjection.objects.count() == before


def test_seed_publishes_an_anonymised_package_the_admitted_providers_see(seeded, region):
    from django_tenants.utils import schema_context

    from shared_catalogue.models import OpportunityProjection

    seed_demo()
    open_now = OpportunityProjection.objects.filter(status="open", authority__slug="cheshire-east")
    assert sorted(o.provider.name for o in open_now) == ["Brightday Opportunities", "Meadow Farm"]
    assert "Elsie" not in open_now.first().title
    with schema_context("cheshire_east"):
        from tenants.calloffs.models import Package

        package = Package.objects.select_related("client_group").get(reference=open_now.first().reference)
        # the need is structured, so reports count it by need (dementia) and client group
        assert (package.client_group.code, package.primary_need) == ("older-people", "dementia")
    before = OpportunityProjection.objects.filter(authority__slug="cheshire-east").count()
    seed_demo()
    assert OpportunityProjection.objects.filter(authority__slug="cheshire-east").count() == before


def test_the_home_care_dps_shows_the_kpi_table_a_council_reports(client, seeded, region):
    """Assistive technology 72% against 75%; strengths-based training 81%
    (654); Level 2 54% (437); the Care Certificate 79% (633) complete and
    19% (157) undertaking it: from the providers' returns, as the commissioner sees them."""
    from django_tenants.utils import schema_context

    from demo.seed import staff_email
    from tenants.agreements.models import Agreement
    from tenants.quality import selectors

    seed_demo()
    with schema_context("cheshire_east"):
        agreement = Agreement.objects.get(reference="CEC-HOMECARE-DPS")
        assert agreement.status == "live"
        table = {row.kpi.code: row for row in selectors.kpi_table(agreement)}
    figures = {code: (round(row.latest.value), row.latest.numerator, row.latest.denominator, row.latest.rag)
               for code, row in table.items() if code != "KPI 5"}
    assert figures == {"KPI 1": (72, 216, 300, "amber"), "KPI 2": (81, 654, 807, "red"),
                       "KPI 3": (54, 437, 807, "red"), "KPI 4": (79, 633, 806, "red")}
    assert [(p["count"], round(p["percent"])) for p in table["KPI 4"].latest.breakdown] == [(157, 19), (15, 2)]
    assert all(row.trend.direction == "up" for code, row in table.items() if code != "KPI 5")
    assert table["KPI 5"].latest.returns == 1  # the outcome statement, not rated

    client.force_login(User.objects.get(email=staff_email("cheshire-east", "commissioner")))
    page = client.get(f"/a/cheshire-east/staff/quality/agreements/{agreement.pk}/").content.decode()
    for shown in ("72% (216 of 300)", "81% (654 of 807)", "54% (437 of 807)", "79% (633 of 806)",
                  "undertaking it: 19% (157)", "Close to target", "Below target"):
        assert shown in page, shown
    # the risk page has a provider in each colour, each with its reasons
    risk_page = client.get("/a/cheshire-east/staff/quality/risk/").content.decode()
    assert "Red: safeguarding decision (substantiated)" in risk_page and "rated Poor" in risk_page
    assert "Amber: registered manager vacancy" in risk_page
    with schema_context("cheshire_east"):
        from tenants.quality.risk import dashboard

        colours = {row.provider.name: row.risk.colour for row in dashboard()}
    assert (colours["Peak Homecare"], colours["Castle Care at Home"], colours["Hilltop Home Care"]) == (
        "red", "amber", "green")
    # the regional view: Cheshire West buys home care from two of the same providers
    with schema_context("cheshire_east"):
        from tenants.quality.regional import regional_view

        partners = {row.provider.name: [(c.authority, c.colour, c.headlines) for c in row.partners]
                    for row in regional_view()}
    assert partners == {
        "Peak Homecare": [("Cheshire West and Chester Council", "amber", ["Amber: Whistleblowing"])],
        "Hilltop Home Care": [("Cheshire West and Chester Council", "green", [])]}
    regional = client.get("/a/cheshire-east/staff/quality/risk/regional/").content.decode()
    assert "Cheshire West and Chester Council" in regional and "Peak Homecare" in regional
    assert "rotas with too little travel time" not in regional  # what lies behind a colour stays there
    seed_demo()  # once
    with schema_context("cheshire_east"):
        from tenants.quality.models import Kpi

        assert Kpi.objects.filter(agreement=agreement).count() == 5


def test_seed_pays_two_live_placements_so_finance_and_providers_have_work(client, seeded, region):
    """Two placements from awarded call-offs, live since before the month
    before last, paid monthly: the finance officer has a query to answer and
    a schedule to approve, and Brightday a schedule to confirm."""
    from django_tenants.utils import schema_context

    from accounts.policy import access_compute
    from demo.seed import staff_email
    from tenants.payments.models import PaymentPeriod, Query, Schedule
    from tenants.placements.models import Placement
    from tenants.workspace import provider_tasks, queue
    from tenants.workspace.models import TaskKind

    east = Authority.objects.get(slug="cheshire-east")
    with schema_context(east.schema_name):
        live = Placement.objects.filter(status="live").select_related("provider")
        assert sorted(p.provider.name for p in live) == ["Brightday Opportunities", "Meadow Farm"]
        assert all(p.start_on < PaymentPeriod.objects.order_by("starts_on").first().starts_on for p in live)
        periods = list(PaymentPeriod.objects.order_by("starts_on"))
        assert len(periods) == 2 and periods[1].starts_on == periods[0].ends_on + timedelta(days=1)
        assert periods[1].ends_on < timezone.localdate() <= periods[1].ends_on + timedelta(days=31)
        statuses = {(s.period.starts_on, s.provider.name): s.status
                    for s in Schedule.objects.select_related("period", "provider")}
        earlier, last = periods[0].starts_on, periods[1].starts_on
        assert statuses == {(earlier, "Brightday Opportunities"): "confirmed", (earlier, "Meadow Farm"): "approved",
                            (last, "Brightday Opportunities"): "issued", (last, "Meadow Farm"): "queried"}
        assert all(s.total > 0 for s in Schedule.objects.all())

        finance = User.objects.get(email=staff_email("cheshire-east", "finance"))
        tasks = queue.queue_for(access=access_compute(user=finance, authority=east), authority=east)
        kinds = {t.kind: t for t in tasks}
        assert "Answer Meadow Farm's query" in kinds[TaskKind.PAYMENT_QUERY].title
        assert "Brightday Opportunities" in kinds[TaskKind.SCHEDULE_APPROVAL].title

        sarah = User.objects.get(email="sarah@brightday.example")
        mine = provider_tasks.provider_tasks_for(access=access_compute(user=sarah, authority=east), authority=east)
        waiting = [t for t in mine if t.kind == provider_tasks.ProviderTaskKind.PAYMENT_SCHEDULE]
        assert len(waiting) == 1 and waiting[0].title.startswith("Confirm or query payment schedule")
        counts = (Placement.objects.count(), Schedule.objects.count(), Query.objects.count())
        queried = Schedule.objects.get(status="queried")

    # the pages show the same: the finance officer reads the query, Brightday its schedule to confirm
    client.force_login(finance)
    page = client.get(f"/a/cheshire-east/staff/payments/{queried.pk}/").content.decode()
    assert "staff training days" in page
    client.force_login(sarah)
    assert "issued" in client.get("/a/cheshire-east/provider/payments/").content.decode()
    assert "Confirm the schedule is right" in client.get(waiting[0].path).content.decode()

    assert seed_demo().created == 0
    with schema_context(east.schema_name):
        assert (Placement.objects.count(), Schedule.objects.count(), Query.objects.count()) == counts
