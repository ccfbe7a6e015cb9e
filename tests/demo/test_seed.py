import pytest
from django.core.management import call_command

from accounts.models import AuthorityMembership, ProviderMembership, User
from demo.seed import seed_demo
from tenancy.models import Authority

pytestmark = pytest.mark.django_db


def test_seed_builds_the_region_once(region):
    first = seed_demo()
    assert first.created > 50
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


def test_seed_command_prints_how_to_sign_in(region, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "admin@cheshireeast.example" in out and "demo-password-2026" in out
    assert "/a/cheshire-wirral/" in out and "demo_totp" in out
