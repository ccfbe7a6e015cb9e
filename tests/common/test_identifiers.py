"""The identifier guard finds what could identify a person, and leaves
descriptions of needs alone."""

import pytest

from common.identifiers import find_identifiers, identifier_message, nhs_number_valid


@pytest.mark.parametrize("number, valid", [
    ("9434765919", True), ("943 476 5919", False), ("9434765918", False), ("4010232137", True),
    ("1111111111", False), ("123456789", False),
])
def test_nhs_number_check_digit(number, valid):
    assert nhs_number_valid(number) is valid


@pytest.mark.parametrize("text, kind, words", [
    ("NHS number 943 476 5919 for reference", "an NHS number", "943 476 5919"),
    ("Lives at 12 High Street, CW5 6AA with his mother", "a full postcode", "CW5 6AA"),
    ("ring cw56aa", "a full postcode", "cw56aa"),
    ("Contact the family on 07700 900123 after 5pm", "a phone number", "07700 900123"),
    ("Call +44 1270 686000", "a phone number", "+44 1270 686000"),
    ("Social worker: jo.bloggs@cheshireeast.gov.uk", "an e-mail address", "jo.bloggs@cheshireeast.gov.uk"),
    ("DOB 14/03/1987, enjoys gardening", "a date of birth", "14/03/1987"),
    ("Born on 3rd March 1961", "a date of birth", "3rd March 1961"),
    ("Since 12/05/2019 has attended a day centre", "a date that could be a date of birth", "12/05/2019"),
])
def test_identifiers_are_found_with_their_words(text, kind, words):
    findings = find_identifiers(text)
    assert (kind, words) in [(f.kind, f.text) for f in findings]
    assert words in identifier_message(findings)


def test_names_from_the_record_are_found_as_whole_words():
    findings = find_identifiers("Margaret likes music; Margareta is her sister", names=["Margaret", "Okoro"])
    assert [f.text for f in findings] == ["Margaret"]


@pytest.mark.parametrize("text", [
    "Two sessions a week in the CW5 area, building-based, with transport.",
    "Support for 14 hours a week from 1 March 2031, reviewed after 12 weeks.",
    "Needs a female support worker who speaks Polish; history of falls; uses a wheelchair.",
    "Budget £450.00 a week; 3 x 2-hour visits; 10-12 hours a week in total.",
    "Lot 2 (community support), reference CEC-2024-0173.",
])
def test_descriptions_of_needs_pass(text):
    assert find_identifiers(text) == []
