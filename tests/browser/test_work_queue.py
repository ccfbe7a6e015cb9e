"""A commissioner gives an application to an evaluator through the pages;
the evaluator is e-mailed straight away (by a real Celery worker) and finds
it on their home page with its clock, and the navigation counts it."""

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from tenants.admissions.models import Assignment
from tests import support
from tests.admissions import support as stage1
from tests.browser.conftest import read_mail

pytestmark = [pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-test-password"
SUFFIX = f"-test-{uuid.uuid4().hex[:8]}"
QUEUE = f"jointly{SUFFIX}"
# The server sends its tasks to this module's worker (every queue, with this
# module's suffix); development's .eml mail.
server_env = {"CELERY_TASK_DEFAULT_QUEUE": QUEUE, "CELERY_QUEUE_SUFFIX": SUFFIX,
              "EMAIL_BACKEND": "common.mail.EmlFileBackend"}


@pytest.fixture(scope="module")
def worker(django_db_setup, outbox, tmp_path_factory):
    log = (tmp_path_factory.mktemp("worker") / "worker.log").open("w+")
    env = support.process_env(CELERY_TASK_DEFAULT_QUEUE=QUEUE, CELERY_QUEUE_SUFFIX=SUFFIX,
                              EMAIL_BACKEND="common.mail.EmlFileBackend", EMAIL_FILE_PATH=outbox)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "config", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--hostname", f"queue-{QUEUE}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def ready():
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"the worker stopped:\n{log.read()}")
        log.seek(0)
        return "ready." in log.read()

    support.wait_for(ready, timeout=60, what="the Celery worker to start")
    yield
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _sign_in_with_code(page, server, email, next_path):
    page.goto(f"{server}/accounts/login/?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/.*"))
    page.get_by_label("Code").fill(support.totp_code())
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(f"{server}{next_path}")


def test_an_evaluator_is_e_mailed_and_finds_the_application_on_their_home_page(
        committed_db, region, server, worker, outbox, browser):
    setup = stage1.open_agreement(region.alpha)
    provider = stage1.provider_with_evidence(region.alpha, support.unique("Hollybank Support "))
    application = stage1.apply(setup, provider, ["1"])
    evaluator = setup.evaluators[0]
    home = "/a/alpha/staff/"

    # the lead finds the new application on their home page and gives it to an evaluator
    lead_context = browser.new_context(viewport={"width": 1100, "height": 900})
    lead = lead_context.new_page()
    lead.set_default_timeout(15_000)
    _sign_in_with_code(lead, server, setup.commissioner.email, home)
    lead.get_by_role("link", name=f"Give {provider.name}'s application to evaluators").click()
    lead.wait_for_url(f"{server}/a/alpha/staff/applications/{application.pk}/")
    lead.get_by_label(f"Evaluator 1 ({evaluator.email})").check()
    lead.get_by_role("button", name="Assign").click()
    lead.wait_for_url(f"{server}/a/alpha/staff/applications/{application.pk}/")
    lead_context.close()
    with schema_context("alpha"):
        assignment = Assignment.objects.get(application=application, evaluator=evaluator)

    # the e-mail arrives from the worker, in plain words, with the link
    message = read_mail(outbox, evaluator.email)
    assert f"Declare any conflict of interest, then evaluate {provider.name}'s application" in message
    assert "10 working days left" in message
    link = re.search(r"http://\S+/a/alpha/staff/applications/\d+/declaration/", message).group(0)
    assert link.endswith(f"/applications/{application.pk}/declaration/")

    # the evaluator's home lists it with its clock, and the navigation counts it
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in_with_code(page, server, evaluator.email, home)
    row = page.locator(f'[data-task="assignment:{assignment.pk}"]')
    assert provider.name in row.inner_text()
    due = f"{application.decision_due_on:%-d %B %Y}"
    assert row.get_by_test_id("clock").inner_text() == f"10 working days left (due {due})"
    navigation = page.locator('a.govuk-service-navigation__link[aria-current="page"]').text_content()
    count = int(re.fullmatch(r"Home \((\d+) tasks?\)", navigation.strip()).group(1))
    assert count == page.locator("[data-task]").count() >= 1
    row.get_by_role("link").click()
    page.wait_for_url(f"{server}/a/alpha/staff/applications/{application.pk}/declaration/")
    context.close()
