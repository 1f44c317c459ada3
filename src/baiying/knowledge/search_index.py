"""An in-memory inverted index of one tenant's search documents that ranks exactly as
`ranking.InMemoryIndex` does (BM25 as `ranking.score` computes it, ties by key), in about a millisecond
over 100,000 documents.

Each term keeps its postings as two numpy arrays, document slots and field-weighted frequencies, and the
BM25 contribution of each posting for the idf and average length last asked (they move only when the
corpus changes, so repeated searches reuse them); each slot keeps its document's length, visibility and
category. A search adds up the contributions of the query's terms per slot (the same floating-point
operations, in the same order, as `ranking.score`: the scores are bit for bit the reference's), filters
the matching slots by liveness, visibility, category and exclusions, and selects the top k with
`numpy.partition` before sorting only those (and every tie of the k-th) by (score, key).

Why every matching posting is scored rather than pruned (MaxScore, WAND over impact-ordered lists),
by measurement (benchmarks/bench_kb_search.py): vectorised, a posting costs a few nanoseconds, so the
largest queries of the benchmark (three common terms, 60,000 postings) rank in about a millisecond on an
idle core, less than the statement around it; pruning would trade that for per-document Python loops,
or for upper bounds that every publish invalidates (idf and the average length move with the corpus).
Filters therefore need no care to keep an early termination correct: they are masks on the matches.

Updates are incremental: `put` gives a document a new slot (its postings are appended, the old slot
dies), `remove` kills its slot; dead postings are masked out until they outnumber the live ones and the
arrays are compacted. The index remembers which keys changed at which generation of the corpus (a
counter the storage bumps on every change) for the last `HISTORY` changes, so a reader whose view of
the corpus is older than the index can tell which documents to take from its own view instead; and it
keeps what the adapter shows of the most recently shown documents until they change.

Not thread-safe: the storage adapter holds `lock` around every use.
"""

import threading
from collections import OrderedDict, deque
from collections.abc import Collection, Mapping, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from baiying.knowledge.model import Visibility
from baiying.knowledge.ranking import K1, B, CorpusStats

HISTORY: Final = 4096  # changed keys remembered, for readers a little behind the index
SHOWN: Final = 10_000  # documents' display rows remembered for the adapter (the most recently shown)
_VISIBILITY_CODES: Final = {visibility: code for code, visibility in enumerate(Visibility)}
_NO_CATEGORY: Final = -1

Slots = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


class _Postings:
    """One term's (slot, frequency) pairs: settled numpy arrays plus recent appends, and the BM25 weight
    of each posting for the idf and average length it was last asked with (they change only when the
    corpus does, so repeated searches for a term reuse them)."""

    __slots__ = ("_weighed_for", "_weights", "frequencies", "new_frequencies", "new_slots", "slots")

    def __init__(self) -> None:
        self.slots: Slots = np.empty(0, np.int32)
        self.frequencies: Floats = np.empty(0, np.float64)
        self.new_slots: list[int] = []
        self.new_frequencies: list[float] = []
        self._weighed_for: tuple[float, float] | None = None
        self._weights: Floats = np.empty(0, np.float64)

    def arrays(self) -> tuple[Slots, Floats]:
        if self.new_slots:
            self.slots = np.concatenate([self.slots, np.asarray(self.new_slots, np.int32)])
            self.frequencies = np.concatenate(
                [self.frequencies, np.asarray(self.new_frequencies, np.float64)]
            )
            self.new_slots, self.new_frequencies = [], []
            self._weighed_for = None
        return self.slots, self.frequencies

    def weights(self, idf: float, average: float, lengths: Floats) -> tuple[Slots, Floats]:
        """Each posting's slot and its term's BM25 contribution to that document's score."""
        slots, frequencies = self.arrays()
        if self._weighed_for != (idf, average):
            # The very operations of ranking.score, so the sums are bit for bit the reference's.
            norm = K1 * (1.0 - B + B * lengths[slots] / average)
            self._weights = idf * frequencies * (K1 + 1.0) / (frequencies + norm)
            self._weighed_for = (idf, average)
        return slots, self._weights

    def renumber(self, slots: Slots, frequencies: Floats) -> None:
        self.slots, self.frequencies, self._weighed_for = slots, frequencies, None


