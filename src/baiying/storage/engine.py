"""Which database, and how to connect to it.

SQLite is the embedded default (`var/baiying.db` under the current directory); PostgreSQL is chosen with
`BAIYING_DATABASE_URL=postgresql+psycopg://user:password@host/db`. Nothing here connects until asked.
"""

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from baiying.errors import DomainError

DATABASE_URL_ENV = "BAIYING_DATABASE_URL"
DEFAULT_SQLITE_FILE = Path("var") / "baiying.db"
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
SQLITE_BEGIN_IMMEDIATE = "baiying_sqlite_begin_immediate"  # execution option: BEGIN IMMEDIATE
SQLITE_REQUEST_WRITER = "baiying_sqlite_request_writer"  # execution option: a request's writer transaction

# Request writer transactions open now: connection -> the thread that began it. Not a thread-local:
# a route's session may be closed (and its transaction rolled back) by another worker thread.
_request_writers: dict[int, int] = {}
_request_writers_lock = threading.Lock()


class InvalidDatabaseUrl(DomainError):
    code = "invalid-database-url"


class DatabaseUnavailable(DomainError):
    code = "database-unavailable"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """`BAIYING_DATABASE_URL` if set, else the SQLite file `var/baiying.db` under the current directory
    (as an absolute path; `var/` is created if missing)."""
    env = os.environ if environ is None else environ
    configured = env.get(DATABASE_URL_ENV, "").strip()
    if configured:
        return configured
    path = (Path.cwd() / DEFAULT_SQLITE_FILE).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def parse_url(url: str | URL) -> URL:
    """Parse and normalise a database URL: plain `postgresql://` means the installed psycopg 3 driver.

    Raises InvalidDatabaseUrl for an unparsable URL or a database other than SQLite or PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidDatabaseUrl(f"{url!s} is not a database URL (e.g. sqlite:///var/baiying.db)") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if backend != "sqlite":
        raise InvalidDatabaseUrl(
            f"{display_url(parsed)}: unsupported database {backend!r}; use sqlite:/// or postgresql+psycopg://"
        )
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def make_engine(url: str | URL, *, echo: bool = False, immediate: bool = False) -> Engine:
    """An engine for `url`: SQLite with foreign keys enforced, WAL and real transactions (so migrations and
    savepoints work); PostgreSQL through psycopg 3 with a small pre-pinged pool. A file SQLite database's
    directory is created if missing.

    With `immediate`, SQLite transactions take the write lock when they begin (`immediate_transactions`).
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, echo)
        return immediate_transactions(engine) if immediate else engine
    return create_engine(
        parsed,
        echo=echo,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=True,  # a server restart should cost one reconnect, not one failed request
        pool_recycle=1800,
        connect_args={"connect_timeout": 10, "application_name": "baiying"},
    )


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    options: dict[str, Any] = {
        "echo": echo,
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
    }
    if in_memory:
        # Every connection to ":memory:" is a new empty database: share one.
        options["poolclass"] = StaticPool
    else:
        Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # sqlite3's own transaction handling commits before DDL and never starts SAVEPOINT-safe
        # transactions; taking BEGIN over (the recipe in SQLAlchemy's SQLite notes) fixes both.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
                # A commit is written to the WAL file before it returns, so it survives the process being
                # killed (kill -9); the WAL is fsynced at checkpoints, not at every commit, which only a
                # power cut or an OS crash can expose (SQLite's recommended setting with WAL). An fsync
                # per commit would cost more than the live engine's whole command.
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        statement = "BEGIN IMMEDIATE" if options.get(SQLITE_BEGIN_IMMEDIATE, False) else "BEGIN"
        # On sqlite3's own connection: through `exec_driver_sql` the statement cost ~50 us of SQLAlchemy's
        # execution machinery, for every transaction (three per routed contact in the live center).
        try:
            connection.connection.driver_connection.execute(statement)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc
        if options.get(SQLITE_REQUEST_WRITER, False):
            with _request_writers_lock:
                _request_writers[id(connection)] = threading.get_ident()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        with _request_writers_lock:
            _request_writers.pop(id(connection), None)

    return engine


def immediate_transactions(engine: Engine) -> Engine:
    """The same engine (pool, events) whose SQLite transactions begin IMMEDIATE: they take the write lock
    at BEGIN, waiting up to the busy timeout for it. For transactions that will write: a deferred one
    that reads, then writes, must upgrade its lock, and SQLite fails that upgrade at once with "database
    is locked" (waiting could deadlock) when another writer got there first, as concurrent logins that
    rehash a password did. Not the default: a thread that holds an IMMEDIATE transaction while another
    connection of its own waits to write (a request's session open around a `LiveCenter` command)
    deadlocks until the busy timeout. PostgreSQL engines are returned unchanged."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})


def request_writer_transactions(engine: Engine) -> Engine:
    """`immediate_transactions` for HTTP requests that may write; while one is open its thread is marked,
    so that the live center refuses to be called from inside it (`holds_request_write_lock`) instead of
    waiting for the lock the request holds until the busy timeout."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True, SQLITE_REQUEST_WRITER: True})


def holds_request_write_lock() -> bool:
    """Whether this thread began a request's writer transaction that is still open (SQLite only)."""
    me = threading.get_ident()
    with _request_writers_lock:
        return me in _request_writers.values()


def begin_write(session: Session) -> None:
    """Begin the session's next transaction as a writer: on SQLite, BEGIN IMMEDIATE, waiting up to the
    busy timeout for the write lock, where a deferred transaction that read first could fail at once with
    "database is locked" when it tries to write after another writer committed. The session must have no
    transaction open. PostgreSQL needs nothing: its transactions may always write."""
    if session.in_transaction():
        raise RuntimeError("begin_write: the session already has a transaction open")
    session.connection(execution_options={SQLITE_BEGIN_IMMEDIATE: True})


def switch_to_writing(session: Session) -> None:
    """End the session's read transaction and begin a writer one (`begin_write`): for a request that read,
    perhaps let the live center commit, and now writes. On SQLite its read transaction could not take the
    write lock once another writer committed, and would fail at once with "database is locked". The
    session must hold no changes of its own: they would be rolled back with the read."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("switch_to_writing: the session holds changes a rollback would lose")
    session.rollback()
    begin_write(session)


@contextmanager
def connection_errors(url: str | URL) -> Iterator[None]:
    """Turn a failure to reach the database into DatabaseUnavailable naming the (password-free) URL."""
    try:
        yield
    except DBAPIError as exc:
        # A failure to connect carries no statement; anything else is the caller's to handle.
        if exc.statement is not None and not exc.connection_invalidated:
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise DatabaseUnavailable(f"cannot connect to the database at {display_url(url)}: {reason}") from None
