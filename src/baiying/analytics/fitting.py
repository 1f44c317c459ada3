"""Fit the simulator's inputs from call history: arrival profiles, patience, handle times, staffing seen.

Choices, and why:
- Arrival profile: mean arrivals per interval of the day, per weekday (or per date), counted in the
  records' local time. A weekday's mean divides by every such weekday between the first and the last
  record's date, so a day without calls counts as zero rather than vanishing.
- Patience is censored: a served caller tells only that their patience exceeded their wait. The
  exponential maximum-likelihood mean is total waiting time (served and abandoned) / abandons, the
  patience model of Erlang A. The Kaplan–Meier product-limit curve gives the shape without assuming one;
  its empirical form fills the tail it cannot see (beyond the longest observed wait) with the exponential
  fit, which is memoryless and so needs no other assumption.
- Handle time: a lognormal with the sample mean and sd (method of moments: the simulator's lognormal is
  parametrised the same way), or the observed values resampled.
- Agents on duty: distinct named agents whose service of some call overlaps each local clock hour. It
  is a lower bound: an agent logged in but idle for a whole hour is invisible in a call log.
"""

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from baiying.analytics.records import CallRecord
from baiying.analytics.timegrid import DAY_SECONDS, TimeGrid
from baiying.errors import DomainError
from baiying.ids import AgentId
from baiying.simulation.distributions import (
    Distribution,
    EmpiricalDistribution,
    ExponentialDistribution,
    LognormalDistribution,
)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CannotFit(DomainError):
    code = "cannot-fit"


@dataclass(frozen=True, slots=True)
class ArrivalProfile:
    """Mean arrivals per interval of the local day, for each key (a weekday name or an ISO date)."""

    interval_seconds: int
    timezone: str
    by: Literal["weekday", "date"]
    days_observed: Mapping[str, int]
    mean_arrivals: Mapping[str, tuple[float, ...]]  # one value per interval, from local midnight

    def rates_per_hour(self, key: str) -> tuple[float, ...]:
        """Arrival rate (calls per hour) for each interval of the day for `key`."""
        scale = 3600.0 / self.interval_seconds
        return tuple(count * scale for count in self.mean_arrivals[key])

    def daily_mean(self, key: str) -> float:
        return math.fsum(self.mean_arrivals[key])


