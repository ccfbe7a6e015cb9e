"""Finding identifiers in text that providers will read.

A package published to providers describes needs, never the person: no NHS
number, full postcode, date of birth, phone number, e-mail address or name
from the person's record (the ICO's motivated-intruder test).
`find_identifiers` returns what it found, with the words as they were typed,
so a form or the API can point at them.

Text is normalised before it is checked, so that the way it is typed cannot
hide an identifier: Unicode NFKC (full-width digits and letters, ligatures),
format characters removed (zero-width spaces and joiners, soft hyphens, the
BOM), odd spaces made plain spaces, dashes made hyphens, curly apostrophes
made straight, accents dropped, any script's decimal digits made 0-9, and
Cyrillic and Greek letters that look like Latin ones folded to Latin (a small
explicit table: Unicode's full confusables skeleton also folds digits and
letters into each other, 0/O, 1/l, which would make care text look like
numbers and numbers like words).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# Cyrillic and Greek letters drawn like Latin ones (from Unicode's confusables
# data, letters only), folded to the Latin letter they pass for.
CONFUSABLES = str.maketrans({
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ї": "I", "Ј": "J", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W",
    "Ү": "Y", "Һ": "H", "Ӏ": "I", "Ь": "b", "Ɡ": "G",
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "ү": "y", "һ": "h", "ӏ": "l", "ь": "b", "ɡ": "g", "ո": "n", "ս": "u", "օ": "o", "ց": "g", "զ": "q",
    # Greek capitals and small letters
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ϲ": "c", "Ϲ": "C", "ϳ": "j", "Ϳ": "J",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "ι": "i", "κ": "k", "χ": "x", "ε": "e",
    "η": "n", "μ": "u", "ω": "w", "γ": "y",
    # Latin letters drawn like others, small capitals included
    "ı": "i", "ȷ": "j", "ſ": "s", "ℓ": "l", "ɑ": "a", "ɩ": "i", "ǀ": "l",
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
    "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u",
    "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
})
# Characters that stand for a space, a hyphen or an apostrophe.
SPACES = {"\t", "\u00a0", "\u1680", "\u180e", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005",
          "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000", "\u2800"}
HYPHENS = {"\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\ufe58", "\ufe63", "\uff0d",
           "\u02d7", "\u2043"}
# Letters that draw nothing (Hangul fillers), dropped like format characters.
INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}
APOSTROPHES = {"\u2018", "\u2019", "\u201b", "\u02bc", "\u2032", "\uff07", "`", "\u00b4"}


@dataclass(frozen=True)
class Normalised:
    """Text as checked, and where each of its characters came from in the
    text as typed, so a finding can quote what the person wrote."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    raw: str

    def typed(self, start: int, end: int) -> str:
        """The typed text behind text[start:end]."""
        if start >= end:
            return ""
        return self.raw[self.starts[start]:self.ends[end - 1]].strip()


def _fold_char(char: str) -> str:
    if char in SPACES or unicodedata.category(char) == "Zs":
        return " "
    if char in HYPHENS:
        return "-"
    if char in APOSTROPHES:
        return "'"
    if unicodedata.category(char) == "Nd":
        return str(unicodedata.digit(char))
    return char


