"""The append-only event log table: `baiying.events` in, the same dataclasses out.

Each row's `data` is `Event.to_record()` as JSON. Reading rebuilds the exact dataclass: tuples come back
as tuples, and enum values (an `AgentState` passed as a `str` field) come back as their string values,
which compare equal to the enum. Sequences are the log's order: increasing, never reused.
"""

import json
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from baiying.errors import DomainError
from baiying.events import EVENT_TYPES, Event
from baiying.storage.direct import DirectWrites
from baiying.storage.tables import EventRow


class UnreadableEvent(DomainError):
    code = "unreadable-event"


def _is_tuple(hint: Any) -> bool:
    if hint is tuple or get_origin(hint) is tuple:  # compiled (mypyc) event classes annotate a bare `tuple`
        return True
    if get_origin(hint) in (Union, types.UnionType):
        return any(_is_tuple(arg) for arg in get_args(hint))
    return False


# JSON has no tuples: these fields come back from the database as lists.
_TUPLE_FIELDS: dict[str, frozenset[str]] = {
    kind: frozenset(name for name, hint in get_type_hints(cls).items() if _is_tuple(hint))
    for kind, cls in EVENT_TYPES.items()
}


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})  # exactly these types: a StrEnum is an Enum
_FIELD_NAMES: dict[type[Event], tuple[str, ...]] = {}


def event_data(event: Event) -> dict[str, Any]:
    """The JSON document stored for `event`: `to_record()` with enums as their values, tuples as lists.

    Built from the fields directly: `to_record()`'s `asdict` deep-copies every value first, which cost
    more than the rest of an event's row (events hold no nested dataclasses, `test_event_log` checks)."""
    cls = type(event)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in fields(cls))
    data: dict[str, Any] = {"kind": event.kind}
    for name in names:
        data[name] = _plain(getattr(event, name))
    return data


def event_row(tenant_id: str, event: Event) -> tuple[Any, ...]:
    """The `events` row of `event`, in `direct.EVENT_COLUMNS` order, its document as JSON text."""
    site_id = getattr(event, "site_id", None) or getattr(event, "to_site_id", None)
    queue_id = getattr(event, "queue_id", None) or getattr(event, "to_queue_id", None)
    return (
        tenant_id,
        event.at,
        event.kind,
        json.dumps(event_data(event)),
        getattr(event, "contact_id", None),
        getattr(event, "agent_id", None),
        site_id,
        queue_id,
    )


def event_from_data(data: Mapping[str, Any]) -> Event:
    """Rebuild the event dataclass from its stored document; raises UnreadableEvent for an unknown kind or
    a document that does not fit its kind (fields this code does not know are ignored)."""
    kind = data.get("kind")
    cls = EVENT_TYPES.get(str(kind))
    if cls is None:
        raise UnreadableEvent(f"unknown event kind {kind!r} in the event log")
    tuples = _TUPLE_FIELDS[cls.kind]
    values: dict[str, Any] = {}
    for field in fields(cls):
        if field.name in data:
            value = data[field.name]
            values[field.name] = tuple(value) if field.name in tuples and value is not None else value
    try:
        return cls(**values)
    except TypeError as exc:
        raise UnreadableEvent(f"event of kind {kind!r} cannot be read: {exc}") from None


class EventLog:
    """Repository of the `events` table. It never commits: events join the caller's transaction, so they
    are stored if and only if the state changes they describe are."""

    def append(self, session: Session, tenant_id: str, events: Sequence[Event]) -> list[int]:
        """Insert `events` in order; returns their sequences (increasing, in the same order)."""
        if not events:
            return []
        with DirectWrites.of(session) as writes:
            return self.append_with(writes, tenant_id, events)

    @staticmethod
    def append_with(writes: DirectWrites, tenant_id: str, events: Sequence[Event]) -> list[int]:
        """`append` through the transaction's `DirectWrites` (one cursor for all of a group's writes)."""
        return writes.append_events([event_row(tenant_id, e) for e in events])

    def read(
        self, session: Session, tenant_id: str, after_sequence: int = 0, limit: int | None = None
    ) -> list[tuple[int, Event]]:
        """The tenant's events with a sequence above `after_sequence`, in sequence order, at most `limit`.

        On PostgreSQL concurrent writers may commit sequences out of order; a tailing reader that must not
        miss any should read from a single writer's log (one router owns a tenant's queues).
        """
        query = (
            select(EventRow.sequence, EventRow.data)
            .where(EventRow.tenant_id == tenant_id, EventRow.sequence > after_sequence)
            .order_by(EventRow.sequence)
        )
        if limit is not None:
            query = query.limit(limit)
        return self._load(session, query)

    def read_range(
        self, session: Session, tenant_id: str, start: float, end: float
    ) -> list[tuple[int, Event]]:
        """The tenant's events with `start <= at < end` (epoch seconds, UTC), in sequence order."""
        query = (
            select(EventRow.sequence, EventRow.data)
            .where(EventRow.tenant_id == tenant_id, EventRow.at >= start, EventRow.at < end)
            .order_by(EventRow.sequence)
        )
        return self._load(session, query)

    def read_range_chunks(
        self, session: Session, tenant_id: str, start: float, end: float, chunk_size: int = 5_000
    ) -> Iterator[list[Event]]:
        """The tenant's events with `start <= at < end` in time order (ties in sequence order), at most
        `chunk_size` at a time: a long range is read with bounded memory. Each chunk is read in a
        transaction of its own, ended before the chunk is yielded."""
        after_at, after_sequence = start, 0
        while True:
            query = (
                select(EventRow.sequence, EventRow.at, EventRow.data)
                .where(
                    EventRow.tenant_id == tenant_id,
                    EventRow.at >= after_at,
                    EventRow.at < end,
                    or_(EventRow.at > after_at, EventRow.sequence > after_sequence),
                )
                .order_by(EventRow.at, EventRow.sequence)
                .limit(chunk_size)
            )
            rows = session.execute(query).all()
            session.rollback()
            if not rows:
                return
            after_sequence, after_at = rows[-1].sequence, rows[-1].at
            yield [event_from_data(row.data) for row in rows]
            if len(rows) < chunk_size:
                return

    def last_sequence(self, session: Session, tenant_id: str) -> int:
        """The tenant's highest sequence, 0 for an empty log."""
        query = select(EventRow.sequence).where(EventRow.tenant_id == tenant_id)
        found = session.scalar(query.order_by(EventRow.sequence.desc()).limit(1))
        return found or 0

    @staticmethod
    def _load(session: Session, query: Select[tuple[int, dict[str, Any]]]) -> list[tuple[int, Event]]:
        return [(sequence, event_from_data(data)) for sequence, data in session.execute(query)]
