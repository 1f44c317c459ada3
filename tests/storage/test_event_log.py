"""The event log stores every event kind and gives back equal dataclasses, in sequence order."""

from dataclasses import fields

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.events import (
    EVENT_TYPES,
    AgentStateChanged,
    CallbackOffered,
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    ContactOffered,
    ContactOverflowed,
    ContactQueued,
    ContactRoutedOut,
    ContactTransferred,
    Event,
    MonitorStarted,
    MonitorStopped,
    OfferDeclined,
    SiteStatusChanged,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.model import AgentState, Channel, SiteStatus
from baiying.storage.event_log import EventLog, UnreadableEvent, event_from_data
from baiying.storage.repositories import Tenants
from baiying.storage.tables import EventRow

T0 = 1_795_000_000.123456  # 2026-11-18, with microseconds that must survive the round trip
C = ContactId("c-0001")
Q = QueueId("billing")
LI_NA = AgentId("li-na")
GZ = SiteId("guangzhou")
BJ = SiteId("beijing")

ONE_OF_EACH: list[Event] = [
    ContactArrived(
        T0,
        C,
        Q,
        Channel.VOICE,
        GZ,
        language="yue",
        intent="bill",
        tier="gold",
        region="gd",
        priority=2,
        customer_id="cust-7",
    ),
    ContactQueued(T0 + 0.5, C, Q, (GZ, BJ), "dialect billing agents", reason="affinity yue → guangzhou"),
    ContactOverflowed(T0 + 30, C, Q, GZ, BJ, reason="expected wait 95 s > 40 s"),
    ContactOffered(T0 + 31, C, Q, LI_NA, BJ, reason="longest idle"),
    OfferDeclined(T0 + 51, C, Q, LI_NA, missed=True),
    ContactAnswered(T0 + 60.25, C, Q, LI_NA, BJ, wait_seconds=60.125),
    ContactAbandoned(T0 + 61, ContactId("c-0002"), Q, None, wait_seconds=0.0),
    ContactCompleted(T0 + 300, C, Q, LI_NA, BJ, handle_seconds=239.75),
    WrapUpEnded(T0 + 320, C, Q, LI_NA, BJ, wrap_up_seconds=20.0),
    ContactTransferred(T0 + 330, ContactId("c-0003"), Q, QueueId("tech"), None),
    CallbackOffered(T0 + 340, ContactId("c-0004"), Q),
    ContactRoutedOut(T0 + 350, ContactId("c-0005"), QueueId("complaints"), "ticket", wait_seconds=600.0),
    AgentStateChanged(T0 + 360, LI_NA, BJ, AgentState.AUX, AgentState.READY, reason="lunch"),
    SiteStatusChanged(T0 + 370, GZ, SiteStatus.EVACUATED, SiteStatus.OPEN),
    MonitorStarted(T0 + 380, ContactId("c1"), AgentId("li-na"), "chen", "super1", "monitor"),
    MonitorStopped(T0 + 390, ContactId("c1"), AgentId("li-na"), "chen", "super1", "call ended"),
]


@pytest.fixture
def tenant(session: Session) -> str:
    Tenants(session).add("acme", "Acme", at=T0)
    Tenants(session).add("other", "Other", at=T0)
    session.commit()
    return "acme"


def test_the_samples_cover_every_event_kind() -> None:
    assert sorted(type(e).kind for e in ONE_OF_EACH) == sorted(EVENT_TYPES)


def test_every_event_kind_round_trips_equal(session: Session, tenant: str) -> None:
    log = EventLog()
    sequences = log.append(session, tenant, ONE_OF_EACH)
    session.commit()
    session.expire_all()

    read = log.read(session, tenant)

    assert [s for s, _ in read] == sequences == sorted(sequences)
    assert len(set(sequences)) == len(ONE_OF_EACH)
    for (_, got), sent in zip(read, ONE_OF_EACH, strict=True):
        assert got == sent
        assert type(got) is type(sent)
        for field in fields(sent):
            assert type(getattr(got, field.name)) in (type(getattr(sent, field.name)), str)
    queued = read[1][1]
    assert isinstance(queued, ContactQueued)
    assert queued.site_ids == (GZ, BJ)


def test_rows_carry_the_ids_to_index_and_the_full_record(session: Session, tenant: str) -> None:
    EventLog().append(session, tenant, ONE_OF_EACH)
    rows = {row.kind: row for row in session.scalars(select(EventRow))}
    overflow = rows["contact-overflowed"]
    assert (overflow.contact_id, overflow.site_id, overflow.queue_id, overflow.agent_id) == (C, BJ, Q, None)
    assert rows["contact-transferred"].queue_id == "tech"
    assert rows["agent-state-changed"].data == {
        "kind": "agent-state-changed",
        "at": T0 + 360,
        "agent_id": "li-na",
        "site_id": "beijing",
        "state": "aux",
        "previous": "ready",
        "reason": "lunch",
    }
    assert rows["contact-queued"].data["site_ids"] == ["guangzhou", "beijing"]


def test_appends_keep_order_across_calls_and_tenants(session: Session, tenant: str) -> None:
    log = EventLog()
    first = log.append(session, tenant, ONE_OF_EACH[:3])
    log.append(session, "other", ONE_OF_EACH[3:5])
    second = log.append(session, tenant, ONE_OF_EACH[5:])
    session.commit()

    assert first[-1] < second[0]
    assert [e for _, e in log.read(session, tenant)] == ONE_OF_EACH[:3] + ONE_OF_EACH[5:]
    assert [e for _, e in log.read(session, "other")] == ONE_OF_EACH[3:5]
    assert [e for _, e in log.read(session, tenant, after_sequence=first[-1], limit=2)] == ONE_OF_EACH[5:7]
    assert log.read(session, tenant, after_sequence=second[-1]) == []
    assert log.last_sequence(session, tenant) == second[-1]
    assert log.append(session, tenant, []) == []


def test_read_range_is_half_open_in_time(session: Session, tenant: str) -> None:
    log = EventLog()
    log.append(session, tenant, ONE_OF_EACH)
    session.commit()

    window = log.read_range(session, tenant, T0 + 30, T0 + 300)

    assert [e for _, e in window] == [e for e in ONE_OF_EACH if T0 + 30 <= e.at < T0 + 300]
    assert window[0][1].kind == "contact-overflowed"
    assert log.read_range(session, "other", T0, T0 + 1000) == []


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
def test_a_range_read_in_chunks_is_every_event_once_in_time_order(
    session: Session, tenant: str, chunk_size: int
) -> None:
    log = EventLog()
    ties = [  # several events at one time, and one appended out of time order
        ContactArrived(T0 + 10, ContactId(f"t{n}"), Q, Channel.VOICE, GZ) for n in range(4)
    ]
    late_appended = ContactArrived(T0 + 5, ContactId("early"), Q, Channel.VOICE, GZ)
    log.append(session, tenant, [*ONE_OF_EACH, *ties, late_appended])
    session.commit()

    chunks = list(log.read_range_chunks(session, tenant, T0 + 5, T0 + 300, chunk_size))

    expected = [late_appended, *ties, *(e for e in ONE_OF_EACH if T0 + 10 < e.at < T0 + 300)]
    assert [e for chunk in chunks for e in chunk] == sorted(
        expected, key=lambda e: e.at
    )  # sorted is stable: the ties stay in the order they were appended
    assert all(0 < len(chunk) <= chunk_size for chunk in chunks)
    assert not session.in_transaction()  # each chunk's read was ended
    assert list(log.read_range_chunks(session, "other", T0, T0 + 1000)) == []


def test_events_roll_back_with_the_transaction(session: Session, tenant: str) -> None:
    log = EventLog()
    log.append(session, tenant, ONE_OF_EACH[:2])
    session.rollback()
    assert log.read(session, tenant) == []


def test_an_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(UnreadableEvent, match="unknown event kind 'contact-teleported'"):
        event_from_data({"kind": "contact-teleported", "at": 0.0})
    with pytest.raises(UnreadableEvent, match="cannot be read"):
        event_from_data({"kind": "callback-offered", "at": 0.0})
