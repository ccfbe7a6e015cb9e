"""What an authority is waiting for from a provider's people: each kind
listed while it waits and gone once done; never another provider's items
(selector, page and API); overdue in words; one query per kind, and the same
number of queries for the page and the API with one or ten of each; every
link opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.policy import access_compute
from accounts.roles import ProviderRole
from tenants.calloffs import services as calloffs
from tenants.calloffs.models import Invitation, Package
from tenants.payments.models import PaymentPeriod, Query, Schedule
from tenants.placements.models import Placement
from tenants.quality import assessments, oversight, services
from tenants.quality.models import Action, Assessment, FollowUp, KpiReturn
from tenants.workspace import provider_tasks
from tenants.workspace.provider_tasks import ProviderTaskKind as Kind
from tests.calloffs import support as stage2
from tests.quality.support import monitored, opened, placed, submit
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
HOME = "/a/alpha/provider/"
API = "/a/alpha/api/v1/provider/tasks/"


@dataclass
class World:
    m: object
    mine: object
    other: object
    admin: object

    @property
    def officer(self):
        return self.m.officer


def _clone(obj, **changes):
    obj.pk = obj.id = None
    obj._state.adding = True
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.save()
    return obj


_periods = iter(range(1, 10_000))


def _schedule(provider, authority, status=Schedule.Status.ISSUED, **fields) -> Schedule:
    """A payment schedule in a period of its own (generating one from placements is the payments tests' work)."""
    n = next(_periods)
    starts = date(2000, 1, 1) + timedelta(days=n * 40)
    period = PaymentPeriod.objects.create(cadence="monthly", starts_on=starts, ends_on=starts + timedelta(days=27))
    return Schedule.objects.create(
        reference=f"PAY-T{n}-P{provider.pk}",
        provider=provider,
        payer=authority,
        period=period,
        status=status,
        total=Decimal("1234.50"),
        issued_at=timezone.now() if status != "draft" else None,
        **fields,
    )


def _one_of_each(region) -> World:
    """For each kind, one item waiting for `mine` and the same for `other`."""
    m = monitored(region.alpha, providers=2)
    mine, other = m.market.providers
    admin = catalogue.admin_of(mine)
    today = timezone.localdate()
    opened(m)  # every return of two quarters, due long ago, for both
    for provider in (mine, other):
        placed(m, provider, live=False)  # an award waiting to start
    stage2.package(m.market)  # an invitation to both, open
    with schema_context(m.schema):
        for provider in (mine, other):
            assessment = oversight.assessment_schedule(
                actor=m.officer, provider=provider, service="Home care, Crewe", visit_on=today + timedelta(days=21)
            )
            assessments.follow_up_add(
                actor=m.officer,
                assessment=assessment,
                what="Audit medicine records weekly.",
                standard="medicines",
                owner=catalogue.admin_of(provider),
                owner_side="provider",
                due_on=today + timedelta(days=10),
            )
            draft = oversight.assessment_schedule(
                actor=m.officer, provider=provider, service="Day centre, Nantwich", visit_on=today + timedelta(days=21)
            )
            # its standards validated and the draft sent (the assessment tests walk that road)
            Assessment.objects.filter(pk=draft.pk).update(
                status=Assessment.Status.DRAFT_SENT,
                rating="good",
                draft_sent_at=timezone.now(),
                respond_by=today + timedelta(days=14),
            )
            oversight.action_take(
                actor=m.officer,
                provider=provider,
                kind=Action.Kind.IMPROVEMENT_PLAN,
                grounds="Two missed calls in March.",
            )
            _schedule(provider, region.alpha)
    return World(m, mine, other, admin)


def _tasks(world: World, person=None, **kwargs) -> list:
    with schema_context(world.m.schema):
        access = access_compute(user=person or world.admin, authority=world.m.market.authority)
        return provider_tasks.provider_tasks_for(access=access, authority=world.m.market.authority, **kwargs)


def _kinds(tasks) -> dict[str, list]:
    return {kind: [t for t in tasks if t.kind == kind] for kind in Kind}


def test_each_kind_is_listed_for_the_organisation_only(region):
    w = _one_of_each(region)
    tasks = _tasks(w)
    by_kind = _kinds(tasks)
    assert all(by_kind[kind] for kind in Kind), {k: len(v) for k, v in by_kind.items()}
    assert {t.provider_id for t in tasks} == {w.mine.pk}
    assert len(by_kind[Kind.KPI_RETURN]) == 4  # two KPIs, two quarters
    # soonest due first, the undated last
    dated = [t.due_on for t in tasks if t.due_on]
    assert dated == sorted(dated) and all(t.due_on is None for t in tasks[len(dated) :])
    late = by_kind[Kind.KPI_RETURN][0]
    assert late.clock.state == "overdue" and late.clock.label.startswith("Overdue by ")
    assert late.path.startswith("/a/alpha/provider/quality/") and late.you_may
    invitation = by_kind[Kind.INVITATION][0]
    assert invitation.title.startswith("Bid for ") and invitation.path.endswith(f"/bid/?provider={w.mine.pk}")
    award = by_kind[Kind.AWARD_STARTING][0]
    assert award.path.endswith(f"/start/?provider={w.mine.pk}") and "goes live when" in award.detail
    assert "Confirm or query payment schedule" in by_kind[Kind.PAYMENT_SCHEDULE][0].title
    # the other organisation's person sees its own, never mine
    theirs = _tasks(w, catalogue.admin_of(w.other))
    assert {t.provider_id for t in theirs} == {w.other.pk}
    assert not {t.key for t in theirs} & {t.key for t in tasks}


def test_each_kind_leaves_once_done_or_closed(region):
    w = _one_of_each(region)
    s = w.m.schema
    today = timezone.localdate()
    before = {t.key for t in _tasks(w)}
    with schema_context(s):
        returns = list(KpiReturn.objects.filter(provider=w.mine).order_by("pk"))
    submit(w.m, returns[0], numerator=70, denominator=100)  # sent: waiting for the authority now
    submit(w.m, returns[1], numerator=70, denominator=100)
    with schema_context(s):
        services.return_query(actor=w.officer, kpi_return=returns[1], query="The denominator looks like last year's.")
        scheduled = Assessment.objects.get(provider=w.mine, status="scheduled")
        draft = Assessment.objects.get(provider=w.mine, status="draft_sent")
        follow_up = FollowUp.objects.get(provider=w.mine)
        action = Action.objects.get(provider=w.mine)
        schedule = Schedule.objects.get(provider=w.mine)
        placement = Placement.objects.get(provider=w.mine)
        package = Package.objects.get(invitations__provider=w.mine, status="published")
    after = _tasks(w)
    keys = {t.key for t in after}
    assert f"kpi-return:{returns[0].pk}:due" in before and not any(
        k.startswith(f"kpi-return:{returns[0].pk}:") for k in keys
    )
    queried = next(t for t in after if t.key == f"kpi-return:{returns[1].pk}:queried")
    assert "last year" in queried.detail and queried.title.startswith("Answer the query")

    with schema_context(s):
        # a self-assessment past its date is closed; a draft past its window may be finalised
        Assessment.objects.filter(pk=scheduled.pk).update(self_assessment_due=today - timedelta(days=1))
        Assessment.objects.filter(pk=draft.pk).update(respond_by=today - timedelta(days=1))
        assessments.follow_up_done(actor=w.admin, follow_up=follow_up, note="Weekly audits began.")
        oversight.action_respond(actor=w.admin, action=action, response="We have added a second rota.")
        Schedule.objects.filter(pk=schedule.pk).update(status=Schedule.Status.CONFIRMED)
        Placement.objects.filter(pk=placement.pk).update(status=Placement.Status.LIVE)
    stage2.submit(w.m.market, package, w.mine)
    kinds = {t.kind for t in _tasks(w)}
    assert kinds == {Kind.KPI_RETURN}, kinds


def test_drafts_answered_queries_and_past_deadlines(region):
    w = _one_of_each(region)
    s = w.m.schema
    with schema_context(s):
        package = Package.objects.get(invitations__provider=w.mine, status="published")
        calloffs.bid_save(actor=w.admin, package=package, provider=w.mine, content=stage2.bid_content())
        schedule = Schedule.objects.get(provider=w.mine)
        Query.objects.create(
            schedule=schedule,
            reason="Two days missing.",
            answer="Added in the next period.",
            answered_at=timezone.now(),
        )
        # another schedule still a draft, and one queried and not yet answered: nothing for the provider to do
        _schedule(w.mine, region.alpha, status=Schedule.Status.DRAFT)
        _schedule(w.mine, region.alpha, status=Schedule.Status.QUERIED)
    by_kind = _kinds(_tasks(w))
    assert by_kind[Kind.INVITATION][0].title.startswith("Finish and submit your bid for")
    [pay] = by_kind[Kind.PAYMENT_SCHEDULE]
    assert pay.title.startswith(f"The authority has answered your query on {schedule.reference}")
    # once bidding has closed, the invitation is gone
    later = package.bid_deadline + timedelta(minutes=1)
    assert not _kinds(_tasks(w, now=later))[Kind.INVITATION]


def test_a_viewer_sees_what_the_admins_are_asked_for_with_links_they_can_open(client, region):
    w = _one_of_each(region)
    viewer = catalogue.add_person(w.mine, ProviderRole.VIEWER)
    tasks = _tasks(w, viewer)
    assert {t.kind for t in tasks} == set(Kind) and not any(t.you_may for t in tasks)
    # each says who does it
    assert all(
        "Your organisation's" in t.detail or "Its owner" in t.detail for t in tasks if t.kind != Kind.AWARD_STARTING
    ), [t.detail for t in tasks]
    client.force_login(viewer)
    for task in tasks:
        assert client.get(task.path).status_code == 200, (task.kind, task.path)


def test_the_page_and_the_api_show_mine_never_another_providers(client, region):
    w = _one_of_each(region)
    client.force_login(w.admin)
    page = client.get(HOME).content.decode()
    section = page.split('data-testid="waiting-for-you"')[1].split("</section>")[0]
    assert "Quality: waiting for you" not in page
    assert f"{region.alpha.name} is waiting for " in section and "overdue</strong>" in section
    assert section.count('class="jointly-table-scroll" role="region"') == len(Kind)
    assert '<strong class="govuk-tag govuk-tag--red">Overdue by ' in section
    assert w.other.name not in page
    mine = {t.key for t in _tasks(w)}
    theirs = {t.key for t in _tasks(w, catalogue.admin_of(w.other))}
    assert all(f'data-task="{k}"' in section for k in mine)
    assert not any(f'data-task="{k}"' in section for k in theirs)

    body = client.get(API).json()
    assert body["count"] == len(body["tasks"]) == len(mine) and body["overdue"] >= 4
    assert {t["key"] for t in body["tasks"]} == mine
    assert {t["provider"] for t in body["tasks"]} == {w.mine.pk}
    first = body["tasks"][0]
    assert first["state"] == "overdue" and first["working_days_left"] < 0 and first["clock"].startswith("Overdue")
    # the other provider's person, the other way round
    client.force_login(catalogue.admin_of(w.other))
    assert {t["key"] for t in client.get(API).json()["tasks"]} == theirs
    assert w.mine.name not in client.get(HOME).content.decode()


def test_the_api_refuses_what_it_does_not_take_and_staff(client, region):
    w = _one_of_each(region)
    client.force_login(w.admin)
    refused = client.get(f"{API}?kind=invitation")
    assert refused.status_code == 400 and refused["Content-Type"].startswith("application/problem+json")
    assert "kind" in refused.json()["errors"]
    client.force_login(w.officer)
    forbidden = client.get(API)
    assert forbidden.status_code == 403 and forbidden["Content-Type"].startswith("application/problem+json")
    client.logout()
    assert client.get(API).status_code in (401, 403)


def _ten_of_each(w: World, authority):
    """Nine more of every kind for `mine`, copied from the first."""
    with schema_context(w.m.schema):
        kpi_return = KpiReturn.objects.filter(provider=w.mine).first()
        scheduled = Assessment.objects.get(provider=w.mine, status="scheduled")
        draft = Assessment.objects.get(provider=w.mine, status="draft_sent")
        follow_up = FollowUp.objects.get(provider=w.mine)
        action = Action.objects.get(provider=w.mine)
        invitation = Invitation.objects.get(provider=w.mine, package__status="published")
        placement = Placement.objects.get(provider=w.mine)
        for n in range(9):
            _clone(KpiReturn.objects.get(pk=kpi_return.pk), period_start=date(2001 + n, 4, 1))
            _clone(Assessment.objects.get(pk=scheduled.pk))
            _clone(Assessment.objects.get(pk=draft.pk))
            _clone(FollowUp.objects.get(pk=follow_up.pk))
            _clone(Action.objects.get(pk=action.pk))
            _schedule(w.mine, authority)
            _clone(
                Invitation.objects.get(pk=invitation.pk),
                package=_clone(
                    Package.objects.get(pk=invitation.package_id), reference=f"COPY-I{n}-{invitation.package_id}"
                ),
            )
            _clone(
                Placement.objects.get(pk=placement.pk),
                package=_clone(
                    Package.objects.get(pk=placement.package_id), reference=f"COPY-P{n}-{placement.package_id}"
                ),
            )


def _reads(captured) -> list:
    return [q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]


def _count(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(_reads(captured)), response


def test_one_query_per_kind_and_the_same_for_the_page_and_the_api_with_one_or_ten_of_each(
    client, region, django_assert_max_num_queries
):
    w = _one_of_each(region)
    client.force_login(w.admin)
    client.get(HOME)  # warm the session's caches
    client.get(API)
    page_first, _ = _count(client, HOME)
    api_first, response = _count(client, API)
    before = response.json()["count"]
    with schema_context(w.m.schema):
        access = access_compute(user=w.admin, authority=region.alpha)
        with django_assert_max_num_queries(len(Kind) + 1) as first:
            provider_tasks.provider_tasks_for(access=access, authority=region.alpha)
    assert len(_reads(first)) == len(Kind)

    _ten_of_each(w, region.alpha)
    page_more, page = _count(client, HOME)
    api_more, response = _count(client, API)
    assert (page_more, api_more) == (page_first, api_first)
    grown = _kinds(_tasks(w))
    assert all(len(grown[kind]) >= 10 for kind in Kind), {k: len(v) for k, v in grown.items()}
    assert response.json()["count"] == before + 9 * len(Kind)
    assert page.content.decode().count("data-task=") == before + 9 * len(Kind)


def test_every_link_opens_for_the_person_who_does_it(client, region):
    w = _one_of_each(region)
    client.force_login(w.admin)
    tasks = _tasks(w)
    assert {t.kind for t in tasks} == set(Kind)
    for task in tasks:
        assert client.get(task.path).status_code == 200, (task.kind, task.path)


def test_a_person_of_no_provider_has_nothing_and_costs_nothing(region, django_assert_num_queries):
    w = _one_of_each(region)
    with schema_context(w.m.schema):
        access = access_compute(user=w.officer, authority=region.alpha)
        with django_assert_num_queries(0):
            assert provider_tasks.provider_tasks_for(access=access, authority=region.alpha) == []
