"""The only place that reads the wall clock.

Time everywhere in Baiying is a float of seconds since the Unix epoch, UTC. The live system passes a
`SystemClock`; tests and the simulator pass a `ManualClock`, so the same engine runs in both.
"""

import time
from datetime import UTC, datetime
from typing import Protocol

Timestamp = float
"""Seconds since 1970-01-01T00:00:00Z."""


class Clock(Protocol):
    def now(self) -> Timestamp: ...


class SystemClock:
    def now(self) -> Timestamp:
        return time.time()


class ManualClock:
    """A clock that moves only when told to; never goes backwards."""

    def __init__(self, start: Timestamp = 0.0) -> None:
        self._now = start

    def now(self) -> Timestamp:
        return self._now

    def advance(self, seconds: float) -> Timestamp:
        if seconds < 0:
            raise ValueError(f"a clock cannot go back ({seconds} s)")
        self._now += seconds
        return self._now

    def set(self, at: Timestamp) -> None:
        if at < self._now:
            raise ValueError(f"a clock cannot go back from {self._now} to {at}")
        self._now = at


def to_datetime(at: Timestamp) -> datetime:
    """A timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(at, tz=UTC)


def from_datetime(moment: datetime) -> Timestamp:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a time zone")
    return moment.timestamp()
