"""Erlang A against the published example, a brute-force birth-death chain and the Erlang C limit."""

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.special import betainc

from baiying.wfm import erlang_a_metrics, erlang_a_state, erlang_c_metrics


@dataclass(frozen=True)
class BruteForce:
    p_wait: float
    p_abandon: float
    mean_wait_seconds: float
    service_level: float
    asa_seconds: float


def brute_force(
    agents: int, load: float, aht: float, patience: float, sl_seconds: float, states: int = 3000
) -> BruteForce:
    """Truncated M/M/n+M chain; waits from U = exp(-theta V) ~ Beta(x, j+1) given j callers ahead."""
    arrival, service, abandon = load / aht, 1.0 / aht, 1.0 / patience
    log_p = np.zeros(states)
    for k in range(1, states):
        leaving = min(k, agents) * service + max(k - agents, 0) * abandon
        log_p[k] = log_p[k - 1] + math.log(arrival / leaving)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    queue = np.maximum(np.arange(states) - agents, 0)
    p_abandon = abandon * float((p * queue).sum()) / arrival
    x = agents * service / abandon
    c = math.exp(-abandon * sl_seconds)
    within = float(p[:agents].sum())
    answered_wait = 0.0
    for j in range(states - agents):
        answered = x / (x + j + 1)
        within += p[agents + j] * answered * (1.0 - betainc(x + 1, j + 1, c))
        harmonic = sum(1.0 / (x + k) for k in range(1, j + 2))
        answered_wait += p[agents + j] * answered * harmonic / abandon
    return BruteForce(
        p_wait=float(p[agents:].sum()),
        p_abandon=p_abandon,
        mean_wait_seconds=float((p * queue).sum()) / arrival,
        service_level=within,
        asa_seconds=answered_wait / (1.0 - p_abandon),
    )


def test_published_example() -> None:
    # lambda = 48/min, AHT 1 min, 50 agents, mean patience 2 min.
    metrics = erlang_a_metrics(50, 48.0, aht_seconds=60.0, patience_seconds=120.0, sl_seconds=20.0)

    assert metrics.p_abandon == pytest.approx(0.03091, abs=5e-6)
    assert metrics.mean_wait_seconds == pytest.approx(3.71, abs=5e-3)
    assert metrics.occupancy == pytest.approx(0.93032, abs=5e-6)


@pytest.mark.parametrize(
    ("agents", "load", "aht", "patience", "sl_seconds"),
    [
        (50, 48.0, 60.0, 120.0, 20.0),
        (10, 12.0, 180.0, 60.0, 30.0),
        (5, 2.0, 300.0, 600.0, 10.0),
        (30, 40.0, 200.0, 30.0, 5.0),
        (3, 2.5, 240.0, 2000.0, 0.0),
    ],
)
def test_matches_a_brute_force_chain(
    agents: int, load: float, aht: float, patience: float, sl_seconds: float
) -> None:
    expected = brute_force(agents, load, aht, patience, sl_seconds)
    metrics = erlang_a_metrics(agents, load, aht, patience, sl_seconds)

    assert metrics.p_wait == pytest.approx(expected.p_wait, rel=1e-9)
    assert metrics.p_abandon == pytest.approx(expected.p_abandon, rel=1e-9)
    assert metrics.mean_wait_seconds == pytest.approx(expected.mean_wait_seconds, rel=1e-9)
    assert metrics.service_level == pytest.approx(expected.service_level, rel=1e-9)
    assert metrics.asa_seconds == pytest.approx(expected.asa_seconds, rel=1e-9)


@pytest.mark.parametrize(("agents", "load"), [(14, 10.0), (11, 10.0), (60, 55.0), (520, 500.0)])
def test_very_patient_callers_converge_to_erlang_c(agents: int, load: float) -> None:
    erlang_c = erlang_c_metrics(agents, load, aht_seconds=180.0, sl_seconds=20.0)
    erlang_a = erlang_a_metrics(agents, load, aht_seconds=180.0, patience_seconds=1e12, sl_seconds=20.0)

    assert erlang_a.p_wait == pytest.approx(erlang_c.p_wait, rel=1e-6)
    assert erlang_a.service_level == pytest.approx(erlang_c.service_level, rel=1e-6)
    assert erlang_a.asa_seconds == pytest.approx(erlang_c.asa_seconds, rel=1e-6)
    assert erlang_a.occupancy == pytest.approx(erlang_c.occupancy, rel=1e-6)
    assert erlang_a.p_abandon == pytest.approx(0.0, abs=1e-9)


def test_convergence_to_erlang_c_is_monotone_in_patience() -> None:
    erlang_c = erlang_c_metrics(14, 10.0, 180.0, 20.0)
    gaps = [
        abs(erlang_a_metrics(14, 10.0, 180.0, patience, 20.0).p_wait - erlang_c.p_wait)
        for patience in (1e4, 1e6, 1e8, 1e10)
    ]

    # The gap shrinks in proportion to 1 / patience.
    for wider, narrower in itertools.pairwise(gaps):
        assert narrower < wider / 50
    assert gaps[-1] < 1e-8


def test_zero_threshold_service_level_is_the_share_answered_at_once() -> None:
    state = erlang_a_state(50, 48.0, 60.0, 120.0)

    assert state.service_level(0.0) == pytest.approx(1.0 - state.p_wait, rel=1e-12)


def test_endless_threshold_service_level_is_the_share_answered() -> None:
    state = erlang_a_state(50, 48.0, 60.0, 120.0)

    assert state.service_level(1e9) == pytest.approx(1.0 - state.p_abandon(), rel=1e-12)


def test_heavily_overloaded_queue_follows_the_fluid_limit() -> None:
    # With 100,000 agents and 120,000 Erlangs, 1/6 of callers must abandon and the answered ones wait
    # about patience * log(load / agents).
    metrics = erlang_a_metrics(100_000, 120_000.0, aht_seconds=300.0, patience_seconds=120.0, sl_seconds=20.0)

    assert metrics.p_abandon == pytest.approx(1 / 6, rel=1e-3)
    assert metrics.asa_seconds == pytest.approx(120.0 * math.log(1.2), rel=1e-2)
    assert metrics.occupancy == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize(("load", "patience"), [(99_000.0, 120.0), (100_000.0, 60.0), (150_000.0, 600.0)])
def test_stable_at_a_hundred_thousand_agents(load: float, patience: float) -> None:
    metrics = erlang_a_metrics(100_000, load, aht_seconds=300.0, patience_seconds=patience, sl_seconds=20.0)

    for value in (metrics.p_wait, metrics.p_abandon, metrics.service_level, metrics.occupancy):
        assert math.isfinite(value)
        assert 0.0 <= value <= 1.0
    assert math.isfinite(metrics.asa_seconds)
    assert math.isfinite(metrics.mean_wait_seconds)


def test_five_thousand_erlangs() -> None:
    metrics = erlang_a_metrics(5_000, 5_000.0, aht_seconds=300.0, patience_seconds=120.0, sl_seconds=20.0)

    assert 0.0 < metrics.p_abandon < 0.05
    assert metrics.mean_wait_seconds == pytest.approx(metrics.p_abandon * 120.0)


def test_bad_patience_is_refused() -> None:
    with pytest.raises(ValueError, match=r"mean patience must be a positive number, got 0\.0"):
        erlang_a_metrics(5, 4.0, 180.0, 0.0, 20.0)
