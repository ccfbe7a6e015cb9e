"""The work queue on the staff home page, its count in the navigation, the
preferences page, the API (GET the queue; GET and PUT preferences), and
development mail as one .eml file per message."""

import email
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole, ProviderRole
from tenants.admissions.models import Application
from tenants.workspace import services
from tests import support
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
HOME = "/a/beta/staff/"
API = "/a/beta/api/v1/"


@pytest.fixture
def overdue(region):
    """An application whose decision was due a week ago, still waiting for evaluators."""
    setup = stage1.open_agreement(region.beta)
    provider = stage1.provider_with_evidence(region.beta, support.unique("Larch House "))
    application = stage1.apply(setup, provider, ["1"])
    with schema_context("beta"):
        Application.objects.filter(pk=application.pk).update(
            decision_due_on=timezone.localdate() - timedelta(days=7))
    return setup, provider, application


def test_the_home_page_lists_the_tasks_with_their_clocks_and_overdue_in_words(client, overdue):
    setup, provider, application = overdue
    client.force_login(setup.commissioner)
    page = client.get(HOME).content.decode()
    assert "Your tasks" in page
    assert f"Give {provider.name}&#x27;s application to evaluators" in page
    assert f'href="/a/beta/staff/applications/{application.pk}/"' in page
    row = page.split(f'data-task="application:{application.pk}"')[1].split("</tr>")[0]
    assert '<strong class="govuk-tag govuk-tag--red">Overdue by ' in row  # said in words, not colour alone
    assert " overdue." in page.split('data-testid="work-queue-summary"')[1].split("</p>")[0]
    # the navigation counts the tasks, with words for screen readers
    count = page.split(">Home (")[1].split("<")[0]
    assert int(count) >= 2  # needing evaluators and a decision due
    assert '<span class="govuk-visually-hidden"> tasks</span>)' in page


def test_people_see_only_their_roles_tasks_and_nothing_in_the_navigation_when_there_are_none(client, overdue,
                                                                                             region):
    setup, provider, application = overdue
    finance = support.make_staff(region.beta, AuthorityRole.FINANCE_VIEWER)
    client.force_login(finance)
    page = client.get(HOME).content.decode()
    assert "Nothing is waiting for you here." in page
    assert ">Home</a>" in page
    assert provider.name not in page


def test_the_preferences_page_saves_choices_and_says_what_is_always_sent(client, region):
    officer = support.make_staff(region.beta, AuthorityRole.QUALITY_OFFICER)
    client.force_login(officer)
    page = client.get(f"{HOME}notifications/").content.decode()
    assert "Applications given to you to evaluate" in page.split('data-testid="always-immediate"')[1]
    assert 'name="evidence_to_verify"' in page and 'name="my_evaluation"' not in page
    assert 'name="return_to_validate"' in page and 'name="schedule_approval"' in page  # new kinds: a choice each
    with schema_context("beta"):
        choices = {kind: "digest" for kind in services.preferences_for(officer)
                   if kind not in ("my_evaluation", "needs_evaluators", "decision_due")}
    response = client.post(f"{HOME}notifications/", choices | {"evidence_to_verify": "immediate"})
    assert response.status_code == 302
    with schema_context("beta"):
        assert services.preferences_for(officer)["evidence_to_verify"] == "immediate"
    bad = client.post(f"{HOME}notifications/", choices | {"evidence_to_verify": "hourly"})
    assert bad.status_code == 400 and "govuk-error-summary" in bad.content.decode()


def test_the_api_gives_the_queue_and_takes_preferences(client, overdue, region):
    setup, provider, application = overdue
    client.force_login(setup.commissioner)
    body = client.get(f"{API}work-queue/").json()
    mine = [t for t in body["tasks"] if t["key"] == f"application:{application.pk}"][0]
    assert mine["kind"] == "needs_evaluators" and mine["state"] == "overdue"
    assert mine["working_days_left"] < 0 and mine["clock"].startswith("Overdue by ")
    assert mine["path"] == f"/a/beta/staff/applications/{application.pk}/"
    assert body["count"] == len(body["tasks"]) and body["overdue"] >= 1

    preferences = client.get(f"{API}notification-preferences/").json()
    assert {p["kind"]: p["delivery"] for p in preferences}["clarification"] == "digest"
    changed = client.put(f"{API}notification-preferences/", json.dumps({"clarification": "immediate"}),
                         content_type="application/json")
    assert changed.status_code == 200
    assert {p["kind"]: p["delivery"] for p in changed.json()}["clarification"] == "immediate"
    assert {p["kind"]: p["delivery"] for p in preferences}["invoice_mismatch"] == "digest"
    changed = client.put(f"{API}notification-preferences/", json.dumps({"invoice_mismatch": "immediate"}),
                         content_type="application/json")
    assert {p["kind"]: p["delivery"] for p in changed.json()}["invoice_mismatch"] == "immediate"
    for refused in ({"my_evaluation": "digest"}, {"clarification": "weekly"}, {"clarification": 1}):
        response = client.put(f"{API}notification-preferences/", json.dumps(refused),
                              content_type="application/json")
        assert response.status_code == 400, refused
        assert response["Content-Type"].startswith("application/problem+json")


def test_provider_people_have_no_work_queue(client, region):
    provider = catalogue.register(name=support.unique("Willow Lane "))
    person = support.make_provider_person(provider, ProviderRole.PROVIDER_ADMIN)
    client.force_login(person)
    assert client.get(f"{API}work-queue/").status_code == 403
    assert client.put(f"{API}notification-preferences/", "{}", content_type="application/json").status_code == 403
    assert client.get(f"{HOME}notifications/").status_code == 403


def test_development_mail_is_one_eml_file_per_message(tmp_path):
    with override_settings(EMAIL_BACKEND="common.mail.EmlFileBackend", EMAIL_FILE_PATH=str(tmp_path)):
        connection = mail.get_connection()
        sent = connection.send_messages([
            mail.EmailMessage("Your tasks: 3 waiting", "Hello Ann,\n\nThree things.", to=["ann@example.org"]),
            mail.EmailMessage("Check Riverside's insurance", "Hello Bo,", to=["bo@example.org"]),
        ])
    assert sent == 2
    files = sorted(tmp_path.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    assert any("ann-at-example.org-your-tasks-3-waiting" in f.name for f in files)
    message = email.message_from_bytes(next(f for f in files if "ann" in f.name).read_bytes())
    assert message["To"] == "ann@example.org" and message["Subject"] == "Your tasks: 3 waiting"
    assert message.get_payload(decode=True).decode().startswith("Hello Ann,")


def test_the_schema_names_every_kind_of_task(client):
    from tenants.workspace.models import TaskKind

    schema = client.get("/api/v1/schema/?format=json").json()
    queue = schema["paths"]["/a/{authority}/api/v1/work-queue/"]["get"]["responses"]["200"]["content"]
    ref = queue["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    task = schema["components"]["schemas"][schema["components"]["schemas"][ref]["properties"]["tasks"]["items"]
                                           ["$ref"].rsplit("/", 1)[1]]
    kind = task["properties"]["kind"]
    enum = kind.get("enum") or schema["components"]["schemas"][kind["$ref"].rsplit("/", 1)[1]]["enum"]
    assert set(enum) == set(TaskKind.values) and "schedule_approval" in enum
    put = schema["paths"]["/a/{authority}/api/v1/notification-preferences/"]["put"]["requestBody"]["content"]
    fields = schema["components"]["schemas"][put["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(fields["properties"]) == set(TaskKind.values)
