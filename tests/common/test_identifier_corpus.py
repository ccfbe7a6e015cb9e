"""The identifier guard against texts typed to get past it, and against
ordinary care text full of Unicode punctuation, which must pass untouched.

Each tricky text must give at least one finding of the kind named, quoting
the words as they were typed; each ordinary text must give none."""

import pytest

from common.identifiers import find_identifiers, find_person_identifiers, fold

NAMES = ["Margaret", "Okoro", "Zoë", "O'Brien", "Mary-Jane"]
ZWSP, ZWJ, ZWNJ, WJ, SHY, BOM = "\u200b", "\u200d", "\u200c", "\u2060", "\u00ad", "\ufeff"
NBSP, THIN, NNBSP, FIGURE = "\u00a0", "\u2009", "\u202f", "\u2007"

TRICKY = [
    # NHS numbers (943 476 5919 and 401 023 2137 have valid check digits)
    ("NHS no. 943 476 5919", "an NHS number", "943 476 5919"),
    ("NHS 9434765919.", "an NHS number", "9434765919"),
    (f"NHS 943{ZWSP}476{ZWSP}5919", "an NHS number", f"943{ZWSP}476{ZWSP}5919"),
    (f"nhs number 9{SHY}4{SHY}3 476 5919", "an NHS number", f"9{SHY}4{SHY}3 476 5919"),
    (f"number 943{NBSP}476{NBSP}5919", "an NHS number", f"943{NBSP}476{NBSP}5919"),
    (f"number 943{THIN}476{NNBSP}5919", "an NHS number", f"943{THIN}476{NNBSP}5919"),
    ("ＮＨＳ ９４３ ４７６ ５９１９", "an NHS number", "９４３ ４７６ ５９１９"),
    ("NHS 943–476–5919 (en dashes)", "an NHS number", "943–476–5919"),
    ("NHS 943‑476‑5919 (non-breaking hyphens)", "an NHS number", "943‑476‑5919"),
    ("ref: 9 4 3 4 7 6 5 9 1 9", "an NHS number", "9 4 3 4 7 6 5 9 1 9"),
    ("ID 943.476.5919", "an NHS number", "943.476.5919"),
    ("ID 943/476/5919", "an NHS number", "943/476/5919"),
    ("ID (943) 476 5919", "an NHS number", "(943) 476 5919"),
    ("nine four three four seven six five nine one nine", "an NHS number",
     "nine four three four seven six five nine one nine"),
    ("Lot 3 4010232137", "an NHS number", "4010232137"),
    (f"{BOM}401{WJ}023{ZWJ}2137", "an NHS number", f"401{WJ}023{ZWJ}2137"),
    ("NHS ٩٤٣٤٧٦٥٩١٩ (Arabic-Indic digits)", "an NHS number", "٩٤٣٤٧٦٥٩١٩"),
    # postcodes
    (f"Lives near CW1{NBSP}2AB", "a full postcode", f"CW1{NBSP}2AB"),
    (f"at CW1{THIN}2AB", "a full postcode", f"CW1{THIN}2AB"),
    (f"at CW1{ZWSP}2AB", "a full postcode", f"CW1{ZWSP}2AB"),
    ("postcode ＣＷ１ ２ＡＢ", "a full postcode", "ＣＷ１ ２ＡＢ"),
    ("at SK10\u00ad 4AB", "a full postcode", "SK10\u00ad 4AB"),
    ("at ch41-2ab", "a full postcode", "ch41-2ab"),
    ("at CW1  2AB", "a full postcode", "CW1  2AB"),
    ("near CW1 2АВ (Cyrillic A and B)", "a full postcode", "CW1 2АВ"),
    # phone numbers
    (f"ring 07700{NBSP}900123", "a phone number", f"07700{NBSP}900123"),
    (f"ring 07700{NNBSP}900{FIGURE}123", "a phone number", f"07700{NNBSP}900{FIGURE}123"),
    ("ring 0044 7700 900123", "a phone number", "0044 7700 900123"),
    ("ring 00 44 1270 686000", "a phone number", "00 44 1270 686000"),
    ("ring +44 (0)1270 686000", "a phone number", "+44 (0)1270 686000"),
    ("ring ０７７００ ９００１２３", "a phone number", "０７７００ ９００１２３"),
    (f"ring 0{ZWSP}7700 900{SHY}123", "a phone number", f"0{ZWSP}7700 900{SHY}123"),
    ("ring 07700.900.123", "a phone number", "07700.900.123"),
    ("ring (+44) 7700 900123", "a phone number", "+44) 7700 900123"),
    ("ring oh seven seven oh oh, nine oh oh one two three", "a phone number",
     "oh seven seven oh oh, nine oh oh one two three"),
    ("ring (01270) 686-000", "a phone number", "(01270) 686-000"),
    # e-mail addresses
    ("write to jo.bloggs@example.co.uk", "an e-mail address", "jo.bloggs@example.co.uk"),
    ("write to jo.bloggs＠example．org", "an e-mail address", "jo.bloggs＠example．org"),
    (f"write to jo.bloggs@{ZWSP}gmail.com", "an e-mail address", f"jo.bloggs@{ZWSP}gmail.com"),
    ("write to jo [at] gmail [dot] com", "an e-mail address", "jo [at] gmail [dot] com"),
    ("write to jo (at) example (dot) org", "an e-mail address", "jo (at) example (dot) org"),
    ("write to jo{at}example{dot}co{dot}uk", "an e-mail address", "jo{at}example{dot}co{dot}uk"),
    ("write to jo at gmail dot com", "an e-mail address", "jo at gmail dot com"),
    ("write to jo.bloggs AT hotmail DOT co DOT uk", "an e-mail address", "jo.bloggs AT hotmail DOT co DOT uk"),
    ("write to jo.bloggs at hotmail.co.uk", "an e-mail address", "jo.bloggs at hotmail.co.uk"),
    ("write to jo @ gmail.com", "an e-mail address", "jo @ gmail.com"),
    # dates of birth
    ("D.O.B: 1955-11-01", "a date of birth", "1955-11-01"),
    ("DOB 1955/11/01", "a date of birth", "1955/11/01"),
    ("born February 3, 1950", "a date of birth", "February 3, 1950"),
    ("Feb 3rd 1950 is her birthday", "a date of birth", "Feb 3rd 1950"),
    ("born on the 3rd of February 1950", "a date of birth", "3rd of February 1950"),
    ("born Feb. 3 1950", "a date of birth", "Feb. 3 1950"),
    ("date of birth: 3/2/50", "a date of birth", "3/2/50"),
    ("DOB ０３/０２/１９５０", "a date of birth", "０３/０２/１９５０"),
    (f"DOB 03{ZWSP}/02/1950", "a date of birth", f"03{ZWSP}/02/1950"),
    ("born in 1950", "a date of birth", "1950"),
    ("DOB 03 02 1950", "a date of birth", "03 02 1950"),
    ("DOB: 1st Feb '50", "a date of birth", "1st Feb '50"),
    ("Born: 01-Feb-1950", "a date of birth", "01-Feb-1950"),
    ("D.O.B. March 1950", "a date of birth", "March 1950"),
    ("b. 3 February 1950; first met 1 March 1999", "a date that could be a date of birth", "3 February 1950"),
]

