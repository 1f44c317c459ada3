"""Email replies on a ticket (the agent desktop's reply box for email contacts): the answer is recorded on
the ticket as a customer-visible reply and queued in the notification outbox as an email to the customer,
in one transaction, so the dispatcher sends it with retries and caps like every message. The subject
carries the ticket's `[#id]` tag: the customer's answer threads back onto the ticket (`baiying email-in`).

The address is the one the ticket came from when it was recorded on an email contact, else the ticket's
customer's first email address (`reply_address`). A plain reply comment (`POST .../comments`, kind
`reply`) on a ticket with such an address is emailed the same way, whatever channel the agent is on: a
customer who wrote in and then calls is still answered where the ticket began.
"""

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.routes.ticket_access import ActorDep, DeskDep, readable_ticket
from baiying.api.schemas import KeyPath, Name
from baiying.api.schemas.tickets import EmailQueued
from baiying.customers.model import ContactPointKind
from baiying.notifications.model import Channel, Message, Purpose
from baiying.notifications.outbox import Outbox
from baiying.notifications.recipients import normalise_recipient
from baiying.storage.customer_tables import ContactPointRow
from baiying.storage.tables import ContactRow
from baiying.storage.ticket_tables import TicketRow
from baiying.tickets.errors import InvalidTicket
from baiying.tickets.model import CommentKind

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
MAX_REPLY_CHARS = 10_000


class EmailReplyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[
        str,
        StringConstraints(
            min_length=1, max_length=MAX_REPLY_CHARS, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*\S"
        ),
    ]
    to: Annotated[str, StringConstraints(min_length=3, max_length=320)] | None = Field(
        default=None, description="The address; left out: the ticket's customer's first email address."
    )
    subject: Name | None = Field(default=None, description="Left out: `Re: ` and the ticket's subject.")


class EmailReplyPublic(BaseModel):
    ticket_id: str
    sequence: int = Field(description="The reply's place in the ticket's history.")
    notification_id: int = Field(description="The email's row in the notification outbox.")
    recipient: str
    subject: str
    status: str


def reply_address(session: Session, tenant_id: str, row: TicketRow) -> str | None:
    """Where a customer-visible reply on the ticket is emailed: the sender of the email contact it was
    recorded on, else its customer's first email address; None when neither is known."""
    if row.contact_id is not None:
        contact = session.get(ContactRow, {"tenant_id": tenant_id, "id": row.contact_id})
        sender = (contact.attributes or {}).get("email") if contact is not None else None
        if contact is not None and contact.channel == "email" and isinstance(sender, str) and sender:
            return sender
    return _customer_email(session, tenant_id, row.customer_id)


def queue_reply_email(
    session: Session,
    tenant_id: str,
    row: TicketRow,
    sequence: int,
    text: str,
    address: str,
    subject: str | None,
    now: float,
) -> EmailQueued:
    """Queue the reply recorded as `sequence` in the outbox (in the caller's transaction), its subject
    tagged with the ticket's `[#id]`."""
    tag = f"[#{row.id}]"
    subject = subject or f"Re: {row.subject}"
    if tag not in subject:
        subject = f"{subject} {tag}"
    message = Message(Channel.EMAIL, address, text, Purpose.TRANSACTIONAL, subject)
    queued = Outbox(session, tenant_id).enqueue(
        message, cause=f"ticket-reply:{row.id}:{sequence}", now=now, customer_id=row.customer_id
    )
    return EmailQueued(
        notification_id=queued.row.id,
        recipient=queued.row.recipient,
        subject=subject,
        status=queued.row.status,
    )


def _customer_email(session: Session, tenant_id: str, customer_id: str | None) -> str | None:
    if customer_id is None:
        return None
    return session.scalar(
        select(ContactPointRow.value)
        .where(
            ContactPointRow.tenant_id == tenant_id,
            ContactPointRow.customer_id == customer_id,
            ContactPointRow.kind == ContactPointKind.EMAIL.value,
        )
        .order_by(ContactPointRow.id)
        .limit(1)
    )


@router.post("/{ticket_id}/email-replies", status_code=status.HTTP_201_CREATED)
def send_email_reply(
    ticket_id: KeyPath,
    body: EmailReplyCreate,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
) -> EmailReplyPublic:
    """Answer the customer by email on the ticket: 422 naming `to` when there is no address to write to,
    or naming the ticket when it is closed."""
    row = readable_ticket(desk, principal, ticket_id)
    address = body.to or reply_address(session, principal.tenant_id, row)
    if address is None:
        raise InvalidTicket(f"ticket {ticket_id!r} has no customer email address: give `to`", {"field": "to"})
    address = normalise_recipient(Channel.EMAIL, address)  # a bad address records nothing
    now = clock.now()
    sequence = desk.comment(actor, ticket_id, CommentKind.REPLY, body.body, now)
    queued = queue_reply_email(
        session, principal.tenant_id, row, sequence, body.body, address, body.subject, now
    )
    session.commit()
    return EmailReplyPublic(
        ticket_id=ticket_id,
        sequence=sequence,
        notification_id=queued.notification_id,
        recipient=queued.recipient,
        subject=queued.subject,
        status=queued.status,
    )
