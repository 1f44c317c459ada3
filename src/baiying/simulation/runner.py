"""Run a scenario's replications and measure them with the same analytics the live system uses."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scipy.stats import t as student_t

from baiying import events as ev
from baiying.analytics import KpiReport, compute_kpis
from baiying.simulation.engine import ScheduledContact, Simulation
from baiying.simulation.scenario import Scenario

Progress = Callable[[int, float], None]  # (replication, share done)


@dataclass(frozen=True, slots=True)
class Accounting:
    """Where every contact that arrived ended up: nothing may be missing."""

    arrived: int
    completed: int
    abandoned: int
    routed_out: int
    in_progress: int  # still waiting, ringing or being handled when the horizon ended

    @property
    def lost(self) -> int:
        return self.arrived - self.completed - self.abandoned - self.routed_out - self.in_progress


@dataclass(frozen=True, slots=True)
class ReplicationResult:
    replication: int
    kpis: KpiReport
    accounting: Accounting
    events: list[ev.Event] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Estimate:
    """Mean over replications and the half-width of its 95% confidence interval (None for one run)."""

    mean: float | None
    half_width: float | None


@dataclass(frozen=True, slots=True)
class SimulationOutcome:
    scenario: Scenario
    seed: int
    replications: list[ReplicationResult]

    @property
    def first(self) -> ReplicationResult:
        return self.replications[0]

    def estimate(self, pick: Callable[[KpiReport], float | None]) -> Estimate:
        return estimate([pick(r.kpis) for r in self.replications])

    @property
    def lost(self) -> int:
        return sum(r.accounting.lost for r in self.replications)


def simulate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    replications: int = 1,
    keep_events: int = 1,
    arrivals: Sequence[ScheduledContact] | None = None,
    progress: Progress | None = None,
) -> SimulationOutcome:
    """Run `replications` independent replications; the event logs of the first `keep_events` are kept."""
    if replications < 1:
        raise ValueError("replications must be at least 1")
    spec = scenario.spec
    used_seed = spec.seed if seed is None else seed
    results = []
    for index in range(replications):
        sim = Simulation(scenario, seed=used_seed, replication=index, arrivals=arrivals)
        report_progress = (lambda share, i=index: progress(i, share)) if progress else None
        log = sim.run(report_progress)
        measured = after_warm_up(log, sim.start + spec.warm_up_minutes * 60)
        kpis = compute_kpis(
            measured,
            interval_seconds=spec.interval_minutes * 60,
            sl_seconds=spec.service_level_seconds,
            short_abandon_seconds=spec.short_abandon_seconds,
            timezone=spec.timezone,
        )
        results.append(
            ReplicationResult(
                index, kpis, account(log, len(sim.router.contacts)), log if index < keep_events else []
            )
        )
    return SimulationOutcome(scenario, used_seed, results)


def after_warm_up(log: list[ev.Event], start: float) -> list[ev.Event]:
    """The log without the contacts that arrived before `start` (agent states are kept whole)."""
    if not log or log[0].at >= start:
        return log
    early = {e.contact_id for e in log if isinstance(e, ev.ContactArrived) and e.at < start}
    return [e for e in log if getattr(e, "contact_id", None) not in early]


def account(log: list[ev.Event], in_progress: int) -> Accounting:
    kinds = ("contact-arrived", "contact-completed", "contact-abandoned", "contact-routed-out")
    counts = dict.fromkeys(kinds, 0)
    for event in log:
        if event.kind in counts:
            counts[event.kind] += 1
    return Accounting(
        arrived=counts["contact-arrived"],
        completed=counts["contact-completed"],
        abandoned=counts["contact-abandoned"],
        routed_out=counts["contact-routed-out"],
        in_progress=in_progress,
    )


def estimate(values: Sequence[float | None]) -> Estimate:
    present = [v for v in values if v is not None]
    if not present:
        return Estimate(None, None)
    mean = sum(present) / len(present)
    if len(present) < 2:
        return Estimate(mean, None)
    variance = sum((v - mean) ** 2 for v in present) / (len(present) - 1)
    # Student's t, not the normal 1.96: replications are few.
    quantile = float(student_t.ppf(0.975, len(present) - 1))
    return Estimate(mean, quantile * math.sqrt(variance / len(present)))
