"""Reviewing a contract action in force: only quality officers and
commissioners review; an action that continues has its next review date;
lifting through a review lifts it with the notes as the reason; the notes
never identify a person; each review is kept, audited and e-mailed to the
provider once; the API and the pages say the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from audit.models import AuditEvent
from common.errors import Conflict, Invalid
from tenants.quality import oversight
from tenants.quality.models import Action, ActionReview
from tests.quality.support import monitored, placed
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db

NOTES = "Visits have been on time for six weeks; rota gaps remain at weekends."


def _action(m, provider=None, **fields):
    with schema_context(m.schema):
        return oversight.action_take(
            actor=m.officer,
            provider=provider or m.market.providers[0],
            kind="improvement_plan",
            grounds="Missed visits in October.",
            **fields,
        )


def test_an_action_continues_to_its_next_review_recorded_audited_and_told_to_the_provider_once(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    today = timezone.localdate()
    action = _action(m, review_on=today + timedelta(days=3))
    next_review = today + timedelta(days=60)
    with schema_context(m.schema), django_capture_on_commit_callbacks(execute=True):
        review = oversight.action_review(
            actor=m.officer, action=action, outcome="continue", notes=NOTES, next_review_on=next_review
        )
    with schema_context(m.schema):
        action.refresh_from_db()
        assert (action.status, action.review_on) == ("active", next_review)
        stored = ActionReview.objects.get(action=action)
        assert stored.pk == review.pk
        assert (stored.reviewed_on, stored.reviewed_by, stored.outcome, stored.notes, stored.next_review_on) == (
            today,
            m.officer,
            "continue",
            NOTES,
            next_review,
        )
        event = AuditEvent.objects.get(action="provider_action.reviewed", object_id=str(action.pk))
        assert event.after["outcome"] == "continue" and event.after["review_on"] == next_review.isoformat()
        assert event.before["review_on"] == (today + timedelta(days=3)).isoformat() and event.reason == NOTES
    assert len(mailoutbox) == 1
    letter = mailoutbox[0]
    assert letter.to == [catalogue.admin_of(provider).email]
    assert "continues" in letter.subject and "Improvement plan" in letter.subject
    assert NOTES in letter.body and f"reviewed again on {next_review:%-d %B %Y}" in letter.body

    # reviewed again, and lifted: the notes are the reason, the provider told again
    with schema_context(m.schema), django_capture_on_commit_callbacks(execute=True):
        oversight.action_review(
            actor=m.market.setup.commissioner, action=action, outcome="lift", notes="The plan is complete."
        )
    with schema_context(m.schema):
        action.refresh_from_db()
        assert (action.status, action.lifted_on, action.lift_reason) == ("lifted", today, "The plan is complete.")
        assert list(action.reviews.values_list("outcome", flat=True)) == ["continue", "lift"]
        assert AuditEvent.objects.filter(action="provider_action.lifted", object_id=str(action.pk)).count() == 1
    assert (
        len(mailoutbox) == 2 and "lifted" in mailoutbox[1].subject and "The plan is complete." in (mailoutbox[1].body)
    )


def test_who_may_review_and_what_is_refused(region, mailoutbox, django_capture_on_commit_callbacks):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    today = timezone.localdate()
    action = _action(m)
    later = today + timedelta(days=30)
    with schema_context(m.schema):
        for someone in (m.market.broker, catalogue.admin_of(provider)):
            with pytest.raises(PermissionDenied):
                oversight.action_review(
                    actor=someone, action=action, outcome="continue", notes=NOTES, next_review_on=later
                )
        with pytest.raises(Invalid) as refused:  # an action that continues is reviewed again
            oversight.action_review(actor=m.officer, action=action, outcome="continue", notes="")
        assert set(refused.value.message_dict) == {"notes", "next_review_on"}
        with pytest.raises(Invalid) as refused:
            oversight.action_review(
                actor=m.officer, action=action, outcome="continue", notes=NOTES, next_review_on=today
            )
        assert "after today" in refused.value.message_dict["next_review_on"][0]
        with pytest.raises(Invalid) as refused:
            oversight.action_review(actor=m.officer, action=action, outcome="pause", notes=NOTES)
        assert set(refused.value.message_dict) == {"outcome"}
        with pytest.raises(Invalid) as refused:
            oversight.action_review(actor=m.officer, action=action, outcome="lift", notes=NOTES, next_review_on=later)
        assert set(refused.value.message_dict) == {"next_review_on"}
        # the provider reads the notes: the same guard as the grounds
        for named in ("Her NHS number is 943 476 5919.", "She was born 3 March 1941 and was left alone."):
            with pytest.raises(Invalid) as refused:
                oversight.action_review(
                    actor=m.officer, action=action, outcome="continue", notes=named, next_review_on=later
                )
            assert set(refused.value.message_dict) == {"notes"}
        assert not ActionReview.objects.exists()
        assert Action.objects.get(pk=action.pk).review_on is None
        oversight.action_lift(actor=m.officer, action=action, reason="Plan complete.")
        with pytest.raises(Conflict, match="lifted on"):
            oversight.action_review(
                actor=m.officer, action=action, outcome="continue", notes=NOTES, next_review_on=later
            )
        with pytest.raises(Conflict):
            oversight.action_review(actor=m.officer, action=action, outcome="lift", notes=NOTES)
        assert not ActionReview.objects.exists()
    assert mailoutbox == []


def test_the_review_of_a_placement_termination_never_names_the_person(region):
    m = monitored(region.alpha, providers=1)
    placement = placed(m)
    with schema_context(m.schema):
        action = oversight.placement_terminate(
            actor=m.officer,
            placement=placement,
            grounds="Missed visits.",
            ends_on=timezone.localdate() + timedelta(days=14),
        )
        with pytest.raises(Invalid) as refused:
            oversight.action_review(
                actor=m.officer,
                action=action,
                outcome="continue",
                notes="Mrs Okoro's new provider starts soon.",
                next_review_on=timezone.localdate() + timedelta(days=20),
            )
        assert "Okoro" in refused.value.message_dict["notes"][0]
        review = oversight.action_review(
            actor=m.officer,
            action=action,
            outcome="continue",
            notes=f"Re-sourcing of {placement.package.reference} is under way.",
            next_review_on=timezone.localdate() + timedelta(days=20),
        )
        assert review.outcome == "continue"


def test_reviews_through_the_api(region, mailoutbox, django_capture_on_commit_callbacks):
    m = monitored(region.alpha, providers=2)
    provider, other = m.market.providers
    action = _action(m)
    staff, broker, them, others = APIClient(), APIClient(), APIClient(), APIClient()
    staff.force_authenticate(m.officer)
    broker.force_authenticate(m.market.broker)
    them.force_authenticate(catalogue.admin_of(provider))
    others.force_authenticate(catalogue.admin_of(other))
    url = f"/a/alpha/api/v1/actions/{action.pk}/review/"
    later = timezone.localdate() + timedelta(days=45)

    def problem(response, status):
        assert response.status_code == status, response.content
        assert response["Content-Type"].startswith("application/problem+json")
        return response.json()

    assert (
        "next_review_on"
        in problem(staff.post(url, {"outcome": "continue", "notes": NOTES}, format="json"), 400)["errors"]
    )
    assert (
        "reason"
        in problem(staff.post(url, {"outcome": "lift", "notes": NOTES, "reason": "x"}, format="json"), 400)["errors"]
    )  # an unknown field is refused, not ignored
    assert (
        "notes"
        in problem(
            staff.post(
                url,
                {"outcome": "continue", "notes": "NHS number 943 476 5919", "next_review_on": later.isoformat()},
                format="json",
            ),
            400,
        )["errors"]
    )
    problem(staff.post(url, {"outcome": "lift", "notes": "Plan\x00 complete."}, format="json"), 400)
    problem(
        staff.post(url, {"outcome": "continue", "notes": NOTES, "next_review_on": "2027-02-30"}, format="json"), 400
    )
    problem(broker.post(url, {"outcome": "lift", "notes": NOTES}, format="json"), 403)
    problem(
        staff.post("/a/alpha/api/v1/actions/999999/review/", {"outcome": "lift", "notes": NOTES}, format="json"), 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        made = staff.post(
            url, {"outcome": "continue", "notes": NOTES, "next_review_on": later.isoformat()}, format="json"
        )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "active" and body["review_on"] == later.isoformat()
    assert [(r["outcome"], r["notes"], r["next_review_on"]) for r in body["reviews"]] == [
        ("continue", NOTES, later.isoformat())
    ]
    assert len(mailoutbox) == 1

    # the action's representation carries its reviews, for staff and for the provider
    detail = staff.get(f"/a/alpha/api/v1/actions/{action.pk}/")
    assert detail.status_code == 200 and detail.json()["reviews"] == body["reviews"]
    problem(broker.get(f"/a/alpha/api/v1/actions/{action.pk}/"), 403)
    problem(staff.get("/a/alpha/api/v1/actions/999999/"), 404)
    listed = staff.get("/a/alpha/api/v1/actions/").json()["results"]
    assert [a["reviews"] for a in listed] == [body["reviews"]]
    seen = them.get("/a/alpha/api/v1/provider/actions/").json()["results"]
    assert [a["reviews"][0]["notes"] for a in seen] == [NOTES]
    assert others.get("/a/alpha/api/v1/provider/actions/").json()["results"] == []

    lifted = staff.post(url, {"outcome": "lift", "notes": "Plan complete."}, format="json")
    assert lifted.status_code == 201 and lifted.json()["status"] == "lifted"
    assert lifted.json()["lift_reason"] == "Plan complete." and len(lifted.json()["reviews"]) == 2
    assert "lifted" in problem(staff.post(url, {"outcome": "lift", "notes": "again"}, format="json"), 409)["detail"]


def test_the_action_list_takes_the_same_queries_with_more_reviews(region):
    m = monitored(region.alpha, providers=1)
    staff = APIClient()
    staff.force_authenticate(m.officer)
    later = timezone.localdate() + timedelta(days=30)
    action = _action(m)
    with schema_context(m.schema):
        oversight.action_review(actor=m.officer, action=action, outcome="continue", notes=NOTES, next_review_on=later)
    staff.get("/a/alpha/api/v1/actions/")  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert staff.get("/a/alpha/api/v1/actions/").status_code == 200
    for _ in range(3):
        more = _action(m)
        with schema_context(m.schema):
            for days in (30, 40):
                oversight.action_review(
                    actor=m.officer,
                    action=more,
                    outcome="continue",
                    notes=NOTES,
                    next_review_on=later + timedelta(days=days),
                )
    with CaptureQueriesContext(connection) as four:
        response = staff.get("/a/alpha/api/v1/actions/")
    assert len(response.json()["results"]) == 4
    assert len(four.captured_queries) == len(one.captured_queries)


def test_quality_staff_record_a_review_on_the_action_page_and_the_provider_reads_it(client, region, mailoutbox):
    m = monitored(region.alpha, providers=1)
    provider = m.market.providers[0]
    action = _action(m)
    page = f"/a/alpha/staff/quality/actions/{action.pk}/"
    later = timezone.localdate() + timedelta(days=45)

    client.force_login(m.market.broker)
    assert client.get(page).status_code == 403
    client.force_login(m.officer)
    shown = client.get(page).content.decode()
    assert "Record a review" in shown and "Missed visits in October." in shown and "Not reviewed yet." in shown
    assert f'href="{page}"' in client.get(f"/a/alpha/staff/quality/providers/{provider.pk}/").content.decode()
    # clear errors, against the fields
    refused = client.post(page, {"outcome": "continue", "notes": ""})
    text = refused.content.decode()
    assert refused.status_code == 400
    assert "Write what the review found" in text
    refused = client.post(page, {"outcome": "continue", "notes": NOTES})
    assert refused.status_code == 400 and "Give the date of the next review" in refused.content.decode()
    refused = client.post(
        page,
        {
            "outcome": "continue",
            "notes": "Her NHS number is 943 476 5919.",
            "next_review_on_0": later.day,
            "next_review_on_1": later.month,
            "next_review_on_2": later.year,
        },
    )
    assert refused.status_code == 400 and "943 476 5919" in refused.content.decode()
    done = client.post(
        page,
        {
            "outcome": "continue",
            "notes": NOTES,
            "next_review_on_0": later.day,
            "next_review_on_1": later.month,
            "next_review_on_2": later.year,
        },
    )
    assert done.status_code == 302 and done["Location"].endswith(page)
    shown = client.get(page).content.decode()
    assert 'data-testid="reviews"' in shown and NOTES in shown and f"{later:%-d %B %Y}" in shown
    assert "Quinn Officer" in shown  # who reviewed, for staff
    overview = client.get(f"/a/alpha/staff/quality/providers/{provider.pk}/").content.decode()
    assert 'data-testid="last-review"' in overview and f"next review {later:%-d %B %Y}" in overview
    with schema_context(m.schema):
        assert Action.objects.get(pk=action.pk).review_on == later

    client.force_login(catalogue.admin_of(provider))
    theirs = client.get(f"/a/alpha/provider/quality/actions/{action.pk}/").content.decode()
    assert NOTES in theirs and f"next review on {later:%-d %B %Y}" in theirs and "Quinn Officer" not in theirs

    client.force_login(m.officer)
    assert client.post(page, {"outcome": "lift", "notes": "Plan complete."}).status_code == 302
    shown = client.get(page).content.decode()
    assert "Lifted on" in shown and "Record a review" not in shown
    assert client.post(page, {"outcome": "lift", "notes": "again"}).status_code == 400  # a clear refusal, not a 500
