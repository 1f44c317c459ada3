"""Replay a recorded call log through the simulator: the real arrivals, the real handle times, the agents
the log shows on duty each hour, and patience fitted from the log; then compare simulated with real KPIs.

Staffing: an agent counts as present from the start of a run of calls to its end, runs being split
at gaps of 10 minutes or more (breaks, other work); each hour gets the rounded sum of presence. Counting
everyone who served at least once in the hour would overstate capacity by about half on the Anonymous
Bank log. After-call work, which call logs do not record, is estimated as the mean gap between an agent's
consecutive calls while other callers were waiting (so the agent was not idle by choice).

Callers who abandoned keep their real patience (the wait after which they hung up). Callers who were
answered tell us only that their patience exceeded their wait; with exponential patience, memorylessness
makes `wait + Exp(mean)` an exact draw from that conditional. Abandoned callers get a handle time drawn
from the served calls, in case the simulated center answers them.
"""

import bisect
import itertools
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from baiying.analytics import UNKNOWN_AGENT, CallRecord
from baiying.analytics.fitting import (
    HandleTimeFit,
    PatienceFit,
    fit_handle_time,
    fit_patience,
)
from baiying.clock import to_datetime
from baiying.ids import QueueId, SiteId
from baiying.routing.config import PolicySpec, QueueSpec, SiteSpec, StepSpec, TargetSpec, compile_spec
from baiying.simulation.distributions import ConstantDistribution
from baiying.simulation.engine import ScheduledContact
from baiying.simulation.scenario import AgentGroupSpec, Scenario, ScenarioSpec, ShiftSpec
from baiying.simulation.streams import stream

RUN_GAP_SECONDS = 600.0  # a longer gap between an agent's calls is a break, not presence
WAIT_LOOKBACK = 200  # waits that started this many arrivals back can still be running: enough for one queue
REPLAY_SITE = SiteId("recorded")
REPLAY_QUEUE = QueueId("calls")
SKILL = "service"


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    scenario: Scenario
    arrivals: list[ScheduledContact]
    patience: PatienceFit
    handle: HandleTimeFit
    agents_per_hour: dict[tuple[date, int], int]


def plan_replay(
    records: Sequence[CallRecord],
    *,
    timezone: str,
    seed: int = 1,
    sl_seconds: float = 20,
    interval_minutes: int = 60,
    source: str = "call log",
) -> ReplayPlan:
    """The scenario and arrival list that replay `records` with the staffing the log shows."""
    patience = fit_patience(records)
    handle = fit_handle_time(records)
    zone = ZoneInfo(timezone)
    on_duty = {hour: max(1, round(present)) for hour, present in presence_per_hour(records, zone).items()}
    first = min(to_datetime(r.arrived_at).astimezone(zone).date() for r in records)
    last = max(to_datetime(r.arrived_at).astimezone(zone).date() for r in records)
    days = (last - first).days + 1
    spec = ScenarioSpec(
        name=f"replay of {source}",
        description="recorded arrivals and handle times, staffing inferred per hour, fitted patience",
        start_date=first,
        timezone=timezone,
        days=days,
        seed=seed,
        interval_minutes=interval_minutes,
        service_level_seconds=sl_seconds,
        answer_seconds=ConstantDistribution(value=0),
        sites=[SiteSpec(id=REPLAY_SITE, timezone=timezone)],
        queues=[
            QueueSpec(
                id=REPLAY_QUEUE,
                policy="fifo",
                offer_timeout_seconds=60,
                wrap_up_seconds=round(after_call_work(records), 1),
            )
        ],
        policies=[PolicySpec(id="fifo", steps=[StepSpec(target=TargetSpec(skills={SKILL: 1}))])],
        agents=_staffing(on_duty, first, days),
    )
    scenario = Scenario(spec, compile_spec(spec), source)
    return ReplayPlan(scenario, _arrivals(records, patience, handle, seed), patience, handle, on_duty)


def services_by_agent(records: Sequence[CallRecord]) -> dict[str, list[tuple[float, float]]]:
    """Each named agent's (answer, end) periods, in time order."""
    services: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for record in records:
        answered = record.answered_at
        if answered is not None and record.agent_id is not None and record.agent_id != UNKNOWN_AGENT:
            services[record.agent_id].append((answered, answered + record.handle_seconds))
    for periods in services.values():
        periods.sort()
    return services


