"""After award: the winning provider's admins and bid writers see who the
care is for and how it starts, each look recorded with its purpose in the
audit trail; never before award, never a losing bidder, a viewer or another
provider (pages and API). An unsuccessful bidder sees its scores and the
reasons on the page and through the API. Clarification answers are e-mailed
to every invitee when published."""

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from accounts.roles import ProviderRole
from audit.models import AuditEvent
from shared_catalogue.models import OpportunityProjection
from tenants.calloffs import services
from tenants.calloffs.models import Bid, Clarification, IdentityAccess
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
BASE = "/a/alpha/provider/calloffs"
API = "/a/alpha/api/v1/provider/calloffs"


@pytest.fixture
def market(region):
    return stage2.live_market(region.alpha, providers=2, names=["Brightday", "Rival Care"])


def _award(market, package, winner=0):
    with schema_context("alpha"):
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline + timedelta(seconds=1))
        bids = {b.provider_id: b for b in Bid.objects.filter(package=package)}
        for n, provider in enumerate(market.providers):
            services.bid_evaluate(actor=market.broker, bid=bids[provider.pk], compliant=True,
                                  quality=80 if n == winner else 55, outcomes=70, social_value=50)
        return services.award(actor=market.broker, package=package, bid=bids[market.providers[winner].pk],
                              expressed_by="The person, at the review")


def _refusals(package):
    return AuditEvent.objects.filter(action="person.identity_refused", object_id=str(package.pk))


def test_the_winner_sees_the_person_on_purpose_and_nobody_else_ever_does(client, market, region):
    winner, loser = market.providers
    package = stage2.package(market)
    for provider in market.providers:
        stage2.submit(market, package, provider)
    admin = catalogue.admin_of(winner)

    # before award: refused on the page and in the API, and recorded
    client.force_login(admin)
    assert client.get(f"{BASE}/{package.pk}/start/").status_code == 403
    assert client.post(f"{BASE}/{package.pk}/start/").status_code == 403
    assert client.get(f"{API}/{package.pk}/start/").status_code == 403
    with schema_context("alpha"):
        assert _refusals(package).count() == 3
        assert not IdentityAccess.objects.filter(package=package).exists()

    _award(market, package)

    # the winner: a page that says why, then the details, recorded with the purpose
    page = client.get(f"{BASE}/{package.pk}/")
    assert f"{BASE}/{package.pk}/start/?provider={winner.pk}" in page.content.decode()
    intro = client.get(f"{BASE}/{package.pk}/start/")
    assert intro.status_code == 200 and "Margaret" not in intro.content.decode()
    shown = client.post(f"{BASE}/{package.pk}/start/")
    text = shown.content.decode()
    assert shown.status_code == 200 and "Margaret Okoro" in text and "4 Mill Lane, Crewe" in text
    assert "Sam Reid" in text and market.broker.email in text and "no-store" in shown["Cache-Control"]
    api = client.get(f"{API}/{package.pk}/start/")
    assert api.status_code == 200
    body = api.json()
    assert body["people"][0]["last_name"] == "Okoro" and body["placement"]["status"] == "pending"
    assert body["contact"]["email"] == market.broker.email
    with schema_context("alpha"):
        looks = IdentityAccess.objects.filter(package=package, user=admin)
        assert looks.count() == 2 and {a.purpose for a in looks} == {"To arrange the start of the awarded care"}
        seen = AuditEvent.objects.filter(action="person.identity_seen_by_provider", object_id=str(package.pk))
        assert [e.context["channel"] for e in seen.order_by("pk")] == ["page", "api"]
        assert all(e.reason == "To arrange the start of the awarded care" for e in seen)
        assert "Okoro" not in str([(e.before, e.after, e.context) for e in seen])  # ids, never names

    # the losing bidder: refused, recorded; a viewer of the winner too
    for person in (catalogue.admin_of(loser), catalogue.add_person(winner, ProviderRole.VIEWER)):
        client.force_login(person)
        with schema_context("alpha"):
            before = _refusals(package).count()
        assert client.get(f"{BASE}/{package.pk}/start/").status_code == 403
        assert client.post(f"{BASE}/{package.pk}/start/").status_code == 403
        assert client.get(f"{API}/{package.pk}/start/").status_code == 403
        assert "Okoro" not in client.get(f"{BASE}/{package.pk}/").content.decode()
        with schema_context("alpha"):
            assert _refusals(package).count() == before + 3

    # naming the winner as the organisation does not help the loser
    client.force_login(catalogue.admin_of(loser))
    assert client.get(f"{API}/{package.pk}/start/", {"provider": winner.pk}).status_code == 403
    assert client.post(f"{BASE}/{package.pk}/start/?provider={winner.pk}").status_code == 403

    # another provider, never invited: not found
    outsider = stage2.stage1.provider_with_evidence(region.alpha, "Outsider Care")
    client.force_login(catalogue.admin_of(outsider))
    assert client.post(f"{BASE}/{package.pk}/start/").status_code == 404
    assert client.get(f"{API}/{package.pk}/start/").status_code == 404
    assert client.get(f"{API}/{package.pk}/result/").status_code == 404


