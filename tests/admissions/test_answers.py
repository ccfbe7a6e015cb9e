"""Answers to compliance questions: the document attached must be of a kind
the question asks for, or a verified document of another kind would meet it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from tenants.admissions import services
from tenants.agreements import services as agreements
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db


def test_a_document_of_another_kind_is_refused(region):
    today = date.today()
    fps = stage1.agreement(region.alpha, rounds=[(today, today.replace(year=today.year + 1))], starts_on=today,
                           ends_on=today.replace(year=today.year + 2))
    with schema_context("alpha"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
    provider = stage1.provider_with_evidence(region.alpha)
    draft = stage1.apply(fps, provider, ["1"], submit=False)
    insurance = stage1.verify(region.alpha, catalogue.upload(provider, evidence_type="public_liability")).evidence
    policy = catalogue.upload(provider, evidence_type="safeguarding_policy")
    writer = catalogue.admin_of(provider)
    with schema_context("alpha"):
        with pytest.raises(ValidationError, match="This question asks for: safeguarding policy") as refused:
            services.application_answer(actor=writer, application=draft, question=fps.questions["safeguarding"],
                                        complies=True, evidence=insurance)
        assert set(refused.value.message_dict) == {"evidence"}
        answer = services.application_answer(actor=writer, application=draft,
                                             question=fps.questions["safeguarding"], complies=True, evidence=policy)
        assert answer.evidence == policy


def test_a_rejected_or_replaced_document_cannot_be_attached(region):
    from datetime import date, timedelta

    from django.core.exceptions import ValidationError
    from django_tenants.utils import schema_context

    from shared_catalogue import services as catalogue_services
    from tenants.admissions import services
    from tenants.agreements import services as agreements
    from tests.admissions import support as stage1
    from tests.shared_catalogue import support as catalogue

    today = date.today()
    fps = stage1.agreement(region.alpha, rounds=[(today, today + timedelta(days=30))], starts_on=today,
                           ends_on=today + timedelta(days=900))
    with schema_context("alpha"):
        agreements.agreement_open(actor=fps.commissioner, agreement=fps.agreement)
    provider = stage1.provider_with_evidence(region.alpha)
    old = provider.evidence.get(evidence_type="public_liability")
    catalogue.upload(provider, evidence_type="public_liability", replaces=old)
    rejected = catalogue.upload(provider, evidence_type="safeguarding_policy")
    catalogue_services.evidence_decide(actor=stage1.support.make_staff(region.alpha, "quality_officer"),
                                       authority=region.alpha, evidence=rejected, decision="rejected",
                                       reason="Out of date procedures")
    application = stage1.apply(fps, provider, ["1", "1"], submit=False)  # the same lot twice is one lot
    writer = catalogue.admin_of(provider)
    with schema_context("alpha"):
        assert application.lots.count() == 1
        for question, document in ((fps.questions["insurance"], old), (fps.questions["safeguarding"], rejected)):
            with pytest.raises(ValidationError, match="rejected or has been replaced"):
                services.application_answer(actor=writer, application=application, question=question,
                                            complies=True, evidence=document)
