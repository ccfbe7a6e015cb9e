"""The provider's side of stage 1 in tests: an FPS in Alpha with a round open
on a fixed day, and a provider whose insurance and safeguarding policy are
verified, with a bid writer and a viewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django_tenants.utils import schema_context

from accounts.roles import ProviderRole
from shared_catalogue.models import Provider
from tenants.agreements import services as agreements
from tests.admissions import support as stage1
from tests.shared_catalogue import support as catalogue

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 3, 3)                     # a Tuesday, inside round 1
ROUND_1 = (date(2026, 3, 2), date(2026, 3, 31))
ROUND_2 = (date(2027, 3, 1), date(2027, 3, 31))
BETWEEN_ROUNDS = date(2026, 6, 10)
DUE = date(2026, 3, 17)                      # ten working days after TODAY


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def open_fps(authority, **fields) -> stage1.Setup:
    """A council's day-opportunities FPS, open, with a round open on TODAY."""
    setup = stage1.agreement(authority, rounds=[ROUND_1, ROUND_2], starts_on=date(2026, 3, 1),
                             ends_on=date(2029, 2, 28), **fields)
    with schema_context(authority.schema_name):
        agreements.agreement_open(actor=setup.commissioner, agreement=setup.agreement, today=TODAY)
    return setup


@dataclass
class Team:
    provider: Provider
    admin: object
    writer: object
    viewer: object


def team(authority, name: str | None = None) -> Team:
    provider = stage1.provider_with_evidence(authority, name)
    return Team(provider, catalogue.admin_of(provider), catalogue.add_person(provider, ProviderRole.BID_WRITER),
                catalogue.add_person(provider, ProviderRole.VIEWER))


def full_answers(setup: stage1.Setup, lots=("1",), action: str = "declaration") -> dict:
    """Answers to every question for these lots, as the answers page posts them."""
    lot_ids = {setup.lots[n].pk for n in lots}
    data = {"action": action}
    for question in setup.questions.values():
        if question.lot_id and question.lot_id not in lot_ids:
            continue
        if question.kind == "compliance":
            data[f"q{question.pk}-complies"] = "yes"
        else:
            data[f"q{question.pk}-response"] = f"How we do it: {question.text}"
    return data
