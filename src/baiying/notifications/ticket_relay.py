"""Customer notifications that tickets ask for, turned into outbox messages.

A ticket workflow or rule writes `notify: {to: customer, channel: sms, template: ticket-resolved}` into the
ticket outbox (in the same transaction as the ticket change). This relay renders the template in the
customer's language with the customer's name and the ticket's id and subject, addresses it to the
customer's phone or email, and queues it in the notification outbox, idempotently (the cause is the
ticket-outbox row). A customer without an address for that channel gets a `failed` row saying so, so no
request disappears silently. Notifications to staff (`to: assignee`, `role:...`) stay in the ticket outbox
for the desktop.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.clock import Timestamp
from baiying.customers.model import ContactPointKind
from baiying.errors import DomainError
from baiying.notifications.model import Channel, DeliveryStatus, Message
from baiying.notifications.outbox import Outbox
from baiying.notifications.templates import TemplateBook
from baiying.storage.customer_tables import ContactPointRow, CustomerRow
from baiying.storage.notification_tables import OutboxRow
from baiying.storage.ticket_tables import TicketOutboxRow, TicketRow

BATCH = 200
_POINT_OF = {Channel.SMS: ContactPointKind.PHONE.value, Channel.EMAIL: ContactPointKind.EMAIL.value}


def relay_ticket_notifications(
    session: Session, tenant_id: str, templates: TemplateBook, now: Timestamp
) -> int:
    """Queue the tenant's due customer notifications from tickets; returns how many were handled."""
    rows = session.scalars(
        select(TicketOutboxRow)
        .where(
            TicketOutboxRow.tenant_id == tenant_id,
            TicketOutboxRow.status == "pending",
            TicketOutboxRow.kind == "notification",
            TicketOutboxRow.recipient.like("customer:%"),
            TicketOutboxRow.due_at <= now,
        )
        .order_by(TicketOutboxRow.id)
        .limit(BATCH)
    ).all()
    outbox = Outbox(session, tenant_id)
    for row in rows:
        _relay(session, outbox, row, templates, now)
        row.status = "done"
    session.flush()
    return len(rows)


def tenants_with_ticket_notifications(session: Session, now: Timestamp) -> list[str]:
    return list(
        session.scalars(
            select(TicketOutboxRow.tenant_id)
            .where(
                TicketOutboxRow.status == "pending",
                TicketOutboxRow.kind == "notification",
                TicketOutboxRow.recipient.like("customer:%"),
                TicketOutboxRow.due_at <= now,
            )
            .distinct()
        )
    )


def _relay(
    session: Session, outbox: Outbox, row: TicketOutboxRow, templates: TemplateBook, now: Timestamp
) -> None:
    cause = f"ticket-outbox:{row.id}"
    channel = Channel(row.channel or "sms")
    customer = _survivor(session, row.tenant_id, (row.recipient or "").removeprefix("customer:"))
    ticket = session.get(TicketRow, (row.tenant_id, row.ticket_id))
    problem: str | None = None
    if customer is None:
        problem = f"ticket {row.ticket_id}: customer {row.recipient!r} not found"
    address = _address(session, customer, channel) if customer is not None else None
    if customer is not None and address is None:
        problem = f"customer {customer.id!r} has no {_POINT_OF[channel]} for {channel.value}"
    if problem is None and customer is not None and address is not None:
        language = "en" if (customer.language or "").startswith("en") else "zh"
        values = {
            "customer_name": customer.display_name,
            "ticket_id": row.ticket_id,
            "subject": ticket.subject if ticket is not None else "",
        }
        try:
            template = templates.get(row.template or "")
            rendered = template.render(language, channel, values)
            message = Message(channel, address, rendered.body, template.purpose, rendered.subject)
            outbox.enqueue(message, cause=cause, now=now, customer_id=customer.id, template=template.key)
            return
        except DomainError as error:
            problem = f"ticket {row.ticket_id}: {error}"
    _record_undeliverable(session, row, channel, cause, problem or "undeliverable", now)


def _survivor(session: Session, tenant_id: str, customer_id: str) -> CustomerRow | None:
    """The customer, or the record it was merged into."""
    seen: set[str] = set()
    row = session.get(CustomerRow, (tenant_id, customer_id))
    while row is not None and row.merged_into is not None and row.id not in seen:
        seen.add(row.id)
        row = session.get(CustomerRow, (tenant_id, row.merged_into))
    return row


def _address(session: Session, customer: CustomerRow, channel: Channel) -> str | None:
    kind = _POINT_OF.get(channel)
    if kind is None:
        return None
    return session.scalar(
        select(ContactPointRow.value)
        .where(
            ContactPointRow.tenant_id == customer.tenant_id,
            ContactPointRow.customer_id == customer.id,
            ContactPointRow.kind == kind,
        )
        .order_by(ContactPointRow.id)
        .limit(1)
    )


def _record_undeliverable(
    session: Session, row: TicketOutboxRow, channel: Channel, cause: str, reason: str, now: Timestamp
) -> None:
    if session.scalar(
        select(OutboxRow.id).where(OutboxRow.tenant_id == row.tenant_id, OutboxRow.cause == cause)
    ):
        return
    session.add(
        OutboxRow(
            tenant_id=row.tenant_id,
            cause=cause,
            channel=channel.value,
            purpose="transactional",
            recipient=row.recipient or "",
            body="",
            template=row.template,
            customer_id=(row.recipient or "").removeprefix("customer:") or None,
            status=DeliveryStatus.FAILED.value,
            attempts=0,
            last_error=reason,
            created_at=now,
        )
    )