def arrival_profile(
    records: Sequence[CallRecord],
    *,
    interval_seconds: int = 3600,
    timezone: str,
    by: Literal["weekday", "date"] = "weekday",
) -> ArrivalProfile:
    """Arrivals per interval of the day, averaged over the days observed for each weekday or date."""
    if not records:
        raise CannotFit("no calls to fit an arrival profile from")
    grid = TimeGrid(interval_seconds, timezone)
    slots = DAY_SECONDS // interval_seconds
    counts: dict[date, list[int]] = defaultdict(lambda: [0] * slots)
    for record in records:
        slot = int(grid.seconds_of_day(record.arrived_at) // interval_seconds)
        counts[grid.day(record.arrived_at)][slot] += 1
    first, last = min(counts), max(counts)
    days_observed: dict[str, int] = defaultdict(int)
    sums: dict[str, list[float]] = {}
    day = first
    while day <= last:
        key = WEEKDAYS[day.weekday()] if by == "weekday" else day.isoformat()
        days_observed[key] += 1
        total = sums.setdefault(key, [0.0] * slots)
        for slot, count in enumerate(counts.get(day, ())):
            total[slot] += count
        day += timedelta(days=1)
    mean_arrivals = {key: tuple(value / days_observed[key] for value in total) for key, total in sums.items()}
    return ArrivalProfile(interval_seconds, timezone, by, dict(days_observed), mean_arrivals)


@dataclass(frozen=True, slots=True)
class SurvivalPoint:
    """Kaplan–Meier estimate just after `wait_seconds`: the share of callers still willing to wait."""

    wait_seconds: float
    survival: float
    at_risk: int
    abandoned: int


@dataclass(frozen=True, slots=True)
class PatienceFit:
    abandoned: int
    served: int  # right-censored at their wait
    exposure_seconds: float  # total time all callers spent waiting
    longest_wait_seconds: float
    curve: tuple[SurvivalPoint, ...]

    @property
    def mean_seconds(self) -> float:
        """Exponential maximum-likelihood mean patience: exposure / abandons."""
        return self.exposure_seconds / self.abandoned

    def survival(self, wait_seconds: float) -> float:
        """Kaplan–Meier share of callers whose patience exceeds `wait_seconds` (within the observed range)."""
        value = 1.0
        for point in self.curve:
            if point.wait_seconds > wait_seconds:
                break
            value = point.survival
        return value

    def to_distribution(
        self, kind: Literal["exponential", "empirical"] = "exponential", points: int = 1000
    ) -> Distribution:
        if kind == "exponential":
            return ExponentialDistribution(mean=self.mean_seconds)
        return EmpiricalDistribution(values=tuple(self._quantile((i + 0.5) / points) for i in range(points)))

    def _quantile(self, p: float) -> float:
        for point in self.curve:
            if 1.0 - point.survival >= p:
                return point.wait_seconds
        remaining = self.curve[-1].survival if self.curve else 1.0
        return self.longest_wait_seconds + self.mean_seconds * math.log(remaining / (1.0 - p))


def fit_patience(records: Sequence[CallRecord]) -> PatienceFit:
    """Censored patience from waits: abandons are events, served calls are censored at their wait."""
    abandoned_at: dict[float, int] = defaultdict(int)
    served_at: dict[float, int] = defaultdict(int)
    for record in records:
        target = abandoned_at if record.outcome == "abandoned" else served_at
        target[record.wait_seconds] += 1
    abandons = sum(abandoned_at.values())
    if abandons == 0:
        raise CannotFit("no abandoned calls: patience cannot be estimated (every caller was served)")
    at_risk = len(records)
    survival = 1.0
    curve: list[SurvivalPoint] = []
    # Ties: abandons at a wait happen before the censorings at the same wait (the usual KM convention).
    for wait in sorted(abandoned_at.keys() | served_at.keys()):
        deaths = abandoned_at.get(wait, 0)
        if deaths:
            survival *= 1.0 - deaths / at_risk
            curve.append(SurvivalPoint(wait, survival, at_risk, deaths))
        at_risk -= deaths + served_at.get(wait, 0)
    return PatienceFit(
        abandoned=abandons,
        served=len(records) - abandons,
        exposure_seconds=math.fsum(record.wait_seconds for record in records),
        longest_wait_seconds=max(record.wait_seconds for record in records),
        curve=tuple(curve),
    )


@dataclass(frozen=True, slots=True)
class HandleTimeFit:
    count: int
    mean_seconds: float
    sd_seconds: float
    values: tuple[float, ...]  # sorted

    def quantile(self, p: float) -> float:
        index = min(len(self.values) - 1, max(0, math.ceil(p * len(self.values)) - 1))
        return self.values[index]

    def to_distribution(
        self, kind: Literal["lognormal", "empirical"] = "lognormal", points: int | None = None
    ) -> Distribution:
        """A lognormal with the observed mean and sd, or the observed values (thinned to `points` quantiles
        when given)."""
        if kind == "lognormal":
            return LognormalDistribution(mean=self.mean_seconds, sd=self.sd_seconds)
        if points is None:
            return EmpiricalDistribution(values=self.values)
        return EmpiricalDistribution(values=tuple(self.quantile((i + 0.5) / points) for i in range(points)))


def fit_handle_time(records: Sequence[CallRecord]) -> HandleTimeFit:
    """Handle times of the answered calls."""
    values = sorted(record.handle_seconds for record in records if record.outcome == "answered")
    if len(values) < 2:
        raise CannotFit(f"{len(values)} answered call(s): at least 2 are needed to fit handle times")
    mean = math.fsum(values) / len(values)
    sd = math.sqrt(math.fsum((value - mean) ** 2 for value in values) / (len(values) - 1))
    if mean <= 0 or sd <= 0:
        raise CannotFit(f"handle times have mean {mean:g} s and sd {sd:g} s: no spread to fit")
    return HandleTimeFit(len(values), mean, sd, tuple(values))


@dataclass(frozen=True, slots=True)
class AgentsOnDuty:
    day: date  # local date
    hour: int  # local clock hour, 0-23
    agents: int
    agent_ids: tuple[AgentId, ...]


def agents_on_duty(records: Sequence[CallRecord], *, timezone: str) -> tuple[AgentsOnDuty, ...]:
    """Distinct named agents serving a call during each local hour, for hours with at least one."""
    grid = TimeGrid(3600, timezone)
    seen: dict[tuple[date, int], set[AgentId]] = defaultdict(set)
    for record in records:
        answered_at = record.answered_at
        if answered_at is None or record.agent_id is None:
            continue
        # A zero-second service still shows the agent present in the hour it was answered.
        hours = [start for start, _ in grid.spans(answered_at, record.ended_at)]
        for start in hours or [grid.interval_start(answered_at)]:
            hour = int(grid.seconds_of_day(start) // 3600)
            seen[(grid.day(start), hour)].add(record.agent_id)
    return tuple(
        AgentsOnDuty(day, hour, len(names), tuple(sorted(names)))
        for (day, hour), names in sorted(seen.items())
    )
