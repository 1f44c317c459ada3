"""The customer timeline: a projection of the event log into `customer_interactions`, and its reads.

`InteractionProjector.catch_up` reads the tenant's contact events after its cursor and applies them:
a `contact-arrived` of a known customer (its `customer_id`, else the contact point in the contact's
attributes) starts an interaction; answered, transferred, abandoned, routed-out and completed events
update it (a completion reads the wrap-up code the live engine stored on the contact). Applying an event
twice changes nothing, so concurrent catch-ups are harmless. Merged customers' contacts land on the
survivor. Reads call `catch_up` first, so the timeline is never behind the log it is read after.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from baiying.customers.interactions import categorise, resolution_of
from baiying.customers.model import Category, Interaction, Resolution
from baiying.ids import CustomerId
from baiying.storage.customer_tables import CustomerSettingsRow, InteractionRow, ProjectionCursorRow
from baiying.storage.repositories.customers import CustomerStore, customer_for_contact, settings_of
from baiying.storage.tables import ContactRow, EventRow

KINDS = (
    "contact-arrived",
    "contact-answered",
    "contact-transferred",
    "contact-abandoned",
    "contact-routed-out",
    "contact-completed",
)
BATCH = 5_000
CONTACT = "contact"
TOPIC_LENGTH = 100

# The screen pop's statements, built once: a statement built per call costs more Python than its query.
_TENANT: BindParameter[str] = bindparam("tenant")
_CUSTOMER: BindParameter[str] = bindparam("customer")
# The cursor is read in the same statement as the events after it: one round trip when nothing is new.
_CURSOR = (
    select(ProjectionCursorRow.last_sequence)
    .where(ProjectionCursorRow.tenant_id == _TENANT)
    .scalar_subquery()
)
_NEW_EVENTS = (
    select(EventRow.sequence, EventRow.kind, EventRow.contact_id, EventRow.data)
    .where(
        EventRow.sequence > func.coalesce(_CURSOR, 0), EventRow.tenant_id == _TENANT, EventRow.kind.in_(KINDS)
    )
    .order_by(EventRow.sequence)
    .limit(bindparam("limit"))
)
_COLUMNS = (
    InteractionRow.source,
    InteractionRow.source_id,
    InteractionRow.customer_id,
    InteractionRow.channel,
    InteractionRow.at,
    InteractionRow.topic,
    InteractionRow.category,
    InteractionRow.outcome,
    InteractionRow.resolution,
    InteractionRow.agent_id,
    InteractionRow.queue_id,
    InteractionRow.site_id,
)
_OF_CUSTOMER = (InteractionRow.tenant_id == _TENANT, InteractionRow.customer_id == _CUSTOMER)
_NEWEST_FIRST = (InteractionRow.at.desc(), InteractionRow.source_id.desc())
_LATEST = select(*_COLUMNS).where(*_OF_CUSTOMER).order_by(*_NEWEST_FIRST).limit(bindparam("limit"))
_SINCE = (
    select(*_COLUMNS).where(*_OF_CUSTOMER, InteractionRow.at >= bindparam("since")).order_by(*_NEWEST_FIRST)
)
_COUNTS = select(InteractionRow.category, func.count()).where(*_OF_CUSTOMER).group_by(InteractionRow.category)


def _insert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class InteractionProjector:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def cursor(self) -> int:
        row = self.session.get(ProjectionCursorRow, self.tenant_id)
        return row.last_sequence if row is not None else 0

    def behind(self) -> bool:
        """Whether the log has contact events the timeline has not projected yet (one indexed query)."""
        found = self.session.execute(_NEW_EVENTS, {"tenant": self.tenant_id, "limit": 1}).first()
        return found is not None

    def catch_up(
        self, now: float, max_events: int = 100_000, settings: CustomerSettingsRow | None = None
    ) -> int:
        """Apply the tenant's new contact events (at most `max_events`); returns how many were applied.
        Writes in the caller's transaction; never commits. Nothing new costs one query."""
        applied = 0
        while applied < max_events:
            batch = list(
                self.session.execute(
                    _NEW_EVENTS, {"tenant": self.tenant_id, "limit": min(BATCH, max_events - applied)}
                )
            )
            if not batch:
                break
            if settings is None:
                settings = settings_of(self.session, self.tenant_id)
            self._apply(batch, settings, now)
            applied += len(batch)
            position = batch[-1][0]
            self._save_cursor(position)
        return applied

    def _save_cursor(self, position: int) -> None:
        insert = _insert(self.session)
        statement = insert(ProjectionCursorRow).values(tenant_id=self.tenant_id, last_sequence=position)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id"],
            set_={
                "last_sequence": func.max(statement.excluded.last_sequence, ProjectionCursorRow.last_sequence)
            }
            if self.session.get_bind().dialect.name == "sqlite"
            else {
                "last_sequence": func.greatest(
                    statement.excluded.last_sequence, ProjectionCursorRow.last_sequence
                )
            },
        )
        self.session.execute(statement)

    def _apply(self, batch: Sequence[Any], settings: CustomerSettingsRow, now: float) -> None:
        contact_ids = {contact_id for _, _, contact_id, _ in batch if contact_id}
        contacts = {
            row.id: row
            for row in self.session.scalars(
                select(ContactRow).where(
                    ContactRow.tenant_id == self.tenant_id, ContactRow.id.in_(contact_ids)
                )
            )
        }
        current = {
            row.source_id: row
            for row in self.session.scalars(
                select(InteractionRow).where(
                    InteractionRow.tenant_id == self.tenant_id,
                    InteractionRow.source == CONTACT,
                    InteractionRow.source_id.in_(contact_ids),
                )
            )
        }
        store = CustomerStore(self.session, self.tenant_id)
        for _, kind, contact_id, data in batch:
            if contact_id is None:
                continue
            row = current.get(contact_id)
            if kind == "contact-arrived":
                if row is None:
                    row = self._start(store, contact_id, data, contacts.get(contact_id), settings, now)
                    if row is not None:
                        current[contact_id] = row
                continue
            if row is None:
                continue  # a contact of no known customer, or one whose arrival is not in the log
            self._update(row, kind, data, contacts.get(contact_id), settings, now)
        self.session.flush()

    def _start(
        self,
        store: CustomerStore,
        contact_id: str,
        data: dict[str, Any],
        contact: ContactRow | None,
        settings: CustomerSettingsRow,
        now: float,
    ) -> InteractionRow | None:
        customer_id = data.get("customer_id")
        if not customer_id and contact is not None:
            customer_id = customer_for_contact(self.session, self.tenant_id, dict(contact.attributes))
        if not customer_id:
            return None
        survivor = store.survivor(str(customer_id))
        intent = data.get("intent")
        topic = str(intent)[:TOPIC_LENGTH] if intent else None  # the column is String(100)
        row = InteractionRow(
            tenant_id=self.tenant_id,
            source=CONTACT,
            source_id=contact_id,
            customer_id=survivor.id if survivor is not None else str(customer_id),
            channel=str(data.get("channel") or "voice"),
            at=float(data["at"]),
            topic=topic,
            category=categorise(topic, settings.categories).value,
            outcome="open",
            resolution=None,
            queue_id=data.get("queue_id"),
            site_id=data.get("site_id"),
            updated_at=now,
        )
        self.session.add(row)
        return row

    def _update(
        self,
        row: InteractionRow,
        kind: str,
        data: dict[str, Any],
        contact: ContactRow | None,
        settings: CustomerSettingsRow,
        now: float,
    ) -> None:
        if kind == "contact-answered":
            row.outcome = "answered"
            row.agent_id = data.get("agent_id")
            row.site_id = data.get("site_id") or row.site_id
        elif kind == "contact-transferred":
            row.queue_id = data.get("to_queue_id") or row.queue_id
        elif kind in ("contact-abandoned", "contact-routed-out"):
            row.outcome = "abandoned" if kind == "contact-abandoned" else "routed-out"
        elif kind == "contact-completed":
            row.outcome = "completed"
            row.agent_id = data.get("agent_id") or row.agent_id
            wrap_up = (contact.attributes.get("wrap_up") if contact is not None else None) or {}
            code = wrap_up.get("code") if isinstance(wrap_up, dict) else None
            row.wrap_up_code = code
            if row.topic is None and code:
                row.topic = code
                row.category = categorise(code, settings.categories).value
        resolution = resolution_of(row.outcome, row.wrap_up_code, settings.resolved_codes)
        row.resolution = resolution.value if resolution is not None else None
        row.updated_at = now


