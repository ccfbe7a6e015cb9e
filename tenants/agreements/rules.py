"""The rules each kind of agreement runs under, with their sources, which the
pages show wherever a rule is applied (../shared/domain/RULES.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Kind(models.TextChoices):
    DPS = "dps", "Dynamic purchasing system (PCR 2015)"
    FPS = "fps", "Flexible purchasing system (light touch regime)"
    DYNAMIC_MARKET = "dynamic_market", "Dynamic market (Procurement Act 2023)"


@dataclass(frozen=True)
class Rule:
    text: str
    source: str

    def __str__(self) -> str:
        return f"{self.text} ({self.source})"


@dataclass(frozen=True)
class Regime:
    kind: str
    name: str
    # Applications at any time during the term (DPS, dynamic market), or only in rounds (FPS).
    applications_any_time: bool
    applications: Rule
    # The initial period for requests to participate, in days, before the first call-off.
    initial_period_days: int | None
    initial_period: Rule | None
    # How long a decision on an application may take, in working days, and the most it may be extended to.
    decision_working_days: int | None
    decision_extended_working_days: int | None
    decision: Rule
    may_cap_membership: bool
    membership: Rule
    min_tender_days: int | None
    tender_period: Rule


REGIMES: dict[str, Regime] = {
    Kind.DPS: Regime(
        kind=Kind.DPS, name="Public Contracts Regulations 2015, regulation 34",
        applications_any_time=True,
        applications=Rule("Any supplier meeting the selection criteria may apply at any time during the DPS's life",
                          "PCR 2015 reg 34"),
        initial_period_days=30,
        initial_period=Rule("The initial period for requests to participate is at least 30 days, and no call-off "
                            "is made before it ends", "PCR 2015 reg 34"),
        decision_working_days=10, decision_extended_working_days=15,
        decision=Rule("Each request to participate is assessed within 10 working days of receipt, extendable "
                      "to 15 where justified", "PCR 2015 reg 34"),
        may_cap_membership=False,
        membership=Rule("There is no limit on the number of suppliers admitted", "PCR 2015 reg 34"),
        min_tender_days=10,
        tender_period=Rule("Tenders for a call-off get at least 10 days, unless all admitted suppliers "
                           "agree another period", "PCR 2015 reg 34"),
    ),
    Kind.FPS: Regime(
        kind=Kind.FPS, name="Light touch regime (PCR 2015 regs 74-76)",
        applications_any_time=False,
        applications=Rule("Applications are taken in the rounds the authority publishes (for example every "
                          "12 months)", "The authority's own procedure under the light touch regime, PCR 2015 reg 76"),
        initial_period_days=None, initial_period=None,
        decision_working_days=None, decision_extended_working_days=None,
        decision=Rule("Decisions within the period the authority set in its tender documents",
                      "PCR 2015 reg 76 (time limits reasonable and proportionate)"),
        may_cap_membership=True,
        membership=Rule("The authority may design its own procedure, with transparency and equal treatment",
                        "PCR 2015 reg 76"),
        min_tender_days=None,
        tender_period=Rule("No mandated minimum tender period; it must be reasonable and proportionate",
                           "PCR 2015 reg 76"),
    ),
    Kind.DYNAMIC_MARKET: Regime(
        kind=Kind.DYNAMIC_MARKET, name="Procurement Act 2023, sections 34 to 40",
        applications_any_time=True,
        applications=Rule("Applications are accepted at any time during the market's life",
                          "Procurement Act 2023 ss 34-40"),
        initial_period_days=None, initial_period=None,
        decision_working_days=None, decision_extended_working_days=None,
        decision=Rule("Applications are decided within a reasonable period", "Procurement Act 2023 ss 34-40"),
        may_cap_membership=False,
        membership=Rule("A dynamic market may not limit the number of members", "Procurement Act 2023 ss 34-40"),
        min_tender_days=10,
        tender_period=Rule("Competitions by reference to a dynamic market allow at least 10 days",
                           "Procurement Act 2023 s 54"),
    ),
}


def regime(kind: str) -> Regime:
    return REGIMES[kind]
