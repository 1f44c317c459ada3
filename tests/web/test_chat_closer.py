"""The chat closer reads the database only for contacts that are chats: a voice contact's end costs
nothing, a chat contact's end (seen arriving, or open when the closer started) is looked up."""

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from baiying.api.routes.chat import ChatCloser
from baiying.application.bus import EventBatch, EventBus
from baiying.clock import ManualClock
from baiying.events import ContactArrived, ContactCompleted, Event
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.storage.engine import make_engine

T0 = 1_800_000_000.0


class CountedSessions:
    """A session factory that counts the sessions opened and signals each one."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._make = sessionmaker(self.engine)
        self.opened = 0
        self.signal = threading.Semaphore(0)

    def __call__(self) -> Session:
        self.opened += 1
        self.signal.release()
        return self._make()


@pytest.fixture
def sessions(db_url: str) -> Iterator[CountedSessions]:
    counted = CountedSessions(db_url)
    yield counted
    counted.engine.dispose()


def _arrived(contact: str, channel: str) -> ContactArrived:
    return ContactArrived(T0, ContactId(contact), QueueId("q"), channel, None)


def _completed(contact: str) -> ContactCompleted:
    return ContactCompleted(T0 + 60, ContactId(contact), QueueId("q"), AgentId("a"), SiteId("s"), 60.0)


def _publish(bus: EventBus, *events: Event) -> None:
    bus.publish(EventBatch("acme", events, tuple(range(1, len(events) + 1))))


def test_only_a_chat_contacts_end_is_looked_up(sessions: CountedSessions) -> None:
    bus = EventBus()
    closer = ChatCloser(bus, sessions, ManualClock(T0))
    try:
        assert sessions.signal.acquire(timeout=5)  # the open conversations, read once at start
        _publish(bus, _arrived("voice-1", "voice"), _completed("voice-1"))
        _publish(bus, _completed("never-seen"))
        _publish(bus, _arrived("chat-1", "chat"))
        _publish(bus, _completed("chat-1"))
        assert sessions.signal.acquire(timeout=5)  # the chat's end: one read
        _publish(bus, _completed("chat-1"))  # ended already: not again
    finally:
        closer.close()
    assert sessions.opened == 2
