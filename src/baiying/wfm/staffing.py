"""How many agents an interval needs: the fewest that meet every given target, then shrinkage.

Without a patience the queue is Erlang C (callers never hang up), which also requires agents > load
for a steady state; with `patience_seconds` it is Erlang A. Each target is monotone in the number of
agents, so the smallest n meeting all of them is found by galloping from a square-root-staffing guess
``A + beta sqrt(A)`` and bisecting. For a service-level target beta comes from the Halfin-Whitt
approximation, which is exact or one agent short in nearly every case, so the search usually costs
two closed-form evaluations.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from baiying.wfm.erlang import (
    QueueMetrics,
    check_non_negative,
    check_positive,
    erlang_c_metrics,
    erlang_c_unchecked,
)
from baiying.wfm.erlang_a import erlang_a_metrics, erlang_a_state_unchecked
from baiying.wfm.errors import InvalidQueueParameters

# Square-root staffing's beta when no service-level target gives a better one; the search corrects it.
_BETA = 1.0
# Beyond this the target is numerically out of reach (a target of 1 - 1e-17, say).
_MAX_AGENTS = 2**40
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
# A ratio like 14 / (1 - 0.3) is 20.000000000000004 in floating point, which must not become 21.
_ROUNDING_SLACK = 1e-9


def scheduled_agents(required: int, shrinkage: float) -> int:
    """Agents to schedule so that `required` are on the phones after `shrinkage`.

    `shrinkage` is the fraction of paid time not available for calls (breaks, training, absence),
    in [0, 1): ``ceil(required / (1 - shrinkage))``.
    """
    if isinstance(required, bool) or not isinstance(required, int) or required < 0:
        raise InvalidQueueParameters(f"required agents must be a whole number (0 or more), got {required!r}")
    if not (math.isfinite(shrinkage) and 0.0 <= shrinkage < 1.0):
        raise InvalidQueueParameters(f"shrinkage must be at least 0 and below 1, got {shrinkage}")
    return math.ceil(required / (1.0 - shrinkage) - _ROUNDING_SLACK)


def queue_metrics(
    agents: int,
    load_erlangs: float,
    aht_seconds: float,
    sl_seconds: float,
    patience_seconds: float | None = None,
) -> QueueMetrics:
    """Erlang C figures, or Erlang A figures when a mean patience (seconds) is given."""
    if patience_seconds is None:
        return erlang_c_metrics(agents, load_erlangs, aht_seconds, sl_seconds)
    return erlang_a_metrics(agents, load_erlangs, aht_seconds, patience_seconds, sl_seconds)


def required_agents(
    load_erlangs: float,
    aht_seconds: float,
    *,
    service_level: float | None = None,
    sl_seconds: float | None = None,
    max_asa_seconds: float | None = None,
    max_abandon_rate: float | None = None,
    max_occupancy: float | None = None,
    patience_seconds: float | None = None,
) -> int:
    """The smallest number of agents meeting every target given (at least one is required).

    * `service_level` in (0, 1) with `sl_seconds` >= 0: at least that fraction answered within
      `sl_seconds` (Erlang A: over all offered calls, see `baiying.wfm.erlang_a`).
    * `max_asa_seconds` > 0: mean wait of answered calls at most this.
    * `max_abandon_rate` in (0, 1): needs `patience_seconds` (Erlang A).
    * `max_occupancy` in (0, 1]: fraction of agent time on calls at most this.

    Erlang C (no patience) also requires agents > load. Raises `InvalidQueueParameters` (a
    `ValueError`) for a value out of range or a missing companion parameter.
    """
    check_positive("offered load", load_erlangs)
    check_positive("average handle time", aht_seconds)
    if patience_seconds is not None:
        check_positive("mean patience", patience_seconds)
    targets = _Targets(service_level, sl_seconds, max_asa_seconds, max_abandon_rate, max_occupancy)
    targets.validate(patience_seconds)
    if patience_seconds is None:
        meets = _erlang_c_meets(targets, load_erlangs, aht_seconds)
        infeasible = math.floor(load_erlangs)
    else:
        meets = _erlang_a_meets(targets, load_erlangs, aht_seconds, patience_seconds)
        infeasible = 0
    beta = _BETA
    if service_level is not None and sl_seconds is not None:
        beta = _halfin_whitt_beta(load_erlangs, sl_seconds / aht_seconds, service_level)
    guess = max(infeasible + 1, math.ceil(load_erlangs + beta * math.sqrt(load_erlangs)))
    if max_occupancy is not None:
        guess = max(guess, math.ceil(load_erlangs / max_occupancy))
    return _smallest_meeting(meets, infeasible, guess)


@dataclass(frozen=True, slots=True)
class _Targets:
    service_level: float | None
    sl_seconds: float | None
    max_asa_seconds: float | None
    max_abandon_rate: float | None
    max_occupancy: float | None

    def validate(self, patience_seconds: float | None) -> None:
        if self.service_level is not None:
            if not (math.isfinite(self.service_level) and 0.0 < self.service_level < 1.0):
                raise InvalidQueueParameters(
                    "target service level must be a fraction between 0 and 1 (exclusive), "
                    f"got {self.service_level}"
                )
            if self.sl_seconds is None:
                raise InvalidQueueParameters("a target service level needs its threshold sl_seconds")
            check_non_negative("service-level threshold (seconds)", self.sl_seconds)
        if self.max_asa_seconds is not None:
            check_positive("maximum average speed of answer", self.max_asa_seconds)
        if self.max_abandon_rate is not None:
            if not (math.isfinite(self.max_abandon_rate) and 0.0 < self.max_abandon_rate < 1.0):
                raise InvalidQueueParameters(
                    "maximum abandonment rate must be between 0 and 1 (exclusive), "
                    f"got {self.max_abandon_rate}"
                )
            if patience_seconds is None:
                raise InvalidQueueParameters("a maximum abandonment rate needs a mean patience (Erlang A)")
        occupancy = self.max_occupancy
        if occupancy is not None and not (math.isfinite(occupancy) and 0.0 < occupancy <= 1.0):
            raise InvalidQueueParameters(f"maximum occupancy must be above 0 and at most 1, got {occupancy}")
        if all(
            t is None
            for t in (self.service_level, self.max_asa_seconds, self.max_abandon_rate, self.max_occupancy)
        ):
            raise InvalidQueueParameters(
                "give at least one target: service level, maximum ASA, maximum abandonment "
                "or maximum occupancy"
            )


def _erlang_c_meets(targets: _Targets, load: float, aht: float) -> Callable[[int], bool]:
    service_level, sl_seconds = targets.service_level, targets.sl_seconds
    max_asa, max_occupancy = targets.max_asa_seconds, targets.max_occupancy

    def meets(n: int) -> bool:
        if n <= load:
            return False
        if max_occupancy is not None and load / n > max_occupancy:
            return False
        if service_level is None and max_asa is None:
            return True
        p_wait = erlang_c_unchecked(n, load)
        if max_asa is not None and p_wait * aht / (n - load) > max_asa:
            return False
        if service_level is not None and sl_seconds is not None:
            return 1.0 - p_wait * math.exp(-(n - load) * sl_seconds / aht) >= service_level
        return True

    return meets


def _erlang_a_meets(targets: _Targets, load: float, aht: float, patience: float) -> Callable[[int], bool]:
    service_level, sl_seconds = targets.service_level, targets.sl_seconds

    def meets(n: int) -> bool:
        state = erlang_a_state_unchecked(n, load, aht, patience)
        if targets.max_abandon_rate is not None and state.p_abandon() > targets.max_abandon_rate:
            return False
        if targets.max_occupancy is not None and state.occupancy() > targets.max_occupancy:
            return False
        below_service_level = (
            service_level is not None
            and sl_seconds is not None
            and state.service_level(sl_seconds) < service_level
        )
        if below_service_level:
            return False
        # The answered callers' mean wait sums a series, so it is checked last.
        return targets.max_asa_seconds is None or state.asa_seconds() <= targets.max_asa_seconds

    return meets


def _halfin_whitt_beta(load: float, sl_over_aht: float, service_level: float) -> float:
    """beta with ``alpha(beta) exp(-beta sqrt(A) T/AHT) = 1 - SL``, alpha the Halfin-Whitt P(wait).

    ``alpha(beta) = 1 / (1 + beta Phi(beta) / phi(beta))``. Newton's method on the logarithm, which is
    smooth and decreasing in beta, settles in a few steps; only a starting point is needed.
    """
    goal = math.log1p(-service_level)
    root_load = math.sqrt(load)
    slope = root_load * sl_over_aht
    # A tenth of an agent is all the precision the guess needs.
    tolerance = 0.1 / max(1.0, root_load)
    beta = 1.0
    for _ in range(8):
        # Phi(beta) / phi(beta), the ratio in alpha.
        mills = 0.5 * (1.0 + math.erf(beta / _SQRT2)) * _SQRT_2PI * math.exp(beta * beta / 2.0)
        value = -math.log1p(beta * mills) - beta * slope - goal
        derivative = -(mills + beta * (1.0 + beta * mills)) / (1.0 + beta * mills) - slope
        step = value / derivative
        beta = min(8.0, max(1e-3, beta - step))
        if abs(step) < tolerance:
            break
    return beta


def _smallest_meeting(meets: Callable[[int], bool], infeasible: int, guess: int) -> int:
    """Smallest n > `infeasible` with ``meets(n)``, for a `meets` that is False then True as n grows.

    Gallops away from `guess` with doubling steps to bracket the answer, then bisects the bracket.
    """
    low, high = infeasible, guess
    if meets(guess):
        step = 1
        while high - step > low:
            if not meets(high - step):
                low = high - step
                break
            high -= step
            step *= 2
    else:
        low, step = guess, 1
        while True:
            if low + step > _MAX_AGENTS:
                raise InvalidQueueParameters("the targets cannot be met by any number of agents")
            if meets(low + step):
                high = low + step
                break
            low += step
            step *= 2
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high
