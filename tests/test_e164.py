"""The one E.164 normaliser (fs_plugins.e164) and the three places that used to parse numbers each
their own way: validation (DIDs, forward targets), call handling (dialled numbers) and contacts
(stored numbers and the caller-ID looked up). The edge cases each old normaliser handled stay."""
from __future__ import annotations

import pytest

from fs_plugins import e164, validate
from fs_plugins.callhandling import numbers as callhandling
from fs_plugins.contacts import numbers as contacts
from fs_plugins.errors import InvalidInput


@pytest.mark.parametrize("text,country,reading", [
    ("911 23 45 67", "ES", e164.Reading("+34911234567", True, True)),
    ("0034 911-234-567", "ES", e164.Reading("+34911234567", True, True)),
    ("(91) 123.45.67", "ES", e164.Reading("+34911234567", True, True)),
    ("+1 555 0100", "ES", e164.Reading("+15550100", True, False)),  # a US test range: possible, not allocated
    ("12", "ES", e164.Reading("+3412", False, False)),  # parses, but no Spanish number is this short
    ("911234567", "es", e164.Reading("+34911234567", True, True)),  # a country in any case
    ("+999999999999", "ES", e164.NOT_A_NUMBER),  # no such country code
    ("hello", "ES", e164.NOT_A_NUMBER),
    ("1-800-FLOWERS", "US", e164.NOT_A_NUMBER),  # letters are never read as a vanity number
    ("tel:+34911234567", "ES", e164.NOT_A_NUMBER),
    ("*98", "ES", e164.NOT_A_NUMBER),
    ("1", "ES", e164.NOT_A_NUMBER),
    ("9" * 41, "ES", e164.NOT_A_NUMBER),
    ("", "ES", e164.NOT_A_NUMBER),
])
def test_one_reading_of_a_number(text, country, reading):
    assert e164.read(text, country) == reading


def test_validation_takes_possible_dids_and_only_allocated_targets():
    assert validate.e164("+1 555 0100", "ES", assigned=True) == "+15550100"
    with pytest.raises(InvalidInput, match="not a valid number") as target:
        validate.e164("+1 555 0100", "ES", "to")
    assert target.value.field == "to"
    with pytest.raises(InvalidInput, match="is not a phone number") as letters:
        validate.e164("1-800-FLOWERS", "US", "number", assigned=True)
    assert letters.value.field == "number"


@pytest.mark.parametrize("dialled,result", [
    ("911 23 45 67", ("+34911234567", None)), ("0034911234567", ("+34911234567", None)),
    ("12", (None, "UNALLOCATED_NUMBER")), ("999", (None, "UNALLOCATED_NUMBER")),
    ("1415555012", (None, "UNALLOCATED_NUMBER")), ("+15550100", (None, "UNALLOCATED_NUMBER")),
    ("hello", (None, "INVALID_NUMBER_FORMAT")), ("+999999999999", (None, "INVALID_NUMBER_FORMAT")),
])
def test_call_handling_dials_only_allocated_numbers(dialled, result):
    assert callhandling.normalise(dialled, "ES") == result


def test_contacts_keep_possible_numbers_and_name_the_field():
    assert contacts.normalise("+1 555 0100", "ES", field="work") == "+15550100"
    assert e164.possible("600 11 22 33", "ES") == "+34600112233"
    assert e164.possible("1001", "ES") is None  # an extension is no caller-ID to look up
    with pytest.raises(InvalidInput, match="not a possible phone number in ES") as short:
        contacts.normalise("12", "ES", field="mobile")
    assert short.value.field == "mobile"
    with pytest.raises(InvalidInput, match="digits, spaces"):
        contacts.normalise("call me", "ES")
    with pytest.raises(InvalidInput, match="is empty"):
        contacts.normalise("  ", "ES")
