"""Consent for care and marketing contacts: a customer is sent care or marketing by SMS or email only
with their consent to that channel, and marketing only with their consent to marketing. What the customer
is owed (transactional) needs none. Everything is refused until recorded as given."""

from collections.abc import Mapping

from baiying.care.caps import PURPOSES

CHANNEL_CONSENT: Mapping[str, str] = {"sms": "sms", "email": "email", "voice": "calls"}
"""The consent each outbound channel needs; chat has none, as the customer is the one writing."""


def missing_consent(channel: str, purpose: str, given: Mapping[str, bool]) -> str | None:
    """Why a `purpose` contact on `channel` may not be made with a customer whose consents are `given`
    (marketing, sms, email, calls), or None: it may."""
    if purpose not in PURPOSES:
        return None
    needed = [CHANNEL_CONSENT[channel]] if channel in CHANNEL_CONSENT else []
    if purpose == "marketing":
        needed.append("marketing")
    missing = [name for name in needed if not given.get(name, False)]
    if not missing:
        return None
    return f"no consent: the customer has not agreed to {' or '.join(missing)}"
