"""Pure validators for what residents type: postcode, phone number, e-mail and free text.

Each returns a ``Valid`` (normalised value plus derived answers) or ``Invalid``; none raises,
whatever the input (property-tested). Digits of any script are read as ASCII digits, so a
resident typing Arabic-Indic digits is understood too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from dialogs.model import InputKind

MAX_INPUT: Final = 256
ALMERE_RANGE: Final = range(1300, 1380)
_POSTCODE = re.compile(
    r"^(?P<digits>[1-9][0-9]{3}) ?(?P<letters>[A-Z]{2})"
    r"(?:[ ,.-]*(?:NR\.? ?)?(?P<number>[0-9]{1,5})(?:[ -]?(?P<addition>[A-Z0-9]{1,4}))?)?$"
)
_NEVER_ISSUED: Final = frozenset({"SA", "SD", "SS"})
_PHONE_TYPES: Final = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.VOIP,
    }
)
_MACHINE_PREFIX: Final = "+3197"  # 097: machine-to-machine numbers, nobody answers them
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Valid:
    value: str
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Invalid:
    reason: str


Result = Valid | Invalid


def ascii_digits(text: str) -> str:
    """Replace decimal digits of any script by ASCII digits."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def clean_text(text: str) -> str:
    """NFC-normalise, drop control and bidi-override characters, fold white space."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def postcode(text: str) -> Result:
    """A Dutch postcode, optionally with house number; 1300-1379 is Almere."""
    if len(text) > MAX_INPUT:
        return Invalid("too_long")
    cleaned = clean_text(ascii_digits(text)).upper()
    match = _POSTCODE.match(cleaned)
    if not match or match["letters"] in _NEVER_ISSUED:
        return Invalid("not_a_postcode")
    digits, letters = match["digits"], match["letters"]
    extra = {"location": "almere" if int(digits) in ALMERE_RANGE else "outside"}
    if match["number"]:
        addition = match["addition"] or ""
        # "12-2" (number 12, addition 2) must not become house number 122.
        separator = "-" if addition[:1].isdigit() else ""
        extra["house_number"] = match["number"] + separator + addition
    return Valid(f"{digits} {letters}", extra)


def phone(text: str) -> Result:
    """A Dutch mobile or landline number, normalised to E.164 (+31...)."""
    if len(text) > 64:
        return Invalid("too_long")
    cleaned = clean_text(ascii_digits(text))
    try:
        number = phonenumbers.parse(cleaned, "NL")
    except phonenumbers.NumberParseException:
        return Invalid("not_a_phone_number")
    if number.country_code != 31 or not phonenumbers.is_valid_number(number):
        return Invalid("not_a_dutch_number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.number_type(number) not in _PHONE_TYPES or e164.startswith(_MACHINE_PREFIX):
        return Invalid("not_a_personal_number")
    return Valid(e164)


def email(text: str) -> Result:
    """An e-mail address (syntax only: no DNS look-up), normalised."""
    cleaned = clean_text(text)
    if not cleaned or len(cleaned) > 254:
        return Invalid("not_an_email")
    try:
        info = validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError:
        return Invalid("not_an_email")
    return Valid(info.normalized)


def free_text(text: str) -> Result:
    """Any non-empty text of reasonable length, cleaned of control characters."""
    cleaned = clean_text(text)
    if not cleaned:
        return Invalid("empty")
    if len(cleaned) > 500:
        return Invalid("too_long")
    return Valid(cleaned)


def name(text: str) -> Result:
    """A person's name as they write it: 2-80 characters with at least one letter."""
    cleaned = clean_text(text)
    if len(cleaned) < 2 or len(cleaned) > 80 or not any(ch.isalpha() for ch in cleaned):
        return Invalid("not_a_name")
    return Valid(cleaned)


VALIDATORS: Final[Mapping[InputKind, Callable[[str], Result]]] = {
    "postcode": postcode,
    "phone": phone,
    "email": email,
    "name": name,
    "text": free_text,
}
