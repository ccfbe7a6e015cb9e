"""The provider's home on the regional site: agreements it could join, its
applications and decisions, its admissions with the onboarding still to do,
the evidence that needs attention, its opportunities with its own bid status
and the answers published, its awards and what happens next; from the
public projections, in the same number of queries however much there is."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.calloffs import services
from tests.admissions import support as stage1
from tests.calloffs import support as stage2
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def _get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def test_the_home_shows_the_work_in_every_authority_in_constant_queries(client, region):
    provider = stage1.provider_with_evidence(region.alpha, "Everywhere Home Care")
    admin = catalogue.admin_of(provider)
    client.force_login(admin)
    url = f"/providers/{provider.pk}/"

    # alpha: admitted, invited, a draft bid
    market = stage2.live_market(region.alpha, providers=0)
    stage2.admit(market, provider=provider)
    package = stage2.package(market)
    with schema_context("alpha"):
        services.bid_save(actor=admin, package=package, provider=provider, content=stage2.bid_content())
    # beta: an open agreement not applied to
    beta = stage1.open_agreement(region.beta)
    # nhs: applied and admitted, onboarding still to do
    nhs = stage1.open_agreement(region.nhs)
    application = stage1.apply(nhs, provider, ["1"])
    stage1.evaluate(nhs, application, {"outcomes": 4, "workforce": 4})

    _get(client, url)  # the first request of the session warms the site's caches
    text, first = _get(client, url)
    assert f'data-testid="dash-opportunity-alpha-{package.pk}"' in text
    row = text.split(f'data-testid="dash-opportunity-alpha-{package.pk}"')[1].split("</tr>")[0]
    assert "Draft" in row and package.title in row and f"/a/alpha/provider/calloffs/{package.pk}/" in row
    assert f'data-testid="dash-joinable-beta-{beta.agreement.pk}"' in text
    assert f'data-testid="dash-joinable-nhs-north-{nhs.agreement.pk}"' not in text  # applied already
    assert f'data-testid="dash-application-nhs-north-{application.pk}"' in text
    assert "Still to do: Contract signed, Safeguarding assurance" in text
    assert "Employer&#x27;s liability insurance: Not in your locker" in text
    # what each authority where it is admitted is waiting for: a link to that authority's provider home
    links = text.split('data-testid="dash-waiting-links"')[1].split("</ul>")[0]
    assert 'href="/a/alpha/provider/"' in links and "What Alpha" in links
    assert 'href="/a/nhs-north/provider/"' in links
    assert "/a/beta/" not in links  # not admitted there (yet)

    # more of everything, in other authorities: the same number of queries
    with schema_context("alpha"):
        services.bid_submit(actor=admin, package=package, provider=provider, content=stage2.bid_content(),
                            idempotency_key="dash-1")
    second = stage2.package(market)
    beta_market = stage2.live_market(region.beta, providers=0)
    stage2.admit(beta_market, provider=provider)
    stage2.package(beta_market)
    stage1.apply(beta, provider, ["2"])
    text, more = _get(client, url)
    assert more == first
    links = text.split('data-testid="dash-waiting-links"')[1].split("</ul>")[0]
    assert links.count("<li>") == 3 and 'href="/a/beta/provider/"' in links
    for href in ("/a/alpha/provider/", "/a/beta/provider/", "/a/nhs-north/provider/"):
        opened = client.get(href)
        assert opened.status_code == 200 and 'data-testid="waiting-for-you"' in opened.content.decode()
    row = text.split(f'data-testid="dash-opportunity-alpha-{package.pk}"')[1].split("</tr>")[0]
    assert "Submitted" in row
    assert "Not started" in text.split(f'data-testid="dash-opportunity-alpha-{second.pk}"')[1].split("</tr>")[0]
    assert f'data-testid="dash-joinable-beta-{beta.agreement.pk}"' not in text


def test_an_award_says_what_happens_next_and_a_loss_where_the_reasons_are(client, region):
    market = stage2.live_market(region.alpha, providers=2, names=["Winning Ways", "Close Second"])
    winner, loser = market.providers
    package = stage2.package(market)
    for provider in market.providers:
        stage2.submit(market, package, provider)
    with schema_context("alpha"):
        services.package_close(package_id=package.pk, by="deadline", now=package.bid_deadline + timedelta(seconds=1))
        from tenants.calloffs.models import Bid

        bids = {b.provider_id: b for b in Bid.objects.filter(package=package)}
        services.bid_evaluate(actor=market.broker, bid=bids[winner.pk], compliant=True, quality=80, outcomes=70,
                              social_value=50)
        services.bid_evaluate(actor=market.broker, bid=bids[loser.pk], compliant=False, quality=40, outcomes=40,
                              social_value=40, compliance_notes="No staff for weekday mornings.")
        services.award(actor=market.broker, package=package, bid=bids[winner.pk])
    client.force_login(catalogue.admin_of(winner))
    text, _ = _get(client, f"/providers/{winner.pk}/")
    won = text.split(f'data-testid="dash-won-alpha-{package.pk}"')[1].split("</li>")[0]
    assert f"/a/alpha/provider/calloffs/{package.pk}/start/" in won and "What happens next" in won
    client.force_login(catalogue.admin_of(loser))
    text, _ = _get(client, f"/providers/{loser.pk}/")
    lost = text.split(f'data-testid="dash-lost-alpha-{package.pk}"')[1].split("</li>")[0]
    assert "Not successful" in lost and f"/a/alpha/provider/calloffs/{package.pk}/#result" in lost
    assert "/start/" not in text
