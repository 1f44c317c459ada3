"""Reporting intervals aligned to a time zone's wall clock.

A 30-minute report in Shanghai starts intervals at 09:00 and 09:30 local time, whatever the UTC offset,
so interval starts are computed in local time and stored as UTC timestamps (seconds since the epoch).
"""

import math
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from baiying.errors import DomainError

DAY_SECONDS = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# UTC offsets change only at quarter-hour instants in every zone still in use, so one lookup per
# 15-minute slice of UTC time is exact and saves a zoneinfo call per event.
_OFFSET_SLICE = 900


class InvalidAnalyticsSettings(DomainError):
    code = "invalid-analytics-settings"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; raises InvalidAnalyticsSettings for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidAnalyticsSettings(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)"
        ) from None


class TimeGrid:
    """Intervals of `interval_seconds` (a divisor of a day, at least 60 s) aligned in `timezone`."""

    def __init__(self, interval_seconds: int, timezone: str) -> None:
        if interval_seconds < 60 or DAY_SECONDS % interval_seconds != 0:
            raise InvalidAnalyticsSettings(
                "interval must divide a day and be at least 60 s (e.g. 900, 1800, 3600), "
                f"got {interval_seconds} s"
            )
        self.interval_seconds = interval_seconds
        self.timezone = timezone
        self.zone = zone(timezone)
        self._offsets: dict[int, float] = {}

    def offset(self, at: float) -> float:
        """The zone's UTC offset in seconds at timestamp `at`."""
        key = math.floor(at / _OFFSET_SLICE)
        found = self._offsets.get(key)
        if found is None:
            moment = datetime.fromtimestamp(key * _OFFSET_SLICE, tz=self.zone)
            delta = moment.utcoffset()
            found = delta.total_seconds() if delta is not None else 0.0
            self._offsets[key] = found
        return found

    def interval_start(self, at: float) -> float:
        """UTC timestamp of the start of the interval holding `at`."""
        offset = self.offset(at)
        local = at + offset
        return local - local % self.interval_seconds - offset

    def spans(self, start: float, end: float) -> Iterator[tuple[float, float]]:
        """Split [start, end) at interval boundaries: (interval start, seconds inside it) pairs."""
        while start < end:
            interval = self.interval_start(start)
            boundary = interval + self.interval_seconds
            stop = min(end, boundary)
            yield interval, stop - start
            start = stop

    def local(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, tz=self.zone)

    def day(self, at: float) -> date:
        """The local calendar date of `at`."""
        return date.fromordinal(_EPOCH_ORDINAL + math.floor((at + self.offset(at)) / DAY_SECONDS))

    def seconds_of_day(self, at: float) -> float:
        """Local time of day of `at`, in seconds after midnight."""
        return (at + self.offset(at)) % DAY_SECONDS
