"""The in-process bus: batches reach every subscriber, only after the block that wrote them succeeded, and
one failing subscriber harms nobody."""

import logging

import pytest

from baiying.application.bus import EventBatch, EventBus
from baiying.events import SiteStatusChanged
from baiying.ids import SiteId

EVENT = SiteStatusChanged(1.0, SiteId("guangzhou"), "evacuated", "open")


def test_every_subscriber_gets_each_batch_and_a_failing_one_is_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    first: list[EventBatch] = []
    second: list[EventBatch] = []

    def broken(_: EventBatch) -> None:
        raise RuntimeError("wallboard gone")

    bus.subscribe(first.append)
    bus.subscribe(broken)
    unsubscribe = bus.subscribe(second.append)
    with caplog.at_level(logging.ERROR):
        bus.publish(EventBatch("acme", (EVENT,), (7,)))
    assert first == second == [EventBatch("acme", (EVENT,), (7,))]
    assert "event subscriber" in caplog.text
    assert "wallboard gone" in caplog.text

    unsubscribe()
    bus.publish(EventBatch("acme", (EVENT,), (8,)))
    assert len(first) == 2
    assert len(second) == 1


def test_the_outbox_publishes_after_the_block_and_not_at_all_if_it_fails() -> None:
    bus = EventBus()
    seen: list[EventBatch] = []
    bus.subscribe(seen.append)

    with bus.outbox() as outbox:
        outbox.add("acme", [EVENT], [1])
        outbox.add("acme", [], [])  # nothing to say: no batch
        assert seen == []  # the transaction has not committed yet
    assert seen == [EventBatch("acme", (EVENT,), (1,))]

    def failing_commit() -> None:
        with bus.outbox() as outbox:
            outbox.add("acme", [EVENT], [2])
            raise RuntimeError("commit failed")

    with pytest.raises(RuntimeError, match="commit failed"):
        failing_commit()
    assert len(seen) == 1
