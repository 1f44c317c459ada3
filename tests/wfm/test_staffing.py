"""Required and scheduled agents: minimal, meeting every target, with clear errors."""

import math

import pytest

from baiying.wfm import (
    InvalidQueueParameters,
    erlang_a_metrics,
    erlang_c_metrics,
    queue_metrics,
    required_agents,
    scheduled_agents,
)


def test_r_example_needs_14_agents() -> None:
    assert required_agents(10.0, 180.0, service_level=0.8, sl_seconds=20.0) == 14


@pytest.mark.parametrize("load", [0.05, 1.0, 7.3, 10.0, 42.0, 99.99, 500.0, 5_000.0, 100_000.0])
@pytest.mark.parametrize(("target", "sl_seconds"), [(0.8, 20.0), (0.95, 10.0), (0.5, 60.0), (0.99, 0.0)])
def test_erlang_c_service_level_requirement_is_minimal(load: float, target: float, sl_seconds: float) -> None:
    agents = required_agents(load, 300.0, service_level=target, sl_seconds=sl_seconds)

    assert erlang_c_metrics(agents, load, 300.0, sl_seconds).service_level >= target
    if agents - 1 > load:
        assert erlang_c_metrics(agents - 1, load, 300.0, sl_seconds).service_level < target


@pytest.mark.parametrize("load", [0.5, 8.0, 48.0, 700.0, 5_000.0])
@pytest.mark.parametrize("patience", [30.0, 120.0, 1_000.0])
def test_erlang_a_service_level_requirement_is_minimal(load: float, patience: float) -> None:
    agents = required_agents(load, 240.0, service_level=0.8, sl_seconds=20.0, patience_seconds=patience)

    assert erlang_a_metrics(agents, load, 240.0, patience, 20.0).service_level >= 0.8
    if agents > 1:
        assert erlang_a_metrics(agents - 1, load, 240.0, patience, 20.0).service_level < 0.8


def test_abandonment_lowers_the_requirement_below_erlang_c() -> None:
    erlang_c = required_agents(500.0, 300.0, service_level=0.8, sl_seconds=20.0)
    erlang_a = required_agents(500.0, 300.0, service_level=0.8, sl_seconds=20.0, patience_seconds=60.0)

    assert erlang_a < erlang_c


@pytest.mark.parametrize("max_asa", [1.0, 15.0, 120.0])
def test_asa_requirement_is_minimal(max_asa: float) -> None:
    agents = required_agents(48.0, 180.0, max_asa_seconds=max_asa)

    assert erlang_c_metrics(agents, 48.0, 180.0, 0.0).asa_seconds <= max_asa
    if agents - 1 > 48.0:
        assert erlang_c_metrics(agents - 1, 48.0, 180.0, 0.0).asa_seconds > max_asa


def test_erlang_a_asa_requirement_is_minimal() -> None:
    agents = required_agents(300.0, 200.0, max_asa_seconds=5.0, patience_seconds=90.0)

    assert erlang_a_metrics(agents, 300.0, 200.0, 90.0, 0.0).asa_seconds <= 5.0
    assert erlang_a_metrics(agents - 1, 300.0, 200.0, 90.0, 0.0).asa_seconds > 5.0


@pytest.mark.parametrize("max_abandon", [0.01, 0.05, 0.2])
def test_abandonment_requirement_is_minimal(max_abandon: float) -> None:
    agents = required_agents(48.0, 60.0, max_abandon_rate=max_abandon, patience_seconds=120.0)

    assert erlang_a_metrics(agents, 48.0, 60.0, 120.0, 20.0).p_abandon <= max_abandon
    assert erlang_a_metrics(agents - 1, 48.0, 60.0, 120.0, 20.0).p_abandon > max_abandon


def test_occupancy_cap_alone() -> None:
    assert required_agents(85.0, 300.0, max_occupancy=0.85) == 100
    assert required_agents(85.0, 300.0, max_occupancy=1.0) == 86  # Erlang C needs agents > load


def test_all_targets_together_take_the_largest_requirement() -> None:
    separately = [
        required_agents(200.0, 300.0, service_level=0.8, sl_seconds=20.0),
        required_agents(200.0, 300.0, max_asa_seconds=2.0),
        required_agents(200.0, 300.0, max_occupancy=0.85),
    ]
    together = required_agents(
        200.0, 300.0, service_level=0.8, sl_seconds=20.0, max_asa_seconds=2.0, max_occupancy=0.85
    )

    assert together == max(separately)


@pytest.mark.parametrize(
    ("required", "shrinkage", "scheduled"),
    [(14, 0.0, 14), (14, 0.3, 20), (14, 0.35, 22), (0, 0.5, 0), (7, 0.9, 70)],
)
def test_scheduled_agents_cover_shrinkage(required: int, shrinkage: float, scheduled: int) -> None:
    assert scheduled_agents(required, shrinkage) == scheduled


def test_queue_metrics_picks_the_model_from_patience() -> None:
    assert queue_metrics(14, 10.0, 180.0, 20.0) == erlang_c_metrics(14, 10.0, 180.0, 20.0)
    assert queue_metrics(14, 10.0, 180.0, 20.0, 300.0) == erlang_a_metrics(14, 10.0, 180.0, 300.0, 20.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give at least one target"),
        (
            {"service_level": 1.0, "sl_seconds": 20.0},
            "target service level must be a fraction between 0 and 1",
        ),
        (
            {"service_level": 0.0, "sl_seconds": 20.0},
            "target service level must be a fraction between 0 and 1",
        ),
        ({"service_level": 0.8}, "needs its threshold sl_seconds"),
        ({"service_level": 0.8, "sl_seconds": -1.0}, "service-level threshold"),
        ({"max_asa_seconds": 0.0}, "maximum average speed of answer must be a positive number"),
        ({"max_abandon_rate": 0.05}, "needs a mean patience"),
        (
            {"max_abandon_rate": 1.5, "patience_seconds": 60.0},
            "maximum abandonment rate must be between 0 and 1",
        ),
        ({"max_occupancy": 1.2}, "maximum occupancy must be above 0 and at most 1"),
        ({"max_occupancy": 0.8, "patience_seconds": -3.0}, "mean patience must be a positive number"),
    ],
)
def test_bad_targets_raise_clear_value_errors(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        required_agents(10.0, 180.0, **kwargs)


@pytest.mark.parametrize(("load", "aht"), [(-1.0, 180.0), (0.0, 180.0), (10.0, -180.0), (math.inf, 180.0)])
def test_bad_loads_are_refused(load: float, aht: float) -> None:
    with pytest.raises(InvalidQueueParameters, match="must be a positive number"):
        required_agents(load, aht, service_level=0.8, sl_seconds=20.0)


@pytest.mark.parametrize(("required", "shrinkage"), [(-1, 0.3), (10, 1.0), (10, -0.1), (10, math.nan)])
def test_bad_shrinkage_inputs_are_refused(required: int, shrinkage: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        scheduled_agents(required, shrinkage)
