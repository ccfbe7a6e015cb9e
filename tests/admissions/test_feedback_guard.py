"""Admissions text that staff write for the applicant is about its
organisation: an NHS number or a date of birth (anyone's) is refused before
it is stored, so it reaches no page, API answer or decision letter. The
organisation's own phone numbers, addresses and past dates still pass."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.admissions import services
from tenants.admissions.models import Application, DecisionLetter, ModeratedResult
from tests.admissions import support as stage1

pytestmark = pytest.mark.django_db


def in_moderation(region):
    setup = stage1.open_agreement(region.alpha)
    application = stage1.apply(setup, stage1.provider_with_evidence(region.alpha), ["1"])
    stage1.evaluate(setup, application, {"outcomes": 4, "workforce": 4}, decide=False)
    with schema_context("alpha"):
        ModeratedResult.objects.filter(application=application).delete()
    return setup, application


def test_a_rationale_with_an_nhs_number_is_refused_before_the_letter(region, mailoutbox):
    setup, application = in_moderation(region)
    with schema_context("alpha"):
        with pytest.raises(ValidationError) as refused:
            services.moderate(actor=setup.commissioner, application=application,
                              question=setup.questions["outcomes"], score=4,
                              rationale="Good example: the support of 943\u200b476\u200b5919 after discharge.")
        assert "943" in refused.value.message_dict["rationale"][0]
        assert not ModeratedResult.objects.exists() and not DecisionLetter.objects.exists()
    api = APIClient()
    api.force_authenticate(setup.commissioner)
    response = api.post(f"/a/alpha/api/v1/applications/{application.pk}/moderation/", {
        "question": setup.questions["workforce"].pk, "score": 4,
        "rationale": "As shown for the man born 3rd March 1961."}, format="json")
    assert response.status_code == 400, response.content
    assert "3rd March 1961" in response.json()["errors"]["rationale"][0]
    with schema_context("alpha"):
        assert not ModeratedResult.objects.exists()
    assert mailoutbox == []


def test_a_rationale_about_the_organisation_passes(region):
    setup, application = in_moderation(region)
    with schema_context("alpha"):
        result = services.moderate(actor=setup.commissioner, application=application,
                                   question=setup.questions["outcomes"], score=4,
                                   rationale="Inspected 12/03/2024; the office (01270 686000, CW1 2AB) is staffed "
                                             "09:00–17:00, Monday–Friday; 2:1 cover since 2019.")
        assert result.rationale.startswith("Inspected")


def test_an_extension_reason_with_a_date_of_birth_is_refused(region):
    setup = stage1.open_agreement(region.alpha)
    application = stage1.apply(setup, stage1.provider_with_evidence(region.alpha), ["1"])
    with schema_context("alpha"):
        with pytest.raises(ValidationError) as refused:
            services.decision_extend(actor=setup.commissioner, application=application,
                                     reason="Checking the case of a client, D.O.B: 1955-11-01")
        assert "1955-11-01" in refused.value.message_dict["reason"][0]
        assert Application.objects.get(pk=application.pk).decision_extended_reason == ""
