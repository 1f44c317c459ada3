"""Reading a customer's timeline: the repeat-contact banner, counts by category, first-contact resolution.

All functions take the interactions and `now` (epoch seconds) and read no clock. "Today" is the calendar
day in the tenant's time zone.

- Repeat contact: the contacts of today before the current one; the banner is shown from the second
  contact of the day: "3rd contact today, last at 10:42 (billing, unresolved)".
- FCR (first-contact resolution): a handled contact is resolved at first contact when the same customer
  does not contact the center again about the same topic within the window. A contact whose window has
  not yet passed, and that has no repeat so far, is pending: counted in neither part of the rate.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from baiying.clock import Timestamp
from baiying.customers.i18n import banner_text
from baiying.customers.model import Category, Interaction, Resolution

DEFAULT_FCR_WINDOW_SECONDS = 72 * 3600.0
HANDLED = frozenset({"answered", "completed"})

_CATEGORY_WORDS: tuple[tuple[Category, tuple[str, ...]], ...] = (
    (Category.COMPLAINT, ("complaint", "complain", "投诉")),
    (Category.CONSULTATION, ("consult", "inquiry", "enquiry", "question", "info", "咨询")),
    (Category.SERVICE, ("service", "repair", "install", "maintenance", "服务", "维修", "报修", "安装")),
)


def categorise(topic: str | None, rules: Mapping[str, str] | None = None) -> Category:
    """The category of a topic: the tenant's own rule for it if any, else by the words it contains."""
    if topic is None:
        return Category.OTHER
    if rules and topic in rules:
        return Category(rules[topic])
    lowered = topic.casefold()
    for category, words in _CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return category
    return Category.OTHER


def resolution_of(outcome: str, wrap_up_code: str | None, resolved_codes: Iterable[str]) -> Resolution | None:
    """Abandoned or routed out: unresolved. Completed: resolved unless its wrap-up code is one not listed
    in `resolved_codes` (e.g. "callback"). Still open: not known (None)."""
    if outcome in ("abandoned", "routed-out"):
        return Resolution.UNRESOLVED
    if outcome != "completed":
        return None
    if wrap_up_code is None or wrap_up_code in set(resolved_codes):
        return Resolution.RESOLVED
    return Resolution.UNRESOLVED


@dataclass(frozen=True, slots=True)
class RepeatContact:
    ordinal: int  # the current contact is the n-th of today (1: first)
    today: int  # contacts today before the current one
    last: Interaction | None  # the latest of them
    last_local_time: str | None  # its "HH:MM" in the tenant's time zone

    @property
    def is_repeat(self) -> bool:
        return self.ordinal >= 2

    def banner(self, language: str = "en") -> str | None:
        """The banner in English ("en") or Chinese ("zh"); None for the day's first contact."""
        if not self.is_repeat or self.last is None or self.last_local_time is None:
            return None
        return banner_text(
            language, self.ordinal, self.last_local_time, self.last.topic, self.last.resolution
        )


