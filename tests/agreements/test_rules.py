"""The rules of each kind of agreement, refused with their source."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django_tenants.utils import schema_context

from audit.models import AuditEvent
from shared_catalogue.models import AdmissionProjection
from tenants.admissions import services
from tenants.admissions.models import Admission
from tenants.agreements import services as agreements
from tenants.agreements.models import Agreement, AgreementModification, Question, QuestionnaireVersion
from tests import support
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db
TODAY = date.today()


def test_a_dps_needs_an_initial_period_of_30_days_before_any_call_off(region):
    dps = stage1.agreement(region.alpha, kind=Agreement.Kind.DPS, starts_on=TODAY,
                           ends_on=TODAY + timedelta(days=1000))
    with schema_context("alpha"):
        with pytest.raises(ValidationError) as refused:
            agreements.agreement_open(actor=dps.commissioner, agreement=dps.agreement,
                                      initial_period_ends_on=TODAY + timedelta(days=20))
        message = refused.value.message_dict["initial_period_ends_on"][0]
        assert "at least 30 days" in message and "PCR 2015 reg 34" in message
        agreements.agreement_open(actor=dps.commissioner, agreement=dps.agreement,
                                  initial_period_ends_on=TODAY + timedelta(days=30))
        with pytest.raises(ValidationError, match="No call-off before the initial period ends"):
            agreements.agreement_go_live(actor=dps.commissioner, agreement=dps.agreement)
        agreements.agreement_go_live(actor=dps.commissioner, agreement=dps.agreement,
                                     today=TODAY + timedelta(days=31))
        # a DPS decides within 10 working days, extendable to 15: no more
        with pytest.raises(ValidationError, match="At most 10 working days"):
            agreements.agreement_create(actor=dps.commissioner, kind="dps", title="Home care", reference="HC-1",
                                        service_area="Home care", starts_on=TODAY, ends_on=TODAY + timedelta(days=9),
                                        decision_working_days=20, decision_extended_working_days=20)


@pytest.mark.parametrize("kind", [Agreement.Kind.DYNAMIC_MARKET, Agreement.Kind.DPS])
def test_a_dynamic_market_or_dps_may_not_cap_membership(region, kind):
    commissioner = support.make_staff(region.alpha, "commissioner")
    with schema_context("alpha"), pytest.raises(ValidationError) as refused:
        agreements.agreement_create(actor=commissioner, kind=kind, title="Supported living", reference="SL-1",
                                    service_area="Supported living", starts_on=TODAY,
                                    ends_on=TODAY + timedelta(days=700), membership_cap=12)
    assert "cannot cap membership" in refused.value.message_dict["membership_cap"][0]
    with schema_context("alpha"):
        assert not Agreement.objects.filter(reference="SL-1").exists()


def test_only_commissioners_set_up_agreements(region):
    broker = support.make_staff(region.alpha, "broker")
    with schema_context("alpha"), pytest.raises(PermissionDenied, match="Only commissioners"):
        agreements.agreement_create(actor=broker, kind="fps", title="x", reference="X-1", service_area="x",
                                    starts_on=TODAY, ends_on=TODAY + timedelta(days=9))


def test_who_may_call_off_is_fixed_at_go_live_and_a_change_is_a_recorded_modification(region):
    partnership = region.partners  # Alpha and NHS North
    fps = stage1.agreement(partnership, rounds=[(TODAY, TODAY + timedelta(days=30))], starts_on=TODAY,
                           ends_on=TODAY + timedelta(days=1500))
    with schema_context(partnership.schema_name):
        agreement = fps.agreement
        assert set(agreement.call_off_authorities.values_list("slug", flat=True)) == {"alpha", "nhs-north"}
        with pytest.raises(ValidationError, match="Beta Council cannot call off"):
            agreements.agreement_set_call_off_authorities(actor=fps.commissioner, agreement=agreement,
                                                          authorities=[region.alpha, region.beta])
        # before go-live a change is just a change
        agreements.agreement_set_call_off_authorities(actor=fps.commissioner, agreement=agreement,
                                                      authorities=[region.alpha])
        assert not AgreementModification.objects.exists()
        agreements.agreement_open(actor=fps.commissioner, agreement=agreement)
        agreements.agreement_go_live(actor=fps.commissioner, agreement=agreement)
        with pytest.raises(ValidationError, match="say why it is being changed"):
            agreements.agreement_set_call_off_authorities(actor=fps.commissioner, agreement=agreement,
                                                          authorities=[region.alpha, region.nhs])
        agreements.agreement_set_call_off_authorities(
            actor=fps.commissioner, agreement=agreement, authorities=[region.alpha, region.nhs],
            reason="The ICB joins to fund continuing healthcare packages (committee decision 12/2025).")
        modification = AgreementModification.objects.get()
        assert modification.before == {"call_off_authorities": ["alpha"]}
        assert modification.after == {"call_off_authorities": ["alpha", "nhs-north"]}
        # lots can be added during the term, as a modification too
        agreements.lot_add(actor=fps.commissioner, agreement=agreement, number="4", title="Dementia day care",
                           reason="Demand for dementia day services (year-one review).")
        assert AgreementModification.objects.filter(what="lot_added").count() == 1


def test_a_published_questionnaire_is_never_edited_and_an_application_keeps_its_version(region):
    fps = stage1.agreement(region.alpha, rounds=[(TODAY, TODAY + timedelta(days=30))], starts_on=TODAY,
                           ends_on=TODAY + timedelta(days=1500))
    with schema_context("alpha"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
        first = QuestionnaireVersion.objects.get(agreement=fps.agreement)
        with pytest.raises(ValidationError, match="never changed"):
            agreements.question_add(actor=fps.commissioner, version=first, kind=Question.Kind.QUALITY,
                                    text="A late question", weight=10)
    provider = stage1.provider_with_evidence(region.alpha)
    application = stage1.apply(fps, provider, ["1"], submit=False)
    with schema_context("alpha"):
        second = agreements.questionnaire_draft(actor=fps.commissioner, agreement=fps.agreement)
        assert second.number == 2 and second.questions.count() == first.questions.count()
        agreements.question_add(actor=fps.commissioner, version=second, kind=Question.Kind.QUALITY,
                                text="How do you involve people in designing activities?", weight=20)
        agreements.questionnaire_publish(actor=fps.commissioner, version=second)
        first.refresh_from_db()
        assert first.status == "retired"
        application.refresh_from_db()
        assert application.version_id == first.pk
        services.application_submit(actor=stage1.catalogue.admin_of(provider), application=application,
                                    declaration_accepted=True)
        assert first.questions.count() == 5  # untouched


def test_one_live_application_per_lot_withdraw_then_apply_again(region):
    fps = stage1.agreement(region.alpha, rounds=[(TODAY, TODAY + timedelta(days=30))], starts_on=TODAY,
                           ends_on=TODAY + timedelta(days=1500))
    with schema_context("alpha"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
    provider = stage1.provider_with_evidence(region.alpha)
    first = stage1.apply(fps, provider, ["1", "2"], submit=False)
    with pytest.raises(ValidationError, match="already has an application in progress"):
        stage1.apply(fps, provider, ["2", "3"], submit=False)
    with schema_context("alpha"):
        services.application_withdraw(actor=stage1.catalogue.admin_of(provider), application=first,
                                      reason="We will apply for lot 2 only.")
    again = stage1.apply(fps, provider, ["2"])
    assert again.status == "submitted"
    # a bid writer of another organisation cannot touch it
    stranger = stage1.catalogue.admin_of(stage1.catalogue.register())
    with schema_context("alpha"), pytest.raises(PermissionDenied):
        services.application_withdraw(actor=stranger, application=again)
    # declaration and every answer are needed to submit
    draft = stage1.apply(fps, provider, ["3"], submit=False)
    with schema_context("alpha"), pytest.raises(ValidationError) as refused:
        services.application_submit(actor=stage1.catalogue.admin_of(provider), application=draft,
                                    declaration_accepted=False)
    assert "Confirm the declaration" in refused.value.message_dict["declaration"][0]


def test_unverified_evidence_fails_a_compliance_question(region):
    fps = stage1.agreement(region.alpha, rounds=[(TODAY, TODAY + timedelta(days=30))], starts_on=TODAY,
                           ends_on=TODAY + timedelta(days=1500))
    with schema_context("alpha"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
    provider = stage1.provider_with_evidence(region.alpha, verified=False)
    with pytest.raises(ValidationError, match="need a verified document"):
        stage1.apply(fps, provider, ["1"])


def test_admission_changes_and_agreement_status_reach_the_projection_and_it_rebuilds(region):
    fps = stage1.agreement(region.beta, rounds=[(TODAY, TODAY + timedelta(days=30))], starts_on=TODAY,
                           ends_on=TODAY + timedelta(days=1500))
    with schema_context("beta"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
    provider = stage1.provider_with_evidence(region.beta)
    application = stage1.apply(fps, provider, ["1"])
    stage1.evaluate(fps, application, {"outcomes": 5, "workforce": 5})
    def rows():
        return AdmissionProjection.objects.filter(authority=region.beta, provider=provider)

    with schema_context("beta"):
        admission = Admission.objects.get(provider=provider)
        for item in admission.onboarding.all():
            services.onboarding_complete(actor=fps.commissioner, item=item)
        services.admission_activate(actor=fps.commissioner, admission=admission)
        agreements.agreement_go_live(actor=fps.commissioner, agreement=fps.agreement)
    assert [(r.status, r.agreement_live) for r in rows()] == [("active", True)]
    with schema_context("beta"):
        with pytest.raises(ValidationError, match="Say why"):
            services.admission_suspend(actor=fps.commissioner, admission=admission, reason="")
        services.admission_suspend(actor=fps.commissioner, admission=admission,
                                   reason="Safeguarding concern under investigation",
                                   until=TODAY + timedelta(days=28))
    assert [r.status for r in rows()] == ["suspended"]
    with schema_context("beta"):
        agreements.agreement_suspend(actor=fps.commissioner, agreement=fps.agreement, reason="Re-procurement")
    assert [r.agreement_live for r in rows()] == [False]

    # the projection is not the source of truth: damage it and rebuild
    rows().update(status="active", lot_title="wrong")
    AdmissionProjection.objects.create(authority=region.beta, provider=provider, admission_id=999_999,
                                       agreement_reference="GHOST", agreement_title="Ghost", lot_number="9",
                                       lot_title="Ghost", status="active")
    call_command("admissions_rebuild_projection", "beta", stdout=open("/dev/null", "w"))
    assert [(r.status, r.lot_title, r.agreement_live) for r in rows()] == [
        ("suspended", "Building Based Services", False)]


def test_an_agreement_goes_live_only_after_opening(region):
    fps = stage1.agreement(region.alpha, rounds=[(TODAY, TODAY + timedelta(days=30))], starts_on=TODAY,
                           ends_on=TODAY + timedelta(days=1500))
    with schema_context("alpha"), pytest.raises(ValidationError, match="cannot be live from there"):
        agreements.agreement_go_live(actor=fps.commissioner, agreement=fps.agreement)


def test_a_suspension_with_an_end_date_ends_by_itself_once(region):
    from tenants.admissions.tasks import suspensions_end_due_task

    fps = stage1.open_agreement(region.alpha, reference=support.unique("SUSP-"))
    provider = stage1.provider_with_evidence(region.alpha)
    stage1.evaluate(fps, stage1.apply(fps, provider, ["1"]), {"outcomes": 5, "workforce": 5})
    with schema_context("alpha"):
        admission = Admission.objects.get(provider=provider)
        for item in admission.onboarding.all():
            services.onboarding_complete(actor=fps.commissioner, item=item)
        services.admission_activate(actor=fps.commissioner, admission=admission)
        services.admission_suspend(actor=fps.commissioner, admission=admission, reason="Late returns",
                                   until=TODAY + timedelta(days=7))
        assert services.suspensions_end_due(today=TODAY + timedelta(days=7)) == 0  # the last day still counts
        assert services.suspensions_end_due(today=TODAY + timedelta(days=8)) == 1
        assert services.suspensions_end_due(today=TODAY + timedelta(days=8)) == 0
        admission.refresh_from_db()
        assert (admission.status, admission.suspended_until) == ("active", None)
        assert AuditEvent.objects.filter(action="admission.suspension_ended", object_id=str(admission.pk)).exists()
        assert suspensions_end_due_task.apply().get() == 0
    row = AdmissionProjection.objects.get(authority=region.alpha, provider=provider)
    assert row.status == "active"
