"""The rest of a customer's timeline beside their contacts: their tickets and the messages sent to them
(SMS and email), as timeline entries. Read from the tickets and the notification outbox at query time, so
they are never behind; the contact-based counts and FCR stay about contacts."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.customers.model import Category, Interaction, Resolution
from baiying.ids import CustomerId
from baiying.storage.notification_tables import OutboxRow
from baiying.storage.ticket_tables import TicketRow

TICKET_CATEGORIES = {
    "complaint": Category.COMPLAINT,
    "consultation": Category.CONSULTATION,
    "repair": Category.SERVICE,
}
DONE = ("resolved", "closed")


def ticket_entries(
    session: Session, tenant_id: str, customer_id: str, *, since: float | None, limit: int | None
) -> list[Interaction]:
    """The customer's tickets, newest first: channel "ticket", when opened, its subject and state."""
    query = select(TicketRow).where(TicketRow.tenant_id == tenant_id, TicketRow.customer_id == customer_id)
    if since is not None:
        query = query.where(TicketRow.created_at >= since)
    query = query.order_by(TicketRow.created_at.desc())
    if limit is not None:
        query = query.limit(limit)
    return [
        Interaction(
            source="ticket",
            source_id=row.id,
            customer_id=CustomerId(customer_id),
            channel="ticket",
            at=row.created_at,
            topic=row.subject,
            category=TICKET_CATEGORIES.get(row.type, Category.OTHER),
            outcome=row.state,
            resolution=Resolution.RESOLVED if row.category in DONE else Resolution.UNRESOLVED,
            agent_id=row.agent_id,
            queue_id=row.queue_id,
        )
        for row in session.scalars(query)
    ]


def message_entries(
    session: Session, tenant_id: str, customer_id: str, *, since: float | None, limit: int | None
) -> list[Interaction]:
    """SMS and email sent (or held back) to the customer, newest first: channel sms or email, its
    template (else its subject), and its delivery status (a suppressed one says so)."""
    query = select(OutboxRow).where(
        OutboxRow.tenant_id == tenant_id,
        OutboxRow.customer_id == customer_id,
        OutboxRow.channel.in_(("sms", "email")),
    )
    if since is not None:
        query = query.where(OutboxRow.created_at >= since)
    query = query.order_by(OutboxRow.created_at.desc())
    if limit is not None:
        query = query.limit(limit)
    return [
        Interaction(
            source="message",
            source_id=str(row.id),
            customer_id=CustomerId(customer_id),
            channel=row.channel,
            at=row.created_at,
            topic=row.template or row.subject,
            outcome=row.status,
        )
        for row in session.scalars(query)
    ]