def interaction_of(row: Any) -> Interaction:
    """An interaction from an `InteractionRow` or a row of `_COLUMNS`."""
    return Interaction(
        source=row.source,
        source_id=row.source_id,
        customer_id=CustomerId(row.customer_id),
        channel=row.channel,
        at=row.at,
        topic=row.topic,
        category=Category(row.category),
        outcome=row.outcome,
        resolution=Resolution(row.resolution) if row.resolution else None,
        agent_id=row.agent_id,
        queue_id=row.queue_id,
        site_id=row.site_id,
    )


def timeline(
    session: Session,
    tenant_id: str,
    customer_id: str,
    *,
    since: float | None = None,
    limit: int | None = None,
) -> list[Interaction]:
    """The customer's interactions, newest first (at most `limit`, from `since` on)."""
    params: dict[str, Any] = {"tenant": tenant_id, "customer": customer_id}
    if since is None and limit is not None:
        rows = session.execute(_LATEST, {**params, "limit": limit})
    elif since is not None and limit is None:
        rows = session.execute(_SINCE, {**params, "since": since})
    else:
        query = select(*_COLUMNS).where(*_OF_CUSTOMER).order_by(*_NEWEST_FIRST)
        if since is not None:
            query = query.where(InteractionRow.at >= since)
        if limit is not None:
            query = query.limit(limit)
        rows = session.execute(query, params)
    return [interaction_of(row) for row in rows]


