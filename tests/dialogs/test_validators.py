"""Validators for what residents type: postcode, phone number, e-mail and free text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.validators import (
    VALIDATORS,
    Invalid,
    Valid,
    email,
    free_text,
    phone,
    postcode,
)

POSTCODE_SHAPE = re.compile(r"^[1-9][0-9]{3} [A-Z]{2}$")
E164_NL = re.compile(r"^\+31[1-9][0-9]{8,10}$")  # 9 digits; 097 machine numbers have 11


def valid(result: Valid | Invalid) -> Valid:
    assert isinstance(result, Valid), result
    return result


# -- postcode -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value", "location", "house_number"),
    [
        ("1234 AB", "1234 AB", "outside", None),
        ("1234ab", "1234 AB", "outside", None),
        (" 1315 ab 12 ", "1315 AB", "almere", "12"),
        ("1315AB12a", "1315 AB", "almere", "12A"),
        ("1315 AB 12 A", "1315 AB", "almere", "12A"),
        ("1315 AB, 7", "1315 AB", "almere", "7"),
        ("1315 AB nr. 5", "1315 AB", "almere", "5"),
        ("1315 AB 12-2", "1315 AB", "almere", "12-2"),
        ("١٣١٥ AB", "1315 AB", "almere", None),  # Arabic-Indic digits
        ("۱۳۱۵ab ۱۲", "1315 AB", "almere", "12"),  # Extended Arabic-Indic (Persian) digits
        ("1300 AA", "1300 AA", "almere", None),
        ("1379 ZZ", "1379 ZZ", "almere", None),
        ("1299 ZZ", "1299 ZZ", "outside", None),
        ("1380 AA", "1380 AA", "outside", None),
        ("9999 XX", "9999 XX", "outside", None),
        ("1315\u00a0AB", "1315 AB", "almere", None),  # no-break space
        ("\u202e1315 AB", "1315 AB", "almere", None),  # bidi override is dropped
    ],
)
def test_postcode_accepted(typed: str, value: str, location: str, house_number: str | None) -> None:
    result = valid(postcode(typed))
    assert result.value == value
    assert result.extra["location"] == location
    assert result.extra.get("house_number") == house_number


def test_house_number_addition_is_not_glued_onto_the_number() -> None:
    """12-2 (number 12, addition 2) is a different address from 122."""
    one = valid(postcode("1315 AB 12-2")).extra["house_number"]
    other = valid(postcode("1315 AB 122")).extra["house_number"]
    assert one != other


@pytest.mark.parametrize("letters", ["SA", "SD", "SS"])
def test_postcode_letters_never_issued_are_rejected(letters: str) -> None:
    assert isinstance(postcode(f"1315 {letters}"), Invalid)
    assert isinstance(postcode(f"1315{letters.lower()} 12"), Invalid)


@pytest.mark.parametrize(
    "typed",
    [
        "0123 AB",
        "",
        "   ",
        "hallo",
        "1315",
        "1315 A",
        "1315 ABC",
        "AB 1315",
        "12345 AB",
        "131 AB",
        "1315 A1",
        "1315-AB",
        "Almere",
        "1315 AB straat",
        "1315 AB " + "1" * 300,
        "1" * 10_000,
    ],
)
def test_postcode_rejected(typed: str) -> None:
    assert isinstance(postcode(typed), Invalid)


# -- phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("0612345678", "+31612345678"),
        ("06-12345678", "+31612345678"),
        ("06 12 34 56 78", "+31612345678"),
        ("06 1234 5678", "+31612345678"),
        ("+31 6 12345678", "+31612345678"),
        ("+31612345678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("+31 (0)6 12345678", "+31612345678"),
        ("٠٦١٢٣٤٥٦٧٨", "+31612345678"),  # Arabic-Indic digits
        ("036 123 4567", "+31361234567"),  # Almere landline
        ("036-1234567", "+31361234567"),
        ("(036) 123 45 67", "+31361234567"),
        ("020-1234567", "+31201234567"),
        ("+31 20 123 4567", "+31201234567"),
    ],
)
def test_dutch_phone_numbers_normalised_to_e164(typed: str, e164: str) -> None:
    result = valid(phone(typed))
    assert result.value == e164
    assert E164_NL.match(result.value)


@pytest.mark.parametrize(
    "typed",
    [
        "+32 470 12 34 56",  # Belgian mobile
        "+44 7911 123456",  # British mobile
        "+49 151 23456789",  # German mobile
        "0032 470 12 34 56",
        "0800-9009",  # free service number
        "0800 1234567",
        "0900-8844",  # paid service number
        "0900 1234567",
        "112",
        "06123",
        "061234567890",
        "12345",
        "",
        "abc",
        "bel me maar",
        "+",
        "06" + "1" * 100,
    ],
)
def test_phone_numbers_rejected(typed: str) -> None:
    assert isinstance(phone(typed), Invalid)


# -- e-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("jan@example.nl", "jan@example.nl"),
        (" jan@example.nl ", "jan@example.nl"),
        ("Jan.de.Vries@Example.NL", "Jan.de.Vries@example.nl"),
        ("a+b@voorbeeld.almere.nl", "a+b@voorbeeld.almere.nl"),
    ],
)
def test_email_accepted(typed: str, normalised: str) -> None:
    assert valid(email(typed)).value == normalised


@pytest.mark.parametrize(
    "typed",
    ["", "  ", "jan", "jan@", "@example.nl", "jan@@example.nl", "jan@example", "jan example.nl",
     "jan@exa mple.nl", "x" * 300 + "@example.nl"],
)  # fmt: skip
def test_email_rejected(typed: str) -> None:
    assert isinstance(email(typed), Invalid)


# -- free text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cleaned"),
    [
        ("Jan de Vries", "Jan de Vries"),
        ("  Jan   de\tVries \n", "Jan de Vries"),
        ("Jan\x00de\x07Vries", "Jan de Vries"),
        ("\u202eJan\u202c", "Jan"),  # right-to-left override and pop
        ("\u2066Jan\u2069 \u200fde\u200e Vries", "Jan de Vries"),  # isolates and marks
        ("a\r\n\r\nb", "a b"),
        ("Zoë", "Zoë"),
        ("Zoe\u0308", "Zoë"),  # NFC: one code point
        ("محمد", "محمد"),
    ],
)
def test_free_text_cleaned(typed: str, cleaned: str) -> None:
    assert valid(free_text(typed)).value == cleaned


@pytest.mark.parametrize("typed", ["", "   ", "\n\t", "\x00\x01", "\u202e\u202c", "\u200f"])
def test_free_text_empty_rejected(typed: str) -> None:
    assert isinstance(free_text(typed), Invalid)


def test_free_text_too_long_rejected() -> None:
    assert isinstance(free_text("a" * 5000), Invalid)


# -- properties -----------------------------------------------------------------------------

ANY_TEXT = st.one_of(
    st.text(),
    st.text(max_size=5000),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=4000),
    st.from_regex(r"[0-9١-٩ ]{4,6}[A-Za-z]{2}[ ,.-]*[0-9]{0,5}[A-Za-z0-9]{0,4}", fullmatch=True),
    st.from_regex(r"[+0(][0-9 ()-]{5,20}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_no_validator_raises(text: str) -> None:
    for kind, validator in VALIDATORS.items():
        result = validator(text)
        assert isinstance(result, Valid | Invalid), kind
        if isinstance(result, Valid):
            assert len(result.value) <= 500, kind
            assert not any(ch in result.value for ch in "\x00\u202e\u200f"), kind


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_every_valid_postcode_has_the_canonical_shape(text: str) -> None:
    result = postcode(text)
    if isinstance(result, Valid):
        assert POSTCODE_SHAPE.match(result.value), result.value
        assert result.extra["location"] == (
            "almere" if 1300 <= int(result.value[:4]) <= 1379 else "outside"
        )


@settings(max_examples=200, deadline=None)
@given(text=ANY_TEXT)
def test_every_valid_phone_number_is_dutch_e164(text: str) -> None:
    result = phone(text)
    if isinstance(result, Valid):
        assert E164_NL.match(result.value), result.value
