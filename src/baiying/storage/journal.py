"""The router journal: every command the live router accepted, in order, with the time it ran at.

The router is deterministic, so replaying a tenant's journal through a fresh `Router` at the recorded
times rebuilds exactly the state it had: waiting contacts in their order, agent states, deadlines. The
live engine (`baiying.application.center`) appends one row per command in the same transaction as the
events and contact rows the command produced; the event log says what happened, the journal how to get
the router back to where it was.

`payload` holds everything the command needs (a whole agent profile, a whole contact) so that a replay
never depends on rows edited since. The model shares `tables.Base`, so its metadata is part of the schema
the migrations are compared with; it lives in its own module because only the live engine uses it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, Double, ForeignKey, Index, String, Table, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from baiying.storage.direct import DirectWrites
from baiying.storage.tables import ID, SEQUENCE, Base


class JournalRow(Base):
    __tablename__ = "router_journal"
    __table_args__ = (
        Index(None, "tenant_id", "sequence"),
        Index(None, "tenant_id", "command", "sequence"),
    )

    sequence: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"))
    at: Mapped[float] = mapped_column(Double)  # the `now` the router was called with, epoch seconds UTC
    command: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


_TABLE = cast(Table, JournalRow.__table__)
_INSERT = _TABLE.insert().returning(_TABLE.c.sequence)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    sequence: int
    at: float
    command: str
    payload: Mapping[str, Any]


class RouterJournal:
    """Repository of `router_journal`. Like the event log it never commits: an entry is stored if and only
    if the caller's transaction (with the command's events) is."""

    def append(
        self, session: Session, tenant_id: str, at: float, command: str, payload: Mapping[str, Any]
    ) -> int:
        """Add one command; returns its sequence (increasing, never reused)."""
        # A Core insert on the session's connection: the ORM's bulk path costs more than the row does.
        row = {"tenant_id": tenant_id, "at": at, "command": command, "payload": dict(payload)}
        return int(session.connection().execute(_INSERT, row).scalar_one())

    @staticmethod
    def append_encoded(
        writes: DirectWrites, tenant_id: str, entries: Sequence[tuple[float, str, str]]
    ) -> None:
        """Add `(at, command, payload as JSON text)` entries in order, through the transaction's
        `DirectWrites` (the live center has encoded each payload already, to refuse one that cannot be
        stored before the router runs it); their sequences increase in the same order."""
        writes.append_journal(tenant_id, entries)

    def read(
        self, session: Session, tenant_id: str, after_sequence: int = 0, limit: int | None = None
    ) -> list[JournalEntry]:
        """The tenant's entries with a sequence above `after_sequence`, in order, at most `limit`."""
        query = (
            select(JournalRow.sequence, JournalRow.at, JournalRow.command, JournalRow.payload)
            .where(JournalRow.tenant_id == tenant_id, JournalRow.sequence > after_sequence)
            .order_by(JournalRow.sequence)
        )
        if limit is not None:
            query = query.limit(limit)
        return [
            JournalEntry(seq, at, command, payload) for seq, at, command, payload in session.execute(query)
        ]

    def last(self, session: Session, tenant_id: str, command: str | None = None) -> JournalEntry | None:
        """The tenant's newest entry (of `command`, if given), or None."""
        query = select(JournalRow.sequence, JournalRow.at, JournalRow.command, JournalRow.payload).where(
            JournalRow.tenant_id == tenant_id
        )
        if command is not None:
            query = query.where(JournalRow.command == command)
        found = session.execute(query.order_by(JournalRow.sequence.desc()).limit(1)).first()
        return None if found is None else JournalEntry(found[0], found[1], found[2], found[3])
