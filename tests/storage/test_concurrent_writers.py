"""Concurrent writers through separate sessions all succeed: on SQLite a writer's transaction takes the
write lock when it begins (BEGIN IMMEDIATE), so a read-then-write transaction never fails to upgrade its
lock with "database is locked" when another writer got there first; it waits its turn instead. Plain
transactions stay deferred, so one open for reading does not block a writer on another connection."""

import threading
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from baiying.events import ContactArrived
from baiying.ids import ContactId, QueueId, SiteId
from baiying.routing.model import Channel
from baiying.storage.engine import immediate_transactions, make_engine
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
