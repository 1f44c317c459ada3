"""Erlang B (blocking) and Erlang C (M/M/n, callers wait forever) in closed form.

Units: offered load in Erlangs (arrival rate x mean handle time), times in seconds, probabilities as
fractions in [0, 1]. Every formula is evaluated through ``log(1/B - 1)`` (see `_special`), so results
stay finite and accurate from 1 to well over 100,000 agents; nothing computes a factorial.
"""

import math
from dataclasses import dataclass

from baiying.wfm._special import log1pexp, log_erlang_b_ratio
from baiying.wfm.errors import InvalidQueueParameters, UnstableQueue

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Steady-state figures for one interval of a single-skill queue with `agents` agents.

    `service_level` is the fraction of offered calls answered within `sl_seconds` (for Erlang A see
    `erlang_a_metrics` for how abandoned calls count). `asa_seconds` is the mean wait of answered
    calls; `mean_wait_seconds` is the mean wait of all callers, abandoned ones included (their wait
    ends when they hang up). Without abandonment (Erlang C) both are equal and `p_abandon` is 0.
    `occupancy` is the fraction of agent time spent handling calls.
    """

    agents: int
    load_erlangs: float
    sl_seconds: float
    p_wait: float
    service_level: float
    asa_seconds: float
    mean_wait_seconds: float
    occupancy: float
    p_abandon: float = 0.0


def check_positive(name: str, value: float) -> None:
    """Raise `InvalidQueueParameters` unless `value` is a finite number above zero."""
    if not (math.isfinite(value) and value > 0.0):
        raise InvalidQueueParameters(f"{name} must be a positive number, got {value}")


def check_non_negative(name: str, value: float) -> None:
    """Raise `InvalidQueueParameters` unless `value` is a finite number at or above zero."""
    if not (math.isfinite(value) and value >= 0.0):
        raise InvalidQueueParameters(f"{name} must be zero or a positive number, got {value}")


def check_agents(agents: int) -> None:
    """Raise `InvalidQueueParameters` unless `agents` is an integer of at least 1."""
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 1:
        raise InvalidQueueParameters(f"agents must be a whole number of at least 1, got {agents!r}")


def offered_load_erlangs(arrival_rate_per_hour: float, aht_seconds: float) -> float:
    """Offered load in Erlangs: calls per hour times average handle time (seconds) over 3600."""
    check_positive("arrival rate", arrival_rate_per_hour)
    check_positive("average handle time", aht_seconds)
    return arrival_rate_per_hour * aht_seconds / SECONDS_PER_HOUR


def _check_load(agents: int, load_erlangs: float) -> None:
    check_agents(agents)
    check_positive("offered load", load_erlangs)


def erlang_b(agents: int, load_erlangs: float) -> float:
    """Blocking probability of M/M/n/n (Erlang loss): the share of calls that find all agents busy."""
    _check_load(agents, load_erlangs)
    return math.exp(-log1pexp(log_erlang_b_ratio(agents, load_erlangs)))


def erlang_c_unchecked(agents: int, load_erlangs: float) -> float:
    """`erlang_c` without argument checks, for search loops that validated their inputs once."""
    if agents <= load_erlangs:
        return 1.0
    # 1/C = 1 + (1 - rho) (1/B - 1), a form with no cancellation.
    log_r = log_erlang_b_ratio(agents, load_erlangs)
    return math.exp(-log1pexp(math.log1p(-load_erlangs / agents) + log_r))


def erlang_c(agents: int, load_erlangs: float) -> float:
    """Probability that a call waits in M/M/n (Erlang C); 1.0 when agents <= load (no steady state)."""
    _check_load(agents, load_erlangs)
    return erlang_c_unchecked(agents, load_erlangs)


def erlang_c_service_level_unchecked(
    agents: int, load_erlangs: float, aht_seconds: float, sl_seconds: float
) -> float:
    """`erlang_c_service_level` without argument checks."""
    if agents <= load_erlangs:
        return 0.0
    p_wait = erlang_c_unchecked(agents, load_erlangs)
    return 1.0 - p_wait * math.exp(-(agents - load_erlangs) * sl_seconds / aht_seconds)


def erlang_c_service_level(agents: int, load_erlangs: float, aht_seconds: float, sl_seconds: float) -> float:
    """Fraction of calls answered within `sl_seconds`: ``1 - C * exp(-(n - A) T / AHT)``.

    0.0 when agents <= load, the limit of an ever-growing queue.
    """
    _check_load(agents, load_erlangs)
    check_positive("average handle time", aht_seconds)
    check_non_negative("service-level threshold (seconds)", sl_seconds)
    return erlang_c_service_level_unchecked(agents, load_erlangs, aht_seconds, sl_seconds)


def erlang_c_asa_seconds(agents: int, load_erlangs: float, aht_seconds: float) -> float:
    """Average speed of answer in seconds, ``C * AHT / (n - A)``; infinite when agents <= load."""
    _check_load(agents, load_erlangs)
    check_positive("average handle time", aht_seconds)
    if agents <= load_erlangs:
        return math.inf
    return erlang_c_unchecked(agents, load_erlangs) * aht_seconds / (agents - load_erlangs)


def erlang_c_metrics(agents: int, load_erlangs: float, aht_seconds: float, sl_seconds: float) -> QueueMetrics:
    """All Erlang C figures for one interval.

    Raises `UnstableQueue` when agents <= load: callers who never hang up then wait without bound
    and no figure is meaningful; model abandonment with `erlang_a_metrics` instead.
    """
    _check_load(agents, load_erlangs)
    check_positive("average handle time", aht_seconds)
    check_non_negative("service-level threshold (seconds)", sl_seconds)
    if agents <= load_erlangs:
        raise UnstableQueue(
            f"{agents} agents cannot carry {load_erlangs:.4g} Erlangs without abandonment: the queue "
            "grows without bound; add agents or give a caller patience (Erlang A)",
            {"agents": agents, "load_erlangs": load_erlangs},
        )
    p_wait = erlang_c_unchecked(agents, load_erlangs)
    asa = p_wait * aht_seconds / (agents - load_erlangs)
    return QueueMetrics(
        agents=agents,
        load_erlangs=load_erlangs,
        sl_seconds=sl_seconds,
        p_wait=p_wait,
        service_level=1.0 - p_wait * math.exp(-(agents - load_erlangs) * sl_seconds / aht_seconds),
        asa_seconds=asa,
        mean_wait_seconds=asa,
        occupancy=load_erlangs / agents,
    )