def agent_runs(records: Sequence[CallRecord]) -> dict[str, list[tuple[float, float]]]:
    """Each agent's service periods joined into runs where the gap between calls is short."""
    runs: dict[str, list[tuple[float, float]]] = {}
    for agent, periods in services_by_agent(records).items():
        joined: list[tuple[float, float]] = []
        for start, end in periods:
            if joined and start - joined[-1][1] < RUN_GAP_SECONDS:
                joined[-1] = (joined[-1][0], max(joined[-1][1], end))
            else:
                joined.append((start, end))
        runs[agent] = joined
    return runs


def presence_per_hour(records: Sequence[CallRecord], zone: ZoneInfo) -> dict[tuple[date, int], float]:
    """Agent-hours of presence in each local clock hour."""
    present: dict[tuple[date, int], float] = defaultdict(float)
    for runs in agent_runs(records).values():
        for start, end in runs:
            moment = start
            while moment < end:
                hour_end = min(end, moment - moment % 3600 + 3600)
                local = to_datetime(moment).astimezone(zone)
                present[(local.date(), local.hour)] += (hour_end - moment) / 3600
                moment = hour_end
    return dict(present)


def after_call_work(records: Sequence[CallRecord]) -> float:
    """Mean gap between an agent's consecutive calls while someone was waiting (0 if never seen)."""
    waits = sorted((r.arrived_at, r.arrived_at + r.wait_seconds) for r in records if r.wait_seconds > 0)
    starts = [start for start, _ in waits]
    gaps = [
        next_start - end
        for periods in services_by_agent(records).values()
        for (_, end), (next_start, _) in itertools.pairwise(periods)
        if 0 <= next_start - end < RUN_GAP_SECONDS and _someone_waiting(waits, starts, end + 1)
    ]
    return sum(gaps) / len(gaps) if gaps else 0.0


def _someone_waiting(waits: list[tuple[float, float]], starts: list[float], moment: float) -> bool:
    index = bisect.bisect_right(starts, moment)
    return any(end > moment for _, end in waits[max(0, index - WAIT_LOOKBACK) : index])


def _arrivals(
    records: Sequence[CallRecord], patience: PatienceFit, handle: HandleTimeFit, seed: int
) -> list[ScheduledContact]:
    rng = stream(seed, "replay", "patience")
    handle_draw = handle.to_distribution("empirical").sampler(stream(seed, "replay", "handle"))
    mean_patience = patience.mean_seconds
    arrivals = []
    for record in sorted(records, key=lambda r: (r.arrived_at, r.line)):
        if record.outcome == "answered":
            wait_limit = record.wait_seconds + _exponential(rng, mean_patience)
            handle_seconds = record.handle_seconds
        else:
            wait_limit = record.wait_seconds
            handle_seconds = handle_draw()
        arrivals.append(
            ScheduledContact(
                at=record.arrived_at,
                queue=REPLAY_QUEUE,
                handle_seconds=handle_seconds,
                patience_seconds=wait_limit,
                site=REPLAY_SITE,
                priority=record.priority,
                customer_id=record.customer_id,
            )
        )
    return arrivals


def _exponential(rng: random.Random, mean: float) -> float:
    return rng.expovariate(1.0 / mean) if mean > 0 else 0.0


def _staffing(on_duty: dict[tuple[date, int], int], first: date, days: int) -> list[AgentGroupSpec]:
    """Agent k works every hour in which the log shows at least k agents serving."""
    hours_by_agent: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (day, hour), count in on_duty.items():
        for k in range(1, count + 1):
            hours_by_agent[k].append(((day - first).days + 1, hour))
    groups = []
    for k in sorted(hours_by_agent):
        shifts = [
            ShiftSpec(start=f"{hour:02d}:00", end=f"{hour + 1:02d}:00", days=[day])
            for day, hour in sorted(hours_by_agent[k])
            if 1 <= day <= days
        ]
        groups.append(
            AgentGroupSpec(
                group=f"agent-{k:02d}", site=REPLAY_SITE, count=1, skills={SKILL: 5}, shifts=shifts
            )
        )
    return groups
