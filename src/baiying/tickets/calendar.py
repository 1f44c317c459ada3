"""Business-hours calendars: when a site is open, in its own time zone, on its working days, except its
holidays. SLA clocks count time only while the calendar is open.

`add(start, seconds)` is the moment `seconds` of open time after `start`; `measure(start, end)` the open
time between two moments. They are inverse: `measure(start, add(start, s)) == s`. Opening hours are one
daily window of minutes after local midnight, as sites store them; a window that closes before it opens
spans midnight and belongs to the day it opens (a holiday removes that whole window). Local times are
converted with `zoneinfo`, so daylight-saving days are as long as they really are.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from baiying.clock import Timestamp
from baiying.tickets.errors import CalendarError

MINUTES_PER_DAY = 1440
ALL_DAYS = frozenset(range(7))  # Monday = 0, as `date.weekday()`
MAX_SEARCH_DAYS = 3660  # ten years of closed days means the calendar can never open


@dataclass(frozen=True)
class BusinessCalendar:
    """`opens_minute`/`closes_minute` None (or equal): open all day on working days."""

    timezone: str = "UTC"
    opens_minute: int | None = None
    closes_minute: int | None = None
    holidays: frozenset[date] = frozenset()
    weekdays: frozenset[int] = ALL_DAYS
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"unknown time zone {self.timezone!r}") from None
        if (self.opens_minute is None) != (self.closes_minute is None):
            raise CalendarError("give both opens_minute and closes_minute, or neither (open all day)")
        for minute in (self.opens_minute, self.closes_minute):
            if minute is not None and not 0 <= minute <= MINUTES_PER_DAY:
                raise CalendarError(f"{minute} is not a minute of the day (0..1440)")
        if not self.weekdays or not self.weekdays <= ALL_DAYS:
            raise CalendarError(f"working days {sorted(self.weekdays)} must be a non-empty subset of 0..6")

    @classmethod
    def always(cls) -> "BusinessCalendar":
        """Open every moment: SLA time is wall-clock time."""
        return cls()

    @cached_property
    def is_always_open(self) -> bool:
        return self.weekdays == ALL_DAYS and not self.holidays and self._all_day

    @property
    def _all_day(self) -> bool:
        return self.opens_minute is None or self.opens_minute == self.closes_minute

    def _at(self, day: date, minute: int) -> Timestamp:
        local = datetime(day.year, day.month, day.day, tzinfo=self._zone) + timedelta(minutes=minute)
        return local.timestamp()

    def windows(self, since: Timestamp) -> Iterator[tuple[Timestamp, Timestamp]]:
        """Open intervals [start, end) in time order, disjoint, from the one containing `since` on."""
        day = datetime.fromtimestamp(since, tz=UTC).astimezone(self._zone).date() - timedelta(days=1)
        last_end = float("-inf")
        closed_run = 0
        while closed_run < MAX_SEARCH_DAYS:
            if day.weekday() in self.weekdays and day not in self.holidays:
                if self._all_day:
                    start, end = self._at(day, 0), self._at(day, MINUTES_PER_DAY)
                else:
                    opens, closes = self.opens_minute or 0, self.closes_minute or 0
                    start = self._at(day, opens)
                    end = self._at(day, closes) if opens < closes else self._at(day, MINUTES_PER_DAY + closes)
                start = max(start, last_end)
                if end > start:
                    closed_run = 0
                    last_end = end
                    if end > since:
                        yield start, end
                    day += timedelta(days=1)
                    continue
            closed_run += 1
            day += timedelta(days=1)
        raise CalendarError(f"the calendar is not open on any day within {MAX_SEARCH_DAYS} days")

    def add(self, start: Timestamp, seconds: float) -> Timestamp:
        """The moment at which `seconds` of open time have passed since `start` (`start` if none)."""
        if seconds <= 0:
            return start
        if self.is_always_open:
            return start + seconds
        remaining = seconds
        for window_start, closes in self.windows(start):
            opens = max(window_start, start)
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("windows() never ends without raising")  # pragma: no cover

    def measure(self, start: Timestamp, end: Timestamp) -> float:
        """Open seconds in [start, end); 0 when end <= start."""
        if end <= start:
            return 0.0
        if self.is_always_open:
            return end - start
        total = 0.0
        for opens, closes in self.windows(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total

    def is_open(self, at: Timestamp) -> bool:
        opens, _closes = next(self.windows(at))
        return opens <= at
