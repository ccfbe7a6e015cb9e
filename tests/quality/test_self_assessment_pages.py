"""The self-assessment and follow-up pages, without JavaScript: a provider
saves a draft, submits, and cannot change it after; another company sees
nothing; the officer validates each standard before the draft form
appears, adds an action, which the provider marks done and the officer
verifies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context

from tenants.quality import oversight
from tenants.quality.models import FollowUp, StandardAssessment
from tenants.quality.standards import STANDARDS
from tests.quality.support import monitored, self_assess, validate_all
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def _scheduled(m, provider):
    with schema_context(m.schema):
        return oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care, Crewe",
                                             visit_on=date.today() + timedelta(days=14))


def _every_standard(rating="good") -> dict:
    data = {}
    for s in STANDARDS:
        data[f"{s.key}-self_rating"] = rating
        data[f"{s.key}-narrative"] = f"We meet {s.title.lower()} through monthly audits."
    return data


def test_a_provider_saves_a_draft_submits_and_cannot_change_it_after(client, region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    assessment = _scheduled(m, provider)
    client.force_login(catalogue.admin_of(provider))
    home = client.get("/a/alpha/provider/").content.decode()
    assert "Self-assessment for Home care, Crewe" in home
    page = client.get(f"/a/alpha/provider/quality/assessments/{assessment.pk}/").content.decode()
    assert "Start your self-assessment" in page

    url = f"/a/alpha/provider/quality/assessments/{assessment.pk}/self-assessment/"
    form = client.get(url).content.decode()
    assert "Management of medicines" in form and "Safeguarding and safety" in form
    assert "CQC essential standards of quality and safety (2010), outcome 9" in form
    saved = client.post(url, {"medicines-self_rating": "good", "medicines-narrative": "Weekly MAR audits.",
                              "save": "Save as a draft"})
    assert saved.status_code == 302
    with schema_context(m.schema):
        row = StandardAssessment.objects.get(assessment=assessment, standard="medicines")
        assert (row.self_rating, row.narrative) == ("good", "Weekly MAR audits.")
    incomplete = client.post(url, {"medicines-self_rating": "good", "medicines-narrative": "Weekly MAR audits.",
                                   "submit_all": "Submit"})
    assert incomplete.status_code == 400 and "Rate yourself against “Consent to care and treatment”" in \
        incomplete.content.decode()
    named = client.post(url, _every_standard() | {"consent-narrative": "Her NHS number is 943 476 5919.",
                                                  "save": "Save"})
    assert named.status_code == 400 and "govuk-error-summary" in named.content.decode()
    submitted = client.post(url, _every_standard() | {"submit_all": "Submit"})
    assert submitted.status_code == 302
    closed = client.get(url).content.decode()
    assert "can no longer be changed" in closed and "<textarea" not in closed
    again = client.post(url, _every_standard("poor") | {"save": "Save"})
    assert again.status_code == 400 and "can no longer be changed" in again.content.decode()
    with schema_context(m.schema):
        assert not StandardAssessment.objects.filter(assessment=assessment, self_rating="poor").exists()


def test_a_provider_of_another_company_cannot_see_or_submit(client, region):
    m = monitored(region.alpha, providers=2)
    first, second = m.market.providers
    assessment = _scheduled(m, first)
    client.force_login(catalogue.admin_of(second))
    base = f"/a/alpha/provider/quality/assessments/{assessment.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}self-assessment/").status_code == 404
    assert client.post(f"{base}self-assessment/", _every_standard() | {"submit_all": "Submit"}).status_code == 404
    assert "Home care, Crewe" not in client.get("/a/alpha/provider/quality/").content.decode()
    with schema_context(m.schema):
        assessment.refresh_from_db()
        assert assessment.self_assessment_submitted_at is None


def test_the_officer_validates_each_standard_then_rates_and_follows_up_an_action(client, region):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    admin = catalogue.admin_of(provider)
    assessment = _scheduled(m, provider)
    client.force_login(m.officer)
    page = f"/a/alpha/staff/quality/assessments/{assessment.pk}/"
    before = client.get(page).content.decode()
    assert "16 still to validate" in before and "Send the draft report" not in before
    self_assess(m.schema, assessment, provider, rating="good")
    validate = f"{page}standards/medicines/"
    assert client.post(validate, {"agree": "no"}).status_code == 400
    assert client.post(validate, {"agree": "no", "rating": "requires_improvement",
                                  "note": "Two MAR charts had gaps."}).status_code == 302
    assert "15 still to validate" in client.get(page).content.decode()
    validate_all(m.schema, assessment, m.officer)
    assert client.post(validate, {"agree": "no", "rating": "requires_improvement",
                                  "note": "Two MAR charts had gaps."}).status_code == 302
    ready = client.get(page).content.decode()
    assert "Send the draft report" in ready and 'data-testid="suggested"' in ready
    assert "Safeguarding and safety Good" in ready  # four Good and one Requires improvement

    added = client.post(f"{page}follow-ups/new/", {
        "what": "Audit medicine records weekly and send the results.", "source": "standard:medicines",
        "owner": f"provider:{admin.pk}", "due_on_0": "1", "due_on_1": "1", "due_on_2": str(date.today().year + 1)})
    assert added.status_code == 302, added.content.decode()[:3000]
    with schema_context(m.schema):
        action = FollowUp.objects.get(assessment=assessment)
    assert "Audit medicine records weekly" in client.get(page).content.decode()

    client.force_login(admin)
    assert "Audit medicine records weekly" in client.get("/a/alpha/provider/").content.decode()
    mine = client.get(f"/a/alpha/provider/quality/assessments/{assessment.pk}/").content.decode()
    assert "Mark done" in mine and "Two MAR charts had gaps" not in mine  # validation shown with the draft
    done = f"/a/alpha/provider/quality/follow-ups/{action.pk}/"
    assert client.post(done, {"note": ""}).status_code == 400
    assert client.post(done, {"note": "Weekly audits began on Monday."}).status_code == 302

    client.force_login(m.officer)
    review = f"/a/alpha/staff/quality/follow-ups/{action.pk}/"
    assert "Weekly audits began on Monday." in client.get(review).content.decode()
    assert client.post(review, {"decision": "verify"}).status_code == 302
    with schema_context(m.schema):
        assert FollowUp.objects.get(pk=action.pk).status == "verified"
    assert client.post(review, {"decision": "verify"}).status_code == 400  # already verified
