"""Log-space building blocks shared by the Erlang B, C and A formulas.

Two ratios carry all the large numbers, so every public formula is a short expression in them:

* ``log_erlang_b_ratio(n, a) = log(1/B(n, a) - 1)``, where B is Erlang B. It equals
  ``log(P[Poisson(a) <= n-1] / P[Poisson(a) = n])`` and is computed from the regularized upper
  incomplete gamma function ``Q(n, a)``, with the Poisson mass in log space (no factorials).
* ``log_palm_a(x, z) = log A(x, z)``, with ``A(x, z) = x e^z z^-x gamma(x, z)``, which is also
  ``1 + sum_{j>=1} z^j / prod_{k=1..j} (x+k)``: the function of Garnett, Mandelbaum & Reiman (2002)
  that drives Erlang A. It is computed from the regularized lower incomplete gamma ``P(x, z)``.

Where the incomplete gamma value underflows (far in a tail), the same quantity is summed directly as
a series whose terms then shrink geometrically, so the sum is short.
"""

import math

import numpy as np
from scipy.special import gammainc, gammaincc

# Below this an incomplete-gamma value may be subnormal or zero and loses its relative accuracy.
_TINY = 1e-280
# Series terms smaller than e^-40 of the first cannot change a double-precision sum.
_LOG_NEGLIGIBLE = 40.0
# Above this shape scipy's lower incomplete gamma loses digits in its lower tail (a 3% error at
# x = 1e7, x - z = 5 sqrt(x)), so log A is summed as a series there; below it log A is good to 1e-12.
_LARGE_SHAPE = 2e5
# From here on four terms of Stirling's series give lgamma to double precision.
STIRLING_FROM = 30.0
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def log1pexp(v: float) -> float:
    """``log(1 + e^v)`` without overflow for large v."""
    if v > 35.0:
        return v + math.exp(-v)
    return math.log1p(math.exp(v))


def _series_length(log_ratio_bound: float, scale: float, limit: int) -> int:
    """Terms needed for a series whose k-th term is below both ``exp(k * log_ratio_bound)`` and
    ``exp(-k^2 / (2 scale))``, capped at `limit`."""
    geometric = math.inf if log_ratio_bound >= 0.0 else _LOG_NEGLIGIBLE / -log_ratio_bound
    gaussian = math.sqrt(2.0 * _LOG_NEGLIGIBLE * scale) + 2.0
    return max(1, min(limit, math.ceil(min(geometric, gaussian)) + 2))


def _log_gamma_over_power(x: float, z: float) -> float:
    """``lgamma(x + 1) + z - x log z``, the log of 1 / (Poisson-like mass at x with mean z).

    Written as ``x (t - log1p t) + log sqrt(2 pi x) + stirlerr(x)`` with ``t = z/x - 1``, so the
    absolute error is about eps * |z - x| rather than eps * x log x: a naive sum of terms near 1e8
    would leave 1e-8 errors at a million agents.
    """
    if x < STIRLING_FROM:
        return math.lgamma(x + 1.0) + z - x * math.log(z)
    t = (z - x) / x
    inverse = 1.0 / x
    inverse2 = inverse * inverse
    stirling = inverse * (1 / 12 - inverse2 * (1 / 360 - inverse2 * (1 / 1260 - inverse2 / 1680)))
    return x * (t - math.log1p(t)) + HALF_LOG_2PI + 0.5 * math.log(x) + stirling


def log_erlang_b_ratio(agents: int, load: float) -> float:
    """``log(1/B - 1)`` for Erlang B with `agents` >= 1 servers and `load` > 0 Erlangs."""
    q = float(gammaincc(agents, load))
    if q > _TINY:
        return math.log(q) + _log_gamma_over_power(agents, load)
    # Q underflows only when agents << load; then 1/B - 1 = sum_j prod_{i<j} (n-i)/a shrinks fast.
    count = _series_length(math.log(agents / load), float(agents), agents)
    i = np.arange(count, dtype=np.float64)
    log_terms = np.cumsum(np.log(agents - i) - math.log(load))
    top = float(log_terms.max())
    return top + math.log(float(np.exp(log_terms - top).sum()))


def log_palm_a(x: float, z: float) -> float:
    """``log A(x, z)`` for x > 0, z >= 0 (see the module docstring); A(x, 0) = 1."""
    if z <= 0.0:
        return 0.0
    p = 0.0 if x > _LARGE_SHAPE and z < x else float(gammainc(x, z))
    if p > _TINY:
        return math.log(p) + _log_gamma_over_power(x, z)
    # Here z < x, where the terms of 1 + sum_j prod_k z/(x+k) shrink fast.
    count = _series_length(math.log(z / (x + 1.0)), x + 1.0, 10**8)
    k = np.arange(1, count + 1, dtype=np.float64)
    log_terms = np.cumsum(math.log(z) - np.log(x + k))
    return math.log1p(float(np.exp(log_terms).sum()))
