"""The simulator's agenda and draws: the pieces that let the compiled engine give the same log as before.

The agenda must pop in exactly the order of a heap of (time, order, sequence) tuples; the samplers and the
arrival process must give exactly the values of the `random.Random` methods they stand for.
"""

import heapq
import math
import random
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from baiying.ids import AgentId
from baiying.simulation.agenda import Agenda
from baiying.simulation.distributions import (
    ConstantDistribution,
    Distribution,
    EmpiricalDistribution,
    ExponentialDistribution,
    LognormalDistribution,
)
from baiying.simulation.streams import PiecewisePoisson

NOBODY = AgentId("")
# Few distinct times and orders, so ties (equal time, equal order) are common.
OPERATION = st.one_of(
    st.tuples(st.sampled_from([0.0, 1.0, 1.5, 2.0, 7.25]), st.integers(0, 6)),
    st.just(None),  # pop
)


@settings(max_examples=300, deadline=None)
@given(st.lists(OPERATION, max_size=120))
def test_agenda_pops_in_the_order_of_a_heap_of_tuples(operations: list[tuple[float, int] | None]) -> None:
    agenda = Agenda()
    reference: list[tuple[float, int, int]] = []
    seq = 0
    for operation in operations:
        if operation is None:
            entry = agenda.pop()
            expected = heapq.heappop(reference) if reference else None
            assert (entry and (entry.at, entry.order, entry.payload)) == expected
        else:
            at, order = operation
            seq += 1
            agenda.push(at, order, 0, seq, NOBODY, 0.0)
            heapq.heappush(reference, (at, order, seq))
        assert len(agenda) == len(reference)
        first = agenda.first()
        assert (first and (first.at, first.order, first.payload)) == (reference[0] if reference else None)
    while reference:
        entry = agenda.pop()
        assert entry is not None
        assert (entry.at, entry.order, entry.payload) == heapq.heappop(reference)
    assert agenda.pop() is None


def test_agenda_carries_the_entry_data_and_answers_before_first() -> None:
    agenda = Agenda()
    agenda.push(10.0, 3, 2, "c-1", AgentId("a-1"), 4.5)
    assert agenda.before_first(9.0, 6)
    assert agenda.before_first(10.0, 2)
    assert not agenda.before_first(10.0, 3)
    assert not agenda.before_first(11.0, 0)
    entry = agenda.pop()
    assert entry is not None
    assert (entry.at, entry.order, entry.kind, entry.payload, entry.agent, entry.since) == (
        10.0,
        3,
        2,
        "c-1",
        "a-1",
        4.5,
    )
    assert agenda.before_first(1e12, 6)
    assert agenda.first() is None


def test_samplers_draw_exactly_what_the_random_methods_draw() -> None:
    lognormal = LognormalDistribution(mean=200, sd=150)
    cases: list[tuple[Distribution, Callable[[random.Random], float]]] = [
        (ExponentialDistribution(mean=180), lambda rng: rng.expovariate(1.0 / 180)),
        (lognormal, lambda rng: rng.lognormvariate(lognormal.mu, lognormal.sigma)),
        (EmpiricalDistribution(values=(1.0, 2.0, 3.5)), lambda rng: rng.choice((1.0, 2.0, 3.5))),
        (ConstantDistribution(value=12.5), lambda rng: 12.5),
    ]
    for distribution, method in cases:
        sampler = distribution.sampler(random.Random(11))
        rng = random.Random(11)
        drawn = [sampler.draw() if i % 2 else sampler() for i in range(2000)]
        assert drawn == [method(rng) for _ in range(2000)], distribution


def test_arrivals_are_the_exponential_gaps_of_the_hourly_rates() -> None:
    boundaries = [3600.0 * hour for hour in range(49)]
    rates = [0.0] * 6 + [120.0, 600.5, 3.0] + [45.0] * 15
    process = PiecewisePoisson(boundaries, rates, random.Random(5))
    rng = random.Random(5)
    expected = []
    hour, now = 0, 0.0
    while hour < 48:
        rate = rates[hour % 24]
        candidate = now + rng.expovariate(rate / 3600.0) if rate > 0 else math.inf
        if candidate < boundaries[hour + 1]:
            now = candidate
            expected.append(now)
        else:
            hour += 1
            now = boundaries[hour]
    arrived = []
    while (at := process.next()) is not None:
        arrived.append(at)
    assert arrived == expected
    assert len(arrived) > 1000
