"""The durable outbox: every message and webhook call is a row before it is sent.

`Outbox.enqueue` is idempotent by cause, needs the customer's consent for care and marketing, and applies
the frequency caps (a message without consent or over a cap is kept as a `suppressed` row saying why, so
nothing disappears silently). `Outbox.relay_events` turns new contact events (the event log) and ticket
events (the ticket history) into webhook deliveries for the subscriptions that follow them, moving the
tenant's cursors in the same transaction. Nothing here commits: callers own the transaction.
"""

import fnmatch
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from baiying.care.caps import ContactCap, Contacted, exceeded, longest_period
from baiying.care.consent import missing_consent
from baiying.care.offers import bundled_offer_purposes
from baiying.clock import Timestamp
from baiying.notifications.model import Channel, DeliveryStatus, InvalidRecipient, Message, Purpose
from baiying.notifications.recipients import normalise_recipient
from baiying.storage.customer_tables import CustomerRow
from baiying.storage.notification_tables import OutboxRow, WebhookCursorRow, WebhookSubscriptionRow
from baiying.storage.repositories.care_caps import care_contacts, contact_caps
from baiying.storage.tables import EventRow
from baiying.storage.ticket_tables import TicketEventRow

RELAY_BATCH = 500


@dataclass(frozen=True, slots=True)
class Enqueued:
    row: OutboxRow
    created: bool  # False: the cause was already in the outbox, nothing new was queued


