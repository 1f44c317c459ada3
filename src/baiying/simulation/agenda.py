"""The simulator's agenda: its future events, earliest first, as a binary heap of small typed entries.

Entries are ordered by time, then by their order among equal-time events (the engine's SITE…ARRIVAL), then
by when they were scheduled; no two entries compare equal, so the sequence of pops is fixed whatever the
heap's shape. Compiled with mypyc (setup.py): the comparisons are between native floats and ints, where a
heap of tuples pays for generic tuple comparison at every step.

An entry that comes before everything scheduled (an answer due now, the next arrival) waits in `_front`
instead of climbing the heap, since it is usually the very next one taken.
"""

from baiying.ids import AgentId


class Entry:
    """One scheduled event: `order` and `kind` say what it is; `payload`, `agent` and `since` its data."""

    def __init__(
        self, at: float, order: int, seq: int, kind: int, payload: object, agent: AgentId, since: float
    ) -> None:
        self.at = at
        self.order = order
        self.seq = seq  # when it was scheduled: the last tie-break
        self.kind = kind
        self.payload = payload
        self.agent = agent
        self.since = since


def _earlier(a: Entry, b: Entry) -> bool:
    if a.at != b.at:
        return a.at < b.at
    if a.order != b.order:
        return a.order < b.order
    return a.seq < b.seq


class Agenda:
    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._front: Entry | None = None  # when set, earlier than every entry in the heap
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap) + (self._front is not None)

    def push(self, at: float, order: int, kind: int, payload: object, agent: AgentId, since: float) -> None:
        self._seq += 1
        entry = Entry(at, order, self._seq, kind, payload, agent, since)
        front = self._front
        if front is None:
            heap = self._heap
            if not heap or _earlier(entry, heap[0]):
                self._front = entry
                return
        elif _earlier(entry, front):
            self._front = entry
            entry = front
        self._sift_up(entry)

    def _sift_up(self, entry: Entry) -> None:
        heap = self._heap
        heap.append(entry)
        pos = len(heap) - 1
        while pos > 0:
            up = (pos - 1) >> 1
            parent = heap[up]
            if _earlier(entry, parent):
                heap[pos] = parent
                pos = up
            else:
                break
        heap[pos] = entry

    def first(self) -> Entry | None:
        """The earliest entry, left in place; None when nothing is scheduled."""
        if self._front is not None:
            return self._front
        heap = self._heap
        return heap[0] if heap else None

    def before_first(self, at: float, order: int) -> bool:
        """Would an event at `at` of `order` come before every scheduled one (is the agenda empty)?"""
        first = self.first()
        return first is None or at < first.at or (at == first.at and first.order > order)

    def pop(self) -> Entry | None:
        """The earliest entry, removed; None when nothing is scheduled."""
        front = self._front
        if front is not None:
            self._front = None
            return front
        heap = self._heap
        if not heap:
            return None
        last = heap.pop()
        size = len(heap)
        if size == 0:
            return last
        first = heap[0]
        # Sift `last` down from the root.
        pos = 0
        child = 1
        while child < size:
            entry = heap[child]
            right = child + 1
            if right < size:
                other = heap[right]
                if _earlier(other, entry):
                    child, entry = right, other
            if _earlier(entry, last):
                heap[pos] = entry
                pos = child
                child = 2 * pos + 1
            else:
                break
        heap[pos] = last
        return first
