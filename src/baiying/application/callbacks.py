"""Ticket callbacks placed as outbound contacts: a survey call or an appointment reminder that falls due
becomes a voice contact in routing, offered to an agent like any other contact (preview dialing: the offer
says whom to call, the number and why; the agent dials). Blended with inbound traffic by the same router,
so callbacks wait while callers do, rather than taking agents away from them.

Where a callback goes: the queue its workflow action names (`schedule_callback: {queue: ...}`), else the
queue of the contact the ticket was recorded in. One with neither stays in the outbox worklist
(`GET /api/tickets/outbox`) for a supervisor, as does one whose queue the live router does not serve.

Exactly once: the contact's id is derived from the outbox request (`callback-<id>`), so a placement
repeated after a crash (the contact made, the request not yet marked) finds its contact and only marks the
request. Contact caps were applied when the callback was scheduled (`TicketDesk`): a capped survey was
never requested.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.application.center import LiveCenter
from baiying.errors import DomainError
from baiying.ids import ContactId, QueueId
from baiying.routing.model import Channel
from baiying.storage.customer_tables import ContactPointRow
from baiying.storage.engine import begin_write
from baiying.storage.repositories import Conflict
from baiying.storage.repositories.tickets import TicketRepository
from baiying.storage.tables import ContactRow
from baiying.storage.ticket_tables import TicketOutboxRow, TicketRow

log = logging.getLogger(__name__)

BATCH = 200  # callbacks placed per pass: a backlog after an outage is worked off over a few passes
CONTACT_PREFIX = "callback-"
SYSTEM_ACTOR = "system"


@dataclass(frozen=True, slots=True)
class PlannedCallback:
    """A due callback and where it goes; `queue_id` None: nowhere known (it stays in the worklist)."""

    request_id: int
    tenant_id: str
    ticket_id: str
    purpose: str
    customer_id: str | None
    phone: str | None
    queue_id: str | None

    @property
    def contact_id(self) -> ContactId:
        return ContactId(f"{CONTACT_PREFIX}{self.request_id}")

    def attributes(self) -> dict[str, Any]:
        found: dict[str, Any] = {"direction": "outbound", "callback_purpose": self.purpose}
        found["ticket_id"] = self.ticket_id
        if self.phone is not None:
            found["phone"] = self.phone
        return found


def place_due_callbacks(
    sessions: Callable[[], Session], center: LiveCenter, now: float, *, tenant_id: str | None = None
) -> list[str]:
    """Place the callbacks due by `now` (the tenant's, or every tenant's) as contacts; returns the ids of
    the contacts made or found. The reads end before the center is called: it takes the write lock."""
    with sessions() as session:
        planned = [_plan(session, row) for row in _due(session, now, tenant_id)]
    placed: list[PlannedCallback] = []
    for callback in planned:
        if callback.queue_id is None:
            continue
        try:
            center.arrive(
                callback.tenant_id,
                QueueId(callback.queue_id),
                contact_id=callback.contact_id,
                channel=Channel.VOICE,
                customer_id=callback.customer_id,
                intent=callback.purpose,
                attributes=callback.attributes(),
            )
        except Conflict:
            pass  # placed before a restart that came before its request was marked
        except DomainError as exc:  # e.g. a queue the router does not serve: the worklist keeps it
            log.warning("callback %s (ticket %s) unplaced: %s", callback.request_id, callback.ticket_id, exc)
            continue
        placed.append(callback)
    if placed:
        _mark_placed(sessions, placed, now)
    return [str(callback.contact_id) for callback in placed]


def _due(session: Session, now: float, tenant_id: str | None) -> list[TicketOutboxRow]:
    query = select(TicketOutboxRow).where(
        TicketOutboxRow.kind == "callback",
        TicketOutboxRow.status == "pending",
        TicketOutboxRow.due_at <= now,
    )
    if tenant_id is not None:
        query = query.where(TicketOutboxRow.tenant_id == tenant_id)
    return list(session.scalars(query.order_by(TicketOutboxRow.due_at, TicketOutboxRow.id).limit(BATCH)))


def _plan(session: Session, row: TicketOutboxRow) -> PlannedCallback:
    ticket = session.get(TicketRow, (row.tenant_id, row.ticket_id))
    queue = row.payload.get("queue")
    if queue is None and ticket is not None and ticket.contact_id is not None:
        contact = session.get(ContactRow, (row.tenant_id, ticket.contact_id))
        queue = contact.queue_id if contact is not None else None
    customer = ticket.customer_id if ticket is not None else None
    return PlannedCallback(
        request_id=row.id,
        tenant_id=row.tenant_id,
        ticket_id=row.ticket_id,
        purpose=str(row.payload.get("purpose", row.template or "callback")),
        customer_id=customer,
        phone=_phone(session, row.tenant_id, customer) if customer is not None else None,
        queue_id=queue,
    )


def _phone(session: Session, tenant_id: str, customer_id: str) -> str | None:
    return session.scalar(
        select(ContactPointRow.value)
        .where(
            ContactPointRow.tenant_id == tenant_id,
            ContactPointRow.customer_id == customer_id,
            ContactPointRow.kind == "phone",
        )
        .order_by(ContactPointRow.id)
        .limit(1)
    )


def _mark_placed(sessions: Callable[[], Session], placed: list[PlannedCallback], now: float) -> None:
    with sessions() as session:
        begin_write(session)
        for callback in placed:
            row = session.get(TicketOutboxRow, callback.request_id)
            if row is None or row.status != "pending":
                continue
            where = {"contact_id": callback.contact_id, "queue": callback.queue_id}
            row.status = "done"
            row.payload = {**row.payload, **where}
            data = {"purpose": callback.purpose, **where}
            TicketRepository(session, callback.tenant_id).append(
                callback.ticket_id, now, SYSTEM_ACTOR, "callback-placed", data
            )
        session.commit()
