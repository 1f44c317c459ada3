"""Deadlines the router sets for itself: step timeouts, offer timeouts (ring-no-answer), wrap-up ends.

A timer carries the token its owner had when it was set; a changed token means the timer is stale and is
skipped, so nothing ever has to be removed from the heap.
"""

import heapq
from enum import IntEnum
from typing import Any


class TimerKind(IntEnum):
    OFFER = 0
    WRAP_UP = 1
    STEP = 2


class Timers:
    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerKind, Any, int]] = []
        self._seq = 0

    def set(self, due: float, kind: TimerKind, owner: Any, token: int) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, kind, owner, token))

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def due_by(self, now: float) -> bool:
        heap = self._heap
        return bool(heap) and heap[0][0] <= now

    def pop_due(self, now: float) -> tuple[float, TimerKind, Any, int] | None:
        if self._heap and self._heap[0][0] <= now:
            due, _, kind, owner, token = heapq.heappop(self._heap)
            return due, kind, owner, token
        return None

    def __len__(self) -> int:
        return len(self._heap)
