"""The call-off outcome export: every outcome of the period, sent once per
period to the finance and monitoring officers as a CSV attachment, through
the outbox; never another authority's packages, never the person's details."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from accounts.roles import AuthorityRole
from outbox.models import Message
from tenants.calloffs.models import Award, Bid, NoAward, Package, Person, Withdrawal
from tenants.reports import services
from tenants.reports.models import OutcomeExport
from tests import support
from tests.reports import support as build

pytestmark = pytest.mark.django_db
OCTOBER = date(2026, 10, 1)
TODAY = date(2026, 11, 3)


def _outcomes(market: build.Year) -> dict:
    """An award, a no award, a withdrawal and a cancellation in October; an award in November."""
    name = f"Brightday {market.authority.slug}"
    build.admit(market, name, round_number=1, lots=["1"], activated=date(2022, 10, 1))
    made = {}
    with schema_context(market.authority.schema_name):
        person = Person.objects.create(first_name="Margaret", last_name="Okoro", nhs_number="9434765919",
                                       created_by=market.broker)
        for key, day, status in (("award", date(2026, 10, 6), "awarded"), ("none", date(2026, 10, 9), "no_award"),
                                 ("withdrawn", date(2026, 10, 20), "withdrawn"),
                                 ("cancelled", date(2026, 10, 31), "cancelled"),
                                 ("later", date(2026, 11, 2), "awarded")):
            package = build.package(market, key, published=day if status != "cancelled" else None, need="dementia",
                                    status=status)
            package.people.add(person)
            made[key] = (package, day)
        for key in ("award", "later"):
            package, day = made[key]
            bid = Bid.objects.create(package=package, provider=market.providers[name], status="submitted",
                                     sealed=b"x", updated_by=market.broker, weekly_price=Decimal("612.50"))
            Award.objects.create(package=package, bid=bid, basis=Award.Basis.PREFERENCE,
                                 reason="Margaret Okoro chose it after a visit" if key == "award" else "",
                                 awarded_by=market.broker, awarded_at=build.at(day))
        package, day = made["none"]
        NoAward.objects.create(package=package, next_step=NoAward.Next.REPUBLISH, reason="No bid within budget",
                               recorded_by=market.broker, recorded_at=build.at(day))
        package, day = made["withdrawn"]
        Withdrawal.objects.create(package=package, status_before=Package.Status.PUBLISHED,
                                  reason=Withdrawal.Reason.DIRECT_PAYMENT, recorded_by=market.broker,
                                  recorded_at=build.at(day))
        package, day = made["cancelled"]
        Withdrawal.objects.create(package=package, status_before=Package.Status.DRAFT,
                                  reason=Withdrawal.Reason.NEEDS_CHANGED, note="Moved to residential care",
                                  recorded_by=market.broker, recorded_at=build.at(day, 23))
    return {key: package.reference for key, (package, _) in made.items()}


def test_the_export_is_sent_once_per_period_with_every_outcome_and_no_one_elses(
        region, mailoutbox, django_capture_on_commit_callbacks):
    alpha = build.year(region.alpha)
    refs = _outcomes(alpha)
    beta = build.year(region.beta)
    beta_refs = _outcomes(beta)
    finance = support.make_staff(region.alpha, AuthorityRole.FINANCE_VIEWER)
    support.make_staff(region.beta, AuthorityRole.FINANCE_VIEWER)
    with schema_context("alpha"):
        services.export_settings_set(actor=alpha.setup.commissioner, frequency="monthly",
                                     send_to_finance_viewers=True, recipients=["Monitoring.Officer@alpha.example.org"])
        with django_capture_on_commit_callbacks(execute=True):
            export = services.outcome_exports_due(today=TODAY)
        assert (export.period_start, export.period_end) == (OCTOBER, date(2026, 10, 31))
        assert Message.objects.filter(task="reports.outcome_export_send", args=[export.pk]).count() == 1

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.to) == sorted([finance.email.lower(), "monitoring.officer@alpha.example.org"])
    assert "1 October 2026 to 31 October 2026" in message.body
    (name, content, mimetype), = message.attachments
    assert name == "calloff-outcomes-2026-10-01-to-2026-10-31.csv" and mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [(row["Outcome"], row["Package"]) for row in rows] == [
        ("Awarded", refs["award"]), ("Not awarded", refs["none"]), ("Withdrawn", refs["withdrawn"]),
        ("Cancelled", refs["cancelled"])]
    award = rows[0]
    assert (award["Provider"], award["Weekly price"]) == ("Brightday alpha", "612.50")
    assert award["Primary need"] == "Dementia"
    assert rows[1]["Reason"] == "No bid within budget" and rows[1]["Basis or next step"] == "Publish again"
    assert rows[2]["Reason"] == "The person chose a direct payment"
    assert rows[3]["Reason"] == "The person's needs changed: Moved to residential care"
    # the person: never named, never numbered (an award reason naming them is withheld)
    assert "Okoro" not in content and "Margaret" not in content and "9434765919" not in content
    assert award["Reason"].startswith("Withheld")
    # another authority's packages never appear, though they share the period
    assert not set(beta_refs.values()) & {row["Package"] for row in rows}

    # again: a second beat, a redelivered task, a retry: nothing more is sent
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        assert services.outcome_exports_due(today=TODAY) is None
        assert services.outcome_exports_due(today=date(2026, 11, 30)) is None
        assert services.outcome_export_send(export.pk) == 0
        from tenants.reports.tasks import outcome_export_send_task

        message_id = Message.objects.get(task="reports.outcome_export_send").pk
        outcome_export_send_task.apply(args=[export.pk], kwargs={"outbox_id": message_id})
        sent = OutcomeExport.objects.get(pk=export.pk)
        assert sent.sent_at is not None and sent.rows == 4 and len(sent.recipients) == 2
        assert OutcomeExport.objects.count() == 1
    assert len(mailoutbox) == 1

    # the next month is a new period
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        services.outcome_exports_due(today=date(2026, 12, 1))
    assert len(mailoutbox) == 2
    assert refs["later"] in mailoutbox[1].attachments[0][1]


def test_a_weekly_export_covers_the_last_whole_week_and_off_sends_nothing(region, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    alpha = build.year(region.alpha)
    with schema_context("alpha"):
        services.export_settings_set(actor=alpha.setup.commissioner, frequency="weekly",
                                     send_to_finance_viewers=False, recipients=["finance@alpha.example.org"])
        assert services.period_ended("weekly", date(2026, 11, 4)) == (date(2026, 10, 26), date(2026, 11, 1))
        with django_capture_on_commit_callbacks(execute=True):
            export = services.outcome_exports_due(today=date(2026, 11, 4))
        assert export.frequency == "weekly" and mailoutbox[0].to == ["finance@alpha.example.org"]
        services.export_settings_set(actor=alpha.setup.commissioner, frequency="off", send_to_finance_viewers=True,
                                     recipients=[])
        assert services.outcome_exports_due(today=date(2026, 11, 11)) is None
        with pytest.raises(Exception) as refused:
            services.export_settings_set(actor=alpha.setup.commissioner, frequency="weekly",
                                         send_to_finance_viewers=True, recipients=["not an address"])
        assert "not an e-mail address" in str(refused.value)


def test_the_outcomes_are_downloadable_on_demand_from_the_page_and_the_api(region, client):
    alpha = build.year(region.alpha)
    refs = _outcomes(alpha)
    finance = support.make_staff(region.alpha, AuthorityRole.FINANCE_VIEWER)
    api = APIClient()
    support.confirm_second_factor(api, finance)
    base = "/a/alpha/api/v1/reports/calloff-outcomes/"
    listed = api.get(base, {"start": "2026-10-01", "end": "2026-10-31"})
    assert listed.status_code == 200
    assert [row["package"] for row in listed.json()] == [refs["award"], refs["none"], refs["withdrawn"],
                                                         refs["cancelled"]]
    assert listed.json()[0]["weekly_price"] == "612.50"
    as_csv = api.get(base, {"start": "2026-10-01", "end": "2026-10-31", "format": "csv"})
    assert as_csv.status_code == 200 and refs["cancelled"] in as_csv.content.decode()
    assert api.get(base, {"start": "2026-10-31", "end": "2026-10-01"}).status_code == 400
    assert api.get(base, {"start": "October"}).status_code == 400
    assert api.get(base, {"person": "x"}).status_code == 400
    beta = APIClient()
    support.confirm_second_factor(beta, support.make_staff(region.beta, AuthorityRole.FINANCE_VIEWER))
    assert beta.get(base).status_code == 403
    settings_url = "/a/alpha/api/v1/reports/outcome-export/"
    assert api.put(settings_url, {"frequency": "weekly", "send_to_finance_viewers": True, "recipients": []},
                   format="json").status_code == 403
    commissioner = APIClient()
    support.confirm_second_factor(commissioner, alpha.setup.commissioner)
    put = commissioner.put(settings_url, {"frequency": "weekly", "send_to_finance_viewers": True,
                                          "recipients": ["mo@alpha.example.org"], "cc": "x"}, format="json")
    assert put.status_code == 400 and "cc" in put.json()["errors"]
    put = commissioner.put(settings_url, {"frequency": "weekly", "send_to_finance_viewers": True,
                                          "recipients": ["mo@alpha.example.org"]}, format="json")
    assert put.status_code == 200 and put.json()["to"] == sorted([finance.email.lower(), "mo@alpha.example.org"])

    client.force_login(finance)
    page = client.get("/a/alpha/staff/reports/calloff-outcomes/", {"start": "2026-10-01", "end": "2026-10-31"})
    html = page.content.decode()
    assert page.status_code == 200 and refs["withdrawn"] in html and "£612.50" in html and "Okoro" not in html
    assert 'data-testid="export-settings"' not in html  # finance viewers read; they do not set where it goes
    download = client.get("/a/alpha/staff/reports/calloff-outcomes.csv", {"start": "2026-10-01", "end": "2026-10-31"})
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert refs["award"] in download.content.decode()
    assert client.get("/a/alpha/staff/reports/calloff-outcomes.csv", {"start": "soon"}).status_code == 400
    client.force_login(alpha.setup.commissioner)
    saved = client.post("/a/alpha/staff/reports/calloff-outcomes/export/",
                        {"frequency": "monthly", "recipients": "mo@alpha.example.org\nbad address"})
    assert saved.status_code == 400 and "not an e-mail address" in saved.content.decode()
    saved = client.post("/a/alpha/staff/reports/calloff-outcomes/export/",
                        {"frequency": "monthly", "recipients": "mo@alpha.example.org"})
    assert saved.status_code == 302
    with schema_context("alpha"):
        current = services.export_settings()
        assert (current.frequency, current.send_to_finance_viewers, current.recipients) == (
            "monthly", False, ["mo@alpha.example.org"])


def _nobody(alpha: build.Year, django_capture_on_commit_callbacks):
    """The export set to go to finance viewers only, with none here: the period is made but not sent."""
    with schema_context("alpha"):
        current = services.export_settings_set(actor=alpha.setup.commissioner, frequency="monthly",
                                               send_to_finance_viewers=True, recipients=[])
        assert services.export_recipients(current) == []
        with django_capture_on_commit_callbacks(execute=True):
            export = services.outcome_exports_due(today=TODAY)
        export.refresh_from_db()
    return export


def test_an_export_with_nobody_to_send_to_is_not_sent_and_goes_once_someone_is_named(
        region, client, mailoutbox, django_capture_on_commit_callbacks):
    from audit.models import AuditEvent

    alpha = build.year(region.alpha)
    _outcomes(alpha)
    export = _nobody(alpha, django_capture_on_commit_callbacks)
    assert mailoutbox == []
    assert (export.state, export.sent_at, export.rows) == ("nobody", None, 4) and export.nobody_at is not None
    with schema_context("alpha"):
        assert AuditEvent.objects.filter(action="reports.outcome_export_not_sent").count() == 1
    client.force_login(alpha.setup.commissioner)
    page = client.get("/a/alpha/staff/reports/calloff-outcomes/").content.decode()
    assert "Not sent: nobody to send to" in page and "Send it now" not in page  # nobody to send it to yet
    # the next morning, still nobody: nothing is queued or sent
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        assert services.outcome_exports_due(today=date(2026, 11, 4)) is None
        assert Message.objects.filter(task="reports.outcome_export_send").count() == 1
    assert mailoutbox == []
    # someone is named: the next morning's run sends the period, once
    finance = support.make_staff(region.alpha, AuthorityRole.FINANCE_VIEWER)
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        assert services.outcome_exports_due(today=date(2026, 11, 5)) is None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [finance.email.lower()]
    assert "1 October 2026 to 31 October 2026" in mailoutbox[0].body
    with schema_context("alpha"), django_capture_on_commit_callbacks(execute=True):
        sent = OutcomeExport.objects.get(pk=export.pk)
        assert (sent.state, sent.nobody_at, sent.recipients) == ("sent", None, [finance.email.lower()])
        assert services.outcome_exports_due(today=date(2026, 11, 6)) is None
        assert services.outcome_export_send(export.pk) == 0
    assert len(mailoutbox) == 1
    page = client.get("/a/alpha/staff/reports/calloff-outcomes/").content.decode()
    assert "Not sent: nobody" not in page and "to 1 address" in page


def test_staff_send_an_export_that_found_nobody_from_the_page_or_the_api(
        region, client, mailoutbox, django_capture_on_commit_callbacks):
    alpha = build.year(region.alpha)
    export = _nobody(alpha, django_capture_on_commit_callbacks)
    api = APIClient()
    support.confirm_second_factor(api, alpha.setup.commissioner)
    base = "/a/alpha/api/v1/reports/outcome-exports/"
    [listed] = api.get(base).json()["results"]
    assert (listed["id"], listed["state"], listed["sent_at"]) == (export.pk, "nobody", None)
    assert [e["id"] for e in api.get(base, {"state": "nobody"}).json()["results"]] == [export.pk]
    assert api.get(base, {"state": "lost"}).status_code == 400
    still = api.post(f"{base}{export.pk}/send/")
    assert still.status_code == 409 and "nobody to send it to" in still.json()["detail"]
    broker = APIClient()
    support.confirm_second_factor(broker, alpha.broker)
    assert broker.post(f"{base}{export.pk}/send/").status_code == 403
    assert api.post(f"{base}999999/send/").status_code == 404
    with schema_context("alpha"):
        services.export_settings_set(actor=alpha.setup.commissioner, frequency="monthly",
                                     send_to_finance_viewers=True, recipients=["mo@alpha.example.org"])
    # from the page: the button is there once someone is named, and sends it
    client.force_login(alpha.setup.commissioner)
    page = client.get("/a/alpha/staff/reports/calloff-outcomes/").content.decode()
    assert f'id="send-export-{export.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/a/alpha/staff/reports/calloff-outcomes/exports/{export.pk}/send/", follow=True)
    assert "is on its way" in sent.content.decode()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["mo@alpha.example.org"]
    with schema_context("alpha"):
        assert OutcomeExport.objects.get(pk=export.pk).state == "sent"
    # sent once: the API and the page refuse to send it again
    again = api.post(f"{base}{export.pk}/send/")
    assert again.status_code == 409 and "a period is sent once" in again.json()["detail"]
    refused = client.post(f"/a/alpha/staff/reports/calloff-outcomes/exports/{export.pk}/send/", follow=True)
    assert "a period is sent once" in refused.content.decode()
    assert len(mailoutbox) == 1
    assert api.get(base, {"state": "sent"}).json()["results"][0]["sent_to"] == 1


def test_exports_recorded_before_as_sent_to_no_one_become_not_sent(region):
    """Reports migration 0002: an export marked sent with no recipients (the
    old record of nobody to send to) becomes not sent, so that it goes."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("tenants.reports.migrations.0002_outcome_export_nobody")
    with schema_context("alpha"):
        stamp = timezone.now()
        nobody = OutcomeExport.objects.create(period_start=date(2026, 9, 1), period_end=date(2026, 9, 30),
                                              frequency="monthly", recipients=[], sent_at=stamp)
        sent = OutcomeExport.objects.create(period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                                            frequency="monthly", recipients=["mo@alpha.example.org"], sent_at=stamp)
        migration.not_sent_to_no_one(apps, None)
        nobody.refresh_from_db()
        sent.refresh_from_db()
        assert (nobody.state, nobody.nobody_at, nobody.sent_at) == ("nobody", stamp, None)
        assert (sent.state, sent.sent_at) == ("sent", stamp)
