"""Properties that hold for any load: probabilities in [0, 1] and monotone in the number of agents."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from baiying.wfm import (
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_service_level,
    required_agents,
)

loads = st.floats(min_value=0.01, max_value=20_000.0, allow_nan=False)
ahts = st.floats(min_value=10.0, max_value=3_600.0)
thresholds = st.floats(min_value=0.0, max_value=600.0)
# Up to a day: beyond that, n x patience / AHT reaches 1e8 and the double-precision floor of the
# service level (about 1e-16 x |queue scale|) rises towards the slack below.
patiences = st.floats(min_value=1.0, max_value=86_400.0)
extra_agents = st.integers(min_value=-200, max_value=400)


def agents_near(load: float, offset: int) -> int:
    return max(1, math.floor(load) + offset)


@given(load=loads, offset=extra_agents)
def test_erlang_b_is_a_probability_decreasing_in_agents(load: float, offset: int) -> None:
    n = agents_near(load, offset)
    fewer, more = erlang_b(n, load), erlang_b(n + 1, load)

    assert 0.0 <= more <= fewer <= 1.0


@given(load=loads, offset=extra_agents, aht=ahts, threshold=thresholds)
def test_erlang_c_wait_falls_and_service_level_rises_with_agents(
    load: float, offset: int, aht: float, threshold: float
) -> None:
    n = agents_near(load, offset)

    assert 0.0 <= erlang_c(n + 1, load) <= erlang_c(n, load) <= 1.0
    low = erlang_c_service_level(n, load, aht, threshold)
    high = erlang_c_service_level(n + 1, load, aht, threshold)
    assert 0.0 <= low <= high <= 1.0


@settings(deadline=None)
@given(load=loads, offset=extra_agents, aht=ahts, patience=patiences, threshold=thresholds)
def test_erlang_a_figures_are_probabilities_monotone_in_agents(
    load: float, offset: int, aht: float, patience: float, threshold: float
) -> None:
    n = agents_near(load, offset)
    fewer = erlang_a_metrics(n, load, aht, patience, threshold)
    more = erlang_a_metrics(n + 1, load, aht, patience, threshold)

    for metrics in (fewer, more):
        for value in (metrics.p_wait, metrics.p_abandon, metrics.service_level, metrics.occupancy):
            assert 0.0 <= value <= 1.0
        assert metrics.service_level <= 1.0 - metrics.p_abandon + 1e-12
        assert metrics.asa_seconds >= 0.0
        assert metrics.mean_wait_seconds >= 0.0
    slack = 1e-9
    assert more.p_wait <= fewer.p_wait + slack
    assert more.p_abandon <= fewer.p_abandon + slack
    assert more.service_level >= fewer.service_level - slack
    assert more.occupancy <= fewer.occupancy + slack
    assert more.asa_seconds <= fewer.asa_seconds * (1 + slack) + slack


@given(
    load=st.floats(min_value=0.01, max_value=5_000.0),
    aht=ahts,
    target=st.floats(min_value=0.05, max_value=0.99),
    threshold=thresholds,
)
def test_required_agents_is_the_smallest_meeting_the_target(
    load: float, aht: float, target: float, threshold: float
) -> None:
    n = required_agents(load, aht, service_level=target, sl_seconds=threshold)

    assert erlang_c_service_level(n, load, aht, threshold) >= target
    if n > 1:
        assert erlang_c_service_level(n - 1, load, aht, threshold) < target


@settings(deadline=None)
@given(
    load=st.floats(min_value=0.01, max_value=5_000.0),
    aht=ahts,
    patience=patiences,
    target=st.floats(min_value=0.05, max_value=0.99),
    threshold=thresholds,
)
def test_erlang_a_required_agents_is_the_smallest_meeting_the_target(
    load: float, aht: float, patience: float, target: float, threshold: float
) -> None:
    n = required_agents(load, aht, service_level=target, sl_seconds=threshold, patience_seconds=patience)

    assert erlang_a_metrics(n, load, aht, patience, threshold).service_level >= target
    if n > 1:
        assert erlang_a_metrics(n - 1, load, aht, patience, threshold).service_level < target
