"""Contact-frequency caps: care and marketing must never turn into harassment.

A cap allows at most `max_messages` of a purpose on a channel to one customer within a sliding window.
Transactional messages are never capped. The check is a pure function of what was already sent, so the
outbox and the outbound-campaign dialer apply the same rule.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from baiying.clock import Timestamp
from baiying.notifications.model import Channel, Purpose


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    channel: Channel
    purposes: frozenset[Purpose]
    max_messages: int
    period_seconds: float

    def describe(self) -> str:
        kinds = "/".join(sorted(p.value for p in self.purposes))
        return f"at most {self.max_messages} {kinds} {self.channel.value} per {_period(self.period_seconds)}"


@dataclass(frozen=True, slots=True)
class Sent:
    """A message already sent (or queued) to the customer."""

    channel: Channel
    purpose: Purpose
    at: Timestamp


DAY = 86_400.0
DEFAULT_CAPS: tuple[FrequencyCap, ...] = (
    FrequencyCap(Channel.SMS, frozenset({Purpose.CARE, Purpose.MARKETING}), 1, DAY),
    FrequencyCap(Channel.SMS, frozenset({Purpose.CARE, Purpose.MARKETING}), 4, 30 * DAY),
    FrequencyCap(Channel.EMAIL, frozenset({Purpose.CARE, Purpose.MARKETING}), 2, 7 * DAY),
    FrequencyCap(Channel.EMAIL, frozenset({Purpose.MARKETING}), 4, 30 * DAY),
)


def exceeded_cap(
    caps: Iterable[FrequencyCap], history: Sequence[Sent], channel: Channel, purpose: Purpose, now: Timestamp
) -> FrequencyCap | None:
    """The first cap one more `purpose` message on `channel` at `now` would break, or None."""
    if purpose is Purpose.TRANSACTIONAL:
        return None
    for cap in caps:
        if cap.channel is not channel or purpose not in cap.purposes:
            continue
        since = now - cap.period_seconds
        used = sum(1 for s in history if s.channel is channel and s.purpose in cap.purposes and s.at > since)
        if used >= cap.max_messages:
            return cap
    return None


def longest_period(caps: Iterable[FrequencyCap]) -> float:
    return max((cap.period_seconds for cap in caps), default=0.0)


def _period(seconds: float) -> str:
    days = seconds / DAY
    if days >= 1 and days == int(days):
        return "day" if days == 1 else f"{int(days)} days"
    return f"{seconds / 3600:g} h"
