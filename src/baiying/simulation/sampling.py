"""Samplers: one random time per call, drawn from a `random.Random` stream.

Compiled with mypyc (setup.py): the simulator calls `draw()` directly, with no Python frame per draw. Each
sampler gives exactly the values of the `random.Random` method it stands for (the exponential one computes
`expovariate`'s own formula), so a seeded stream gives the same times whether compiled or not.
"""

import math
import random
from collections.abc import Callable, Sequence


class Sampler:
    """A time in seconds per call of `draw()` (or of the sampler itself)."""

    def draw(self) -> float:
        raise NotImplementedError

    def __call__(self) -> float:
        return self.draw()


class ExponentialSampler(Sampler):
    """`rng.expovariate(1 / mean)`, draw for draw."""

    def __init__(self, rng: random.Random, mean: float) -> None:
        self._random: Callable[[], float] = rng.random
        self._rate = 1.0 / mean

    def draw(self) -> float:
        # random.Random.expovariate: -log(1 - random()) / lambd (1 - random() is never zero).
        return -math.log(1.0 - self._random()) / self._rate


class LognormalSampler(Sampler):
    def __init__(self, rng: random.Random, mu: float, sigma: float) -> None:
        self._lognormvariate: Callable[[float, float], float] = rng.lognormvariate
        self._mu = mu
        self._sigma = sigma

    def draw(self) -> float:
        return self._lognormvariate(self._mu, self._sigma)


class EmpiricalSampler(Sampler):
    """Resamples the observed values uniformly, with replacement."""

    def __init__(self, rng: random.Random, values: Sequence[float]) -> None:
        self._choice: Callable[[Sequence[float]], float] = rng.choice
        self._values = values

    def draw(self) -> float:
        return self._choice(self._values)


class ConstantSampler(Sampler):
    def __init__(self, value: float) -> None:
        self._value = value

    def draw(self) -> float:
        return self._value
