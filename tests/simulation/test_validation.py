"""The simulator against queueing theory: single-skill cases must agree with Erlang C (M/M/n) and
Erlang A (M/M/n+M) within three standard errors.

Each case runs R independent replications (replication numbers 0..R-1, never hand-picked) of a shipped
validation scenario, drops the callers who arrive during the warm-up, and estimates each measure once per
replication from the event log. The replications are independent, so the standard error of their mean is
sd/sqrt(R), and the test asserts |mean - theory| <= 3 SE.

To fit the time budget the M/M/50+M scenario keeps its arrival rate only for the first hours of the day
(then the queue drains). Callers are served first come, first served, so the later ones do not change the
waits of the earlier ones and the steady state is the same.
"""

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from baiying import events as ev
from baiying.simulation.engine import Simulation
from baiying.simulation.scenario import Scenario, load_scenario
from baiying.wfm import erlang_a_metrics, erlang_c_metrics, offered_load_erlangs

VALIDATION = Path(__file__).resolve().parents[2] / "scenarios" / "validation"
REPLICATIONS = 10
SIGMAS = 3.0
# Only callers who arrive at least this long before the end are measured, so every one has an outcome.
COOL_DOWN_SECONDS = 3600.0


def scenario(file: str, *, days: int, busy_hours: int = 24) -> Scenario:
    """A shipped validation scenario, run for `days`, with arrivals only in the first `busy_hours`."""
    path = VALIDATION / file
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["days"] = days
    for traffic in data["traffic"]:
        rate = traffic["rates_per_hour"][0]
        assert traffic["rates_per_hour"] == [rate] * 24, "validation traffic has one constant rate"
        traffic["rates_per_hour"] = [rate] * busy_hours + [0] * (24 - busy_hours)
    return load_scenario(yaml.safe_dump(data), str(path))


@dataclass(frozen=True)
class Estimates:
    callers: int
    p_wait: float
    mean_wait: float  # over all measured callers: answered ones until answered, the others until they left
    p_abandon: float


def estimate(simulation: Simulation, log: list[ev.Event]) -> Estimates:
    """Per-caller outcomes of the callers who arrived after the warm-up and before the cool-down."""
    first = simulation.start + simulation.scenario.spec.warm_up_minutes * 60
    last = simulation.end - COOL_DOWN_SECONDS
    measured = {e.contact_id for e in log if isinstance(e, ev.ContactArrived) and first <= e.at < last}
    outcomes: dict[str, tuple[float, bool]] = {}
    for event in log:
        if isinstance(event, ev.ContactAnswered) and event.contact_id in measured:
            outcomes[event.contact_id] = (event.wait_seconds, False)
        elif isinstance(event, ev.ContactAbandoned) and event.contact_id in measured:
            outcomes[event.contact_id] = (event.wait_seconds, True)
    assert len(outcomes) == len(measured) > 0, "every measured caller is answered or abandons"
    waits = [wait for wait, _ in outcomes.values()]
    return Estimates(
        callers=len(waits),
        p_wait=sum(wait > 0 for wait in waits) / len(waits),
        mean_wait=math.fsum(waits) / len(waits),
        p_abandon=sum(abandoned for _, abandoned in outcomes.values()) / len(waits),
    )


def replicate(case: Scenario) -> list[Estimates]:
    results = []
    for replication in range(REPLICATIONS):
        simulation = Simulation(case, replication=replication)
        results.append(estimate(simulation, simulation.run()))
    return results


def assert_agrees(results: list[Estimates], measure: str, theory: float) -> None:
    values = [getattr(r, measure) for r in results]
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values))
    assert se > 0
    assert abs(mean - theory) <= SIGMAS * se, (
        f"{measure}: simulated {mean:.5g} ± {se:.2g} (SE over {len(values)} replications), "
        f"theory {theory:.5g}, off by {abs(mean - theory) / se:.1f} SE"
    )


