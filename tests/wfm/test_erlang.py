"""Erlang B and C against published figures and exact rational arithmetic."""

import math
from collections.abc import Callable
from fractions import Fraction

import pytest

from baiying.wfm import (
    InvalidQueueParameters,
    UnstableQueue,
    erlang_b,
    erlang_c,
    erlang_c_asa_seconds,
    erlang_c_metrics,
    erlang_c_service_level,
    offered_load_erlangs,
)

# The R ErlangC example (lucidmanager.org): 100 calls per 30 minutes, AHT 180 s, target 20 s.
R_LOAD = offered_load_erlangs(arrival_rate_per_hour=200.0, aht_seconds=180.0)


def exact_erlang_b(agents: int, load: Fraction) -> Fraction:
    terms = [load**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


def test_offered_load_of_the_r_example_is_ten_erlangs() -> None:
    assert pytest.approx(10.0) == R_LOAD


def test_r_example_with_14_agents() -> None:
    metrics = erlang_c_metrics(14, R_LOAD, aht_seconds=180.0, sl_seconds=20.0)

    assert metrics.p_wait == pytest.approx(0.1741319, abs=5e-8)
    assert metrics.service_level == pytest.approx(0.88835, abs=5e-6)
    assert metrics.asa_seconds == pytest.approx(7.8359, abs=5e-5)
    assert metrics.mean_wait_seconds == metrics.asa_seconds
    assert metrics.occupancy == pytest.approx(0.7142857, abs=5e-8)
    assert metrics.p_abandon == 0.0


def test_r_example_with_11_agents() -> None:
    assert erlang_c(11, R_LOAD) == pytest.approx(0.6821182, abs=5e-8)


def test_scalar_functions_agree_with_the_summary() -> None:
    metrics = erlang_c_metrics(14, R_LOAD, 180.0, 20.0)

    assert erlang_c_service_level(14, R_LOAD, 180.0, 20.0) == metrics.service_level
    assert erlang_c_asa_seconds(14, R_LOAD, 180.0) == metrics.asa_seconds


@pytest.mark.parametrize(
    ("agents", "load"), [(1, "0.5"), (5, "3"), (10, "5"), (30, "29.5"), (60, "20"), (3, "9")]
)
def test_erlang_b_matches_exact_rational_sum(agents: int, load: str) -> None:
    expected = exact_erlang_b(agents, Fraction(load))

    assert erlang_b(agents, float(load)) == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize(("agents", "load"), [(5, "3"), (12, "10"), (40, "39.9"), (100, "80")])
def test_erlang_c_matches_exact_rational_formula(agents: int, load: str) -> None:
    a = Fraction(load)
    b = exact_erlang_b(agents, a)
    rho = a / agents
    expected = b / (1 - rho * (1 - b))

    assert erlang_c(agents, float(load)) == pytest.approx(float(expected), rel=1e-12)


def test_erlang_b_far_overloaded_uses_the_tail_series() -> None:
    # 1/B - 1 = n/a + n(n-1)/a^2 + ...; the incomplete gamma value underflows here.
    assert erlang_b(1, 5000.0) == pytest.approx(1.0 / (1.0 + 1.0 / 5000.0), rel=1e-14)
    assert erlang_b(2, 5000.0) == pytest.approx(1.0 / (1.0 + 2 / 5000 + 2 / 5000**2), rel=1e-14)


def test_erlang_b_recursion_agrees_at_a_thousand_agents() -> None:
    load = 950.0
    inverse = 1.0
    for n in range(1, 1001):
        inverse = 1.0 + inverse * n / load

    assert erlang_b(1000, load) == pytest.approx(1.0 / inverse, rel=1e-10)


@pytest.mark.parametrize("load", [90_000.0, 99_000.0, 99_900.0])
def test_stable_at_a_hundred_thousand_agents(load: float) -> None:
    metrics = erlang_c_metrics(100_000, load, aht_seconds=300.0, sl_seconds=20.0)

    for value in (metrics.p_wait, metrics.service_level, metrics.occupancy, erlang_b(100_000, load)):
        assert math.isfinite(value)
        assert 0.0 <= value <= 1.0
    assert math.isfinite(metrics.asa_seconds)
    assert metrics.asa_seconds >= 0.0


def test_halfin_whitt_limit_at_a_hundred_thousand_agents() -> None:
    # n = A + beta sqrt(A): P(wait) tends to 1 / (1 + beta Phi(beta) / phi(beta)).
    beta = 1.0
    load = 100_000.0
    agents = round(load + beta * math.sqrt(load))
    beta = (agents - load) / math.sqrt(load)
    phi = math.exp(-beta * beta / 2) / math.sqrt(2 * math.pi)
    big_phi = 0.5 * (1 + math.erf(beta / math.sqrt(2)))

    assert erlang_c(agents, load) == pytest.approx(1 / (1 + beta * big_phi / phi), abs=2e-3)


def test_without_a_steady_state_the_limits_are_returned() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c_service_level(9, 10.0, 180.0, 20.0) == 0.0
    assert erlang_c_asa_seconds(10, 12.0, 180.0) == math.inf


def test_metrics_refuse_an_unstable_queue() -> None:
    with pytest.raises(UnstableQueue, match=r"10 agents cannot carry 12 Erlangs"):
        erlang_c_metrics(10, 12.0, 180.0, 20.0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(0, 5.0), "agents must be a whole number of at least 1, got 0"),
        (lambda: erlang_b(3, -1.0), "offered load must be a positive number, got -1.0"),
        (lambda: erlang_c(3, math.nan), "offered load must be a positive number, got nan"),
        (lambda: erlang_c_service_level(3, 1.0, 0.0, 20.0), "average handle time must be a positive number"),
        (lambda: erlang_c_service_level(3, 1.0, 180.0, -1.0), "service-level threshold"),
        (lambda: offered_load_erlangs(-5.0, 180.0), "arrival rate must be a positive number, got -5.0"),
    ],
)
def test_bad_inputs_raise_value_errors_naming_the_parameter(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        call()
    assert isinstance(raised.value, InvalidQueueParameters)
