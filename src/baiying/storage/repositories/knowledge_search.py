"""The knowledge-base search's in-memory indexes (`baiying.knowledge.search_index`), kept in step with the
database, which stays the source of truth, so any number of server processes search the same corpus.

Every change to the search documents (a publish, an archive) bumps `kb_search_stats.generation` and logs
(tenant, generation, article) in `kb_search_changes`, in the writer's transaction: the row lock on the
statistics row orders writers, so generations commit in order. A search reads the statistics row anyway
(N and avgdl for BM25); with it comes the generation its session sees, and then:

- no index for this database (`corpus_id`) and tenant in this process yet: it is loaded from
  `kb_search_docs` (about a second per 100,000 documents) and shared;
- the index is behind: the changed articles are read from the log and their documents applied;
- the session has written search documents itself in its open transaction: what it sees is not
  committed, so the shared index is not touched; the articles changed after the index's generation are
  excluded from its results and scored from the session's own rows instead (when no index is loaded
  yet, a private one is loaded from the session);
- the index is ahead of the session (another thread refreshed it after this session's snapshot): the
  articles it changed since are likewise scored from the session's rows, or, further back than it
  remembers, a private index is loaded from the session.

So a search ranks exactly what its session sees, with the statistics its session sees, as the SQL
searches did; the ranking itself is `SearchIndex.top`.

The log keeps the last `RETAINED_GENERATIONS` generations (a writer prunes it every `PRUNE_EVERY`): an
index further behind than that is loaded anew rather than brought forward, which a process asleep for
that many changes would rather do anyway.
"""

from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any, Final, TypeVar, cast

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from baiying.knowledge import ranking
from baiying.knowledge.model import Visibility
from baiying.knowledge.search_index import SearchIndex
from baiying.storage.knowledge_tables import KbSearchChangeRow, KbSearchDocRow

_WRITTEN: Final = "baiying.knowledge.search_written"  # session.info: the transaction that wrote documents
_CHUNK: Final = 1000
RETAINED_GENERATIONS = 10_000
PRUNE_EVERY = 1_000
_VISIBILITY: Final = {v.value: v for v in Visibility}
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Ranked:
    """The best documents, and where their display rows may be remembered: the shared index (None for
    a private one) at the generation it ranked at, except for the articles scored from the session."""

    hits: list[tuple[str, float]]
    index: SearchIndex | None = None
    generation: int = 0
    from_session: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CorpusVersion:
    """Which corpus a session sees, and at which generation."""

    corpus_id: str
    generation: int


class SearchIndexes:
    """One process's indexes, by (database, corpus, tenant); the least recently used go beyond
    `capacity` (a process that serves many databases, as the tests do, stays bounded)."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self._indexes: OrderedDict[tuple[str, str, str], SearchIndex] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[str, str, str]) -> SearchIndex | None:
        with self._lock:
            index = self._indexes.get(key)
            if index is not None:
                self._indexes.move_to_end(key)
            return index

    def put(self, key: tuple[str, str, str], index: SearchIndex, *, replace: bool = False) -> SearchIndex:
        """Share `index`, or the one another thread shared first (unless `replace`: the shared one is too
        far behind to bring forward)."""
        with self._lock:
            if replace:
                self._indexes[key] = index
            shared = self._indexes.setdefault(key, index)
            self._indexes.move_to_end(key)
            while len(self._indexes) > self.capacity:
                self._indexes.popitem(last=False)
            return shared


PROCESS_INDEXES: Final = SearchIndexes()


def log_changes(session: Session, generation: int, changed: Iterable[tuple[str, str]]) -> None:
    """Log (tenant, article) search documents written or removed at `generation`, and remember that this
    session's transaction changed them."""
    rows = [
        {"tenant_id": tenant, "generation": generation, "article_id": article}
        for tenant, article in sorted(set(changed))
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(KbSearchChangeRow), rows[start : start + _CHUNK])
    if generation % PRUNE_EVERY == 0:
        # A reader's snapshot at generation g still holds every change after g - RETAINED_GENERATIONS:
        # a prune that deletes them commits at a later generation.
        session.execute(
            delete(KbSearchChangeRow).where(KbSearchChangeRow.generation <= generation - RETAINED_GENERATIONS)
        )
    session.info[_WRITTEN] = session.get_transaction()


def _written_in_open_transaction(session: Session) -> bool:
    transaction = session.get_transaction()
    return transaction is not None and session.info.get(_WRITTEN) is transaction