def _local(at: Timestamp, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(at, tz=zone)


def repeat_contact(
    interactions: Sequence[Interaction],
    now: Timestamp,
    timezone: str = "Asia/Shanghai",
    current: str | None = None,
) -> RepeatContact:
    """Where the current contact stands today. `current` is its `source_id` when it is already in the
    timeline (it is then not counted as a previous contact); otherwise it is one still arriving."""
    zone = ZoneInfo(timezone)
    today = _local(now, zone).date()
    earlier = sorted(
        (
            item
            for item in interactions
            if item.source == "contact"
            and item.source_id != current
            and item.at <= now
            and _local(item.at, zone).date() == today
        ),
        key=lambda item: (item.at, item.source_id),
    )
    last = earlier[-1] if earlier else None
    clock_time = _local(last.at, zone).strftime("%H:%M") if last is not None else None
    return RepeatContact(len(earlier) + 1, len(earlier), last, clock_time)


def category_counts(interactions: Iterable[Interaction], since: Timestamp | None = None) -> dict[str, int]:
    """Interactions by category (complaint, consultation, service, other), every category present."""
    counts = Counter(item.category.value for item in interactions if since is None or item.at >= since)
    return {category.value: counts.get(category.value, 0) for category in Category}


@dataclass(frozen=True, slots=True)
class FcrResult:
    handled: int  # handled contacts considered
    resolved_first_time: int  # not followed by another on the same topic within the window
    repeated: int  # followed by one
    pending: int  # window still open, no repeat yet

    @property
    def rate(self) -> float | None:
        decided = self.resolved_first_time + self.repeated
        return self.resolved_first_time / decided if decided else None


class FcrAccumulator:
    """First-contact resolution in one pass over contacts given in time order, with memory bounded by
    the contacts still undecided (at most a window's worth once `forget_decided` is called as the pass
    goes on). Counts the handled contacts that arrived in [`since`, `until`) (open ends when None), by
    `now`, and when `sites` is given only those settled at one of them; the contact that repeats one
    may be anywhere (a customer who calls again was not resolved, whichever site takes the call)."""

    def __init__(
        self,
        now: Timestamp,
        window_seconds: float = DEFAULT_FCR_WINDOW_SECONDS,
        since: Timestamp | None = None,
        until: Timestamp | None = None,
        sites: frozenset[str] | None = None,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError(f"the FCR window must be positive, got {window_seconds} s")
        self.now, self.window, self.since, self.until, self.sites = now, window_seconds, since, until, sites
        self._open: dict[tuple[str, str | None], Timestamp] = {}  # the latest counted contact per issue
        self._latest: Timestamp = float("-inf")
        self.handled = self.resolved = self.repeated = 0

    def _counts(self, item: Interaction) -> bool:
        return (
            item.outcome in HANDLED
            and (self.since is None or item.at >= self.since)
            and (self.until is None or item.at < self.until)
            and (self.sites is None or item.site_id in self.sites)
        )

    def add(self, item: Interaction) -> None:
        """The next interaction; ValueError if it is earlier than one already added."""
        if item.source != "contact" or item.at > self.now:
            return
        if item.at < self._latest:
            raise ValueError(f"interactions must come in time order: {item.at} after {self._latest}")
        self._latest = item.at
        key = (item.customer_id, item.topic)
        previous = self._open.pop(key, None)
        if previous is not None:
            if item.at - previous <= self.window:
                self.repeated += 1
            else:
                self.resolved += 1
        if self._counts(item):
            self.handled += 1
            self._open[key] = item.at

    def forget_decided(self) -> None:
        """Settle the contacts whose window closed before the latest one added: nothing later can
        repeat them, so they were resolved."""
        horizon = self._latest - self.window
        decided = [key for key, at in self._open.items() if at < horizon]
        for key in decided:
            del self._open[key]
        self.resolved += len(decided)

    def result(self) -> FcrResult:
        """The counts so far; a contact with no repeat yet is pending while its window is open."""
        pending = sum(1 for at in self._open.values() if self.now - at < self.window)
        resolved = self.resolved + len(self._open) - pending
        return FcrResult(self.handled, resolved, self.repeated, pending)


def first_contact_resolution(
    interactions: Iterable[Interaction],
    now: Timestamp,
    window_seconds: float = DEFAULT_FCR_WINDOW_SECONDS,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
) -> FcrResult:
    """FCR over handled contacts that arrived in [`since`, `until`) (open ends when None) and by `now`.

    Any later contact of the same customer on the same topic counts as a repeat, whether handled or not
    (a caller who gave up and called again was not resolved); a contact without a topic is matched by
    topic None, i.e. against other contacts without one.
    """
    accumulator = FcrAccumulator(now, window_seconds, since, until)
    for item in sorted(interactions, key=lambda item: item.at):
        accumulator.add(item)
    return accumulator.result()
