"""The sixteen standards of a PAMMS-like quality assessment, in its five
domains. The provider self-assesses each; the quality officer validates
each, then rates each domain and the whole.

PAMMS (Provider Assessment and Market Management Solution) groups sixteen
standards under the five domains of the Care Quality Commission's
"Essential standards of quality and safety" (2010): its sixteen core
outcomes, each from a regulation of the Health and Social Care Act 2008
(Regulated Activities) Regulations 2010. The titles below are those
outcomes' titles; a council's own PAMMS version may word them a little
differently (unconfirmed), so the source is shown beside each.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenants.quality.models import DOMAINS, RATINGS


@dataclass(frozen=True)
class Standard:
    key: str
    domain: str  # a key of DOMAINS
    title: str
    expects: str  # what a provider meeting it shows, in a sentence
    source: str

    @property
    def domain_label(self) -> str:
        return dict(DOMAINS)[self.domain]


_SOURCE = "CQC essential standards of quality and safety (2010), outcome {n}; regulation {r} of the 2010 Regulations"


def _s(key, domain, title, expects, outcome, regulation) -> Standard:
    return Standard(key, domain, title, expects, _SOURCE.format(n=outcome, r=regulation))


STANDARDS: tuple[Standard, ...] = (
    _s("respecting_involving", "involvement", "Respecting and involving people who use services",
       "People understand the care offered, are involved in decisions about it, and their privacy, dignity and "
       "independence are respected.", 1, 17),
    _s("consent", "involvement", "Consent to care and treatment",
       "People give valid consent before care is given, and where they cannot, the Mental Capacity Act 2005 is "
       "followed.", 2, 18),
    _s("care_welfare", "personalised", "Care and welfare of people who use services",
       "Each person's needs are assessed and their care is planned and delivered to meet them safely.", 4, 9),
    _s("nutrition", "personalised", "Meeting nutritional needs",
       "People are supported to eat and drink enough, with food that meets their needs and choices.", 5, 14),
    _s("cooperating", "personalised", "Cooperating with other providers",
       "Care is coordinated with other services when people move between them or share their care.", 6, 24),
    _s("safeguarding", "safeguarding", "Safeguarding people who use services from abuse",
       "People are protected from abuse, and concerns are recognised, reported and acted on.", 7, 11),
    _s("infection_control", "safeguarding", "Cleanliness and infection control",
       "People are protected from the risk of infection by clean surroundings and sound practice.", 8, 12),
    _s("medicines", "safeguarding", "Management of medicines",
       "Medicines are given safely, at the right times, and recorded.", 9, 13),
    _s("premises", "safeguarding", "Safety and suitability of premises",
       "Where care is given in premises the provider controls, they are safe and suitable.", 10, 15),
    _s("equipment", "safeguarding", "Safety, availability and suitability of equipment",
       "Equipment people need is available, safe, maintained and used properly.", 11, 16),
    _s("workers", "staffing", "Requirements relating to workers",
       "Workers are fit, suitably recruited and checked (including the Disclosure and Barring Service).", 12, 21),
    _s("staffing", "staffing", "Staffing",
       "There are enough qualified, skilled and experienced staff to meet people's needs.", 13, 22),
    _s("supporting_workers", "staffing", "Supporting workers",
       "Staff are trained, supervised and appraised, and supported to do their jobs.", 14, 23),
    _s("quality_monitoring", "management", "Assessing and monitoring the quality of service provision",
       "The provider checks the quality of its service, manages risks and learns from what goes wrong.", 16, 10),
    _s("complaints", "management", "Complaints",
       "People and those acting for them can complain, and complaints are investigated and answered.", 17, 19),
    _s("records", "management", "Records",
       "Records about people and the running of the service are accurate, kept safe and confidential.", 21, 20),
)

BY_KEY: dict[str, Standard] = {s.key: s for s in STANDARDS}
STANDARD_CHOICES = [(s.key, s.title) for s in STANDARDS]

# A rating as a score, to suggest a domain's rating from its standards.
SCORE = {"excellent": 4, "good": 3, "requires_improvement": 2, "poor": 1}
BY_SCORE = {v: k for k, v in SCORE.items()}
RATING_WORDS = dict(RATINGS)


def suggest(ratings: list[str]) -> str:
    """A suggested rating for a group of standards (or of domains): their
    average to the nearest rating (a half rounds down), and never more than
    one step above the worst, so one Poor standard cannot hide behind
    Excellent ones. Empty if any is unrated."""
    if not ratings or any(r not in SCORE for r in ratings):
        return ""
    scores = [SCORE[r] for r in ratings]
    nearest = (2 * sum(scores) + len(scores) - 1) // (2 * len(scores))
    return BY_SCORE[min(nearest, min(scores) + 1)]
