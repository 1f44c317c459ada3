"""Contact-frequency caps for care and marketing contacts: sliding windows per channel and purpose, owed
contacts never capped, and the best offers kept when a cap allows only some."""

from baiying.care.caps import DAY, DEFAULT_CONTACT_CAPS, ContactCap, Contacted, exceeded, within_caps

VOICE_WEEKLY = ContactCap("voice", frozenset({"care", "marketing"}), 2, 7 * DAY)
SMS_MARKETING = ContactCap("sms", frozenset({"marketing"}), 1, DAY)


def test_a_cap_counts_only_its_channel_and_purposes_within_its_window() -> None:
    caps = [VOICE_WEEKLY, SMS_MARKETING]
    history = [Contacted("voice", "care", 0.0), Contacted("voice", "marketing", 3 * DAY)]
    assert exceeded(caps, history, "voice", "marketing", 6 * DAY) == VOICE_WEEKLY
    assert exceeded(caps, history, "voice", "marketing", 7 * DAY) is None  # the first slid out
    assert exceeded(caps, history, "chat", "marketing", 6 * DAY) is None  # no cap on chat here
    assert exceeded(caps, history, "voice", "transactional", 6 * DAY) is None  # owed: never capped
    assert exceeded(caps, [Contacted("sms", "care", 0.0)], "sms", "marketing", 1.0) is None
    assert exceeded(caps, [Contacted("sms", "marketing", 0.0)], "sms", "marketing", 1.0) == SMS_MARKETING


def test_a_zero_cap_forbids_the_channel() -> None:
    never = ContactCap("sms", frozenset({"marketing"}), 0, DAY)
    assert exceeded([never], [], "sms", "marketing", 0.0) == never


def test_the_reason_names_the_cap() -> None:
    assert VOICE_WEEKLY.describe() == "at most 2 care/marketing contacts by voice per 7 days"
    assert SMS_MARKETING.describe() == "at most 1 marketing contacts by sms per day"
    assert ContactCap("chat", frozenset({"care"}), 3, 7200).describe() == (
        "at most 3 care contacts by chat per 2 h"
    )


def test_the_best_offers_are_kept_and_the_rest_suppressed_with_the_reason() -> None:
    history = [Contacted("voice", "marketing", 100.0)]
    offers = [("cheaper-plan", "care", "A"), ("data-upgrade", "marketing", "B"), ("family", "marketing", "C")]
    kept, suppressed = within_caps(offers, [VOICE_WEEKLY], history, "voice", 200.0)
    assert kept == ["A"]
    assert [(s.offer_id, s.reason) for s in suppressed] == [
        ("data-upgrade", "contact-frequency cap: at most 2 care/marketing contacts by voice per 7 days"),
        ("family", "contact-frequency cap: at most 2 care/marketing contacts by voice per 7 days"),
    ]
    everything, none = within_caps(offers, [], history, "voice", 200.0)
    assert (everything, none) == (["A", "B", "C"], [])


def test_every_contact_channel_has_a_default_cap() -> None:
    assert {cap.channel for cap in DEFAULT_CONTACT_CAPS} == {"voice", "chat", "email", "sms"}
