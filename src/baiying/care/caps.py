"""Contact-frequency caps for care and marketing contacts, so care never turns into harassment: an offer
shown to a customer, a survey callback, a care or marketing SMS or email.

A cap allows at most `max_contacts` contacts of its purposes on one channel to one customer within a
sliding period. What the customer is owed (transactional: an appointment reminder, a reply) is never
capped. Each tenant configures its caps (`care_settings`); without a configuration the defaults apply.
The checks are pure functions of what was already done, so every place that creates such contacts (the
screen pop's offers, the ticket desk's callbacks, the notification outbox) applies the same rule and
gives the same reason.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from baiying.clock import Timestamp

CHANNELS = ("voice", "chat", "email", "sms")
PURPOSES = ("care", "marketing")
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class ContactCap:
    channel: str
    purposes: frozenset[str]
    max_contacts: int
    period_seconds: float

    def describe(self) -> str:
        kinds = "/".join(sorted(self.purposes))
        period = _period(self.period_seconds)
        return f"at most {self.max_contacts} {kinds} contacts by {self.channel} per {period}"

    def reason(self) -> str:
        """Why a contact this cap forbids was not made, as every place that applies caps records it."""
        return f"contact-frequency cap: {self.describe()}"


@dataclass(frozen=True, slots=True)
class Contacted:
    """A care or marketing contact already made with the customer."""

    channel: str
    purpose: str
    at: Timestamp


DEFAULT_CONTACT_CAPS: tuple[ContactCap, ...] = (
    ContactCap("voice", frozenset(PURPOSES), 2, 7 * DAY),
    ContactCap("chat", frozenset(PURPOSES), 2, 7 * DAY),
    ContactCap("sms", frozenset(PURPOSES), 1, DAY),
    ContactCap("sms", frozenset(PURPOSES), 4, 30 * DAY),
    ContactCap("email", frozenset(PURPOSES), 2, 7 * DAY),
    ContactCap("email", frozenset({"marketing"}), 4, 30 * DAY),
)


def exceeded(
    caps: Iterable[ContactCap], history: Sequence[Contacted], channel: str, purpose: str, now: Timestamp
) -> ContactCap | None:
    """The first cap one more `purpose` contact on `channel` at `now` would break; None: allowed."""
    if purpose not in PURPOSES:
        return None
    for cap in caps:
        if cap.channel != channel or purpose not in cap.purposes:
            continue
        since = now - cap.period_seconds
        used = sum(
            1 for c in history if c.channel == channel and c.purpose in cap.purposes and since < c.at <= now
        )
        if used >= cap.max_contacts:
            return cap
    return None


def longest_period(caps: Iterable[ContactCap]) -> float:
    return max((cap.period_seconds for cap in caps), default=0.0)


Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Suppressed:
    offer_id: str
    reason: str


def within_caps(
    items: Sequence[tuple[str, str, Item]],
    caps: Sequence[ContactCap],
    history: Sequence[Contacted],
    channel: str,
    now: Timestamp,
) -> tuple[list[Item], list[Suppressed]]:
    """Of `items` (id, purpose, item), best first, those that may be shown now, each counting as one
    contact: a cap that allows one more keeps the best and suppresses the rest, each with its reason."""
    kept: list[Item] = []
    suppressed: list[Suppressed] = []
    done = list(history)
    for item_id, purpose, item in items:
        cap = exceeded(caps, done, channel, purpose, now)
        if cap is not None:
            suppressed.append(Suppressed(item_id, cap.reason()))
            continue
        kept.append(item)
        done.append(Contacted(channel, purpose, now))
    return kept, suppressed


def _period(seconds: float) -> str:
    days = seconds / DAY
    if days >= 1 and days == int(days):
        return "day" if days == 1 else f"{int(days)} days"
    return f"{seconds / 3600:g} h"
