"""Erlang A (M/M/n+M): Poisson arrivals, exponential handling, exponential caller patience, FCFS.

Closed forms follow Garnett, Mandelbaum & Reiman, "Designing a call center with impatient customers"
(M&SOM 2002) and Mandelbaum & Zeltyn, "The Palm/Erlang-A queue, with applications to call centers"
(2007). With ``x = n mu / theta`` and ``y = lambda / theta`` (mu = 1/AHT, theta = 1/mean patience) and
``A(x, y) = x e^y y^-x gamma(x, y)``:

* ``P(wait) = A B / (1 + (A - 1) B)`` with B = Erlang B(n, lambda/mu), computed as
  ``1 / (1 + (1/B - 1) / A)`` in log space;
* ``P(abandon) = P(wait) * (1 - 1/rho + 1/(rho A))`` with rho = lambda / (n mu);
* the mean wait of all callers, abandoned ones included, is ``P(abandon) / theta`` (Little's law on the
  queue: callers leave it by abandoning at rate theta each).

Given that a caller waits, ``U = exp(-theta V)`` (V = the wait a caller with infinite patience would
have) has density ``x u^(x-1) e^(y(1-u)) / A(x, y)`` on (0, 1); a caller is answered with probability
``U`` (patience outlasts V). The service level and the answered callers' mean wait follow from it.

Service level definition used here: **the fraction of all offered calls that are answered within T
seconds**, ``P(answered and W <= T)``. Every abandoned call counts as not answered within T, including
callers who hang up before T. This is the conservative convention: it is never above the other common
definitions, which drop early abandons from the denominator or count them as within T.

Units: load in Erlangs, times in seconds, probabilities as fractions.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import digamma

from baiying.wfm._special import log1pexp, log_erlang_b_ratio, log_palm_a
from baiying.wfm.erlang import QueueMetrics, check_agents, check_non_negative, check_positive

# Weights below e^-40 of the largest cannot change a double-precision sum.
_LOG_NEGLIGIBLE = 40.0


@dataclass(frozen=True, slots=True)
class ErlangAState:
    """The quantities shared by every Erlang A figure for one (agents, load, AHT, patience).

    Build it with `erlang_a_state`; each method is then a handful of floating-point operations
    (the answered callers' mean wait sums a short series).
    """

    agents: int
    load_erlangs: float
    aht_seconds: float
    patience_seconds: float
    x: float
    y: float
    log_a: float
    p_wait: float

    def p_abandon(self) -> float:
        """Probability that an offered call abandons before being answered."""
        rho = self.y / self.x
        given_wait = 1.0 - (1.0 - math.exp(-self.log_a)) / rho
        return min(1.0, max(0.0, self.p_wait * given_wait))

    def mean_wait_seconds(self) -> float:
        """Mean wait in seconds over all offered calls; an abandoned call's wait ends at hang-up."""
        return self.p_abandon() * self.patience_seconds

    def occupancy(self) -> float:
        """Fraction of agent time spent handling calls: carried load (answered calls only) / agents."""
        return min(1.0, self.load_erlangs * (1.0 - self.p_abandon()) / self.agents)

    def service_level(self, sl_seconds: float) -> float:
        """Fraction of offered calls answered within `sl_seconds` (abandoned calls never count)."""
        x, y = self.x, self.y
        theta_t = sl_seconds / self.patience_seconds
        answered_given_wait = (x / y) * (1.0 - math.exp(-self.log_a))
        # E[U; U < c] for c = e^(-theta T): callers who would be answered, but only after T.
        c_y = y * math.exp(-theta_t)
        log_late = log_palm_a(x + 1.0, c_y) - self.log_a - (x + 1.0) * theta_t - y * math.expm1(-theta_t)
        late = (x / (x + 1.0)) * math.exp(log_late) if log_late < 700.0 else math.inf
        within_given_wait = min(1.0, max(0.0, answered_given_wait - late))
        return min(1.0, (1.0 - self.p_wait) + self.p_wait * within_given_wait)

    def asa_seconds(self) -> float:
        """Average speed of answer: mean wait in seconds of the calls that are answered.

        Given j callers ahead, ``U ~ Beta(x, j + 1)`` and ``E[U log(1/U)]`` is
        ``x/(x+j+1) * (psi(x+j+2) - psi(x+1))``; the number ahead has weights proportional to
        ``y^j / prod_{k<=j} (x+k)``. The sum runs over the window of j that holds its mass.
        """
        x, y = self.x, self.y
        mode = max(0, math.floor(y - x))
        scale = x + mode + 1.0
        half = math.ceil(math.sqrt(2.0 * _LOG_NEGLIGIBLE * scale)) + 2
        low = max(0, mode - half)
        high = mode + half
        if mode == 0 and y < x + 1.0:
            high = min(high, math.ceil(_LOG_NEGLIGIBLE / math.log((x + 1.0) / y)) + 2)
        k = np.arange(low + 1, high + 1, dtype=np.float64)
        log_weights = np.concatenate(([0.0], np.cumsum(math.log(y) - np.log(x + k))))
        weights = np.exp(log_weights - log_weights.max())
        # H_j = sum_{k=1}^{j+1} 1/(x+k) = psi(x+j+2) - psi(x+1), summed term by term for accuracy.
        first = 1.0 / (x + 1.0) if low == 0 else float(digamma(x + low + 2.0) - digamma(x + 1.0))
        harmonic = first + np.concatenate(([0.0], np.cumsum(1.0 / (x + k + 1.0))))
        j = np.arange(low, high + 1, dtype=np.float64)
        answered_wait = float((weights * (x / (x + j + 1.0)) * harmonic).sum() / weights.sum())
        answered = 1.0 - self.p_abandon()
        if answered <= 0.0:
            return math.inf
        return self.p_wait * answered_wait * self.patience_seconds / answered


def erlang_a_state(
    agents: int, load_erlangs: float, aht_seconds: float, patience_seconds: float
) -> ErlangAState:
    """Validate the inputs and compute P(wait) and ``log A(x, y)`` for M/M/n+M.

    `patience_seconds` is the mean of the exponential time a caller is willing to wait.
    Raises `InvalidQueueParameters` for agents < 1 or a non-positive load, AHT or patience.
    """
    check_agents(agents)
    check_positive("offered load", load_erlangs)
    check_positive("average handle time", aht_seconds)
    check_positive("mean patience", patience_seconds)
    return erlang_a_state_unchecked(agents, load_erlangs, aht_seconds, patience_seconds)


def erlang_a_state_unchecked(
    agents: int, load_erlangs: float, aht_seconds: float, patience_seconds: float
) -> ErlangAState:
    """`erlang_a_state` without argument checks, for search loops that validated their inputs once."""
    x = agents * patience_seconds / aht_seconds
    y = load_erlangs * patience_seconds / aht_seconds
    log_a = log_palm_a(x, y)
    log_r = log_erlang_b_ratio(agents, load_erlangs)
    p_wait = math.exp(-log1pexp(log_r - log_a))
    return ErlangAState(agents, load_erlangs, aht_seconds, patience_seconds, x, y, log_a, p_wait)


def erlang_a_metrics(
    agents: int, load_erlangs: float, aht_seconds: float, patience_seconds: float, sl_seconds: float
) -> QueueMetrics:
    """All Erlang A figures for one interval; see the module docstring for the service-level definition.

    Unlike Erlang C this has a steady state for any number of agents, overloaded ones included.
    """
    check_non_negative("service-level threshold (seconds)", sl_seconds)
    state = erlang_a_state(agents, load_erlangs, aht_seconds, patience_seconds)
    return QueueMetrics(
        agents=agents,
        load_erlangs=load_erlangs,
        sl_seconds=sl_seconds,
        p_wait=state.p_wait,
        service_level=state.service_level(sl_seconds),
        asa_seconds=state.asa_seconds(),
        mean_wait_seconds=state.mean_wait_seconds(),
        occupancy=state.occupancy(),
        p_abandon=state.p_abandon(),
    )
