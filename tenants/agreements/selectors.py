"""Reading agreements: lists, the window for applications, the questionnaire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from tenants.agreements.models import (
    Agreement,
    AgreementModification,
    ApplicationRound,
    Lot,
    Question,
    QuestionnaireVersion,
)
from tenants.agreements.rules import Rule


@dataclass(frozen=True)
class Window:
    open: bool
    message: str
    rule: Rule
    round: ApplicationRound | None = None
    next_opens_on: date | None = None


def application_window(agreement: Agreement, today: date | None = None) -> Window:
    """Whether a provider may apply today, and if not, when they next can."""
    today = today or timezone.localdate()
    rules = agreement.regime
    if not agreement.takes_applications:
        return Window(False, f"{agreement.title} is not taking applications: it is "
                             f"{agreement.get_status_display().lower()}.", rules.applications)
    if today > agreement.ends_on:
        return Window(False, f"{agreement.title} ended on {agreement.ends_on:%-d %B %Y}.", rules.applications)
    if rules.applications_any_time:
        if today < agreement.starts_on:
            return Window(False, f"Applications open on {agreement.starts_on:%-d %B %Y}.", rules.applications,
                          next_opens_on=agreement.starts_on)
        return Window(True, "Applications are open at any time during the term.", rules.applications)
    rounds = list(agreement.rounds.all())
    current = next((r for r in rounds if r.is_open_on(today)), None)
    if current:
        return Window(True, f"Round {current.number} is open until {current.closes_on:%-d %B %Y}.",
                      rules.applications, round=current)
    upcoming = next((r for r in rounds if r.opens_on > today), None)
    if upcoming:
        return Window(False, f"Applications are closed. The next round opens on {upcoming.opens_on:%-d %B %Y}.",
                      rules.applications, next_opens_on=upcoming.opens_on)
    return Window(False, "Applications are closed, and no further round has been announced yet.",
                  rules.applications)


def published_questionnaire(agreement: Agreement) -> QuestionnaireVersion | None:
    return (agreement.questionnaires.filter(status=QuestionnaireVersion.Status.PUBLISHED)
            .prefetch_related("questions__lot").first())


def agreements_for_staff():
    return (Agreement.objects.annotate(
        lot_count=Count("lots", distinct=True),
        admitted=Count("admissions", filter=Q(admissions__status="active"), distinct=True))
        .prefetch_related("call_off_authorities")
        .order_by("-starts_on", "reference"))  # Meta.ordering does not apply to an aggregate query


def agreements_open_to_providers(today: date | None = None):
    """Agreements a provider may look at: those taking applications or live."""
    return (Agreement.objects.filter(status__in=[Agreement.Status.OPEN, Agreement.Status.LIVE])
            .prefetch_related(Prefetch("lots", queryset=Lot.objects.select_related("service_type")), "rounds"))


def agreement_for_staff(agreement_id) -> Agreement | None:
    """One of this authority's agreements, or None: another schema's ids find nothing."""
    return agreements_for_staff().filter(pk=agreement_id).first()


def agreement_detail(agreement_id) -> Agreement | None:
    """One agreement with everything its page shows: lots and their
    admissions, rounds, questionnaire versions, modifications."""
    return agreements_for_staff().filter(pk=agreement_id).prefetch_related(
        Prefetch("lots", queryset=Lot.objects.select_related("service_type").prefetch_related(
            Prefetch("admissions", queryset=_admissions_by_provider()))),
        "rounds",
        Prefetch("questionnaires", queryset=QuestionnaireVersion.objects.annotate(
            question_count=Count("questions")).order_by("-number")),
        Prefetch("modifications", queryset=AgreementModification.objects.select_related("made_by")
                 .order_by("made_at")),
    ).first()


def _admissions_by_provider():
    from tenants.admissions.models import Admission

    return Admission.objects.select_related("provider").order_by("provider__name")


def questionnaire_versions(agreement: Agreement):
    return agreement.questionnaires.annotate(question_count=Count("questions")).order_by("-number")


def questionnaire_version_get(agreement: Agreement, version_id) -> QuestionnaireVersion | None:
    return (agreement.questionnaires.filter(pk=version_id)
            .prefetch_related(Prefetch("questions", queryset=Question.objects.select_related("lot"))).first())


def call_off_candidates():
    """Who may be named to call off: the authority itself, and a partnership's members."""
    from tenancy.models import Authority
    from tenancy.selectors import authority_current

    here = authority_current()
    ids = [here.pk, *(here.members.values_list("pk", flat=True) if here.is_partnership else [])]
    return Authority.objects.filter(pk__in=ids).order_by("name")
