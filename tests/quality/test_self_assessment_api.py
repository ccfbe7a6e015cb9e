"""The self-assessment, validation and follow-up through the API: strict
input (unknown fields and bad values are a 400), the rules as 409s, other
companies and other roles refused (404 for what is not theirs, 403 for
what their role may not do)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.quality import oversight
from tenants.quality.models import DOMAINS
from tenants.quality.standards import STANDARDS
from tests.quality.support import monitored
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

API = "/a/alpha/api/v1"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _every(rating="good") -> dict:
    return {"standards": [{"standard": s.key, "self_rating": rating, "narrative": f"How we meet {s.title}."}
                          for s in STANDARDS]}


def test_the_provider_self_assesses_through_the_api_and_cannot_change_it_after(region):
    m = monitored(region.alpha, providers=2)
    provider, other = m.market.providers
    staff = _client(m.officer)
    made = staff.post(f"{API}/assessments/", {"provider": provider.pk, "service": "Home care, Crewe",
                                              "visit_on": (date.today() + timedelta(days=20)).isoformat()},
                      format="json")
    assert made.status_code == 201, made.content
    assessment = made.json()["id"]
    assert made.json()["self_assessment_due"] == (date.today() + timedelta(days=13)).isoformat()
    them = _client(catalogue.admin_of(provider))
    listed = them.get(f"{API}/provider/assessments/").json()["results"]
    assert [a["id"] for a in listed] == [assessment]  # scheduled: theirs to self-assess
    url = f"{API}/provider/assessments/{assessment}/self-assessment/"
    assert len(them.get(url).json()["standards"]) == 16
    # strict input
    unknown = them.post(url, {"standards": [{"standard": "medicines", "narative": "Typo."}]}, format="json")
    assert unknown.status_code == 400 and "narative" in unknown.content.decode()
    assert them.post(url, {"standards": [{"standard": "medicines", "self_rating": "outstanding"}]},
                     format="json").status_code == 400
    assert them.post(url, {"standards": [{"standard": "no_such"}]}, format="json").status_code == 400
    assert them.post(url, {"standards": [{"standard": "medicines", "narrative": "NHS number 943 476 5919."}]},
                     format="json").status_code == 400
    theirs = catalogue.upload(other, evidence_type="business_continuity")
    assert them.post(url, {"standards": [{"standard": "medicines", "evidence": theirs.pk}]},
                     format="json").status_code == 400
    saved = them.post(url, {"standards": [{"standard": "medicines", "self_rating": "good",
                                           "narrative": "Weekly MAR audits."}]}, format="json")
    assert saved.status_code == 200
    row = next(r for r in saved.json()["standards"] if r["standard"] == "medicines")
    assert (row["self_rating"], row["narrative"], row["officer_rating"]) == ("good", "Weekly MAR audits.", "")
    assert them.post(f"{url}submit/", format="json").status_code == 400  # fifteen standards not rated
    assert them.post(url, _every(), format="json").status_code == 200
    submitted = them.post(f"{url}submit/", format="json")
    assert submitted.status_code == 200 and submitted.json()["self_assessment_submitted_at"]
    assert them.post(url, _every("poor"), format="json").status_code == 409
    moved = staff.post(f"{API}/assessments/{assessment}/self-assessment-due/",
                       {"due_on": date.today().isoformat()}, format="json")
    assert moved.status_code == 409  # submitted: its date no longer applies
    assert them.post(f"{url}submit/", format="json").status_code == 409

    # another company: not theirs (404); staff on the provider's side, a provider on the staff side: 403
    stranger = _client(catalogue.admin_of(other))
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, _every(), format="json").status_code == 404
    assert stranger.post(f"{url}submit/", format="json").status_code == 404
    assert staff.get(url).status_code == 403
    assert them.get(f"{API}/assessments/{assessment}/standards/").status_code == 403
    viewer = _client(catalogue.add_person(provider, role="viewer"))
    assert viewer.post(url, _every(), format="json").status_code == 403


def test_the_officer_validates_each_standard_before_the_draft_and_follows_up_an_action(region):
    m = monitored(region.alpha, providers=2)
    provider, other = m.market.providers
    admin = catalogue.admin_of(provider)
    with schema_context(m.schema):
        assessment = oversight.assessment_schedule(actor=m.officer, provider=provider, service="Home care",
                                                   visit_on=date.today() + timedelta(days=20)).pk
    staff, them = _client(m.officer), _client(admin)
    base = f"{API}/assessments/{assessment}"
    assert staff.get(f"{base}/standards/").json()["outstanding"] == 16
    assert staff.post(f"{base}/standards/medicines/validate/", {"agree": True}, format="json").status_code == 409
    them.post(f"{API}/provider/assessments/{assessment}/self-assessment/", _every(), format="json")
    them.post(f"{API}/provider/assessments/{assessment}/self-assessment/submit/", format="json")

    assert staff.post(f"{base}/standards/no_such/validate/", {"agree": True}, format="json").status_code == 404
    assert staff.post(f"{API}/assessments/999999/standards/medicines/validate/", {"agree": True},
                      format="json").status_code == 404
    assert staff.post(f"{base}/standards/medicines/validate/", {"agree": False}, format="json").status_code == 400
    assert staff.post(f"{base}/standards/medicines/validate/", {"agree": "yes"}, format="json").status_code == 400
    assert staff.post(f"{base}/standards/medicines/validate/", {"agree": True, "score": 3},
                      format="json").status_code == 400
    assert _client(m.market.broker).post(f"{base}/standards/medicines/validate/", {"agree": True},
                                         format="json").status_code == 403
    done = staff.post(f"{base}/standards/medicines/validate/", {"agree": False, "rating": "poor",
                                                               "note": "MAR charts had gaps."}, format="json")
    assert done.status_code == 200 and done.json()["outstanding"] == 15
    draft = {"domain_ratings": {key: "good" for key, _ in DOMAINS}, "rating": "good", "findings": "Good."}
    refused = staff.post(f"{base}/draft/", draft, format="json")
    assert refused.status_code == 409 and "15 of 16" in refused.content.decode()
    # the provider does not read the officer's validation before the draft report
    mine = them.get(f"{API}/provider/assessments/{assessment}/self-assessment/").json()["standards"]
    assert all(r["officer_rating"] == "" and r["officer_note"] == "" for r in mine)
    for s in (s for s in STANDARDS if s.key != "medicines"):
        staff.post(f"{base}/standards/{s.key}/validate/", {"agree": True}, format="json")
    ready = staff.get(f"{base}/standards/").json()
    assert ready["outstanding"] == 0 and ready["suggested_domain_ratings"]["safeguarding"] == "requires_improvement"
    assert staff.post(f"{base}/draft/", draft, format="json").status_code == 200
    shown = them.get(f"{API}/provider/assessments/{assessment}/self-assessment/").json()["standards"]
    assert any(r["officer_note"] == "MAR charts had gaps." for r in shown)

    due = (date.today() + timedelta(days=30)).isoformat()
    action = {"what": "Audit MAR charts weekly.", "standard": "medicines", "owner_side": "provider",
              "owner": catalogue.admin_of(other).pk, "due_on": due}
    assert staff.post(f"{base}/follow-ups/", action, format="json").status_code == 400  # not their person
    assert staff.post(f"{base}/follow-ups/", action | {"owner": admin.pk, "extra": 1},
                      format="json").status_code == 400
    assert staff.post(f"{API}/assessments/999999/follow-ups/", action | {"owner": admin.pk},
                      format="json").status_code == 404
    made = staff.post(f"{base}/follow-ups/", action | {"owner": admin.pk}, format="json")
    assert made.status_code == 201 and made.json()["domain"] == "safeguarding"
    follow_up = made.json()["id"]
    assert [f["id"] for f in them.get(f"{API}/provider/follow-ups/").json()["results"]] == [follow_up]
    assert _client(catalogue.admin_of(other)).post(f"{API}/provider/follow-ups/{follow_up}/done/",
                                                   {"note": "Done."}, format="json").status_code == 404
    assert staff.post(f"{API}/follow-ups/{follow_up}/verify/", format="json").status_code == 409  # still open
    assert them.post(f"{API}/provider/follow-ups/{follow_up}/done/", {"note": ""}, format="json").status_code == 400
    marked = them.post(f"{API}/provider/follow-ups/{follow_up}/done/", {"note": "Weekly audits since Monday."},
                       format="json")
    assert marked.status_code == 200 and marked.json()["status"] == "done"
    assert staff.post(f"{API}/follow-ups/{follow_up}/reopen/", {"reason": ""}, format="json").status_code == 400
    assert staff.post(f"{API}/follow-ups/{follow_up}/verify/", format="json").json()["status"] == "verified"
    assert staff.post(f"{API}/follow-ups/{follow_up}/verify/", format="json").status_code == 409
    assert staff.post(f"{API}/follow-ups/999999/verify/", format="json").status_code == 404
    assert them.post(f"{API}/follow-ups/{follow_up}/verify/", format="json").status_code == 403
    assert len(staff.get(f"{API}/quality-standards/").json()) == 16
