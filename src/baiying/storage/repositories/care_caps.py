"""A tenant's contact-frequency caps, and the care and marketing contacts already made with a customer
that the caps count, whoever made them: offers shown (one per offer per contact, on the contact's
channel), survey callbacks the ticket desk scheduled (by voice), and care or marketing SMS and email the
notification outbox queued or sent. `care_contacts` is the one history every cap check reads, so a
survey call counts against the week's offers by voice and an offer shown in an SMS contact against the
care SMS of the day."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from baiying.care.caps import DEFAULT_CONTACT_CAPS, ContactCap, Contacted
from baiying.storage.care_tables import CareSettingsRow, OfferOutcomeRow
from baiying.storage.notification_tables import OutboxRow
from baiying.storage.tables import ContactRow
from baiying.storage.ticket_tables import TicketOutboxRow

CALLBACK_PURPOSES: Mapping[str, str] = {"survey": "care"}
"""The care purpose of each kind of ticket callback; the others (an appointment reminder) are owed."""


def cap_record(cap: ContactCap) -> dict[str, Any]:
    return {
        "channel": cap.channel,
        "purposes": sorted(cap.purposes),
        "max_contacts": cap.max_contacts,
        "period_seconds": cap.period_seconds,
    }


def cap_of(record: Mapping[str, Any]) -> ContactCap:
    return ContactCap(
        str(record["channel"]),
        frozenset(record["purposes"]),
        int(record["max_contacts"]),
        float(record["period_seconds"]),
    )


def contact_caps(session: Session, tenant_id: str) -> tuple[tuple[ContactCap, ...], CareSettingsRow | None]:
    """The tenant's caps and the row they come from (None: none configured, the defaults apply)."""
    row = session.get(CareSettingsRow, tenant_id)
    if row is None:
        return DEFAULT_CONTACT_CAPS, None
    return tuple(cap_of(record) for record in row.contact_caps), row


def save_contact_caps(
    session: Session, tenant_id: str, caps: Sequence[ContactCap], user_id: str, at: float
) -> CareSettingsRow:
    row = session.get(CareSettingsRow, tenant_id)
    records = [cap_record(cap) for cap in caps]
    if row is None:
        row = CareSettingsRow(tenant_id=tenant_id, contact_caps=records, updated_by=user_id, updated_at=at)
        session.add(row)
    else:
        row.contact_caps, row.updated_by, row.updated_at = records, user_id, at
    session.flush()
    return row


def offers_shown(
    session: Session,
    tenant_id: str,
    customer_id: str,
    since: float,
    purposes: Mapping[str, str],
    *,
    except_contact: str | None = None,
) -> list[Contacted]:
    """Offers presented to the customer after `since`: each (contact, offer) once, on its contact's
    channel (voice when unknown), with the offer's purpose from `purposes` (marketing when unknown).
    Offers of `except_contact` are left out, so the same contact's screen pop shows the same offers again."""
    query = (
        select(
            OfferOutcomeRow.contact_id,
            OfferOutcomeRow.offer_id,
            func.min(OfferOutcomeRow.at),
            ContactRow.channel,
        )
        .outerjoin(
            ContactRow,
            (ContactRow.tenant_id == OfferOutcomeRow.tenant_id)
            & (ContactRow.id == OfferOutcomeRow.contact_id),
        )
        .where(
            OfferOutcomeRow.tenant_id == tenant_id,
            OfferOutcomeRow.customer_id == customer_id,
            OfferOutcomeRow.at > since,
        )
        .group_by(OfferOutcomeRow.contact_id, OfferOutcomeRow.offer_id, ContactRow.channel)
    )
    if except_contact is not None:
        query = query.where(
            (OfferOutcomeRow.contact_id != except_contact) | OfferOutcomeRow.contact_id.is_(None)
        )
    return [
        Contacted(channel or "voice", purposes.get(offer_id, "marketing"), float(at))
        for _, offer_id, at, channel in session.execute(query)
    ]


def care_callbacks(session: Session, tenant_id: str, customer_id: str, since: float) -> list[Contacted]:
    """Care callbacks (surveys) the ticket desk scheduled for the customer, due after `since` (one the caps
    suppressed was never scheduled: it is in its ticket's history only)."""
    rows = session.execute(
        select(TicketOutboxRow.template, TicketOutboxRow.due_at).where(
            TicketOutboxRow.tenant_id == tenant_id,
            TicketOutboxRow.kind == "callback",
            TicketOutboxRow.recipient == f"customer:{customer_id}",
            TicketOutboxRow.template.in_(sorted(CALLBACK_PURPOSES)),
            TicketOutboxRow.due_at > since,
        )
    )
    return [Contacted("voice", CALLBACK_PURPOSES[str(template)], float(due_at)) for template, due_at in rows]


def messages_sent(session: Session, tenant_id: str, customer_id: str, since: float) -> list[Contacted]:
    """Care and marketing messages queued or sent to the customer after `since` (one the caps or the
    customer's consent suppressed, or that failed for good, never reached them and does not count)."""
    rows = session.execute(
        select(OutboxRow.channel, OutboxRow.purpose, OutboxRow.created_at).where(
            OutboxRow.tenant_id == tenant_id,
            OutboxRow.customer_id == customer_id,
            OutboxRow.purpose.in_(("care", "marketing")),
            OutboxRow.status.in_(("pending", "sent")),
            OutboxRow.created_at > since,
        )
    )
    return [Contacted(str(channel), str(purpose), float(at)) for channel, purpose, at in rows]


def care_contacts(
    session: Session,
    tenant_id: str,
    customer_id: str,
    since: float,
    offer_purposes: Mapping[str, str],
    *,
    except_contact: str | None = None,
) -> list[Contacted]:
    """Every care and marketing contact made with the customer after `since`, on every channel: offers
    shown (`offer_purposes` and `except_contact` as for `offers_shown`), care callbacks and messages."""
    return [
        *offers_shown(session, tenant_id, customer_id, since, offer_purposes, except_contact=except_contact),
        *care_callbacks(session, tenant_id, customer_id, since),
        *messages_sent(session, tenant_id, customer_id, since),
    ]
