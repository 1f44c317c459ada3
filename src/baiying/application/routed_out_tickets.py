"""A ticket for each contact routed out to "ticket" (its policy's last step, or `route_out`), so the
customer who was not served live is followed up on the ticket desk: a consultation recorded in that
contact, with its customer, tier and intake site, and the reason it was routed out.

The ticket's id is derived from the contact's, so opening it twice opens it once: the bus subscriber
(`RoutedOutTickets`) opens it moments after the route-out commits, and `open_missing` at start-up opens
those a crash or a refused write left without one.
"""

import hashlib
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.application.background import BackgroundWorker
from baiying.application.bus import EventBatch, EventBus
from baiying.application.commands import ROUTED_OUT
from baiying.application.ticket_config import tenant_config
from baiying.application.tickets import SYSTEM_ACTOR, NewTicket, TicketDesk
from baiying.clock import Clock, Timestamp
from baiying.events import ContactRoutedOut
from baiying.routing.decisions import RouteOutDestination
from baiying.storage.repositories.tickets import TicketRepository
from baiying.storage.tables import ContactRow, TenantRow
from baiying.storage.ticket_tables import TicketRow
from baiying.tickets.config import TicketConfig
from baiying.tickets.model import TicketType


def ticket_id_for(contact_id: str) -> str:
    """The id of the ticket a routed-out contact gets (the form of every ticket id: "tk-" and 12 hex)."""
    return "tk-" + hashlib.sha256(f"routed-out:{contact_id}".encode()).hexdigest()[:12]


def open_ticket(
    session: Session, tenant_id: str, contact_id: str, now: Timestamp, config: TicketConfig | None = None
) -> TicketRow | None:
    """Open the ticket of a contact routed out to "ticket", unless it has one; returns the new ticket, or
    None (another outcome or destination, or opened already). The caller commits. `config`: the tenant's
    ticket configuration when not given."""
    contact = session.get(ContactRow, (tenant_id, contact_id))
    if contact is None or contact.state != ROUTED_OUT:
        return None
    routed_out = (contact.attributes or {}).get("routed_out") or {}
    if routed_out.get("destination") != RouteOutDestination.TICKET:
        return None
    ticket_id = ticket_id_for(contact_id)
    if TicketRepository(session, tenant_id).find(ticket_id) is not None:
        return None
    reason = routed_out.get("reason") or "no reason given"
    desk = TicketDesk(session, tenant_id, config or tenant_config(session, tenant_id))
    new = NewTicket(
        type=TicketType.CONSULTATION,
        subject=f"Follow up: not served in queue {contact.queue_id}",
        description=f"Routed out of queue {contact.queue_id} to a ticket: {reason}.",
        customer_id=contact.customer_id,
        site_id=contact.intake_site_id,
        tier=contact.tier,
        id=ticket_id,
        contact_id=contact_id,
    )
    return desk.create(SYSTEM_ACTOR, new, now)


def open_missing(sessions: Callable[[], Session], clock: Clock, config: TicketConfig | None = None) -> int:
    """Open the tickets of every tenant's contacts routed out to "ticket" that have none; returns how
    many were opened. Reads only the routed-out contacts that no ticket was recorded in (an anti-join on
    the tickets' contact index), so a start-up after a year of routed-out contacts reads next to nothing."""
    has_ticket = (
        select(TicketRow.id)
        .where(TicketRow.tenant_id == ContactRow.tenant_id, TicketRow.contact_id == ContactRow.id)
        .exists()
    )
    with sessions() as session:
        tenants = session.scalars(select(TenantRow.id)).all()
        candidates = [
            (tenant_id, contact_id, attributes)
            for tenant_id in tenants
            for contact_id, attributes in session.execute(
                select(ContactRow.id, ContactRow.attributes).where(
                    ContactRow.tenant_id == tenant_id, ContactRow.state == ROUTED_OUT, ~has_ticket
                )
            )
        ]
    wanted = [
        (tenant_id, contact_id)
        for tenant_id, contact_id, attributes in candidates
        if ((attributes or {}).get("routed_out") or {}).get("destination") == RouteOutDestination.TICKET
    ]
    opened = 0
    for tenant_id, contact_id in wanted:
        with sessions() as session:
            if open_ticket(session, tenant_id, contact_id, clock.now(), config) is not None:
                session.commit()
                opened += 1
    return opened


class RoutedOutTickets:
    """Subscribes to the center's bus and opens the ticket of each contact routed out to "ticket", on a
    thread of its own (never on the publishing thread, which holds the tenant's lock)."""

    def __init__(
        self,
        bus: EventBus,
        sessions: Callable[[], Session],
        clock: Clock,
        config: TicketConfig | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._config = config
        self._worker = BackgroundWorker[tuple[str, str]]("routed-out-tickets", self._open)
        self._unsubscribe = bus.subscribe(self._on_batch)

    def _on_batch(self, batch: EventBatch) -> None:
        for event in batch.events:
            if isinstance(event, ContactRoutedOut) and event.destination == RouteOutDestination.TICKET:
                self._worker.put((batch.tenant_id, str(event.contact_id)))

    def _open(self, job: tuple[str, str]) -> None:
        tenant_id, contact_id = job
        with self._sessions() as session:
            if open_ticket(session, tenant_id, contact_id, self._clock.now(), self._config):
                session.commit()

    def close(self) -> None:
        self._unsubscribe()
        self._worker.close()
