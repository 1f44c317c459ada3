"""Reading a customer's timeline: the repeat-contact banner, counts by category, first-contact resolution.

All functions take the interactions and `now` (epoch seconds) and read no clock. "Today" is the calendar
day in the tenant's time zone.

- Repeat contact: the contacts of today before the current one; the banner is shown from the second
  contact of the day: "3rd contact today, last at 10:42 (billing, unresolved)".
- FCR (first-contact resolution): a handled contact is resolved at first contact when the same customer
  does not contact the center again about the same topic within the window. A contact whose window has
  not yet passed, and that has no repeat so far, is pending: counted in neither part of the rate.
"""

from collections import Counter, defaultdict
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
    if window_seconds <= 0:
        raise ValueError(f"the FCR window must be positive, got {window_seconds} s")
    by_issue: dict[tuple[str, str | None], list[Interaction]] = defaultdict(list)
    for item in interactions:
        if item.source == "contact" and item.at <= now:
            by_issue[(item.customer_id, item.topic)].append(item)
    resolved = repeated = pending = handled = 0
    for contacts in by_issue.values():
        contacts.sort(key=lambda item: item.at)
        for index, item in enumerate(contacts):
            if item.outcome not in HANDLED or (since is not None and item.at < since):
                continue
            if until is not None and item.at >= until:
                continue
            handled += 1
            following = contacts[index + 1] if index + 1 < len(contacts) else None
            if following is not None and following.at - item.at <= window_seconds:
                repeated += 1
            elif now - item.at < window_seconds:
                pending += 1
            else:
                resolved += 1
    return FcrResult(handled, resolved, repeated, pending)
