"""Duplicate customers and merging them, over `CustomerStore` (rules in `baiying.customers.matching` and
`baiying.customers.merging`).
"""

from typing import Any, cast

from sqlalchemy import CursorResult, Update, or_, select, update

from baiying.customers.events import CustomerMerged, CustomerUpdated
from baiying.customers.matching import DuplicatePair, duplicate_of, find_duplicates
from baiying.customers.merging import FILLED_FIELDS, merge
from baiying.customers.model import Customer
from baiying.storage.care_tables import OfferOutcomeRow
from baiying.storage.customer_tables import ContactPointRow, CustomerRow, InteractionRow, ProductRow
from baiying.storage.notification_tables import OutboxRow
from baiying.storage.repositories.customers import CHUNK, CustomerStore, record_event
from baiying.storage.tables import ContactRow
from baiying.storage.ticket_tables import TicketEventRow, TicketRow

# Tables whose `customer_id` follows a merge to the survivor: the timeline, the contacts, and the care
# contacts the frequency caps count (offers shown, messages sent), so caps keep following the person.
CUSTOMER_REFERENCES: list[tuple[type[Any], str]] = [
    (InteractionRow, "interactions"),
    (ContactRow, "contacts"),
    (OfferOutcomeRow, "offer_outcomes"),
    (OutboxRow, "messages"),
]


def duplicates_of(store: CustomerStore, customer_id: str) -> list[DuplicatePair]:
    """The duplicate candidates of one customer, among records sharing a blocking key with it."""
    target = store.customer(store.get(customer_id))
    keys = [p.match_key for p in target.contact_points]
    conditions: list[Any] = []
    if keys:
        conditions.append(
            CustomerRow.id.in_(
                select(ContactPointRow.customer_id).where(
                    ContactPointRow.tenant_id == store.tenant_id, ContactPointRow.match_key.in_(keys)
                )
            )
        )
    if target.birthday is not None:
        conditions.append(CustomerRow.birthday == target.birthday)
    if target.serials:
        conditions.append(
            CustomerRow.id.in_(
                select(ProductRow.customer_id).where(
                    ProductRow.tenant_id == store.tenant_id, ProductRow.serial.in_(target.serials)
                )
            )
        )
    if not conditions:
        return []
    rows = store.session.scalars(
        select(CustomerRow)
        .where(
            CustomerRow.tenant_id == store.tenant_id,
            CustomerRow.id != customer_id,
            CustomerRow.merged_into.is_(None),
            or_(*conditions),
        )
        .limit(200)
    )
    pairs = [duplicate_of(target, store.customer(row)) for row in rows]
    return sorted((p for p in pairs if p is not None), key=lambda p: (-p.score, p.first, p.second))


def all_duplicates(store: CustomerStore, limit: int = 10_000) -> list[DuplicatePair]:
    """Duplicate pairs among the tenant's first `limit` live customers (by id)."""
    rows = list(
        store.session.scalars(
            select(CustomerRow)
            .where(CustomerRow.tenant_id == store.tenant_id, CustomerRow.merged_into.is_(None))
            .order_by(CustomerRow.id)
            .limit(limit)
        )
    )
    customers: list[Customer] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        ids = [r.id for r in chunk]
        points, serials = store.points(ids), store.serials(ids)
        customers += [store.customer(row, points[row.id], serials[row.id]) for row in chunk]
    return find_duplicates(customers)


def _move_tickets(store: CustomerStore, merged_id: str, survivor_id: str, *, at: float, actor: str) -> int:
    """Give the merged customer's tickets to the survivor, each change in its ticket's history."""
    tickets = store.session.scalars(
        select(TicketRow).where(TicketRow.tenant_id == store.tenant_id, TicketRow.customer_id == merged_id)
    ).all()
    for ticket in tickets:
        ticket.customer_id = survivor_id
        ticket.updated_at = at
        store.session.add(
            TicketEventRow(
                tenant_id=store.tenant_id,
                ticket_id=ticket.id,
                at=at,
                actor=actor,
                kind="customer-merged",
                data={"before": {"customer_id": merged_id}, "after": {"customer_id": survivor_id}},
            )
        )
    store.session.flush()
    return len(tickets)


def merge_customers(
    store: CustomerStore, survivor_id: str, merged_id: str, *, at: float, actor: str
) -> CustomerMerged:
    """Merge `merged_id` into `survivor_id` (see `baiying.customers.merging`): its contact points,
    products, timeline and contacts (and any table in CUSTOMER_REFERENCES) move to the survivor; the
    merged record stays with `merged_into` set; a CustomerMerged event records it."""
    survivor_row, merged_row = store.get(survivor_id), store.get(merged_id)
    result = merge(store.customer(survivor_row), store.customer(merged_row))
    moved_points = _moved(
        store,
        update(ContactPointRow)
        .where(ContactPointRow.tenant_id == store.tenant_id, ContactPointRow.customer_id == merged_id)
        .values(customer_id=survivor_id),
    )
    moved_products = _moved(
        store,
        update(ProductRow)
        .where(ProductRow.tenant_id == store.tenant_id, ProductRow.customer_id == merged_id)
        .values(customer_id=survivor_id),
    )
    moved: dict[str, int] = {}
    for model, name in CUSTOMER_REFERENCES:
        moved[name] = _moved(
            store,
            update(model)
            .where(model.tenant_id == store.tenant_id, model.customer_id == merged_id)
            .values(customer_id=survivor_id),
        )
    moved_tickets = _move_tickets(store, merged_id, survivor_id, at=at, actor=actor)
    new = result.survivor
    for name in FILLED_FIELDS:
        setattr(survivor_row, name, getattr(new, name))
    survivor_row.consent_marketing = new.consents.marketing
    survivor_row.consent_sms = new.consents.sms
    survivor_row.consent_email = new.consents.email
    survivor_row.consent_calls = new.consents.calls
    survivor_row.attributes = dict(new.attributes)
    survivor_row.updated_at = at
    merged_row.merged_into = survivor_id
    merged_row.updated_at = at
    store.session.flush()
    event = CustomerMerged(
        survivor_id,
        merged_id,
        contact_points=moved_points,
        products=moved_products,
        interactions=moved.get("interactions", 0),
        contacts=moved.get("contacts", 0),
        tickets=moved_tickets,
        filled=result.filled,
    )
    record_event(store.session, store.tenant_id, event, actor=actor, at=at)
    # The merged record's own history says where it went.
    record_event(
        store.session,
        store.tenant_id,
        CustomerUpdated(merged_id, ("merged_into",)),
        actor=actor,
        at=at,
    )
    return event


def _moved(store: CustomerStore, statement: Update) -> int:
    return int(cast(CursorResult[Any], store.session.execute(statement)).rowcount)
