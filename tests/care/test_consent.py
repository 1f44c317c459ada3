"""Consent for care and marketing contacts: the channel's consent, plus marketing's for marketing; nothing
for what the customer is owed."""

from baiying.care.consent import missing_consent

NONE = {"marketing": False, "sms": False, "email": False, "calls": False}


def test_care_needs_the_channels_consent_and_marketing_also_needs_marketings() -> None:
    assert missing_consent("sms", "care", NONE) == "no consent: the customer has not agreed to sms"
    assert missing_consent("voice", "marketing", NONE) == (
        "no consent: the customer has not agreed to calls or marketing"
    )
    assert missing_consent("email", "marketing", {**NONE, "email": True}) == (
        "no consent: the customer has not agreed to marketing"
    )
    assert missing_consent("sms", "marketing", {**NONE, "sms": True, "marketing": True}) is None


def test_what_is_owed_and_a_chat_the_customer_opened_need_no_consent() -> None:
    assert missing_consent("sms", "transactional", NONE) is None
    assert missing_consent("chat", "care", NONE) is None
    assert missing_consent("sms", "care", {}) == "no consent: the customer has not agreed to sms"
