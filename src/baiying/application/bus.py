"""The in-process event bus: committed events, in log order, to every subscriber.

Events reach subscribers only after the transaction that wrote them committed: the writer collects what
it will publish in an `Outbox` opened around its transaction, and the outbox delivers only when the block
exits without an exception (a rollback, or a failed commit, delivers nothing). A subscriber that raises is
logged and skipped; the others and the writer carry on.

Subscribers run on the publishing thread, in order, while the writer still holds its tenant's lock (that
is what keeps batches in log order): they must be quick. A WebSocket hub hands the batch to its event loop
(`loop.call_soon_threadsafe`) rather than sending from the callback.
"""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from baiying.events import Event

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events one transaction committed for one tenant, with their event-log sequences (same order)."""

    tenant_id: str
    events: tuple[Event, ...]
    sequences: tuple[int, ...]


Subscriber = Callable[[EventBatch], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback` with every batch published from now on; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def publish(self, batch: EventBatch) -> None:
        """Deliver a committed batch to every subscriber; one subscriber's exception is logged, not raised."""
        if not batch.events:
            return
        for subscriber in self._subscribers:  # a snapshot: (un)subscribing meanwhile is safe
            try:
                subscriber(batch)
            except Exception:
                logger.exception(
                    "event subscriber %r failed on a batch for tenant %s", subscriber, batch.tenant_id
                )

    @contextmanager
    def outbox(self) -> Iterator["Outbox"]:
        """Collect batches during a transaction; publish them, in order, when the block exits normally.

        Open it outside the transaction (`with bus.outbox() as out, session.begin(): ...`), so the commit
        has happened, and succeeded, before anything is published.
        """
        box = Outbox()
        yield box
        for batch in box.batches:
            self.publish(batch)


class Outbox:
    def __init__(self) -> None:
        self.batches: list[EventBatch] = []

    def add(self, tenant_id: str, events: Sequence[Event], sequences: Sequence[int]) -> None:
        if events:
            self.batches.append(EventBatch(tenant_id, tuple(events), tuple(sequences)))
