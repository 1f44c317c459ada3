"""Contact-frequency caps for care and marketing contacts: sliding windows per channel and purpose, owed
contacts never capped, and the best offers kept when a cap allows only some."""

from hypothesis import given
from hypothesis import strategies as st

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


def test_the_defaults_keep_the_outboxs_sms_and_email_caps() -> None:
    care = frozenset({"care", "marketing"})
    assert {(c.channel, c.purposes, c.max_contacts, c.period_seconds) for c in DEFAULT_CONTACT_CAPS} >= {
        ("sms", care, 1, DAY),
        ("sms", care, 4, 30 * DAY),
        ("email", care, 2, 7 * DAY),
        ("email", frozenset({"marketing"}), 4, 30 * DAY),
    }
    daily = ContactCap("sms", care, 1, DAY)
    assert exceeded([daily], [Contacted("sms", "care", 0.0)], "sms", "marketing", DAY) is None  # slid out
    assert daily.reason() == "contact-frequency cap: at most 1 care/marketing contacts by sms per day"


@given(
    st.lists(st.floats(min_value=0, max_value=60 * DAY), max_size=30),
    st.floats(min_value=0, max_value=60 * DAY),
    st.sampled_from(["voice", "chat", "email", "sms"]),
)
def test_no_cap_is_ever_exceeded_by_a_contact_it_lets_through(
    offsets: list[float], now: float, channel: str
) -> None:
    history = [Contacted(channel, "marketing", o) for o in offsets if o <= now]
    if exceeded(DEFAULT_CONTACT_CAPS, history, channel, "marketing", now) is None:
        history.append(Contacted(channel, "marketing", now))
        for cap in DEFAULT_CONTACT_CAPS:
            if cap.channel == channel and "marketing" in cap.purposes:
                within = [c for c in history if c.at > now - cap.period_seconds]
                assert len(within) <= cap.max_contacts
