"""Vectorised Erlang C staffing gives exactly the per-interval answers."""

import math
import random

import numpy as np
import pytest

from baiying.wfm import InvalidQueueParameters, required_agents, required_agents_many


@pytest.mark.parametrize(("target", "sl_seconds"), [(0.8, 20.0), (0.95, 0.0), (0.3, 120.0), (0.99, 10.0)])
def test_agrees_with_the_scalar_search(target: float, sl_seconds: float) -> None:
    rng = random.Random(7)
    loads = np.array([math.exp(rng.uniform(math.log(0.01), math.log(20_000.0))) for _ in range(1_000)])
    ahts = np.array([rng.uniform(20.0, 900.0) for _ in range(1_000)])

    many = required_agents_many(loads, ahts, service_level=target, sl_seconds=sl_seconds)
    one_by_one = [
        required_agents(float(a), float(h), service_level=target, sl_seconds=sl_seconds)
        for a, h in zip(loads, ahts, strict=True)
    ]

    assert many.dtype == np.int64
    assert many.tolist() == one_by_one


def test_broadcasts_a_scalar_handle_time_and_keeps_the_shape() -> None:
    loads = np.array([[10.0, 20.0], [500.0, 5_000.0]])

    many = required_agents_many(loads, 180.0, service_level=0.8, sl_seconds=20.0)

    assert many.shape == (2, 2)
    assert many[0, 0] == 14
    assert int(required_agents_many(10.0, 180.0, service_level=0.8, sl_seconds=20.0)) == 14


@pytest.mark.parametrize(
    ("loads", "target", "sl_seconds", "message"),
    [
        ([10.0, -1.0], 0.8, 20.0, "every offered load must be a positive number"),
        ([10.0, math.nan], 0.8, 20.0, "every offered load must be a positive number"),
        ([10.0], 1.0, 20.0, "target service level must be a fraction between 0 and 1"),
        ([10.0], 0.8, -5.0, "service-level threshold"),
    ],
)
def test_bad_input_is_refused(loads: list[float], target: float, sl_seconds: float, message: str) -> None:
    with pytest.raises(InvalidQueueParameters, match=message):
        required_agents_many(loads, 180.0, service_level=target, sl_seconds=sl_seconds)


def test_bad_handle_time_is_refused() -> None:
    with pytest.raises(ValueError, match="every average handle time must be a positive number"):
        required_agents_many([10.0, 20.0], [180.0, 0.0], service_level=0.8, sl_seconds=20.0)
