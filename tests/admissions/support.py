"""Stage-1 building blocks for tests: an agreement with lots and a published
questionnaire, providers with verified evidence, and applications taken
through evaluation, all made through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django_tenants.utils import schema_context

from accounts.roles import AuthorityRole
from shared_catalogue import services as catalogue_services
from shared_catalogue.models import Provider, ServiceType
from tenancy.models import Authority
from tenants.admissions import services
from tenants.admissions.models import Application
from tenants.agreements import services as agreements
from tenants.agreements.models import Agreement, Question
from tests import support
from tests.shared_catalogue import support as catalogue

DAY_OPPORTUNITY_LOTS = [
    ("1", "Building Based Services", "day-opportunities-building-based"),
    ("2", "Community Support", "community-support"),
    ("3", "Employment, Skills and Training", "employment-skills-training"),
]


@dataclass
class Setup:
    authority: Authority
    agreement: Agreement
    commissioner: object
    evaluators: list
    lots: dict = field(default_factory=dict)
    questions: dict = field(default_factory=dict)


def agreement(authority: Authority, *, kind=Agreement.Kind.FPS, reference=None, starts_on=date(2022, 4, 1),
              ends_on=date(2027, 7, 31), lots=DAY_OPPORTUNITY_LOTS, rounds=(), threshold=Decimal("60"),
              commissioner=None, evaluators=2, **fields) -> Setup:
    """A draft agreement (a council's day-opportunities FPS by default)
    with lots, rounds and a published questionnaire: two compliance questions
    met by catalogue evidence, two scored questions for every lot, and one for
    lot 3."""
    commissioner = commissioner or support.make_staff(authority, AuthorityRole.COMMISSIONER, full_name="Lead")
    people = [support.make_staff(authority, AuthorityRole.EVALUATOR, full_name=f"Evaluator {n}")
              for n in range(1, evaluators + 1)]
    with schema_context(authority.schema_name):
        made = agreements.agreement_create(
            actor=commissioner, kind=kind, title="Day Opportunities Flexible Purchasing System",
            reference=reference or support.unique("DAYOPS-"), service_area="Day opportunities for adults",
            starts_on=starts_on, ends_on=ends_on, estimated_value=Decimal("15000000"), **fields)
        setup = Setup(authority, made, commissioner, people)
        for number, title, code in lots:
            setup.lots[number] = agreements.lot_add(actor=commissioner, agreement=made, number=number, title=title,
                                                    service_type=ServiceType.objects.get(code=code))
        for opens_on, closes_on in rounds:
            agreements.round_add(actor=commissioner, agreement=made, opens_on=opens_on, closes_on=closes_on)
        version = agreements.questionnaire_draft(actor=commissioner, agreement=made)
        agreements.questionnaire_settings(actor=commissioner, version=version, pass_threshold=threshold)
        add = agreements.question_add
        setup.questions = {
            "insurance": add(actor=commissioner, version=version, kind=Question.Kind.COMPLIANCE,
                             text="Do you hold public liability insurance of at least £5 million?",
                             evidence_types=["public_liability"]),
            "safeguarding": add(actor=commissioner, version=version, kind=Question.Kind.COMPLIANCE,
                                text="Do you have a safeguarding adults policy that follows the local "
                                     "multi-agency procedures?", evidence_types=["safeguarding_policy"]),
            "outcomes": add(actor=commissioner, version=version, kind=Question.Kind.QUALITY, weight=Decimal("40"),
                            text="How will you help people achieve the outcomes in their support plans?"),
            "workforce": add(actor=commissioner, version=version, kind=Question.Kind.QUALITY, weight=Decimal("30"),
                             text="How do you recruit, train and supervise staff?"),
        }
        if "3" in setup.lots:
            setup.questions["employment"] = add(
                actor=commissioner, version=version, kind=Question.Kind.QUALITY, weight=Decimal("30"),
                lot=setup.lots["3"], text="How do you support people into volunteering and paid work?")
        agreements.questionnaire_publish(actor=commissioner, version=version)
    return setup


def provider_with_evidence(authority: Authority, name: str | None = None, *, verified=True) -> Provider:
    """A registered provider whose insurance and safeguarding policy an
    officer of `authority` has verified."""
    provider = catalogue.register(name=name)
    officer = support.make_staff(authority, AuthorityRole.QUALITY_OFFICER)
    for kind in ("public_liability", "safeguarding_policy"):
        evidence = catalogue.upload(provider, evidence_type=kind)
        if verified:
            catalogue_services.evidence_decide(actor=officer, authority=authority, evidence=evidence,
                                               decision="verified")
    return provider


def apply(setup: Setup, provider: Provider, lots, *, complies=True, submit=True, today=None) -> Application:
    """A complete application, answered by the provider's admin."""
    writer = catalogue.admin_of(provider)
    with schema_context(setup.authority.schema_name):
        application = services.application_start(actor=writer, agreement=setup.agreement, provider=provider,
                                                 lots=[setup.lots[n] for n in lots], today=today)
        for key, question in setup.questions.items():
            if question.lot_id and question.lot_id not in {setup.lots[n].pk for n in lots}:
                continue
            if question.kind == Question.Kind.COMPLIANCE:
                ok = complies if isinstance(complies, bool) else key not in complies
                services.application_answer(actor=writer, application=application, question=question, complies=ok)
            else:
                services.application_answer(actor=writer, application=application, question=question,
                                            response=f"Our answer to: {question.text}")
        if submit:
            application = services.application_submit(actor=writer, application=application,
                                                      declaration_accepted=True)
    return application


def evaluate(setup: Setup, application: Application, scores: dict[str, int], *, decide=True) -> Application:
    """Every evaluator declares no conflict and scores; the lead moderates to
    the same scores (and compliance as answered) and confirms the decision."""
    lead = setup.commissioner
    with schema_context(setup.authority.schema_name):
        services.evaluators_assign(actor=lead, application=application, evaluators=setup.evaluators)
        lot_ids = set(application.lots.values_list("lot_id", flat=True))
        quality = {k: q for k, q in setup.questions.items() if q.kind == Question.Kind.QUALITY
                   and (q.lot_id is None or q.lot_id in lot_ids)}
        for evaluator in setup.evaluators:
            services.conflict_declare(actor=evaluator, application=application, conflicted=False)
            for key, question in quality.items():
                services.score_record(actor=evaluator, application=application, question=question,
                                      score=scores[key], comment="As the answer shows.")
            services.scores_submit(actor=evaluator, application=application)
        services.moderation_open(actor=lead, application=application)
        for key, question in quality.items():
            services.moderate(actor=lead, application=application, question=question, score=scores[key],
                              rationale=f"Moderated: the evaluators agreed on {scores[key]}.")
        if decide:
            application = services.application_decide(actor=lead, application=application)
    return application


def verify(authority: Authority, evidence):
    officer = support.make_staff(authority, AuthorityRole.QUALITY_OFFICER)
    return catalogue_services.evidence_decide(actor=officer, authority=authority, evidence=evidence,
                                              decision="verified")


def open_agreement(authority: Authority, **fields) -> Setup:
    """An FPS with a round from today for a year, opened: providers can apply now."""
    today = date.today()
    setup = agreement(authority, rounds=[(today, today + timedelta(days=365))], starts_on=today,
                      ends_on=today + timedelta(days=730), **fields)
    with schema_context(authority.schema_name):
        agreements.agreement_open(actor=setup.commissioner, agreement=setup.agreement)
    return setup


def dates(name: str, day: date) -> dict:
    """A GOV.UK date input as a browser posts it."""
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}
