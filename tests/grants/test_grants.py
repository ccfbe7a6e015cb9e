"""Call-off and co-funding under a council's agreement by a granted NHS body
(the agreement letting the NHS call off), through the services: the grant, the ICB calling off in its
own name, the 60/40 shares, each authority seeing the placement, an
authority without a grant refused, revoking, and recharges per period."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.policy import access_compute
from audit.models import AuditEvent
from shared_catalogue.models import GrantProjection, JointPlacementProjection
from tenants.agreements import grants
from tenants.calloffs import policy, selectors, services
from tenants.placements import recharges
from tenants.placements import selectors as placement_selectors
from tenants.placements import services as placements
from tests import support
from tests.grants import support as gs

pytestmark = pytest.mark.django_db


def test_an_icb_granted_call_off_calls_off_under_the_council_fps_and_co_funds_40(region):
    g = gs.granted(region)
    assert GrantProjection.objects.get(owner=region.alpha, grantee=region.nhs).may_call_off
    package = gs.icb_calls_off(g)
    assert package.called_off_by == region.nhs and package.status == "published"
    # the council's own broker cannot call off in the ICB's name
    with schema_context(region.alpha.schema_name), pytest.raises(PermissionDenied, match="own staff call off"):
        services.package_create(actor=g.market.broker, agreement=g.market.agreement, lot=g.market.lot,
                                people=list(package.people.all()), called_off_by=region.nhs, title="x")
    placement = gs.icb_awards(g, package)
    council_broker = g.market.broker
    with schema_context(region.alpha.schema_name):
        placements.placement_set_funders(actor=council_broker, placement=placement,
                                         shares=[(region.alpha, "60", "CEC-IPA-7"), (region.nhs, "40")])
        funders = {f.authority.slug: f for f in placement.funders.select_related("authority")}
        assert funders["alpha"].share == Decimal("60.00") and funders["nhs-north"].share == Decimal("40.00")
        assert funders["nhs-north"].purchasing_agreement == "NHS-N-IPA-2026-014"
        assert funders["nhs-north"].grant_id == g.grant.pk and funders["alpha"].purchasing_agreement == "CEC-IPA-7"
        # the council sees it among its placements
        assert placement in placement_selectors.placements_for_staff()
        # the ICB's staff see it in the council's authority, scoped to what they called off or fund
        access = access_compute(user=g.icb_broker, authority=region.alpha)
        assert access.is_grantee and not access.is_staff
        ids = access.granted_authority_ids()
        assert list(placement_selectors.placements_under_grants(ids)) == [placement]
        assert list(selectors.packages_under_grants(ids)) == [package]
        assert AuditEvent.objects.filter(action="agreement.grant_made").exists()
    # and in its own authority, through the projection
    seen = JointPlacementProjection.objects.get(viewer=region.nhs, owner=region.alpha)
    assert seen.placement_id == placement.pk and seen.called_off_by == region.nhs
    assert {f["authority"]: f["share"] for f in seen.funders} == {"alpha": "60.00", "nhs-north": "40.00"}
    assert not JointPlacementProjection.objects.filter(viewer=region.beta).exists()


def test_an_authority_without_a_grant_is_refused_and_sees_nothing(region):
    g = gs.granted(region)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    beta_broker = support.make_staff(region.beta, "broker")
    with schema_context(region.alpha.schema_name):
        access = access_compute(user=beta_broker, authority=region.alpha)
        assert not access.grants and not access.is_staff and not access.is_grantee
        with pytest.raises(PermissionDenied):
            services.person_create(actor=beta_broker, first_name="Bo", last_name="Ray")
        with pytest.raises(PermissionDenied):
            services.package_create(actor=beta_broker, agreement=g.market.agreement, lot=g.market.lot,
                                    people=list(placement.package.people.all()), called_off_by=region.beta,
                                    title="x")
        # the council cannot make Beta a co-funder: the refusal names the grant rule
        with pytest.raises(ValidationError, match="Beta Council cannot co-fund placements under .*holds no grant"):
            placements.placement_set_funders(actor=g.market.broker, placement=placement,
                                             shares=[(region.alpha, 50), (region.beta, 50)])
        assert not placement_selectors.placements_under_grants(access.granted_authority_ids()).exists()
    assert not JointPlacementProjection.objects.filter(viewer=region.beta).exists()


def test_a_call_off_only_grant_does_not_make_a_co_funder(region):
    g = gs.granted(region, co_fund=False)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    with schema_context(region.alpha.schema_name):
        with pytest.raises(ValidationError, match="its grant gives the right to call off only"):
            placements.placement_set_funders(actor=g.market.broker, placement=placement,
                                             shares=[(region.alpha, 60), (region.nhs, 40)])


def test_shares_must_total_100(region):
    g = gs.granted(region)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    with schema_context(region.alpha.schema_name):
        with pytest.raises(ValidationError, match="must total 100%; they total 90.00%"):
            placements.placement_set_funders(actor=g.market.broker, placement=placement,
                                             shares=[(region.alpha, 60), (region.nhs, 30)])
        assert list(placement.funders.values_list("authority__slug", "share")) == [("nhs-north", Decimal("100.00"))]


def test_only_the_owners_commissioners_grant(region):
    market = gs.stage2.live_market(region.alpha, providers=1)
    with schema_context(region.alpha.schema_name):
        for actor in (market.broker, support.make_staff(region.nhs, "commissioner")):
            with pytest.raises(PermissionDenied):
                grants.grant_create(actor=actor, agreement=market.agreement, grantee=region.nhs, may_call_off=True,
                                    may_co_fund=False, starts_on=date.today(), purchasing_agreement="X",
                                    reason="r")
        with pytest.raises(ValidationError, match="at least one right"):
            grants.grant_create(actor=market.setup.commissioner, agreement=market.agreement, grantee=region.nhs,
                                may_call_off=False, may_co_fund=False, starts_on=date.today(),
                                purchasing_agreement="X", reason="r")


def test_revoking_stops_new_call_offs_but_keeps_placements_visible(region):
    g = gs.granted(region)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    draft = gs.icb_calls_off(g, publish=False)
    with schema_context(region.alpha.schema_name):
        grants.grant_revoke(actor=g.market.setup.commissioner, grant=g.grant, reason="Pooled budget agreed instead")
        with pytest.raises(ValidationError, match="its grant was revoked"):
            services.package_publish(actor=g.icb_broker, package=draft)
        with pytest.raises(ValidationError, match="its grant was revoked"):
            services.package_create(actor=g.icb_broker, agreement=g.market.agreement, lot=g.market.lot,
                                    people=list(draft.people.all()), **{
                                        "title": "Day opportunities", "outcomes": "o", "support_needed": "s",
                                        "start_on": date.today() + timedelta(days=30), "locality": "Crewe",
                                        "budget_weekly": Decimal("300")})
        access = access_compute(user=g.icb_broker, authority=region.alpha)
        assert access.is_grantee and not policy.can_call_off_under_grant(access, g.market.agreement.pk)
        assert list(placement_selectors.placements_under_grants(access.granted_authority_ids())) == [placement]
    assert GrantProjection.objects.get(grant_id=g.grant.pk).revoked_at is not None
    assert JointPlacementProjection.objects.filter(viewer=region.nhs, placement_id=placement.pk).exists()


def test_recharges_per_period_with_a_mid_period_start(region):
    g = gs.granted(region)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    with schema_context(region.alpha.schema_name):
        placements.placement_set_funders(actor=g.market.broker, placement=placement,
                                         shares=[(region.alpha, 60), (region.nhs, 40)])
        # went live on 11 March 2026 at £420 a week (set directly: the dates are the test's, not today's)
        placement.status, placement.start_on, placement.weekly_cost = "live", date(2026, 3, 11), Decimal("420.00")
        placement.went_live_at = timezone.now()  # as going live sets it: the cost lines count from then on
        placement.save()
        march = recharges.period_for(kind="monthly", starts_on=date(2026, 3, 1))
        lines = recharges.recharges(period=march)
        assert len(lines) == 1
        line = lines[0]
        # the ICB called off and pays the provider; the council owes it 60% of 21 days' care
        assert (line.payer, line.funder, line.days) == (region.nhs, region.alpha, 21)
        assert line.cost == Decimal("1260.00") and line.owed == Decimal("756.00")
        april = recharges.period_for(kind="four_weekly", starts_on=date(2026, 4, 1))
        assert april.ends_on == date(2026, 4, 28)
        assert recharges.recharges(period=april)[0].owed == Decimal("1008.00")  # 4 weeks × £420 × 60%
        # ended on 14 April: 14 days
        placement.status, placement.ended_on = "ended", date(2026, 4, 14)
        placement.save()
        assert recharges.recharges(period=april)[0].owed == Decimal("504.00")
        assert recharges.recharges(period=april, authority_ids=frozenset({region.beta.pk})) == []
        with pytest.raises(ValidationError, match="first day of a month"):
            recharges.period_for(kind="monthly", starts_on=date(2026, 3, 2))


def test_the_projections_are_rebuilt_from_the_schemas(region):
    from django.core.management import call_command

    g = gs.granted(region)
    placement = gs.icb_awards(g, gs.icb_calls_off(g))
    GrantProjection.objects.all().delete()
    JointPlacementProjection.objects.all().delete()
    call_command("grants_rebuild_projections", "alpha")
    assert GrantProjection.objects.get(owner=region.alpha).grantee == region.nhs
    assert JointPlacementProjection.objects.get(viewer=region.nhs).placement_id == placement.pk
