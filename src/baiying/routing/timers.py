"""Deadlines the router sets for itself: step timeouts, offer timeouts (ring-no-answer), wrap-up ends.

A timer carries the token its owner had when it was set; a changed token means the timer is stale and is
skipped, so nothing ever has to be removed from the heap.

Timers fire in the order of their due time, then of setting. The heap holds bare floats (one float
comparison per step, not a tuple comparison), and each due time keeps its timers in a list in the order
they were set: the same order as a heap of (due, sequence) entries, at a fraction of the cost.
"""

import heapq
from enum import IntEnum
from typing import Any


class TimerKind(IntEnum):
    OFFER = 0
    WRAP_UP = 1
    STEP = 2


class Timer:
    __slots__ = ("kind", "owner", "token")

    def __init__(self, kind: TimerKind, owner: Any, token: int) -> None:
        self.kind = kind
        self.owner = owner
        self.token = token


class Timers:
    __slots__ = ("_at", "_count", "_dues")

    def __init__(self) -> None:
        self._dues: list[float] = []  # a heap of the distinct due times
        self._at: dict[float, list[Timer]] = {}  # per due time, its timers in the order they were set
        self._count = 0

    def set(self, due: float, kind: TimerKind, owner: Any, token: int) -> None:
        timer = Timer(kind, owner, token)
        found = self._at.get(due)
        if found is None:
            self._at[due] = [timer]
            heapq.heappush(self._dues, due)
        else:
            found.append(timer)
        self._count += 1

    def next_due(self) -> float | None:
        return self._dues[0] if self._dues else None

    def due_by(self, now: float) -> bool:
        dues = self._dues
        return bool(dues) and dues[0] <= now

    def pop_due(self, now: float) -> tuple[float, Timer] | None:
        """The earliest timer due by `now` (the first set, among those due at the same time), or None."""
        dues = self._dues
        if not dues:
            return None
        due = dues[0]
        if due > now:
            return None
        timers = self._at[due]
        timer = timers.pop(0) if len(timers) > 1 else timers.pop()
        if not timers:
            heapq.heappop(dues)
            del self._at[due]
        self._count -= 1
        return due, timer

    def __len__(self) -> int:
        return self._count
