"""Finding identifiers in text that providers will read.

A package published to providers describes needs, never the person: no NHS
number, full postcode, date of birth, phone number, e-mail address or name
from the person's record (ARCHITECTURE.md, "Anonymised packages"; the ICO's
motivated-intruder test). `find_identifiers` returns what it found, with the
words, so a form or the API can point at them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# NHS numbers: 10 digits, often written 3-3-4, with a modulus 11 check digit.
NHS_NUMBER = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
# Full UK postcodes (outward and inward code); a district alone ("CW5") is fine.
POSTCODE = re.compile(r"\b(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.I)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# UK phone numbers: 0 or +44 then 9-10 more digits, spaces/dashes/brackets allowed.
PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?|\(?0)(?:[\s()-]?\d){9,10}(?!\d)")
MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
DATE_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
DATE_WORDS = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTHS})\.?,?\s+(\d{{4}})\b", re.I)
DOB_WORDS = re.compile(r"\b(?:d\.?o\.?b\.?|date of birth|born(?: on)?)\b", re.I)


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind} “{self.text}”"


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check digit."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _dates(text: str) -> list[str]:
    """Dates that could be a birth date: a full date in the past, at least a
    year ago. Dates in the future (start dates, deadlines) are fine."""
    found = []
    today = date.today()
    for match in DATE_NUMERIC.finditer(text):
        day, month, year = (int(g) for g in match.groups())
        year = year + (1900 if year > today.year % 100 else 2000) if year < 100 else year
        try:
            when = date(year, month, day)
        except ValueError:
            continue
        if when.year < today.year:
            found.append(match.group(0))
    for match in DATE_WORDS.finditer(text):
        if int(match.group(3)) < today.year:
            found.append(match.group(0))
    return found


def find_identifiers(text: str, *, names: list[str] = ()) -> list[Finding]:
    """Every identifier in `text`; `names` are the person's names (first,
    last, preferred) from their record, matched as whole words."""
    if not text:
        return []
    findings: list[Finding] = []
    for match in NHS_NUMBER.finditer(text):
        if nhs_number_valid("".join(match.groups())):
            findings.append(Finding("an NHS number", match.group(0)))
    findings += [Finding("a full postcode", m.group(0)) for m in POSTCODE.finditer(text)]
    findings += [Finding("an e-mail address", m.group(0)) for m in EMAIL.finditer(text)]
    nhs_texts = {f.text for f in findings}
    findings += [Finding("a phone number", m.group(0).strip()) for m in PHONE.finditer(text)
                 if m.group(0).strip() not in nhs_texts]
    dates = _dates(text)
    if dates:
        kind = "a date of birth" if DOB_WORDS.search(text) else "a date that could be a date of birth"
        findings += [Finding(kind, d) for d in dates]
    for name in names:
        name = (name or "").strip()
        if len(name) < 2:
            continue
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I):
            findings.append(Finding("a name from the person's record", match.group(0)))
    return findings


def identifier_message(findings: list[Finding]) -> str:
    """One message naming every finding, for a form or an API error."""
    listed = "; ".join(str(f) for f in findings)
    return (f"Remove what could identify the person: {listed}. Providers see this text before award, "
            "so describe needs and places without names, numbers, full postcodes or dates of birth.")