def test_the_unsuccessful_bidder_sees_its_scores_and_the_reasons(client, market):
    winner, loser = market.providers
    package = stage2.package(market)
    for provider in market.providers:
        stage2.submit(market, package, provider)
    client.force_login(catalogue.admin_of(loser))
    assert client.get(f"{API}/{package.pk}/result/").status_code == 404  # nothing before award
    assert 'data-testid="result-' not in client.get(f"{BASE}/{package.pk}/").content.decode()
    _award(market, package)

    page = client.get(f"{BASE}/{package.pk}/").content.decode()
    assert "Why your bid was not successful" in page and "55.00" in page
    assert "The only compliant bid within budget" in page or "preference" in page
    result = client.get(f"{API}/{package.pk}/result/").json()
    assert result["quality"] == "55.00" and result["winner_total"] is not None
    assert float(result["total"]) < float(result["winner_total"]) and result["letter"]

    client.force_login(catalogue.admin_of(winner))
    assert client.get(f"{API}/{package.pk}/result/").status_code == 404  # the winner has no "why not"
    assert "Why your bid was not successful" not in client.get(f"{BASE}/{package.pk}/").content.decode()
    rows = {r.provider_id: r for r in OpportunityProjection.objects.filter(package_id=package.pk,
                                                                            authority=market.authority)}
    assert (rows[winner.pk].successful, rows[loser.pk].successful) == (True, False)
    assert rows[winner.pk].bid_status == rows[loser.pk].bid_status == "submitted"


def test_a_published_answer_is_emailed_to_every_invitee_once_without_who_asked(
        market, mailoutbox, django_capture_on_commit_callbacks):
    asker, other = market.providers
    colleague = catalogue.add_person(other, ProviderRole.VIEWER)
    package = stage2.package(market)
    with schema_context("alpha"):
        asked = services.clarification_ask(actor=catalogue.admin_of(asker), package=package, provider=asker,
                                           question="Is transport to the centre included?")
        with django_capture_on_commit_callbacks(execute=True):
            services.clarification_answer(actor=market.broker, clarification=asked,
                                          answer="Yes: the council arranges transport.")
        mails = [m for m in mailoutbox if m.subject.startswith("Question answered")]
        # one message for each invited provider: nobody learns from the To line who else was invited
        assert sorted(sorted(m.to) for m in mails) == sorted([[catalogue.admin_of(asker).email],
                                                             sorted([catalogue.admin_of(other).email,
                                                                     colleague.email])])
        mail = mails[0]
        assert "Is transport to the centre included?" in mail.body and "the council arranges transport" in mail.body
        assert asker.name not in mail.body and "nobody is told who asked" in mail.body
        assert Clarification.objects.get(pk=asked.pk).notified_at is not None
        assert services.clarification_published_notify(clarification_id=asked.pk) == 0  # once only
    assert set(OpportunityProjection.objects.filter(package_id=package.pk, authority=market.authority)
               .values_list("answers_published", flat=True)) == {1}
