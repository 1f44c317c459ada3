import math
import random
import statistics

import pytest
from pydantic import BaseModel, ValidationError

from baiying.errors import ConfigError
from baiying.simulation.distributions import (
    ConstantDistribution,
    Distribution,
    EmpiricalDistribution,
    ExponentialDistribution,
    LognormalDistribution,
    parse_distribution,
)
from baiying.yamlconfig import load_model

DRAWS = 40_000


def draw(distribution: Distribution, seed: int = 7, count: int = DRAWS) -> list[float]:
    sample = distribution.sampler(random.Random(seed))
    return [sample() for _ in range(count)]


@pytest.mark.parametrize(
    ("data", "mean", "sd"),
    [
        ({"kind": "exponential", "mean": 180}, 180.0, 180.0),
        ({"kind": "lognormal", "mean": 200, "sd": 150}, 200.0, 150.0),
        ({"kind": "empirical", "values": [30, 90, 240]}, 120.0, statistics.pstdev([30, 90, 240])),
        ({"kind": "constant", "value": 30}, 30.0, 0.0),
    ],
)
def test_sample_mean_and_sd_match_the_parameters(data: dict[str, object], mean: float, sd: float) -> None:
    distribution = parse_distribution(data)

    values = draw(distribution)

    assert distribution.mean == pytest.approx(mean)
    # Four standard errors: fails for a wrong parametrisation, not by chance.
    assert statistics.fmean(values) == pytest.approx(mean, abs=4 * sd / math.sqrt(DRAWS) + 1e-9)
    assert statistics.pstdev(values) == pytest.approx(sd, rel=0.08, abs=1e-9)


def test_lognormal_is_parametrised_by_the_real_mean_and_sd() -> None:
    distribution = LognormalDistribution(mean=200, sd=150)

    assert distribution.sigma == pytest.approx(math.sqrt(math.log(1 + (150 / 200) ** 2)))
    assert math.exp(distribution.mu + distribution.sigma**2 / 2) == pytest.approx(200)


def test_same_seed_same_samples_and_other_seeds_differ() -> None:
    for distribution in (
        ExponentialDistribution(mean=180),
        LognormalDistribution(mean=200, sd=150),
        EmpiricalDistribution(values=(1.0, 2.0, 3.0, 5.0, 8.0)),
    ):
        assert draw(distribution, seed=42, count=50) == draw(distribution, seed=42, count=50)
        assert draw(distribution, seed=42, count=50) != draw(distribution, seed=43, count=50)


def test_empirical_only_resamples_the_given_values() -> None:
    values = draw(EmpiricalDistribution(values=(30.0, 90.0, 240.0)), count=3000)

    assert set(values) == {30.0, 90.0, 240.0}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "exponential", "mean": 0}, "mean must be greater than 0 seconds, got 0.0"),
        ({"kind": "exponential", "mean": -5}, "mean must be greater than 0 seconds, got -5.0"),
        ({"kind": "exponential", "mean": float("inf")}, "mean must be a finite number of seconds"),
        (
            {"kind": "lognormal", "mean": 200, "sd": 0},
            r"sd must be greater than 0 seconds, got 0.0 \(for a fixed",
        ),
        ({"kind": "lognormal", "mean": -1, "sd": 5}, "mean must be greater than 0 seconds"),
        ({"kind": "lognormal", "mean": 200}, "Field required"),
        ({"kind": "empirical", "values": []}, "values must hold at least one time in seconds"),
        (
            {"kind": "empirical", "values": [3, -1]},
            r"values\[1\] must be a finite number of seconds >= 0, got -1.0",
        ),
        ({"kind": "constant", "value": -2}, "value must be 0 seconds or more, got -2.0"),
        ({"kind": "exponential", "mean": 180, "sd": 5}, "Extra inputs are not permitted"),
        ({"kind": "weibull", "shape": 2}, "does not match any of the expected tags"),
    ],
)
def test_invalid_parameters_are_refused_with_a_clear_message(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_distribution(data)


class HandlingConfig(BaseModel):
    handle: Distribution
    wrap_up: Distribution


def test_distributions_load_from_yaml_and_errors_name_the_field() -> None:
    config = load_model(
        "handle: {kind: lognormal, mean: 200, sd: 150}\nwrap_up: {kind: constant, value: 30}\n",
        HandlingConfig,
        "scenario.yaml",
    )

    assert config.handle == LognormalDistribution(mean=200, sd=150)
    assert config.wrap_up.mean == 30.0
    with pytest.raises(ConfigError, match="mean must be greater than 0 seconds") as caught:
        load_model(
            "handle: {kind: exponential, mean: 0}\nwrap_up: {kind: constant, value: 0}\n",
            HandlingConfig,
            "s.yaml",
        )
    assert caught.value.problems[0].field.startswith("handle")
    assert ConstantDistribution(value=0).mean == 0.0
