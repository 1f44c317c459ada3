"""The simulator's agenda: its future events, earliest first, as a binary heap of small typed entries.

Entries are ordered by time, then by their order among equal-time events (the engine's SITE…ARRIVAL), then
by when they were scheduled; no two entries compare equal, so the sequence of pops is fixed whatever the
heap's shape. Compiled with mypyc (setup.py): the comparisons are between native floats and ints, where a
heap of tuples pays for generic tuple comparison at every step.
"""

from typing import Final

from baiying.ids import AgentId

SEQUENCE_SPAN: Final = 1 << 44  # schedulings per run before `key` would mix order and sequence


class Entry:
    """One scheduled event: `order` and `kind` say what it is; `payload`, `agent` and `since` its data."""

    def __init__(
        self, at: float, key: int, order: int, kind: int, payload: object, agent: AgentId, since: float
    ) -> None:
        self.at = at
        self.key = key  # order * SEQUENCE_SPAN + sequence: the tie-break among equal times
        self.order = order
        self.kind = kind
        self.payload = payload
        self.agent = agent
        self.since = since


class Agenda:
    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def push(self, at: float, order: int, kind: int, payload: object, agent: AgentId, since: float) -> None:
        self._seq += 1
        entry = Entry(at, order * SEQUENCE_SPAN + self._seq, order, kind, payload, agent, since)
        heap = self._heap
        heap.append(entry)
        key = entry.key
        pos = len(heap) - 1
        while pos > 0:
            up = (pos - 1) >> 1
            parent = heap[up]
            if at < parent.at or (at == parent.at and key < parent.key):
                heap[pos] = parent
                pos = up
            else:
                break
        heap[pos] = entry

    def before_first(self, at: float, order: int) -> bool:
        """Would an event at `at` of `order` come before every scheduled one (is the agenda empty)?"""
        heap = self._heap
        if not heap:
            return True
        first = heap[0]
        return at < first.at or (at == first.at and first.order > order)

    def pop(self) -> Entry | None:
        """The earliest entry, removed; None when nothing is scheduled."""
        heap = self._heap
        if not heap:
            return None
        last = heap.pop()
        size = len(heap)
        if size == 0:
            return last
        first = heap[0]
        # Sift `last` down from the root.
        at, key = last.at, last.key
        pos = 0
        child = 1
        while child < size:
            entry = heap[child]
            right = child + 1
            if right < size:
                other = heap[right]
                if other.at < entry.at or (other.at == entry.at and other.key < entry.key):
                    child, entry = right, other
            if entry.at < at or (entry.at == at and entry.key < key):
                heap[pos] = entry
                pos = child
                child = 2 * pos + 1
            else:
                break
        heap[pos] = last
        return first