def category_totals(session: Session, tenant_id: str, customer_id: str) -> dict[str, int]:
    """All-time interactions of the customer by category (every category present)."""
    counts = {
        category: int(count)
        for category, count in session.execute(_COUNTS, {"tenant": tenant_id, "customer": customer_id})
    }
    return {category.value: counts.get(category.value, 0) for category in Category}


def interactions_between_chunks(
    session: Session, tenant_id: str, start: float, end: float, chunk_size: int = BATCH
) -> Iterator[list[Interaction]]:
    """The tenant's interactions with `start <= at < end` in time order, at most `chunk_size` at a time
    (keyset pages on (at, source, source_id)): a year is read with bounded memory. Each chunk is read in
    a transaction of its own, ended before it is yielded."""
    after: tuple[float, str, str] | None = None
    while True:
        query = select(*_COLUMNS).where(
            InteractionRow.tenant_id == tenant_id,
            InteractionRow.at >= (start if after is None else after[0]),  # the index's range
            InteractionRow.at < end,
        )
        if after is not None:
            query = query.where(
                tuple_(InteractionRow.at, InteractionRow.source, InteractionRow.source_id) > tuple_(*after)
            )
        query = query.order_by(InteractionRow.at, InteractionRow.source, InteractionRow.source_id)
        rows = session.execute(query.limit(chunk_size)).all()
        session.rollback()
        if not rows:
            return
        after = (rows[-1].at, rows[-1].source, rows[-1].source_id)
        yield [interaction_of(row) for row in rows]
        if len(rows) < chunk_size:
            return