def top_documents(
    session: Session,
    tenant_id: str,
    query: Sequence[str],
    stats: ranking.CorpusStats,
    corpus: CorpusVersion,
    k: int,
    *,
    visible: Collection[Visibility],
    category: str | None,
    indexes: SearchIndexes = PROCESS_INDEXES,
) -> Ranked:
    """(article id, BM25 score) of the tenant's k best documents for the query, as `session` sees them."""
    written = _written_in_open_transaction(session)
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), corpus.corpus_id, tenant_id)
    index = indexes.get(key)
    beyond_the_log = index is not None and corpus.generation - index.generation > RETAINED_GENERATIONS
    if index is None or beyond_the_log:
        index = _load(session, tenant_id, corpus.generation)
        if written:
            return Ranked(index.top(query, stats, k, visible=visible, category=category))
        index = indexes.put(key, index, replace=beyond_the_log)
    with index.lock:
        elsewhere: set[str] | None = set()
        if index.generation < corpus.generation:
            changes = _changes(session, tenant_id, index.generation, corpus.generation)
            if written:
                elsewhere = {article for _, article in changes}
            else:
                _apply(session, tenant_id, index, changes, corpus.generation)
        elif index.generation > corpus.generation:
            elsewhere = index.changed_since(corpus.generation)
        if elsewhere is not None:
            found = index.top(query, stats, k, visible=visible, category=category, exclude=elsewhere)
        ranked_at = index.generation
    if elsewhere is None:
        private = _load(session, tenant_id, corpus.generation)
        return Ranked(private.top(query, stats, k, visible=visible, category=category))
    if elsewhere:
        found += _score_rows(session, tenant_id, elsewhere, query, stats, visible, category)
        found.sort(key=lambda item: (-item[1], item[0]))
    return Ranked(found[:k], None if written else index, ranked_at, frozenset(elsewhere))


def shown_rows(
    ranked: Ranked, keys: Sequence[str], fetch: Callable[[list[str]], dict[str, T]]
) -> dict[str, T]:
    """The display rows of these ranked articles: remembered by the shared index where it can, else
    fetched (through the searching session) and remembered if the index has not moved since it ranked
    them (a row read then is no older than the index's document)."""
    index = ranked.index
    rows: dict[str, T] = {}
    if index is not None:
        with index.lock:
            for key in keys:
                if key not in ranked.from_session and (row := index.shown(key)) is not None:
                    rows[key] = cast(T, row)
    missing = [key for key in keys if key not in rows]
    if missing:
        fetched = fetch(missing)
        rows.update(fetched)
        if index is not None:
            with index.lock:
                if index.generation == ranked.generation:
                    for key, row in fetched.items():
                        if key not in ranked.from_session:
                            index.remember_shown(key, row)
    return rows


def _documents(
    session: Session, tenant_id: str, article_ids: Collection[str] | None
) -> Iterator[Any]:  # rows of the columns below
    columns = select(
        KbSearchDocRow.article_id,
        KbSearchDocRow.frequencies,
        KbSearchDocRow.length,
        KbSearchDocRow.visibility,
        KbSearchDocRow.category_id,
    ).where(KbSearchDocRow.tenant_id == tenant_id)
    if article_ids is None:
        yield from session.execute(columns)
        return
    ordered = sorted(article_ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        yield from session.execute(columns.where(KbSearchDocRow.article_id.in_(chunk)))


def _load(session: Session, tenant_id: str, generation: int) -> SearchIndex:
    """The tenant's documents as the session sees them (read after `generation`, so none older)."""
    index = SearchIndex(generation)
    for row in _documents(session, tenant_id, None):
        index.put(row.article_id, row.frequencies, row.length, _VISIBILITY[row.visibility], row.category_id)
    return index


def _changes(session: Session, tenant_id: str, after: int, upto: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(KbSearchChangeRow.generation, KbSearchChangeRow.article_id).where(
            KbSearchChangeRow.tenant_id == tenant_id,
            KbSearchChangeRow.generation > after,
            KbSearchChangeRow.generation <= upto,
        )
    )
    return [(int(generation), str(article)) for generation, article in rows]


def _apply(
    session: Session, tenant_id: str, index: SearchIndex, changes: list[tuple[int, str]], generation: int
) -> None:
    """Bring the index to `generation`: each changed article's document as it is now, or none."""
    changed = {article for _, article in changes}
    found = {row.article_id: row for row in _documents(session, tenant_id, changed)}
    for article in sorted(changed):
        row = found.get(article)
        if row is None:
            index.remove(article)
        else:
            index.put(article, row.frequencies, row.length, _VISIBILITY[row.visibility], row.category_id)
    index.advance(generation, changes)


def _score_rows(
    session: Session,
    tenant_id: str,
    article_ids: Collection[str],
    query: Sequence[str],
    stats: ranking.CorpusStats,
    visible: Collection[Visibility],
    category: str | None,
) -> list[tuple[str, float]]:
    """The documents of these articles that the session sees, scored directly (as the index would)."""
    scored = []
    for row in _documents(session, tenant_id, article_ids):
        frequencies, length = row.frequencies, row.length
        if _VISIBILITY[row.visibility] not in visible:
            continue
        if category is not None and row.category_id != category:
            continue
        if any(term in frequencies for term in query):
            scored.append((row.article_id, ranking.score(frequencies, length, query, stats)))
    return scored