class Outbox:
    def __init__(self, session: Session, tenant_id: str, caps: Sequence[ContactCap] | None = None) -> None:
        """`caps` None: the tenant's contact caps (`PUT /api/care/contact-caps`; the defaults until it sets
        its own), of which the SMS and email ones concern the outbox."""
        self.session = session
        self.tenant_id = tenant_id
        self.caps = tuple(contact_caps(session, tenant_id)[0] if caps is None else caps)

    def enqueue(
        self,
        message: Message,
        *,
        cause: str,
        now: Timestamp,
        customer_id: str | None = None,
        template: str | None = None,
    ) -> Enqueued:
        existing = self._by_cause(cause)
        if existing is not None:
            return Enqueued(existing, created=False)
        if message.channel is Channel.WEBHOOK:
            raise InvalidRecipient("webhook calls come from subscriptions, not from enqueue")
        recipient = normalise_recipient(message.channel, message.recipient)
        row = OutboxRow(
            tenant_id=self.tenant_id,
            cause=cause,
            channel=message.channel.value,
            purpose=message.purpose.value,
            recipient=recipient,
            subject=message.subject,
            body=message.body,
            template=template,
            customer_id=customer_id,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        refusal = self._without_consent(message, customer_id)
        if refusal is None and (cap := self._exceeded_cap(message, recipient, customer_id, now)) is not None:
            refusal = cap.reason()
        if refusal is not None:
            row.status = DeliveryStatus.SUPPRESSED.value
            row.next_attempt_at = None
            row.last_error = refusal
        self.session.add(row)
        self.session.flush()
        return Enqueued(row, created=True)

    def relay_events(self, now: Timestamp, limit: int = RELAY_BATCH) -> int:
        """Queue a webhook delivery for each new event (contact events from the event log; ticket events,
        typed `ticket-<kind>`, from the ticket history) and each active subscription that follows its
        type; returns how many events were read. Call repeatedly until it returns 0 to catch up."""
        cursor = self.session.get(WebhookCursorRow, self.tenant_id)
        if cursor is None:
            cursor = WebhookCursorRow(tenant_id=self.tenant_id, last_sequence=0, last_ticket_sequence=0)
            self.session.add(cursor)
        events = self.session.execute(
            select(EventRow.sequence, EventRow.kind, EventRow.at, EventRow.data)
            .where(EventRow.tenant_id == self.tenant_id, EventRow.sequence > cursor.last_sequence)
            .order_by(EventRow.sequence)
            .limit(limit)
        ).all()
        ticket_events = self.session.execute(
            select(
                TicketEventRow.sequence,
                TicketEventRow.kind,
                TicketEventRow.at,
                TicketEventRow.ticket_id,
                TicketEventRow.actor,
                TicketEventRow.data,
            )
            .where(
                TicketEventRow.tenant_id == self.tenant_id,
                TicketEventRow.sequence > cursor.last_ticket_sequence,
            )
            .order_by(TicketEventRow.sequence)
            .limit(limit)
        ).all()
        if not events and not ticket_events:
            return 0
        subscriptions = self.session.scalars(
            select(WebhookSubscriptionRow).where(
                WebhookSubscriptionRow.tenant_id == self.tenant_id, WebhookSubscriptionRow.active.is_(True)
            )
        ).all()
        relayed = [(f"event:{seq}", seq, kind, at, data) for seq, kind, at, data in events]
        relayed += [
            (f"ticket-event:{seq}", seq, f"ticket-{kind}", at, {"ticket_id": ticket, "actor": actor, **data})
            for seq, kind, at, ticket, actor, data in ticket_events
        ]
        for source, sequence, kind, at, data in relayed:
            for subscription in subscriptions:
                if follows(subscription.event_types, kind):
                    cause = f"{source}:webhook:{subscription.id}"
                    self.session.add(
                        _webhook_row(self.tenant_id, subscription, cause, sequence, kind, at, data, now)
                    )
        if events:
            cursor.last_sequence = events[-1][0]
        if ticket_events:
            cursor.last_ticket_sequence = ticket_events[-1][0]
        self.session.flush()
        return len(events) + len(ticket_events)

    def _by_cause(self, cause: str) -> OutboxRow | None:
        return self.session.scalar(
            select(OutboxRow).where(OutboxRow.tenant_id == self.tenant_id, OutboxRow.cause == cause)
        )

    def _without_consent(self, message: Message, customer_id: str | None) -> str | None:
        """Why the customer's consents forbid the message; None for what they are owed, and for an address
        without a customer record (its sender answers for it)."""
        if message.purpose is Purpose.TRANSACTIONAL or customer_id is None:
            return None
        customer = self.session.get(CustomerRow, (self.tenant_id, customer_id))
        if customer is None:
            return None
        given = {
            "marketing": customer.consent_marketing,
            "sms": customer.consent_sms,
            "email": customer.consent_email,
            "calls": customer.consent_calls,
        }
        return missing_consent(message.channel.value, message.purpose.value, given)

    def _exceeded_cap(
        self, message: Message, recipient: str, customer_id: str | None, now: Timestamp
    ) -> ContactCap | None:
        if message.purpose is Purpose.TRANSACTIONAL or not self.caps:
            return None
        since = now - longest_period(self.caps)
        channel, purpose = message.channel.value, message.purpose.value
        if customer_id is not None:
            # Caps follow the person: every care contact with the customer, whoever made it.
            made = care_contacts(self.session, self.tenant_id, customer_id, since, bundled_offer_purposes())
            return exceeded(self.caps, made, channel, purpose, now)
        history = self.session.execute(
            select(OutboxRow.channel, OutboxRow.purpose, OutboxRow.created_at).where(
                OutboxRow.tenant_id == self.tenant_id,
                OutboxRow.recipient == recipient,
                OutboxRow.status.in_((DeliveryStatus.PENDING.value, DeliveryStatus.SENT.value)),
                OutboxRow.created_at > since,
            )
        ).all()
        sent = [Contacted(kind, why, at) for kind, why, at in history]
        return exceeded(self.caps, sent, channel, purpose, now)

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(OutboxRow.status, func.count())
            .where(OutboxRow.tenant_id == self.tenant_id)
            .group_by(OutboxRow.status)
        ).all()
        return {status: int(count) for status, count in rows}


def follows(event_types: Sequence[str], kind: str) -> bool:
    return any(fnmatch.fnmatchcase(kind, pattern) for pattern in event_types)


def webhook_payload(sequence: int, kind: str, at: float, data: dict[str, Any]) -> dict[str, Any]:
    return {"sequence": sequence, "type": kind, "at": at, "data": data}


def _webhook_row(
    tenant_id: str,
    subscription: WebhookSubscriptionRow,
    cause: str,
    sequence: int,
    kind: str,
    at: float,
    data: dict[str, Any],
    now: Timestamp,
) -> OutboxRow:
    return OutboxRow(
        tenant_id=tenant_id,
        cause=cause,
        channel=Channel.WEBHOOK.value,
        purpose=Purpose.TRANSACTIONAL.value,
        recipient=subscription.url,
        body=json.dumps(webhook_payload(sequence, kind, at, data), ensure_ascii=False, sort_keys=True),
        subscription_id=subscription.id,
        event_type=kind,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
