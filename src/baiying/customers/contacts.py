"""Normalising contact points: phones to E.164 with the tenant's default country code, emails lower-cased,
chat ids trimmed. The same function serves storage and lookup, so a number matches however it is written.
"""

import re

import phonenumbers

from baiying.customers.errors import InvalidContactPoint
from baiying.customers.model import ContactPoint, ContactPointKind

DEFAULT_COUNTRY_CODE = 86  # China
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CHAT = re.compile(r"^[^\x00-\x20\x7f]{1,200}$")
MAX_LENGTH = 200


def region_of(country_code: int) -> str:
    """The ISO region `phonenumbers` parses national numbers of `country_code` as ("CN" for 86).
    Raises InvalidContactPoint for a calling code no region uses."""
    region = phonenumbers.region_code_for_country_code(country_code)
    if region == phonenumbers.UNKNOWN_REGION:
        raise InvalidContactPoint(
            f"+{country_code} is not a country calling code", {"country_code": country_code}
        )
    return region


def normalise_phone(raw: str, country_code: int = DEFAULT_COUNTRY_CODE) -> str:
    """`raw` as an E.164 number; a number without `+` or `00` is national to `country_code`.

    Raises InvalidContactPoint naming the number and why: not a number, or not a valid number.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    region = region_of(country_code)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidContactPoint(
            f"{raw!r} is not a phone number ({_parse_reason(exc)})", {"kind": "phone", "value": raw}
        ) from None
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or f"+{number.country_code}"
        raise InvalidContactPoint(
            f"{raw!r} is not a valid {where} phone number (read as +{number.country_code} "
            f"{number.national_number})",
            {"kind": "phone", "value": raw},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_reason(exc: phonenumbers.NumberParseException) -> str:
    reasons = {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }
    return reasons.get(exc.error_type, "unreadable")


def normalise_email(raw: str) -> str:
    """`raw` trimmed and lower-cased; raises InvalidContactPoint unless it looks like name@domain.tld."""
    text = raw.strip().lower()
    if len(text) > MAX_LENGTH or not _EMAIL.match(text):
        raise InvalidContactPoint(f"{raw!r} is not an email address", {"kind": "email", "value": raw})
    return text


def normalise_chat_id(raw: str) -> str:
    text = raw.strip()
    if not _CHAT.match(text):
        raise InvalidContactPoint(
            f"{raw!r} is not a chat id (1 to 200 characters, no spaces or control characters)",
            {"kind": "chat", "value": raw},
        )
    return text


def normalise(kind: ContactPointKind | str, raw: str, country_code: int = DEFAULT_COUNTRY_CODE) -> str:
    """The normalised form of a contact point of `kind`; raises InvalidContactPoint."""
    try:
        chosen = ContactPointKind(kind)
    except ValueError:
        raise InvalidContactPoint(
            f"unknown contact point kind {kind!r} (expected phone, email or chat)", {"kind": kind}
        ) from None
    if chosen is ContactPointKind.PHONE:
        return normalise_phone(raw, country_code)
    if chosen is ContactPointKind.EMAIL:
        return normalise_email(raw)
    return normalise_chat_id(raw)


def contact_point(
    kind: ContactPointKind | str, raw: str, label: str = "", country_code: int = DEFAULT_COUNTRY_CODE
) -> ContactPoint:
    value = normalise(kind, raw, country_code)
    return ContactPoint(ContactPointKind(kind), value, label)
