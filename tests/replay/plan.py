"""Cheshire East's first year of its Day Opportunities Flexible Purchasing
System as the council reported it (approved by committee on 28 March 2022,
live on 1 August 2022, three lots, a 60% quality threshold plus compliance
requirements, two rounds of applications, 27 applicants, 18 providers
contracted, 5 awaiting onboarding, 9 of the 18 new to the authority, 46
sourcing requests and 15 packages live), written as who did what and when.
The names of providers are made up; the figures are the council's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

APPROVED = date(2022, 3, 28)
SET_UP = date(2022, 4, 4)
OPENED = date(2022, 6, 20)
LIVE = date(2022, 8, 1)
ROUNDS = [(date(2022, 7, 4), date(2022, 9, 16)), (date(2023, 1, 9), date(2023, 2, 10))]
YEAR = (date(2022, 8, 1), date(2023, 8, 31))

LOTS = [("1", "Building Based", "day-opportunities-building-based"),
        ("2", "Community Support", "community-support"),
        ("3", "Employment, Skills and Training", "employment-skills-training")]

# Before the FPS every placement was a spot purchase, from providers on the
# council's earlier provider list (its own agreement, 2019 to July 2022).
EARLIER = {"title": "Day Services Provider List (spot purchases)", "reference": "CE-DAYSERV-2019",
           "starts_on": date(2019, 4, 1), "ends_on": date(2022, 7, 31), "opened": date(2019, 4, 15),
           "round": (date(2019, 5, 1), date(2019, 5, 31)), "ended": date(2022, 7, 29)}

PASS = {"outcomes": 4, "workforce": 4, "employment": 4}           # 80%
BELOW = {"outcomes": 2, "workforce": 3, "employment": 2}          # 48.57% (lots 1 and 2), 45% (lot 3)
NO_EMPLOYMENT = {"outcomes": 4, "workforce": 4, "employment": 0}  # lot 1 80%; lot 3 56%: below 60%


@dataclass(frozen=True)
class Applicant:
    name: str
    round: int
    lots: tuple            # the lots applied for
    fate: str              # contracted, awaiting (onboarding) or unsuccessful
    known: bool = False    # on the council's earlier provider list
    scores: dict = None
    complies: bool = True  # answers the compliance questions yes
    applies_on: date = None


def _applicants() -> list[Applicant]:
    r1, r2 = [], []
    contracted_1 = [  # 12 contracted in round 1: six of them known to the council
        ("Brightday Support", ("1", "2", "3"), True), ("Meadow Farm Day Service", ("1", "2", "3"), False),
        ("Crewe Community Hub", ("1", "2", "3"), True), ("Nantwich Lifeskills", ("1", "2"), False),
        ("Macclesfield Day Centre", ("1", "2"), True), ("Wilmslow Wellbeing", ("1", "2"), False),
        ("Sandbach Friends", ("1", "2"), True), ("Congleton Pathways", ("1", "3"), False),
        ("Poynton Connect", ("2", "3"), True), ("Alsager Arts Project", ("1",), False),
        ("Knutsford Garden Club", ("1", "3"), True),   # lot 3 below the threshold: admitted to lot 1 only
        ("Middlewich Moves", ("2",), False),
    ]
    for n, (name, lots, known) in enumerate(contracted_1):
        scores = NO_EMPLOYMENT if name == "Knutsford Garden Club" else PASS
        r1.append(Applicant(name, 1, lots, "contracted", known, scores, applies_on=date(2022, 7, 4 + n % 5)))
    r1 += [Applicant("Holmes Chapel Horizons", 1, ("1", "2"), "awaiting", True, PASS, applies_on=date(2022, 7, 11)),
           Applicant("Disley Work Skills", 1, ("3",), "awaiting", True, PASS, applies_on=date(2022, 7, 12)),
           Applicant("Bollington Care Co", 1, ("1",), "unsuccessful", False, BELOW, applies_on=date(2022, 8, 15)),
           Applicant("Handforth Helpers", 1, ("2",), "unsuccessful", False, PASS, complies=False,
                     applies_on=date(2022, 9, 5))]
    contracted_2 = [  # 6 contracted in round 2: three of them known
        ("Prestbury Partners", ("1", "2", "3"), True), ("Audlem Activities", ("1", "2"), False),
        ("Shavington Skills", ("1", "3"), True), ("Wybunbury Day Opportunities", ("1",), False),
        ("Haslington Hands", ("2",), True), ("Goostrey Growing", ("3",), False),
    ]
    for n, (name, lots, known) in enumerate(contracted_2):
        r2.append(Applicant(name, 2, lots, "contracted", known, PASS, applies_on=date(2023, 1, 9 + n)))
    r2 += [Applicant("Chelford Companions", 2, ("1",), "awaiting", True, PASS, applies_on=date(2023, 1, 16)),
           Applicant("Mobberley Meet-ups", 2, ("2",), "awaiting", True, PASS, applies_on=date(2023, 1, 17)),
           Applicant("Styal Support Services", 2, ("1", "3"), "awaiting", True, PASS, applies_on=date(2023, 1, 18)),
           Applicant("Tytherington Trust", 2, ("1",), "unsuccessful", False, BELOW, applies_on=date(2023, 1, 23)),
           Applicant("Rode Heath Respite", 2, ("2",), "unsuccessful", False, BELOW, applies_on=date(2023, 2, 1))]
    return r1 + r2


APPLICANTS = _applicants()


def passed_lots(applicant: Applicant) -> tuple:
    if applicant.fate == "unsuccessful":
        return ()
    if applicant.scores is NO_EMPLOYMENT:
        return tuple(lot for lot in applicant.lots if lot != "3")
    return applicant.lots


# --- Sourcing requests --------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    lot: str
    need: str
    story: str   # live, pending_start, withdrawn, withdrawn_after_close, no_award, republished_live,
    #              republished_withdrawn, open_at_year_end
    bids: int = 2


def _requests() -> list[Request]:
    live = ([Request("1", "dementia", "live")] * 5 + [Request("1", "dementia", "republished_live")]
            + [Request("1", "learning_disability", "live")] * 2 + [Request("1", "older_people_frailty", "live")]
            + [Request("2", "autism", "live"), Request("2", "learning_disability", "live")]
            + [Request("3", "learning_disability", "live"), Request("3", "learning_disability", "republished_live"),
               Request("3", "mental_health", "live"), Request("3", "autism", "live")])
    assert len(live) == 15
    others = ([Request("1", "dementia", "withdrawn", bids=1), Request("1", "learning_disability", "withdrawn", 1),
               Request("2", "autism", "withdrawn", 0), Request("2", "physical_disability", "withdrawn", 1),
               Request("3", "mental_health", "withdrawn", 0), Request("1", "older_people_frailty", "withdrawn", 1),
               Request("2", "learning_disability", "withdrawn", 0), Request("1", "dementia", "withdrawn", 1),
               Request("3", "learning_disability", "withdrawn", 1), Request("2", "mental_health", "withdrawn", 0)]
              + [Request("1", "dementia", "withdrawn_after_close", 2),
                 Request("2", "autism", "withdrawn_after_close", 1)]
              + [Request("1", "physical_disability", "no_award", 0), Request("2", "sensory_impairment", "no_award", 0),
                 Request("3", "autism", "no_award", 1), Request("1", "learning_disability", "no_award", 1),
                 Request("2", "older_people_frailty", "no_award", 0), Request("1", "dementia", "no_award", 1),
                 Request("3", "mental_health", "no_award", 0), Request("2", "learning_disability", "no_award", 1),
                 Request("1", "mental_health", "no_award", 0), Request("2", "autism", "no_award", 0),
                 Request("3", "learning_disability", "no_award", 1), Request("1", "autism", "no_award", 0),
                 Request("2", "dementia", "no_award", 0)]
              + [Request("2", "physical_disability", "republished_withdrawn", 1)])
    late = [Request("1", "dementia", "pending_start"), Request("2", "autism", "pending_start"),
            Request("1", "learning_disability", "pending_start"),
            Request("1", "dementia", "open_at_year_end"), Request("3", "autism", "open_at_year_end")]
    spread = []  # interleave the lots and stories over the year
    for n in range(max(len(live), len(others))):
        spread += live[n:n + 1] + others[n:n + 1]
    return spread + late


REQUESTS = _requests()
assert len(REQUESTS) == 46


def request_days() -> list[date]:
    """Publication days: from the second week live, about one a week (each a
    weekday), the last five in August 2023."""
    days, day = [], date(2022, 8, 8)
    for _ in range(len(REQUESTS) - 5):
        days.append(day)
        day += timedelta(days=8)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    days += [date(2023, 8, 1), date(2023, 8, 2), date(2023, 8, 3), date(2023, 8, 21), date(2023, 8, 22)]
    assert days[-6] < date(2023, 8, 1), days[-6]
    return days