def normalise(raw: str) -> Normalised:
    """NFKC, format characters removed, odd spaces, dashes and apostrophes
    made plain, accents dropped, look-alike letters folded: one grapheme
    (a letter and its combining marks) at a time, keeping where each came from."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, length = 0, len(raw)
    while i < length:
        j = i + 1
        while j < length and unicodedata.category(raw[j]) in ("Mn", "Me", "Mc"):
            j += 1
        cluster = "".join(c for c in raw[i:j] if unicodedata.category(c) != "Cf" and c not in INVISIBLE_LETTERS)
        if cluster:
            composed = unicodedata.normalize("NFKC", cluster)
            bare = "".join(c for c in unicodedata.normalize("NFKD", composed)
                           if unicodedata.category(c) not in ("Mn", "Me", "Cf"))
            for char in bare.translate(CONFUSABLES):
                out.append(_fold_char(char))
                starts.append(i)
                ends.append(j)
        i = j
    return Normalised("".join(out), tuple(starts), tuple(ends), raw)


def fold(text: str) -> str:
    """Only the normalised text (names from a record are folded like the text)."""
    return normalise(text).text


# NHS numbers: 10 digits, often written 3-3-4 but spaced any way, with a
# modulus 11 check digit (which leaves one 10-digit number in eleven).
# Digit groups with one space or hyphen between them, a group perhaps in brackets.
DIGIT_RUN = re.compile(r"\(?\d+\)?(?:[ -]\(?\d+\)?)*")
NHS_DOTTED = re.compile(r"(?<![\d./_])\d{3}([./_])\d{3}\1\d{4}(?![./_]?\d)")
# Digits spelt out, "nine four three ...": nine or more in a row are read as digits.
DIGIT_WORDS = {"zero": "0", "oh": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4",
               "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
SPELT_DIGITS = re.compile(rf"\b(?:(?:{'|'.join(DIGIT_WORDS)})[\s,-]+){{8,}}(?:{'|'.join(DIGIT_WORDS)})\b", re.I)
# Full UK postcodes (outward and inward code); a district alone ("CW5") is fine.
POSTCODE = re.compile(r"\b(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?(?: {1,3}|-)?\d[ABD-HJLNP-UW-Z]{2})\b", re.I)
ORDINAL = re.compile(r"\d(?:st|nd|th|rd|am|pm)$")  # "A1 2nd floor", "shift B1 2pm" are not postcodes
EMAIL = re.compile(r"\b[\w.+-]+ ?@ ?[\w-]+(?:\.[\w-]+)+\b")
# Written out to get past a filter: name [at] gmail [dot] com, name (at) x (dot) org.
_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.|\s\.\s)"
EMAIL_SPELT = re.compile(rf"\b([\w.+-]+){_AT}([\w-]+(?:{_DOT}[\w-]+)+)\b", re.I)
BRACKETED = re.compile(r"[\[({<]\s*(?:at|dot)\s*[\])}>]", re.I)
TLDS = {"com", "org", "net", "uk", "co", "gov", "nhs", "ac", "info", "me", "io", "biz", "eu", "ie", "scot",
        "wales", "cymru", "email", "online", "live", "mail", "edu", "us", "de", "fr", "pl", "in"}
# UK phone numbers: 0, +44 or 0044 then 9-10 more digits, spaces/dashes/dots/brackets allowed.
PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00) ?44 ?\(?0?\)?|\(?0)(?:[ ()-]{0,2}\d){9,10}(?!\d)")
PHONE_DOTTED = re.compile(r"(?<![\w.+])(?:(?:\+|00)44\.?)?0?\d{2,4}\.\d{3,4}\.?\d{3,4}(?![.\d])")
MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
MONTH_NUMBER = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}
DATE_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
DATE_ISO = re.compile(r"\b(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})\b")
# The year in words-dates: 1950, or '50.
_YEAR = r"(\d{4}|'\d{2})\b"
DATE_WORDS = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?(?:\s+|[/-])({MONTHS})\.?,?(?:\s+|[/-])"
                        rf"{_YEAR}", re.I)
DATE_MONTH_FIRST = re.compile(rf"\b({MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}", re.I)
DOB_WORDS = re.compile(r"\b(?:d\.? ?o\.? ?b\b\.?|date of birth|birth ?date|birthday|born(?: on| in)?)", re.I)
# After "born" or "DOB", a year or a month and year is enough to point at someone.
DOB_PARTIAL = re.compile(rf"\b(?:d\.? ?o\.? ?b\b\.?|date of birth|born)\s*(?:on|in|:|-)?\s*((?:(?:{MONTHS})\.?,?\s+|"
                         r"\d{1,2}\s+\d{1,2}\s+)?(?:19|20)\d\d)\b", re.I)
# First names that are also everyday words: matched only when written as a name (a capital).
COMMON_WORDS = {"will", "may", "june", "april", "august", "grace", "hope", "faith", "joy", "rose", "mark", "bill",
                "frank", "art", "sky", "amber", "ruby", "pearl", "holly", "ivy", "iris", "dawn", "summer",
                "autumn", "rich", "sunny", "patience", "chance", "sam", "pat", "ray", "glen", "dale",
                "jack", "rob", "sue", "don", "guy", "miles", "max", "wade", "lane", "hall", "day", "long",
                "young", "green", "brown", "white", "black", "wood", "hill", "ward", "stone", "street", "page",
                "bell", "rice", "cook", "hunt", "west", "north", "south", "east", "little", "king", "mason"}
MAIL_DOMAINS = {"gmail", "googlemail", "hotmail", "yahoo", "outlook", "live", "icloud", "btinternet", "aol",
                "sky", "nhs", "gov", "protonmail", "virginmedia", "talktalk", "msn", "ymail"}


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


Span = tuple[int, int]


NHS_SHAPES = {(10,), (3, 3, 4), (3, 7), (6, 4)}


def _nhs_shaped(lengths: tuple[int, ...]) -> bool:
    """How people write an NHS number: 3-3-4 or run together, or spaced out
    digit by digit to get past a filter; not a reference like
    2024-000123."""
    return lengths in NHS_SHAPES or max(lengths) == 1


def _nhs_numbers(text: str) -> list[Span]:
    """Ten digits with a valid check digit, in a run of digit groups (one
    space or hyphen between them), grouped as people write the number."""
    spans = []
    for run in DIGIT_RUN.finditer(text):
        groups = [(m.start() + run.start(), m.end() + run.start(), re.sub(r"\D", "", m.group(0)))
                  for m in re.finditer(r"\(?\d+\)?", run.group(0))]
        for first in range(len(groups)):
            digits, lengths = "", ()
            for last in range(first, len(groups)):
                digits += groups[last][2]
                lengths += (len(groups[last][2]),)
                if len(digits) >= 10:
                    if len(digits) == 10 and _nhs_shaped(lengths) and nhs_number_valid(digits):
                        spans.append((groups[first][0], groups[last][1]))
                    break
    spans += [m.span() for m in NHS_DOTTED.finditer(text) if nhs_number_valid(re.sub(r"\D", "", m.group(0)))]
    spans += [span for span, digits in _spelt_digits(text) if len(digits) == 10 and nhs_number_valid(digits)]
    return spans


def _spelt_digits(text: str) -> list[tuple[Span, str]]:
    return [(m.span(), "".join(DIGIT_WORDS[w.lower()] for w in re.findall(r"[a-z]+", m.group(0), re.I)))
            for m in SPELT_DIGITS.finditer(text)]


def _postcodes(text: str) -> list[Span]:
    return [m.span() for m in POSTCODE.finditer(text) if not ORDINAL.search(m.group(0))]


def _emails(text: str) -> list[Span]:
    spans = [m.span() for m in EMAIL.finditer(text) if re.search(r"[a-z]", m.group(0).rsplit(".", 1)[-1], re.I)]
    for match in EMAIL_SPELT.finditer(text):
        labels = [label.lower() for label in re.split(rf"{_DOT}", match.group(2), flags=re.I) if label]
        spelt = BRACKETED.search(match.group(0)) or re.search(r"\sdot\s", match.group(2), re.I)
        if labels and labels[-1] in TLDS and (spelt or MAIL_DOMAINS & set(labels)):
            spans.append(match.span())
    return spans


def _phones(text: str) -> list[Span]:
    spans = [m.span() for m in PHONE.finditer(text)]
    for match in PHONE_DOTTED.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        digits = "0" + digits[4:].lstrip("0") if digits.startswith("0044") else digits
        digits = "0" + digits[2:].lstrip("0") if digits.startswith("44") else digits
        if digits.startswith("0") and len(digits) in (10, 11):
            spans.append(match.span())
    spans += [span for span, digits in _spelt_digits(text) if digits.startswith("0") and len(digits) in (10, 11)]
    return spans


def _year(text: str, today: date) -> int:
    """1950, or '50 (the last century when later than this year's two digits)."""
    if len(text) == 4:
        return int(text)
    short = int(text[-2:])
    return short + (1900 if short > today.year % 100 else 2000)


def _past(year: int, month: int, day: int, today: date) -> bool:
    try:
        return date(year, month, day).year < today.year
    except ValueError:
        return False


def _dates(text: str) -> list[Span]:
    """Dates that could be a birth date: a full date in an earlier year, in
    any of the ways people write one (14/03/1987, 1987-03-14, 14th March 1987,
    March 14, 1987). Dates in this year or later (start dates, deadlines) are fine."""
    found = []
    today = date.today()
    for match in DATE_NUMERIC.finditer(text):
        day, month, year = (int(g) for g in match.groups())
        year = year + (1900 if year > today.year % 100 else 2000) if year < 100 else year
        if _past(year, month, day, today):
            found.append(match.span())
    for match in DATE_ISO.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        if year >= 1900 and _past(year, month, day, today):
            found.append(match.span())
    for match in DATE_WORDS.finditer(text):
        day, month, year = int(match.group(1)), MONTH_NUMBER[match.group(2).lower()], _year(match.group(3), today)
        if _past(year, month, day, today):
            found.append(match.span())
    for match in DATE_MONTH_FIRST.finditer(text):
        month, day, year = MONTH_NUMBER[match.group(1).lower()], int(match.group(2)), _year(match.group(3), today)
        if _past(year, month, day, today):
            found.append(match.span())
    for match in DOB_PARTIAL.finditer(text):
        if int(match.group(1)[-4:]) < today.year and not any(s <= match.start(1) < e for s, e in found):
            found.append(match.span(1))
    return found


def _name_pattern(name: str) -> str:
    """A name as people write it: any case, hyphen or space between its
    parts, with or without its apostrophe, possessive or not."""
    pattern = ""
    for char in name:
        if char in " -":
            pattern += r"[\s-]*"
        elif char == "'":
            pattern += "'?"
        elif char == ".":
            pattern += r"\.?"
        else:
            pattern += re.escape(char)
    # a title run into the name ("MrsOkoro") still counts
    return rf"(?:(?<!\w)|(?<=mr)|(?<=mrs)|(?<=ms)|(?<=miss)|(?<=mx)|(?<=dr)){pattern}(?:s')?(?!\w)"


def _names(text: str, names) -> list[Span]:
    spans = []
    for name in names:
        name = " ".join(fold(name or "").split())
        if len(name.replace(" ", "")) < 2:
            continue
        common = name.lower() in COMMON_WORDS
        for match in re.finditer(_name_pattern(name), text, re.I):
            if common and not match.group(0)[0].isupper():
                continue  # "will", "may": a word here, not a name
            spans.append(match.span())
    return spans


def _overlaps(span: Span, spans: list[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


KINDS = ("nhs_number", "postcode", "email", "phone", "date", "name")


def find_identifiers(text: str, *, names=(), kinds=KINDS) -> list[Finding]:
    """Every identifier in `text`, quoted as typed; `names` are the person's
    names (first, last, preferred) from their record. `kinds` narrows the
    check for text that is not about one person (see `find_person_identifiers`)."""
    if not text:
        return []
    checked = normalise(str(text))
    plain = checked.text
    found: list[tuple[str, Span]] = []
    nhs = _nhs_numbers(plain) if "nhs_number" in kinds else []
    found += [("an NHS number", span) for span in nhs]
    if "postcode" in kinds:
        found += [("a full postcode", span) for span in _postcodes(plain)]
    if "email" in kinds:
        found += [("an e-mail address", span) for span in _emails(plain) if not _overlaps(span, nhs)]
    if "phone" in kinds:
        found += [("a phone number", span) for span in _phones(plain) if not _overlaps(span, nhs)]
    if "date" in kinds:
        dates = _dates(plain)
        dob = DOB_WORDS.search(plain)
        if "name" in kinds or dob:  # narrowed checks look only for dates said to be of birth
            kind = "a date of birth" if dob else "a date that could be a date of birth"
            found += [(kind, span) for span in dates]
    if "name" in kinds:
        found += [("a name from the person's record", span) for span in _names(plain, names)]
    findings, seen = [], set()
    for kind, span in found:
        finding = Finding(kind, checked.typed(*span))
        if finding not in seen:
            seen.add(finding)
            findings.append(finding)
    return findings


def find_person_identifiers(text: str) -> list[Finding]:
    """For text that reaches providers but is not about a package (admissions
    feedback, decision periods): what identifies a person and never an
    organisation, an NHS number or a date said to be a date of birth.
    Phone numbers, e-mail addresses, postcodes and past dates are the
    provider's or the authority's own business there."""
    return find_identifiers(text, kinds=("nhs_number", "date"))


def identifier_message(findings: list[Finding]) -> str:
    """One message naming every finding, for a form or an API error."""
    listed = "; ".join(str(f) for f in findings)
    return (f"Remove what could identify the person: {listed}. Providers read this text, and only the awarded "
            "provider may learn who the support is for, so describe needs and places without names, numbers, "
            "full postcodes or dates of birth.")


def person_identifier_message(findings: list[Finding]) -> str:
    """The message for text about an organisation that named a person."""
    listed = "; ".join(str(f) for f in findings)
    return (f"Remove what could identify a person: {listed}. The provider reads this text: write about its "
            "organisation and its application, never about someone it supports.")
