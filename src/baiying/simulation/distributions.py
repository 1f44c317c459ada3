"""Time distributions for scenario files (handle, wrap-up and patience times), in seconds.

Each model validates as YAML/JSON through the `Distribution` union, tagged by `kind`::

    {kind: exponential, mean: 180}
    {kind: lognormal, mean: 200, sd: 150}      # the real mean and sd, not mu/sigma of the log
    {kind: empirical, values: [30, 95, 240]}   # resampled with replacement
    {kind: constant, value: 30}

`sampler(rng)` returns a `Sampler` (`baiying.simulation.sampling`) drawing one value per call from the
given `random.Random`, so a seeded stream gives the same values every run; the simulator calls `draw()`.
"""

import math
import random
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from baiying.simulation import sampling

Sampler = Callable[[], float]


class _DistributionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _finite(value: float, name: str) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value}")


class ExponentialDistribution(_DistributionModel):
    """Memoryless times: the patience of Erlang A, the service time of Erlang C."""

    kind: Literal["exponential"] = "exponential"
    mean: float

    @field_validator("mean")
    @classmethod
    def _positive_mean(cls, value: float) -> float:
        _finite(value, "mean")
        if value <= 0:
            raise ValueError(f"mean must be greater than 0 seconds, got {value}")
        return value

    def sampler(self, rng: random.Random) -> sampling.Sampler:
        return sampling.ExponentialSampler(rng, self.mean)


class LognormalDistribution(_DistributionModel):
    """Right-skewed times such as handle times, given by their real mean and standard deviation."""

    kind: Literal["lognormal"] = "lognormal"
    mean: float
    sd: float

    @field_validator("mean")
    @classmethod
    def _positive_mean(cls, value: float) -> float:
        _finite(value, "mean")
        if value <= 0:
            raise ValueError(f"mean must be greater than 0 seconds, got {value}")
        return value

    @field_validator("sd")
    @classmethod
    def _positive_sd(cls, value: float) -> float:
        _finite(value, "sd")
        if value <= 0:
            raise ValueError(
                f"sd must be greater than 0 seconds, got {value} (for a fixed time use kind: constant)"
            )
        return value

    @property
    def mu(self) -> float:
        """Mean of the underlying normal: ln(mean) - sigma²/2."""
        return math.log(self.mean) - self.sigma**2 / 2.0

    @property
    def sigma(self) -> float:
        """Standard deviation of the underlying normal: sqrt(ln(1 + sd²/mean²))."""
        return math.sqrt(math.log1p((self.sd / self.mean) ** 2))

    def sampler(self, rng: random.Random) -> sampling.Sampler:
        return sampling.LognormalSampler(rng, self.mu, self.sigma)


class EmpiricalDistribution(_DistributionModel):
    """Observed times, resampled uniformly with replacement (a bootstrap of the history)."""

    kind: Literal["empirical"] = "empirical"
    values: tuple[float, ...]

    @field_validator("values")
    @classmethod
    def _usable_values(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        if not values:
            raise ValueError("values must hold at least one time in seconds")
        for index, value in enumerate(values):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"values[{index}] must be a finite number of seconds >= 0, got {value}")
        return values

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values)

    def sampler(self, rng: random.Random) -> sampling.Sampler:
        return sampling.EmpiricalSampler(rng, self.values)


class ConstantDistribution(_DistributionModel):
    kind: Literal["constant"] = "constant"
    value: float

    @field_validator("value")
    @classmethod
    def _non_negative(cls, value: float) -> float:
        _finite(value, "value")
        if value < 0:
            raise ValueError(f"value must be 0 seconds or more, got {value}")
        return value

    @property
    def mean(self) -> float:
        return self.value

    def sampler(self, rng: random.Random) -> sampling.Sampler:
        return sampling.ConstantSampler(self.value)


Distribution = Annotated[
    ExponentialDistribution | LognormalDistribution | EmpiricalDistribution | ConstantDistribution,
    Field(discriminator="kind"),
]
"""Any time distribution; use as a pydantic field type, or parse a plain mapping with `parse_distribution`."""

_ADAPTER: TypeAdapter[Distribution] = TypeAdapter(Distribution)


def parse_distribution(data: object) -> Distribution:
    """Validate a mapping such as ``{"kind": "exponential", "mean": 180}``.

    Raises pydantic.ValidationError naming the field and the reason.
    """
    return _ADAPTER.validate_python(data)
