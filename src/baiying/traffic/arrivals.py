"""When contacts arrive: a scenario's traffic streams as one merged, seeded sequence of arrivals.

Times are scenario seconds from the start of the run (divide by the acceleration for wall time). Each
stream is a `PiecewisePoisson` process with its hourly rates, started at the scenario's time of day
`start_second_of_day` and drawing from its own `random.Random` (seeded by the run's seed and the
stream's name), so adding a stream does not change the others' arrivals.
"""

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from baiying.simulation.scenario import Scenario, TrafficSpec
from baiying.simulation.streams import PiecewisePoisson

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # scenario seconds since the start of the run
    stream: TrafficSpec


def stream_rng(seed: int, name: str) -> random.Random:
    return random.Random(f"baiying-traffic:{seed}:{name}")


def stream_arrivals(
    spec: TrafficSpec, *, start_second_of_day: float, duration_seconds: float, rng: random.Random
) -> Iterator[float]:
    """The stream's arrival times in [0, duration_seconds), in scenario seconds from the start."""
    if duration_seconds <= 0:
        return
    start = start_second_of_day % (HOURS_PER_DAY * SECONDS_PER_HOUR)
    first_hour = int(start // SECONDS_PER_HOUR)
    rates = spec.hourly_rates()
    hours = math.ceil((duration_seconds + start - first_hour * SECONDS_PER_HOUR) / SECONDS_PER_HOUR)
    rotated = [rates[(first_hour + i) % HOURS_PER_DAY] for i in range(HOURS_PER_DAY)]
    offset = start - first_hour * SECONDS_PER_HOUR  # into the first hour
    boundaries = [0.0] + [(i + 1) * SECONDS_PER_HOUR - offset for i in range(hours)]
    process = PiecewisePoisson(boundaries, rotated, rng)
    while (at := process.next()) is not None and at < duration_seconds:
        yield at


def arrivals(
    scenario: Scenario, *, start_second_of_day: float, duration_seconds: float, seed: int
) -> Iterator[Arrival]:
    """Every stream's arrivals in [0, duration_seconds), merged in time order."""
    heap: list[tuple[float, int, Iterator[float]]] = []
    for index, spec in enumerate(scenario.spec.traffic):
        times = stream_arrivals(
            spec,
            start_second_of_day=start_second_of_day,
            duration_seconds=duration_seconds,
            rng=stream_rng(seed, spec.name),
        )
        first = next(times, None)
        if first is not None:
            heap.append((first, index, times))
    heapq.heapify(heap)
    streams = scenario.spec.traffic
    while heap:
        at, index, times = heap[0]
        yield Arrival(at, streams[index])
        following = next(times, None)
        if following is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (following, index, times))


def contact_body(spec: TrafficSpec) -> dict[str, Any]:
    """The body of `POST /api/contacts` for a contact of the stream (the server picks its id)."""
    body: dict[str, Any] = {"queue": spec.queue, "priority": spec.priority}
    for name in ("site", "language", "intent", "tier", "region"):
        value = getattr(spec, name)
        if value is not None:
            body[name] = value
    return body