def single_queue_parameters(case: Scenario) -> tuple[int, float, float, float | None]:
    """(agents, calls per hour, mean handle seconds, mean patience seconds or None) of a validation case."""
    spec = case.spec
    (group,), (traffic,) = spec.agents, spec.traffic
    assert traffic.handle.kind == "exponential"
    patience = None
    if traffic.patience is not None:
        assert traffic.patience.kind == "exponential"
        patience = traffic.patience.mean
    assert spec.answer_seconds.kind == "constant"
    assert spec.answer_seconds.mean == 0
    return group.count, traffic.hourly_rates()[0], traffic.handle.mean, patience


# ---- Erlang C: M/M/14, 100 calls per 30 minutes, AHT 180 s ---------------------------------------------


@pytest.fixture(scope="module")
def erlang_c_case() -> tuple[list[Estimates], Scenario]:
    case = scenario("mmn.yaml", days=2)
    return replicate(case), case


def erlang_c_theory(case: Scenario) -> dict[str, float]:
    agents, per_hour, aht, patience = single_queue_parameters(case)
    assert patience is None
    metrics = erlang_c_metrics(agents, offered_load_erlangs(per_hour, aht), aht, 20)
    return {"p_wait": metrics.p_wait, "mean_wait": metrics.asa_seconds}


def test_erlang_c_reference_values() -> None:
    theory = erlang_c_theory(scenario("mmn.yaml", days=1))

    assert theory["p_wait"] == pytest.approx(0.1741319, abs=5e-8)
    assert theory["mean_wait"] == pytest.approx(7.8359, abs=5e-5)


@pytest.mark.slow
@pytest.mark.parametrize("measure", ["p_wait", "mean_wait"])
def test_mmn_agrees_with_erlang_c(erlang_c_case: tuple[list[Estimates], Scenario], measure: str) -> None:
    results, case = erlang_c_case

    assert all(r.p_abandon == 0 for r in results)
    assert_agrees(results, measure, erlang_c_theory(case)[measure])


# ---- Erlang A: M/M/50+M, 48 calls a minute, AHT 60 s, mean patience 120 s -------------------------------


@pytest.fixture(scope="module")
def erlang_a_case() -> tuple[list[Estimates], Scenario]:
    case = scenario("mmn-m.yaml", days=1, busy_hours=10)
    return replicate(case), case


def erlang_a_theory(case: Scenario) -> dict[str, float]:
    agents, per_hour, aht, patience = single_queue_parameters(case)
    assert patience is not None
    metrics = erlang_a_metrics(agents, offered_load_erlangs(per_hour, aht), aht, patience, 20)
    return {"p_abandon": metrics.p_abandon, "mean_wait": metrics.mean_wait_seconds, "p_wait": metrics.p_wait}


def test_erlang_a_reference_values() -> None:
    theory = erlang_a_theory(scenario("mmn-m.yaml", days=1))

    assert theory["p_abandon"] == pytest.approx(0.03091, abs=5e-6)
    assert theory["mean_wait"] == pytest.approx(3.71, abs=5e-3)


@pytest.mark.slow
@pytest.mark.parametrize("measure", ["p_abandon", "mean_wait", "p_wait"])
def test_mmn_m_agrees_with_erlang_a(erlang_a_case: tuple[list[Estimates], Scenario], measure: str) -> None:
    results, case = erlang_a_case

    assert_agrees(results, measure, erlang_a_theory(case)[measure])


# ---- determinism ----------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_log_and_another_replication_does_not() -> None:
    case = scenario("mmn.yaml", days=1, busy_hours=6)

    def records(seed: int, replication: int) -> list[dict[str, Any]]:
        return [e.to_record() for e in Simulation(case, seed=seed, replication=replication).run()]

    first = records(7, 0)

    assert len(first) > 1000
    assert records(7, 0) == first
    assert records(7, 1) != first
    assert records(8, 0) != first
