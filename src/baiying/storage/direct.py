"""The live center's per-command writes, run on the session's DBAPI cursor with SQL built once.

Why: every command appends to the journal and the event log and inserts or updates `contacts` rows,
usually one to three rows each. Through SQLAlchemy Core each of those statements cost ~200 us of
compilation-cache lookup, execution context and result set-up (and `insertmanyvalues` with RETURNING
for the two logs), several times what SQLite takes to run it: about half the center's CPU per contact
(`benchmarks/bench_contact_calls.py`). Here the same statements run on the connection's own cursor, in the
session's transaction, values always bound as parameters.

The SQL is built once per dialect from the tables' metadata (`tables.py`, `journal.py`): only the two
dialects `make_engine` accepts. JSON columns are encoded with `json.dumps`, as SQLAlchemy's JSON type does
(its default serializer), so the stored text is the same either way; PostgreSQL gets it through an
explicit CAST.

Writes that return nothing (a contact's row inserted or updated) wait in the transaction's queue and go
with the next statement that returns something (an existence check, the journal's or the log's sequences),
or at the session's COMMIT, or before any read through the session: on PostgreSQL, in one pipeline with
that statement, so a group of commands costs a few round trips rather than one a row (each round trip of
the tenant's group is time no other command of the tenant can use). A queued write that fails therefore
fails the statement it went with (the error names the failed row's constraint, not that statement).
Whether the contacts a group's arrivals would create are stored is read for all of them at once
(`read_ahead`).

Sequences come back in the order given: SQLite's `lastrowid` after each one-row INSERT (the sequence
column is its rowid), psycopg's `executemany(..., returning=True)`, one result set per parameter set, in
order (pipelined: one round trip for the batch).
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import Table, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from baiying.storage.tables import ContactRow, EventRow

T = TypeVar("T")
_CONTACTS = cast(Table, ContactRow.__table__)
_EVENTS = cast(Table, EventRow.__table__)
_JSON_COLUMNS = frozenset(
    name for name, column in _CONTACTS.c.items() if column.type.__class__.__name__ == "JSON"
)
_CONTACT_COLUMNS = tuple(_CONTACTS.c.keys())  # the insert's columns, in table order
EVENT_COLUMNS = ("tenant_id", "at", "kind", "data", "contact_id", "agent_id", "site_id", "queue_id")
JOURNAL_COLUMNS = ("tenant_id", "at", "command", "payload")


class _Sql:
    """The statements of one dialect: `mark` is its parameter placeholder."""

    def __init__(self, mark: str, json_mark: str, returning: str) -> None:
        self.mark, self.json_mark = mark, json_mark
        self.returning = returning
        self.journal_insert = self._insert("router_journal", JOURNAL_COLUMNS, {"payload"})
        self.event_insert = self._insert("events", EVENT_COLUMNS, {"data"})
        self.contact_insert = self._insert("contacts", _CONTACT_COLUMNS, _JSON_COLUMNS)
        self._many: dict[tuple[str, int], str] = {}
        self.contact_exists = f"SELECT 1 FROM contacts WHERE tenant_id = {mark} AND id = {mark}"
        self._updates: dict[tuple[str, ...], str] = {}
        self._stored: dict[int, str] = {}

    def contacts_stored(self, count: int) -> str:
        """`SELECT id FROM contacts WHERE tenant_id AND id IN (count ids)`."""
        found = self._stored.get(count)
        if found is None:
            marks = ", ".join([self.mark] * count)
            found = self._stored[count] = (
                f"SELECT id FROM contacts WHERE tenant_id = {self.mark} AND id IN ({marks})"
            )
        return found

    def many(self, insert: str, count: int, *, returning: bool = False) -> str:
        """`insert` (one of the above) for `count` rows in one statement, optionally returning the
        sequences (PostgreSQL: in no promised order, but increasing along the rows)."""
        key = (insert + self.returning if returning else insert, count)
        found = self._many.get(key)
        if found is None:
            head, _, row = insert.partition(" VALUES ")
            found = self._many[key] = (
                f"{head} VALUES {', '.join([row] * count)}{self.returning if returning else ''}"
            )
        return found

    def _insert(self, table: str, columns: Sequence[str], json_columns: Iterable[str]) -> str:
        marks = ", ".join(self._mark(name, json_columns) for name in columns)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def _mark(self, column: str, json_columns: Iterable[str]) -> str:
        return self.json_mark if column in json_columns else self.mark

    def contact_update(self, columns: tuple[str, ...]) -> str:
        """`UPDATE contacts SET <columns> WHERE tenant_id, id` (parameters: the columns, then the key)."""
        found = self._updates.get(columns)
        if found is None:
            unknown = [name for name in columns if name not in _CONTACTS.c or name in ("tenant_id", "id")]
            if unknown:
                raise ValueError(f"not an updatable column of contacts: {', '.join(unknown)}")
            assignments = ", ".join(f"{name} = {self._mark(name, _JSON_COLUMNS)}" for name in columns)
            found = self._updates[columns] = (
                f"UPDATE contacts SET {assignments} WHERE tenant_id = {self.mark} AND id = {self.mark}"
            )
        return found


_DIALECTS = {
    "sqlite": _Sql("?", "?", ""),
    "postgresql": _Sql("%s", "CAST(%s AS JSON)", " RETURNING sequence"),
}


class DirectWrites:
    """The hot statements on the DBAPI cursor of `session`'s connection. The cursor is opened at the first
    statement (beginning the session's transaction, as any statement through the session would), so an
    unused one costs nothing. Use one per transaction; it never commits."""

    _KEY = "baiying.direct_writes"

    def __init__(self, session: Session) -> None:
        name = session.get_bind().dialect.name
        if name not in _DIALECTS:  # make_engine accepts no other database
            raise ValueError(f"no direct statements for the {name} dialect")
        self._session = session
        self._dbapi_error: type[Exception] = session.get_bind().dialect.loaded_dbapi.Error
        self._sql = _DIALECTS[name]
        self._sqlite = name == "sqlite"
        self._opened: Any = None
        self._writer: Any = None
        self._queued: list[tuple[str, tuple[Any, ...]]] = []  # writes not sent yet, in order
        self._inserted: set[str] = set()  # contacts inserted in this transaction (sent or queued)
        self._known: dict[str, bool] = {}  # whether a contact was stored, read ahead

    @classmethod
    @contextmanager
    def during(cls, session: Session) -> Iterator["DirectWrites"]:
        """Statements for `session`'s transaction, shared by everything that runs in it (`of`); closed as
        the block ends, so commit inside it (writes still queued then are dropped)."""
        writes = cls(session)
        session.info[cls._KEY] = writes
        try:
            yield writes
        finally:
            del session.info[cls._KEY]
            writes.close()

    @classmethod
    def discard_shared(cls, session: Session) -> None:
        """Forget the queued writes of `session`'s shared statements (its transaction rolled back)."""
        shared: DirectWrites | None = session.info.get(cls._KEY)
        if shared is not None:
            shared._queued.clear()

    @classmethod
    def flush_shared(cls, session: Session) -> None:
        """Send the queued writes of `session`'s shared statements, if it has them (before its COMMIT and
        before anything reads through it)."""
        shared: DirectWrites | None = session.info.get(cls._KEY)
        if shared is not None:
            shared.flush()

    @classmethod
    @contextmanager
    def of(cls, session: Session) -> Iterator["DirectWrites"]:
        """The transaction's shared statements (`during`), else statements of its own for the block."""
        shared = session.info.get(cls._KEY)
        if shared is not None:
            yield shared
            return
        writes = cls(session)
        try:
            yield writes
            writes.flush()
        finally:
            writes.close()

    def close(self) -> None:
        """Close the cursor; queued writes not sent by now are dropped (the transaction failed)."""
        self._queued.clear()
        for cursor in (self._opened, self._writer):
            if cursor is not None:
                cursor.close()
        self._opened = self._writer = None

    def flush(self) -> None:
        """Send the queued writes now."""
        if self._queued:
            with self._translated("(queued writes)"):
                self._send(lambda _cursor: None)

    @property
    def _cursor(self) -> Any:
        if self._opened is None:
            self._opened = self._session.connection().connection.cursor()
        return self._opened

    def contact_exists(self, tenant_id: str, contact_id: str) -> bool:
        if contact_id in self._inserted:
            return True
        known = self._known.get(contact_id)
        if known is not None:
            return known
        sql = self._sql.contact_exists
        with self._translated(sql):
            return (
                self._send(lambda cursor: cursor.execute(sql, (tenant_id, contact_id))).fetchone() is not None
            )

    def read_ahead(self, tenant_id: str, contact_ids: Iterable[str]) -> None:
        """Read whether each of these contacts is stored, in one statement, for `contact_exists` to come."""
        ids = sorted({i for i in contact_ids if i not in self._known and i not in self._inserted})
        if not ids:
            return
        sql = self._sql.contacts_stored(len(ids))
        with self._translated(sql):
            found = {row[0] for row in self._send(lambda cursor: cursor.execute(sql, (tenant_id, *ids)))}
        self._known.update((i, i in found) for i in ids)

    def append_journal(self, tenant_id: str, entries: Sequence[tuple[float, str, str]]) -> None:
        """Journal `(at, command, payload as JSON text)` entries, in order (queued)."""
        for chunk in _chunks(entries):
            sql = self._sql.many(self._sql.journal_insert, len(chunk))
            self._queue(sql, tuple(v for at, cmd, payload in chunk for v in (tenant_id, at, cmd, payload)))

    def append_events(self, rows: Sequence[tuple[Any, ...]]) -> list[int]:
        """Log event rows (values in `EVENT_COLUMNS` order, `data` as JSON text); returns their sequences
        (increasing, in the order given)."""
        sequences: list[int] = []
        for chunk in _chunks(rows):
            sql = self._sql.many(self._sql.event_insert, len(chunk), returning=not self._sqlite)
            params = tuple(v for row in chunk for v in row)
            with self._translated(sql):
                cursor = self._send(lambda cursor: cursor.execute(sql, params))  # noqa: B023 - run here
                if self._sqlite:  # consecutive rowids: the writer holds the database's lock
                    last = cursor.lastrowid
                    sequences.extend(range(last - len(chunk) + 1, last + 1))
                else:  # one sequence value a row, drawn along the rows
                    sequences.extend(sorted(row[0] for row in cursor.fetchall()))
        return sequences

    def _queue(self, sql: str, params: tuple[Any, ...]) -> None:
        self._cursor  # noqa: B018 - begins the session's transaction: its rollback then drops the queue
        self._queued.append((sql, params))

    def insert_contact(self, row: Mapping[str, Any]) -> None:
        """A new `contacts` row (queued): every column of the table given, JSON columns as Python values."""
        self._queue(self._sql.contact_insert, _values(_CONTACT_COLUMNS, row))
        self._inserted.add(row["id"])

    def update_contacts(
        self, tenant_id: str, columns: tuple[str, ...], rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Set `columns` of each `(id, values)` row (queued): `rows` hold `"id"` and a value for each
        column."""
        sql = self._sql.contact_update(columns)
        for row in rows:
            self._queue(sql, (*_values(columns, row), tenant_id, row["id"]))

    @contextmanager
    def _translated(self, sql: str) -> Iterator[None]:
        """The driver's errors as SQLAlchemy's (IntegrityError, DataError...), as a statement run through
        the session would raise them: the API's handlers and callers catch those."""
        try:
            yield
        except self._dbapi_error as exc:
            raise DBAPIError.instance(sql, None, exc, self._dbapi_error) from exc

    def _send(self, statement: Callable[[Any], object]) -> Any:
        """Run the queued writes, then `statement(cursor)`: on PostgreSQL in one pipeline (one round trip),
        the writes on a cursor of their own. Returns the cursor, holding the statement's results."""
        cursor, queued = self._cursor, self._queued
        self._queued = []
        if self._sqlite:
            for sql, params in queued:
                cursor.execute(sql, params)
            statement(cursor)
            return cursor
        if self._writer is None:
            self._writer = self._session.connection().connection.cursor()
        with cursor.connection.pipeline():
            for sql, params in queued:
                self._writer.execute(sql, params)
            statement(cursor)
        return cursor


ROWS_A_STATEMENT = 1_000  # PostgreSQL takes at most 65,535 parameters a statement


def _chunks(rows: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), ROWS_A_STATEMENT):
        yield rows[start : start + ROWS_A_STATEMENT]


def _values(columns: Sequence[str], row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(json.dumps(row[name]) if name in _JSON_COLUMNS else row[name] for name in columns)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    DirectWrites.flush_shared(session)


@event.listens_for(Session, "do_orm_execute")
def _before_read(state: ORMExecuteState) -> None:
    DirectWrites.flush_shared(state.session)


# Fired by every rollback of a begun transaction (queueing a write begins it, see `_queue`).
@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: SessionTransaction) -> None:
    DirectWrites.discard_shared(session)
