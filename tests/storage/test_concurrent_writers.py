"""Concurrent writers through separate sessions all succeed: on SQLite a writer's transaction takes the
write lock when it begins (BEGIN IMMEDIATE), so a read-then-write transaction never fails to upgrade its
lock with "database is locked" when another writer got there first; it waits its turn instead. Plain
transactions stay deferred, so one open for reading does not block a writer on another connection."""

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from baiying.events import ContactArrived
from baiying.ids import ContactId, QueueId, SiteId
from baiying.routing.model import Channel
from baiying.storage.engine import (
    holds_request_write_lock,
    immediate_transactions,
    make_engine,
    request_writer_transactions,
)
from baiying.storage.event_log import EventLog
from baiying.storage.repositories import Tenants

T0 = 1_795_000_000.0
WRITERS = 8
ROUNDS = 3
PAUSE_SECONDS = 0.02  # between the read and the write: every writer reads before any writes


def _arrival(n: int) -> ContactArrived:
    return ContactArrived(
        at=T0 + n,
        contact_id=ContactId(f"c-{n:04d}"),
        queue_id=QueueId("q"),
        site_id=SiteId("s"),
        channel=Channel.VOICE,
    )


def test_concurrent_read_then_write_transactions_all_commit(db_url: str) -> None:
    base = make_engine(db_url)
    engine = immediate_transactions(base)
    try:
        with Session(engine) as session, session.begin():
            Tenants(session).add("acme", "Acme", at=T0)
        log = EventLog()
        start = threading.Barrier(WRITERS)
        errors: list[BaseException] = []

        def writer(index: int) -> None:
            try:
                start.wait(timeout=10)
                for round_ in range(ROUNDS):
                    with Session(engine) as session, session.begin():
                        log.last_sequence(session, "acme")  # a read first: a deferred BEGIN takes a read lock
                        time.sleep(PAUSE_SECONDS)
                        log.append(session, "acme", [_arrival(index * ROUNDS + round_)])
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        with Session(engine) as session:
            events = log.read(session, "acme")
            rows = session.scalar(text("SELECT count(*) FROM events"))
        assert rows == WRITERS * ROUNDS
        assert sorted(e.contact_id for _, e in events) == [f"c-{n:04d}" for n in range(WRITERS * ROUNDS)]
    finally:
        base.dispose()


def test_a_reading_session_does_not_block_a_writer_in_the_same_thread(db_url: str) -> None:
    """A request's session open (for reading) around a command that writes on another connection: were
    the outer transaction IMMEDIATE, the inner one would fail with "database is locked" after the busy
    timeout."""
    reader_engine = make_engine(db_url)
    writer_engine = make_engine(db_url, immediate=True)
    try:
        with Session(writer_engine) as session, session.begin():
            Tenants(session).add("acme", "Acme", at=T0)
        log = EventLog()
        with Session(reader_engine) as outer, outer.begin():
            assert log.last_sequence(outer, "acme") == 0
            with Session(writer_engine) as inner, inner.begin():
                log.last_sequence(inner, "acme")
                log.append(inner, "acme", [_arrival(1)])
        with Session(reader_engine) as session:
            assert [e.contact_id for _, e in log.read(session, "acme")] == ["c-0001"]
    finally:
        reader_engine.dispose()
        writer_engine.dispose()


def test_a_request_writer_transaction_marks_its_thread_until_it_ends(db_url: str) -> None:
    """While an HTTP request's writer transaction is open its thread holds SQLite's write lock; the mark
    lets the live center refuse calls that would wait on that lock. PostgreSQL has no such lock."""
    base = make_engine(db_url)
    engine = request_writer_transactions(base)
    sqlite = base.dialect.name == "sqlite"
    try:
        for end in ("commit", "rollback", "close"):
            session = Session(engine)
            assert not holds_request_write_lock()
            session.execute(text("SELECT 1"))
            assert holds_request_write_lock() is sqlite
            if sqlite:  # another connection cannot begin writing meanwhile
                other = sqlite3.connect(base.url.database or "", timeout=0)
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
                other.close()
            getattr(session, end)()
            assert not holds_request_write_lock(), end
            session.close()
        # A route's session may be closed by another worker thread than the one that ran the route.
        session = Session(engine)
        session.execute(text("SELECT 1"))
        closer = threading.Thread(target=session.close)
        closer.start()
        closer.join(timeout=10)
        assert not holds_request_write_lock()
        with Session(base) as reader:  # a plain session is not marked
            reader.execute(text("SELECT 1"))
            assert not holds_request_write_lock()
    finally:
        base.dispose()


def test_a_deferred_read_then_write_fails_after_a_commit_where_a_writer_waits(
    tmp_path: Path,
) -> None:
    """Why requests that may write get writer transactions: on SQLite a transaction that read, then
    writes after another connection committed, fails at once with "database is locked"."""
    url = f"sqlite:///{tmp_path / 'locks.db'}"
    base = make_engine(url)
    try:
        with base.begin() as connection:
            connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        with Session(base) as deferred:
            deferred.execute(text("SELECT count(*) FROM notes"))
            with base.begin() as other:
                other.execute(text("INSERT INTO notes (body) VALUES ('meanwhile')"))
            with pytest.raises(OperationalError, match="locked"):
                deferred.execute(text("INSERT INTO notes (body) VALUES ('mine')"))
        writer_engine = request_writer_transactions(base)
        done = threading.Event()
        with Session(writer_engine) as writer:
            writer.execute(text("SELECT count(*) FROM notes"))

            def meanwhile() -> None:
                with base.begin() as other:  # waits for the writer's lock instead of slipping in
                    other.execute(text("INSERT INTO notes (body) VALUES ('after')"))
                done.set()

            thread = threading.Thread(target=meanwhile)
            thread.start()
            assert not done.wait(0.2)
            writer.execute(text("INSERT INTO notes (body) VALUES ('mine')"))
            writer.commit()
        thread.join(timeout=10)
        with base.connect() as connection:
            bodies = connection.execute(text("SELECT body FROM notes ORDER BY id")).scalars().all()
        assert bodies == ["meanwhile", "mine", "after"]
    finally:
        base.dispose()