NAMED = [
    ("Margaret likes music", "Margaret"),
    ("MARGARET likes music", "MARGARET"),
    ("Mrs Okoro's daughter visits", "Okoro"),
    ("Mrs Okoro’s daughter visits", "Okoro"),
    ("Mr Okoro", "Okoro"),
    ("Mrs M. Okoro", "Okoro"),
    ("MrsOkoro", "Okoro"),
    ("M Okoro", "Okoro"),
    ("OKORO", "OKORO"),
    ("the Okoros' garden", "Okoros'"),
    ("Маrgaret (Cyrillic а)", "Маrgaret"),
    ("Οkoro (Greek omicron)", "Οkoro"),
    (f"Mar{ZWSP}garet", f"Mar{ZWSP}garet"),
    (f"O{SHY}k{ZWJ}o{ZWNJ}r{WJ}o", f"O{SHY}k{ZWJ}o{ZWNJ}r{WJ}o"),
    ("O\u3164koro (a Hangul filler)", "O\u3164koro"),
    ("Ｍａｒｇａｒｅｔ", "Ｍａｒｇａｒｅｔ"),
    ("Mrs ᴏᴋᴏʀᴏ (small capitals)", "ᴏᴋᴏʀᴏ"),
    ("Mrs 𝐎𝐤𝐨𝐫𝐨 (mathematical bold)", "𝐎𝐤𝐨𝐫𝐨"),
    ("Mrs Ⓞⓚⓞⓡⓞ", "Ⓞⓚⓞⓡⓞ"),
    ("Zoe enjoys swimming", "Zoe"),
    ("Zoë enjoys swimming", "Zoë"),
    ("Zoe\u0308 enjoys swimming", "Zoe\u0308"),
    ("Mrs O’Brien", "O’Brien"),
    ("Mrs OBrien", "OBrien"),
    ("Mary Jane likes dancing", "Mary Jane"),
    ("MARY-JANE likes dancing", "MARY-JANE"),
]

