"""Deadlines the router sets for itself: step timeouts, offer timeouts (ring-no-answer), wrap-up ends.

A timer carries the token its owner had when it was set; a changed token means the timer is stale and is
skipped, so nothing ever has to be removed.

Timers fire in the order of their due time, then of setting (`seq`). Most deadlines are "now plus a fixed
duration" (a queue's offer timeout, a step's timeout), and time only moves forward, so the timers set with
one duration come due in the order they were set: each such duration has a lane, a plain list read from
its head, and a timer costs an append and a step of the head instead of a heap push and pop. A timer that
would break its lane's order (time went back, or the caller gave no lane) goes to a heap of bare due
times, each with its timers in the order they were set. The earliest timer is the first of the lane heads
and the heap's top, by (due, seq).
"""

import heapq
from enum import IntEnum
from typing import Any, Final

MAX_LANES: Final = 8  # durations that get a lane; timers of further durations go to the heap
COMPACT_AFTER: Final = 256  # a lane drops the timers it has passed once they are this many


class TimerKind(IntEnum):
    OFFER = 0
    WRAP_UP = 1
    STEP = 2


class Timer:
    __slots__ = ("due", "kind", "owner", "seq", "token")

    def __init__(self, due: float, seq: int, kind: TimerKind, owner: Any, token: int) -> None:
        self.due = due
        self.seq = seq
        self.kind = kind
        self.owner = owner
        self.token = token


class Lane:
    """Timers of one duration in the order they were set, which is also the order they come due."""

    __slots__ = ("duration", "head", "timers")

    def __init__(self, duration: float) -> None:
        self.duration = duration
        self.timers: list[Timer] = []
        self.head = 0  # timers before it have been popped

    def first(self) -> Timer | None:
        timers = self.timers
        return timers[self.head] if self.head < len(timers) else None

    def pop(self) -> None:
        self.head += 1
        head = self.head
        timers = self.timers
        if head == len(timers):
            timers.clear()
            self.head = 0
        elif head >= COMPACT_AFTER and 2 * head >= len(timers):
            del timers[:head]
            self.head = 0


class Timers:
    __slots__ = ("_at", "_count", "_dues", "_earliest", "_first_lane", "_known", "_lanes", "_seq", "version")

    def __init__(self) -> None:
        self._lanes: list[Lane] = []  # at most MAX_LANES, one per duration
        self._dues: list[float] = []  # a heap of the distinct due times of timers outside the lanes
        self._at: dict[float, list[Timer]] = {}  # per such due time, its timers in the order they were set
        self._seq = 0
        self._count = 0
        self._earliest: float | None = None  # the earliest due time, when `_known`
        self._known = True
        self.version = 0  # changes whenever a timer is set or popped
        self._first_lane: Lane | None = None  # where `first()` found the earliest timer (None: the heap)

    def set(self, due: float, kind: TimerKind, owner: Any, token: int, lane: float | None = None) -> None:
        """Set a timer; `lane` names the fixed duration it was set for (now + lane = due), if it was."""
        self._seq += 1
        self.version += 1
        timer = Timer(due, self._seq, kind, owner, token)
        self._count += 1
        if self._known and (self._earliest is None or due < self._earliest):
            self._earliest = due
        if lane is not None:
            # A few lanes: comparing their durations as machine floats beats hashing a float key.
            found: Lane | None = None
            for candidate in self._lanes:
                if candidate.duration == lane:
                    found = candidate
                    break
            if found is None and len(self._lanes) < MAX_LANES:
                found = Lane(lane)
                self._lanes.append(found)
            if found is not None:
                timers = found.timers
                if found.head == len(timers) or timers[-1].due <= due:
                    timers.append(timer)
                    return
        at = self._at.get(due)
        if at is None:
            self._at[due] = [timer]
            heapq.heappush(self._dues, due)
        else:
            at.append(timer)

    def next_due(self) -> float | None:
        if self._known:
            return self._earliest
        best: float | None = self._dues[0] if self._dues else None
        for lane in self._lanes:
            first = lane.first()
            if first is not None and (best is None or first.due < best):
                best = first.due
        self._earliest, self._known = best, True
        return best

    def due_by(self, now: float) -> bool:
        best = self.next_due()
        return best is not None and best <= now

    def first(self) -> Timer | None:
        """The earliest timer (the first set, among those due at the same time), left in place."""
        best: Timer | None = None
        best_lane: Lane | None = None
        dues = self._dues
        if dues:
            best = self._at[dues[0]][0]
        for lane in self._lanes:
            first = lane.first()
            if first is None:
                continue
            if best is None or first.due < best.due or (first.due == best.due and first.seq < best.seq):
                best, best_lane = first, lane
        self._first_lane = best_lane
        return best

    def drop_first(self) -> None:
        """Remove the timer `first()` just returned (no timer set or popped since), without looking for
        it again."""
        self._take(self._first_lane)

    def pop_due(self, now: float) -> Timer | None:
        """The earliest timer due by `now` (the first set, among those due at the same time), or None."""
        best: Timer | None = None
        best_lane: Lane | None = None
        dues = self._dues
        if dues and dues[0] <= now:
            best = self._at[dues[0]][0]
        for lane in self._lanes:
            first = lane.first()
            if first is None or first.due > now:
                continue
            if best is None or first.due < best.due or (first.due == best.due and first.seq < best.seq):
                best, best_lane = first, lane
        if best is None:
            return None
        self._take(best_lane)
        return best

    def _take(self, lane: Lane | None) -> None:
        """Remove the earliest timer, known to be at the head of `lane` (None: at the top of the heap)."""
        self._known = False
        self.version += 1
        if lane is not None:
            lane.pop()
        else:
            dues = self._dues
            due = dues[0]
            at = self._at[due]
            if len(at) > 1:
                del at[0]
            else:
                heapq.heappop(dues)
                del self._at[due]
        self._count -= 1

    def __len__(self) -> int:
        return self._count
