"""Contact points: phones to E.164 with the tenant's country code, emails lower-cased, chat ids trimmed."""

import pytest

from baiying.customers.contacts import contact_point, normalise, normalise_email, normalise_phone, region_of
from baiying.customers.errors import InvalidContactPoint
from baiying.customers.model import ContactPoint, ContactPointKind


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 13800138000", " +8613800138000 "],
)
def test_one_mobile_written_five_ways_is_one_e164_number(raw: str) -> None:
    assert normalise_phone(raw) == "+8613800138000"


def test_a_national_landline_takes_the_default_country_code() -> None:
    assert normalise_phone("(020) 8888 1234") == "+862088881234"
    assert normalise_phone("010-6552-9988") == "+861065529988"


def test_the_tenants_country_code_reads_national_numbers() -> None:
    assert normalise_phone("650 253 0000", country_code=1) == "+16502530000"
    assert normalise_phone("2123 4567", country_code=852) == "+85221234567"
    # An international number ignores the default.
    assert normalise_phone("+86 138 0013 8000", country_code=1) == "+8613800138000"
    assert region_of(86) == "CN"


def test_bad_numbers_are_refused_with_the_reason() -> None:
    with pytest.raises(InvalidContactPoint) as raised:
        normalise_phone("12345")
    assert raised.value.message == "'12345' is not a valid CN phone number (read as +86 12345)"
    assert raised.value.code == "invalid-contact-point"
    with pytest.raises(InvalidContactPoint, match=r"^'call me' is not a phone number \(not a number\)$"):
        normalise_phone("call me")
    with pytest.raises(InvalidContactPoint, match="unknown country code"):
        normalise_phone("+999 12345678")
    with pytest.raises(InvalidContactPoint, match=r"^\+998877 is not a country calling code$"):
        normalise_phone("13800138000", country_code=998877)


def test_emails_are_lower_cased_and_checked() -> None:
    assert normalise_email("  Li.Na+Shop@Example.COM ") == "li.na+shop@example.com"
    for bad in ("li.na", "li na@example.com", "a@b", "@example.com"):
        with pytest.raises(InvalidContactPoint, match="is not an email address"):
            normalise_email(bad)


def test_chat_ids_are_trimmed_and_the_kind_is_checked() -> None:
    assert normalise("chat", " wechat:o6_bmjrPT ") == "wechat:o6_bmjrPT"
    with pytest.raises(InvalidContactPoint, match="is not a chat id"):
        normalise("chat", "two words")
    with pytest.raises(InvalidContactPoint, match=r"unknown contact point kind 'fax'"):
        normalise("fax", "123")


def test_an_emails_match_key_ignores_its_plus_tag() -> None:
    point = contact_point("email", "Li.Na+Shop@example.com", "work")
    assert point == ContactPoint(ContactPointKind.EMAIL, "li.na+shop@example.com", "work")
    assert point.match_key == "li.na@example.com"
    assert contact_point("phone", "13800138000").match_key == "+8613800138000"
