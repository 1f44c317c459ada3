"""Named random streams and the time grid of a scenario: one `random.Random` per purpose and name, so
changing one stream (more agents, another patience) leaves the draws of the others as they were."""

import hashlib
import math
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def stream(seed: int, *names: object) -> random.Random:
    """A generator seeded from (seed, names…): same names, same draws, whatever else the run does."""
    key = "/".join(str(n) for n in (seed, *names))
    return random.Random(int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest()))


def local_moment(day: date, minutes: float, timezone: str) -> float:
    """The timestamp of `minutes` after local midnight of `day` in `timezone`."""
    midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone))
    return (midnight + timedelta(minutes=minutes)).timestamp()


def hour_starts(start: date, days: int, timezone: str) -> list[float]:
    """Timestamps of every local hour boundary over the scenario, plus the end."""
    moments: list[float] = []
    for day_index in range(days):
        day = start + timedelta(days=day_index)
        moments.extend(local_moment(day, hour * 60, timezone) for hour in range(24))
    moments.append(local_moment(start + timedelta(days=days), 0, timezone))
    return moments


class PiecewisePoisson:
    """Arrival times of a Poisson process whose rate is constant within each hour.

    Memorylessness makes it exact to restart the exponential clock at each hour boundary. Compiled with
    mypyc (setup.py); each gap is `rng.expovariate(rate)`'s own formula, so the times are the same either way.
    """

    def __init__(self, boundaries: list[float], hourly_rates: list[float], rng: random.Random) -> None:
        self._boundaries = boundaries
        self._rates = hourly_rates  # arrivals per hour, indexed by hour of day
        self._random: Callable[[], float] = rng.random
        self._hour = 0
        self._now = boundaries[0]
        self._last = len(boundaries) - 1

    def next(self) -> float | None:
        """The next arrival time, or None after the last hour."""
        boundaries, rates = self._boundaries, self._rates
        while self._hour < self._last:
            rate = rates[self._hour % 24]
            end = boundaries[self._hour + 1]
            if rate > 0:
                # random.Random.expovariate(rate / 3600): -log(1 - random()) / lambd
                candidate = self._now + -math.log(1.0 - self._random()) / (rate / 3600.0)
                if candidate < end:
                    self._now = candidate
                    return candidate
            self._hour += 1
            self._now = end
        return None
