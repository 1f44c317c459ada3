"""The router's timers fire in (due time, order of setting) order, whatever lanes they were given."""

import heapq

from hypothesis import given, settings
from hypothesis import strategies as st

from baiying.routing.timers import COMPACT_AFTER, MAX_LANES, TimerKind, Timers

# One call: advance the clock by `step`, then set a timer for `duration` (given as its lane, or not, or
# given a wrong lane), pop everything due by the clock, or look at the earliest timer and drop it (what
# the router's next_due() does with a timer that can no longer fire).
calls = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.0, 0.5, 1.0, 7.25, -3.0]),  # time may even go back
        st.sampled_from([0.0, 1.0, 5.0, 20.0, 30.0, 30.0, 2.5]),
        st.sampled_from(["lane", "lane", "no lane", "wrong lane", "pop", "drop"]),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(calls)
def test_timers_fire_in_due_then_setting_order(script: list[tuple[float, float, str]]) -> None:
    timers = Timers()
    reference: list[tuple[float, int]] = []  # the plain heap of (due, seq) the timers must agree with
    now, seq = 1_000.0, 0
    for step, duration, how in script:
        now += step
        if how == "pop":
            while (timer := timers.pop_due(now)) is not None:
                assert (timer.due, timer.owner) == heapq.heappop(reference)
                assert timer.due <= now
            assert not reference or reference[0][0] > now
        elif how == "drop":
            first = timers.first()
            if reference:
                assert first is not None
                assert (first.due, first.owner) == heapq.heappop(reference)
                timers.drop_first()
            else:
                assert first is None
        else:
            seq += 1
            due = now + duration
            lane = {"lane": duration, "no lane": None, "wrong lane": duration + 1.0}[how]
            timers.set(due, TimerKind.OFFER, seq, seq, lane)
            heapq.heappush(reference, (due, seq))
        assert timers.next_due() == (reference[0][0] if reference else None)
        assert len(timers) == len(reference)
        assert timers.due_by(now) == (bool(reference) and reference[0][0] <= now)
    while (timer := timers.pop_due(float("inf"))) is not None:
        assert (timer.due, timer.owner) == heapq.heappop(reference)
    assert not reference


def test_more_durations_than_lanes_still_fire_in_order() -> None:
    timers = Timers()
    durations = [float(d) for d in range(1, 3 * MAX_LANES)]
    expected = []
    seq = 0
    for round_ in range(5):
        for duration in durations:
            seq += 1
            timers.set(round_ + duration, TimerKind.STEP, seq, 0, duration)
            expected.append((round_ + duration, seq))
    fired = []
    while (timer := timers.pop_due(1e9)) is not None:
        fired.append((timer.due, timer.owner))
    assert fired == sorted(expected)


def test_a_long_lane_drops_what_it_has_passed() -> None:
    timers = Timers()
    for i in range(2000):
        timers.set(float(i), TimerKind.OFFER, i, 0, 30.0)
        if i % 2:
            popped = timers.pop_due(float(i))
            assert popped is not None
    lane = timers._lanes[0]
    assert len(lane.timers) - lane.head == len(timers) == 1000
    # Passed timers are dropped once they are as many as the live ones: memory stays in proportion.
    assert lane.head <= max(COMPACT_AFTER, len(timers))
