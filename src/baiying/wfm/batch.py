"""Erlang C staffing for many intervals at once (a day or a week of a plan), vectorised with numpy.

Gives the same agent counts as calling `required_agents` per interval with a service-level target,
with each closed-form evaluation done for all intervals in one array operation.
"""

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaincc, gammaln, ndtr

from baiying.wfm._special import HALF_LOG_2PI, STIRLING_FROM
from baiying.wfm.errors import InvalidQueueParameters

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
# meets(agents, where): do these agent counts meet the target for the intervals at those indices?
MeetsFunction = Callable[[FloatArray, NDArray[np.intp]], NDArray[np.bool_]]

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_MAX_AGENTS = 2.0**40


def required_agents_many(
    loads_erlangs: ArrayLike,
    aht_seconds: ArrayLike,
    *,
    service_level: float,
    sl_seconds: float,
) -> IntArray:
    """Fewest agents per interval with an Erlang C service level of at least `service_level`.

    `loads_erlangs` and `aht_seconds` are arrays (or scalars) broadcast against each other; every
    value must be finite and positive. `service_level` is a fraction in (0, 1) answered within
    `sl_seconds` >= 0. Returns an int64 array of the broadcast shape; raises `InvalidQueueParameters`
    (a `ValueError`) for out-of-range input.
    """
    load, aht = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(loads_erlangs, aht_seconds))
    if not np.all(np.isfinite(load) & (load > 0.0)):
        raise InvalidQueueParameters("every offered load must be a positive number")
    if not np.all(np.isfinite(aht) & (aht > 0.0)):
        raise InvalidQueueParameters("every average handle time must be a positive number")
    if not (math.isfinite(service_level) and 0.0 < service_level < 1.0):
        raise InvalidQueueParameters(
            f"target service level must be a fraction between 0 and 1 (exclusive), got {service_level}"
        )
    if not (math.isfinite(sl_seconds) and sl_seconds >= 0.0):
        raise InvalidQueueParameters(
            f"service-level threshold must be zero or a positive number, got {sl_seconds}"
        )
    shape = load.shape
    load, aht = load.ravel(), aht.ravel()

    def meets(agents: FloatArray, where: NDArray[np.intp]) -> NDArray[np.bool_]:
        return _service_level(agents, load[where], aht[where], sl_seconds) >= service_level

    # Erlang C has no steady state at agents <= load, so floor(load) always falls short.
    low = np.floor(load)
    beta = _halfin_whitt_beta(load, sl_seconds / aht, service_level)
    high = np.maximum(low + 1.0, np.ceil(load + beta * np.sqrt(load)))
    _raise_until_met(meets, low, high)
    # The guess is usually exact: one step below it settles most intervals at once.
    below = high - 1.0
    probe = np.flatnonzero(below > low)
    met = meets(below[probe], probe)
    high[probe[met]] = below[probe[met]]
    low[probe[~met]] = below[probe[~met]]
    while True:
        open_ = np.flatnonzero(high - low > 1.0)
        if open_.size == 0:
            break
        middle = np.floor((low[open_] + high[open_]) / 2.0)
        met = meets(middle, open_)
        high[open_[met]] = middle[met]
        low[open_[~met]] = middle[~met]
    return high.astype(np.int64).reshape(shape)


def _raise_until_met(meets: MeetsFunction, low: FloatArray, high: FloatArray) -> None:
    """Move `high` up in doubling steps until it meets the target, carrying `low` along (in place)."""
    step = np.ones_like(high)
    pending = np.arange(high.size)
    while pending.size:
        met = meets(high[pending], pending)
        pending = pending[~met]
        if pending.size and high[pending].max() > _MAX_AGENTS:
            raise InvalidQueueParameters("the target cannot be met by any number of agents")
        low[pending] = high[pending]
        high[pending] += step[pending]
        step[pending] *= 2.0


def _service_level(agents: FloatArray, load: FloatArray, aht: FloatArray, sl_seconds: float) -> FloatArray:
    """Erlang C service level for agents > load, the formula of `erlang_c_service_level` on arrays."""
    log_r = np.log(gammaincc(agents, load)) + _log_gamma_over_power(agents, load)
    v = np.log1p(-load / agents) + log_r
    # log(1 + e^v) exactly as `_special.log1pexp` computes it, each branch clamped to its own range.
    log_inverse_c = np.where(
        v > 35.0, v + np.exp(-np.maximum(v, 35.0)), np.log1p(np.exp(np.minimum(v, 35.0)))
    )
    p_wait = np.exp(-log_inverse_c)
    result: FloatArray = 1.0 - p_wait * np.exp(-(agents - load) * sl_seconds / aht)
    return result


def _log_gamma_over_power(x: FloatArray, z: FloatArray) -> FloatArray:
    """``lgamma(x + 1) + z - x log z`` as in `_special`, with Stirling's series for x >= 30."""
    small = gammaln(x + 1.0) + z - x * np.log(z)
    t = (z - x) / x
    inverse = 1.0 / x
    inverse2 = inverse * inverse
    stirling = inverse * (1 / 12 - inverse2 * (1 / 360 - inverse2 * (1 / 1260 - inverse2 / 1680)))
    large = x * (t - np.log1p(t)) + HALF_LOG_2PI + 0.5 * np.log(x) + stirling
    result: FloatArray = np.where(x < STIRLING_FROM, small, large)
    return result


def _halfin_whitt_beta(load: FloatArray, sl_over_aht: FloatArray, service_level: float) -> FloatArray:
    """`staffing._halfin_whitt_beta` on arrays: a fixed number of Newton steps for every interval."""
    goal = math.log1p(-service_level)
    slope = np.sqrt(load) * sl_over_aht
    beta = np.ones_like(load)
    for _ in range(8):
        mills = ndtr(beta) * _SQRT_2PI * np.exp(beta * beta / 2.0)
        value = -np.log1p(beta * mills) - beta * slope - goal
        derivative = -(mills + beta * (1.0 + beta * mills)) / (1.0 + beta * mills) - slope
        beta = np.clip(beta - value / derivative, 1e-3, 8.0)
    return beta