class SearchIndex:
    """The search documents of one tenant, as of `generation` of the corpus."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.lock = threading.Lock()
        self._keys: list[str] = []
        self._slot_of: dict[str, int] = {}
        self._lengths: Floats = np.zeros(64, np.float64)
        self._visibility: npt.NDArray[np.int8] = np.zeros(64, np.int8)
        self._category: npt.NDArray[np.int32] = np.zeros(64, np.int32)
        self._alive: npt.NDArray[np.bool_] = np.zeros(64, np.bool_)
        self._categories: dict[str, int] = {}
        self._postings: dict[str, _Postings] = {}
        self._postings_count = 0
        self._history: deque[tuple[int, str]] = deque()
        self._history_floor = generation  # changes after this generation are all in _history
        self._shown: OrderedDict[str, object] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, key: object) -> bool:
        return key in self._slot_of

    # --- updating ------------------------------------------------------------------------------------

    def put(
        self,
        key: str,
        frequencies: Mapping[str, float],
        length: int,
        visibility: Visibility,
        category: str | None,
    ) -> None:
        """Add the document, or replace the one with this key."""
        self.remove(key)
        self._shown.pop(key, None)
        slot = len(self._keys)
        if slot == len(self._alive):
            self._grow()
        self._keys.append(key)
        self._slot_of[key] = slot
        self._lengths[slot] = length
        self._visibility[slot] = _VISIBILITY_CODES[visibility]
        self._category[slot] = (
            _NO_CATEGORY if category is None else self._categories.setdefault(category, len(self._categories))
        )
        self._alive[slot] = True
        for term, frequency in frequencies.items():
            postings = self._postings.get(term)
            if postings is None:
                postings = self._postings[term] = _Postings()
            postings.new_slots.append(slot)
            postings.new_frequencies.append(frequency)
        self._postings_count += len(frequencies)

    def remove(self, key: str) -> None:
        self._shown.pop(key, None)
        slot = self._slot_of.pop(key, None)
        if slot is not None:
            self._alive[slot] = False
            if len(self._keys) > 1024 and len(self._slot_of) * 2 < len(self._keys):
                self._compact()

    def advance(self, generation: int, changed: Sequence[tuple[int, str]]) -> None:
        """Record that the index now reflects the corpus at `generation`, the (generation, key) changes
        after the previous one having been applied (by `put` and `remove`)."""
        self._history.extend(sorted(changed))
        while len(self._history) > HISTORY:
            self._history_floor = max(self._history_floor, self._history.popleft()[0])
        self.generation = max(self.generation, generation)

    def changed_since(self, generation: int) -> set[str] | None:
        """The keys changed after `generation` up to the index's own, or None when that is further back
        than the index remembers."""
        if generation < self._history_floor:
            return None
        return {key for changed_at, key in self._history if changed_at > generation}

    def shown(self, key: str) -> object | None:
        """What the adapter remembered showing of this document (None: nothing, or it changed since)."""
        found = self._shown.get(key)
        if found is not None:
            self._shown.move_to_end(key)
        return found

    def remember_shown(self, key: str, row: object) -> None:
        """Keep what the adapter shows of a document (its title and body, say) until the document
        changes, so the most shown ones need no database read."""
        if key in self._slot_of:
            self._shown[key] = row
            self._shown.move_to_end(key)
            if len(self._shown) > SHOWN:
                self._shown.popitem(last=False)

    # --- searching -----------------------------------------------------------------------------------

    def top(
        self,
        query: Sequence[str],
        stats: CorpusStats,
        k: int,
        *,
        visible: Collection[Visibility] = tuple(Visibility),
        category: str | None = None,
        exclude: Collection[str] = (),
    ) -> list[tuple[str, float]]:
        """(key, score) of the k best documents holding any of the (distinct) query terms, visible as
        asked, in the category when one is given, not excluded; best first, ties by key."""
        size = len(self._keys)
        if k <= 0 or size == 0:
            return []
        category_code = _NO_CATEGORY
        if category is not None:
            if category not in self._categories:
                return []
            category_code = self._categories[category]
        average = stats.average_length or 1.0
        weighed = [
            postings.weights(stats.idf(term), average, self._lengths)
            for term in query
            if (postings := self._postings.get(term)) is not None
        ]
        if not weighed:
            return []
        if len(weighed) == 1:  # one term: its postings are the candidates, its weights their scores
            candidates, scores = weighed[0]
        else:
            total = np.zeros(size, np.float64)
            held = np.zeros(size, np.bool_)
            for slots, weights in weighed:  # in query order, as ranking.score adds them up
                total[slots] += weights
                held[slots] = True
            candidates = np.flatnonzero(held).astype(np.int32)
            scores = total[candidates]
        # Filters apply to the matching slots only: a few thousand, not the whole corpus.
        keep = self._alive[candidates]
        codes = sorted({_VISIBILITY_CODES[v] for v in visible})
        if len(codes) == 1:  # a comparison costs a tenth of numpy.isin on large candidate sets
            keep &= self._visibility[candidates] == codes[0]
        elif len(codes) < len(_VISIBILITY_CODES):
            keep &= np.isin(self._visibility[candidates], codes)
        if category is not None:
            keep &= self._category[candidates] == category_code
        excluded = [self._slot_of[key] for key in exclude if key in self._slot_of]
        if excluded:
            keep &= ~np.isin(candidates, excluded)
        candidates, scores = candidates[keep], scores[keep]
        if len(candidates) > k:
            kth = np.partition(scores, len(candidates) - k)[len(candidates) - k]
            best = scores >= kth  # every tie of the k-th score stays
            candidates, scores = candidates[best], scores[best]
        ranked = sorted(
            zip([self._keys[slot] for slot in candidates.tolist()], scores.tolist(), strict=True),
            key=lambda item: (-item[1], item[0]),
        )
        return ranked[:k]

    # --- internals -----------------------------------------------------------------------------------

    def _grow(self) -> None:
        capacity = 2 * len(self._alive)
        self._lengths = np.resize(self._lengths, capacity)
        self._visibility = np.resize(self._visibility, capacity)
        self._category = np.resize(self._category, capacity)
        alive = np.zeros(capacity, np.bool_)
        alive[: len(self._alive)] = self._alive
        self._alive = alive

    def _compact(self) -> None:
        """Drop dead slots: live ones are renumbered in order and every term's postings follow."""
        size = len(self._keys)
        alive = self._alive[:size]
        renumbered = np.cumsum(alive, dtype=np.int64).astype(np.int32) - 1
        for term in list(self._postings):
            slots, frequencies = self._postings[term].arrays()
            keep = alive[slots]
            if not keep.any():
                del self._postings[term]
                continue
            self._postings[term].renumber(renumbered[slots[keep]], frequencies[keep])
        live = np.flatnonzero(alive)
        self._keys = [self._keys[slot] for slot in live.tolist()]
        self._slot_of = {key: slot for slot, key in enumerate(self._keys)}
        count = len(live)
        capacity = max(64, len(self._alive))
        for name in ("_lengths", "_visibility", "_category"):
            array = getattr(self, name)
            packed = np.zeros(capacity, array.dtype)
            packed[:count] = array[live]
            setattr(self, name, packed)
        self._alive = np.zeros(capacity, np.bool_)
        self._alive[:count] = True
        self._postings_count = sum(len(p.slots) for p in self._postings.values())