ORDINARY = [
    "“Two sessions” a week – Monday–Friday, 09:00–17:30…",
    "Support for 10–12 hours a week; 2:1 support for personal care.",
    "She has lived in the area since 2019 and attends the café on Tuesdays.",
    "Start on 4 January 2031 (or earlier — we’ll confirm), reviewed after 12 weeks.",
    "Start 2031-01-06; the package runs until 2031-12-31.",
    "Start on March 3, 2031, for 26 weeks.",
    "Community support in the CW5 area; transport from Nantwich to the day centre.",
    "Postcode district CH41 only, never an address.",
    "Budget £1,250.00 a week (£178.57 a day); hourly rate up to £24.50.",
    "Lot 3 (community support), reference CEC-2024-0173, agreement CE-DPS-2024.",
    "Visits at 08:00, 12:30, 17:00 and 21:00 daily; 07:30 on Sundays.",
    "Visits at 08.30, 12.30, 17.30 and 21.00 daily.",
    "Needs a female support worker who speaks Polish; ‘no visitors after 8 pm’.",
    "History of falls… uses a wheelchair; hoist transfers need 2 staff.",
    "Aged 84; lives alone; her daughter visits weekly.",
    "Medication prompts 4× a day; ½ hour per visit; 1½ hours on Fridays.",
    "Outcomes: to stay at home, to see friends at the club, to cook twice a week.",
    "Speaks Русский and some Ελληνικά; an interpreter may be needed.",
    "Respite: 2 nights a month; 48 hours’ notice needed.",
    "Ward A1, 2nd floor; discharge planned for the 3rd week of January 2031.",
    "Meet the team @ 10.30 at the hub.",
    "She will need support at home. Next review in 6 months.",
    "May need more support in winter; will review monthly.",
    "Shop at the supermarket on Mondays, with support.",
    "The service must be CQC registered (rated Good or Outstanding).",
    "Moving and handling training; PBS Level 2; NVQ 3 in Health & Social Care.",
    "Weekly price £533.21 (incl. travel); 37.5 hours × £14.22.",
    "Ratio 1:1 during the day, 1:3 at night; waking night 22:00–07:00.",
    "Phone calls to the family are part of the support (numbers held by the broker).",
    "E-mail the broker through Jointly; do not use personal e-mail.",
    "Tel: see the package record (held apart).",
    "2–3 visits a day, 7 days a week; 52 weeks a year.",
    "Within 5 miles of CW1 (Crewe) and CW2.",
    "Enjoys music from the 1950s and 1960s; was a nurse for 30 years.",
    "Review in 2032; contract 2031/32; budget year 2031-32.",
    "Percentages: 40 % quality, 20 % price, 30 % outcomes, 10 % social value.",
    "Numbers 1 2 3 on the door keypad are broken.",
    "Hours: 14.5 a week, split 3.5 + 3.5 + 7.5.",
    "Up to 0.5 FTE of a nurse; 10–15 minutes of prompts.",
    "Day centre opens 9–5; closed 25–26 December.",
    "His late wife’s garden matters to him.",
    "Support at night is provided by the family (they prefer this).",
    "Use the lift at the rear entrance; the code changes monthly.",
    "Pets: 1 dog; allergies: none known.",
    "Case reference 2024-000123 and 2031-000017; invoice 12345-67890; order 4010-232137.",
    "Shift B1 2pm–8pm; rooms 12 14 16 18 20 are on the ground floor.",
    "One or two visits a day, three or four days a week, five hours in all.",
    "Born and raised locally; a proud grandmother of three.",
    "Rota weeks 9, 10 and 11 alternate; items 943/476 in the catalogue.",
]


@pytest.mark.parametrize("text, kind, words", TRICKY)
def test_tricky_identifiers_are_found_as_typed(text, kind, words):
    findings = [(f.kind, f.text) for f in find_identifiers(text)]
    assert (kind, words) in findings, findings


@pytest.mark.parametrize("text, words", NAMED)
def test_the_persons_names_are_found_in_the_forms_people_write_them(text, words):
    findings = [(f.kind, f.text) for f in find_identifiers(text, names=NAMES)]
    assert ("a name from the person's record", words) in findings, findings


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_care_text_passes(text):
    assert find_identifiers(text, names=["Margaret", "Okoro"]) == []


@pytest.mark.parametrize("text", [
    "Margareta is her sister", "Okorosa", "Okoroed", "you may visit on Sundays",
])
def test_names_are_matched_as_names_not_inside_other_words(text):
    assert find_identifiers(text, names=["Margaret", "Okoro", "May"]) == []


def test_everyday_words_that_are_also_names_count_only_written_as_names():
    assert find_identifiers("you may visit", names=["May"]) == []
    assert [f.text for f in find_identifiers("Mrs May visits", names=["May"])] == ["May"]


def test_folding_makes_look_alikes_latin_and_drops_what_cannot_be_seen():
    assert fold(f"Мар{ZWSP}garet’s ９４３") == "Mapgaret's 943"  # Cyrillic р looks like p
    assert fold(f"CW1{NBSP}2AB{SHY}") == "CW1 2AB"


def test_text_not_about_a_package_is_checked_for_what_only_a_person_has():
    assert [f.kind for f in find_person_identifiers("NHS 943 476 5919")] == ["an NHS number"]
    assert [f.kind for f in find_person_identifiers("DOB 1955-11-01")] == ["a date of birth"]
    # an organisation's own phone, e-mail, address and past dates are its business
    assert find_person_identifiers("Inspected 12/03/2024; ring 01270 686000; CW1 2AB; a@b.org") == []


def test_a_long_text_is_checked_quickly():
    import time

    text = " ".join(ORDINARY) * 20
    started = time.perf_counter()
    assert find_identifiers(text, names=NAMES) == []
    assert time.perf_counter() - started < 2
