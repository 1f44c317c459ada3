"""Ticket rows as the core's `Ticket`s and back, and the queries the ticket desk needs: tickets by filter,
a ticket's history, SLA clocks, outbox entries, rule firings, and the business hours of a site.

Like the other repositories it takes the caller's session and never commits.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from baiying.storage.tables import SiteRow
from baiying.storage.ticket_tables import (
    TicketAttachmentRow,
    TicketEventRow,
    TicketOutboxRow,
    TicketRow,
    TicketRuleFiringRow,
    TicketSlaClockRow,
)
from baiying.tickets.actions import CallbackScheduled, KnowledgeCandidate, NotificationRequested
from baiying.tickets.errors import UnknownTicket
from baiying.tickets.model import Assignment, Priority, Ticket, TicketType
from baiying.tickets.sla import SiteHours, SlaClock, SlaEventKind


def to_ticket(row: TicketRow) -> Ticket:
    return Ticket(
        id=row.id,
        type=TicketType(row.type),
        state=row.state,
        priority=Priority(row.priority),
        level=row.level,
        customer_id=row.customer_id,
        site_id=row.site_id,
        tier=row.tier,
        subject=row.subject,
        fields=dict(row.fields or {}),
        assignment=Assignment(row.queue_id, row.team_id, row.agent_id),
        previous_state=row.previous_state,
        created_at=row.created_at,
    )


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Tickets whose columns equal the given values (None: any). `open_only`: not in a closed state;
    `sites`: only tickets of these sites or of none (None: every ticket)."""

    type: str | None = None
    state: str | None = None
    category: str | None = None
    priority: str | None = None
    level: int | None = None
    customer_id: str | None = None
    site_id: str | None = None
    queue_id: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    contact_id: str | None = None
    open_only: bool = False
    sites: frozenset[str] | None = None

    def equalities(self) -> dict[str, Any]:
        names = ("type", "state", "category", "priority", "level", "customer_id", "site_id", "queue_id")
        values = {name: getattr(self, name) for name in (*names, "team_id", "agent_id", "contact_id")}
        return {name: value for name, value in values.items() if value is not None}


class TicketRepository:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def find(self, ticket_id: str) -> TicketRow | None:
        return self.session.get(TicketRow, {"tenant_id": self.tenant_id, "id": ticket_id})

    def get(self, ticket_id: str, *, for_update: bool = False) -> TicketRow:
        """The ticket; `for_update` locks its row until the transaction ends (PostgreSQL; SQLite writers
        are serialised anyway), so two changes to one ticket cannot interleave."""
        if for_update:
            query = (
                select(TicketRow)
                .where(TicketRow.tenant_id == self.tenant_id, TicketRow.id == ticket_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            row = self.session.scalars(query).one_or_none()
        else:
            row = self.find(ticket_id)
        if row is None:
            raise UnknownTicket(f"no ticket {ticket_id!r}", {"id": ticket_id})
        return row

    def add(self, row: TicketRow) -> TicketRow:
        row.tenant_id = self.tenant_id
        self.session.add(row)
        self.session.flush()
        return row

    def search(self, where: TicketFilter, *, limit: int = 100, offset: int = 0) -> list[TicketRow]:
        """Newest first (then by id, so pages are stable)."""
        query = select(TicketRow).where(TicketRow.tenant_id == self.tenant_id)
        for name, value in where.equalities().items():
            query = query.where(getattr(TicketRow, name) == value)
        if where.sites is not None:
            query = query.where(or_(TicketRow.site_id.in_(sorted(where.sites)), TicketRow.site_id.is_(None)))
        if where.open_only:
            query = query.where(TicketRow.category != "closed")
        query = query.order_by(TicketRow.created_at.desc(), TicketRow.id).limit(limit).offset(offset)
        return list(self.session.scalars(query))

    def due(self, now: float, limit: int | None = 1000, *, every_open: bool = False) -> list[TicketRow]:
        """Tickets not closed whose next SLA moment or time rule is due by `now`, earliest first;
        `every_open`: every ticket not closed (after the rules changed, their due moments may have)."""
        query = (
            select(TicketRow)
            .where(TicketRow.tenant_id == self.tenant_id, TicketRow.category != "closed")
            .order_by(TicketRow.next_due_at, TicketRow.id)
            .limit(limit)
            # Tickets being changed right now are left to the next sweep rather than waited for.
            .with_for_update(skip_locked=True)
        )
        if not every_open:
            query = query.where(TicketRow.next_due_at <= now)
        return list(self.session.scalars(query))

    # --- history -------------------------------------------------------------------------------------

    def append(self, ticket_id: str, at: float, actor: str, kind: str, data: Mapping[str, Any]) -> int:
        """Append one event to the ticket's history; returns its sequence."""
        row = TicketEventRow(
            tenant_id=self.tenant_id, ticket_id=ticket_id, at=at, actor=actor, kind=kind, data=dict(data)
        )
        self.session.add(row)
        self.session.flush()
        return row.sequence

    def history(self, ticket_id: str, kinds: Sequence[str] | None = None) -> list[TicketEventRow]:
        query = select(TicketEventRow).where(
            TicketEventRow.tenant_id == self.tenant_id, TicketEventRow.ticket_id == ticket_id
        )
        if kinds is not None:
            query = query.where(TicketEventRow.kind.in_(kinds))
        return list(self.session.scalars(query.order_by(TicketEventRow.sequence)))

    def sla_counts(
        self, since: float, until: float | None, sites: frozenset[str] | None = None
    ) -> dict[tuple[str, str], tuple[int, int, int]]:
        """Per (policy, metric): the clocks fulfilled in [since, until) (None: no end), how many of them
        within target, and the breaches that fell due then; of the tickets at one of `sites` when given.
        Counted by the database, so a year costs as little memory as a day."""
        policy = TicketEventRow.data["policy"].as_string()
        metric = TicketEventRow.data["metric"].as_string()
        fulfilled = TicketEventRow.kind == SlaEventKind.FULFILLED.value
        met = and_(fulfilled, TicketEventRow.data["met"].as_boolean())
        query = select(
            policy,
            metric,
            func.sum(case((fulfilled, 1), else_=0)),
            func.sum(case((met, 1), else_=0)),
            func.sum(case((fulfilled, 0), else_=1)),
        ).where(
            TicketEventRow.tenant_id == self.tenant_id,
            TicketEventRow.kind.in_([SlaEventKind.FULFILLED.value, SlaEventKind.BREACHED.value]),
            TicketEventRow.at >= since,
        )
        if until is not None:
            query = query.where(TicketEventRow.at < until)
        if sites is not None:
            at_sites = select(TicketRow.id).where(
                TicketRow.tenant_id == self.tenant_id, TicketRow.site_id.in_(sorted(sites))
            )
            query = query.where(TicketEventRow.ticket_id.in_(at_sites))
        rows = self.session.execute(query.group_by(policy, metric)).all()
        return {(str(p), str(m)): (int(f or 0), int(k or 0), int(b or 0)) for p, m, f, k, b in rows}

    # --- SLA clocks ----------------------------------------------------------------------------------

    def clocks(self, ticket_id: str) -> list[SlaClock]:
        query = select(TicketSlaClockRow).where(
            TicketSlaClockRow.tenant_id == self.tenant_id, TicketSlaClockRow.ticket_id == ticket_id
        )
        return [
            SlaClock.from_record({**_columns(row), "metric": row.metric})
            for row in self.session.scalars(query.order_by(TicketSlaClockRow.metric))
        ]

    def save_clocks(self, ticket_id: str, clocks: Iterable[tuple[SlaClock, float | None]]) -> None:
        """Store each clock with its due moment (None unless running)."""
        for clock, due_at in clocks:
            key = {"tenant_id": self.tenant_id, "ticket_id": ticket_id, "metric": clock.metric.value}
            row = self.session.get(TicketSlaClockRow, key)
            if row is None:
                row = TicketSlaClockRow(**key)
                self.session.add(row)
            record = clock.as_record()
            for name in _CLOCK_COLUMNS:
                setattr(row, name, record[name])
            row.due_at = due_at

    # --- outbox and rule firings ---------------------------------------------------------------------

    def request(self, row: TicketOutboxRow) -> TicketOutboxRow:
        row.tenant_id = self.tenant_id
        self.session.add(row)
        return row

    def outbox(
        self,
        ticket_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        due_by: float | None = None,
        limit: int | None = None,
    ) -> list[TicketOutboxRow]:
        """Outbox entries in the order they were requested, filtered by what is given."""
        query = select(TicketOutboxRow).where(TicketOutboxRow.tenant_id == self.tenant_id)
        if ticket_id is not None:
            query = query.where(TicketOutboxRow.ticket_id == ticket_id)
        if kind is not None:
            query = query.where(TicketOutboxRow.kind == kind)
        if status is not None:
            query = query.where(TicketOutboxRow.status == status)
        if due_by is not None:
            query = query.where(TicketOutboxRow.due_at <= due_by)
        return list(self.session.scalars(query.order_by(TicketOutboxRow.id).limit(limit)))

    def outbox_entry(self, entry_id: int) -> TicketOutboxRow:
        row = self.session.get(TicketOutboxRow, entry_id)
        if row is None or row.tenant_id != self.tenant_id:
            raise UnknownTicket(f"no outbox entry {entry_id}", {"outbox_id": entry_id})
        return row

    def fired(self, ticket_id: str) -> set[str]:
        query = select(TicketRuleFiringRow.cause).where(
            TicketRuleFiringRow.tenant_id == self.tenant_id, TicketRuleFiringRow.ticket_id == ticket_id
        )
        return set(self.session.scalars(query))

    def record_firing(self, ticket_id: str, rule_id: str, cause: str, due_at: float, fired_at: float) -> None:
        self.session.add(
            TicketRuleFiringRow(
                tenant_id=self.tenant_id,
                cause=cause,
                rule_id=rule_id,
                ticket_id=ticket_id,
                due_at=due_at,
                fired_at=fired_at,
            )
        )

    def attachments(self, ticket_id: str) -> list[TicketAttachmentRow]:
        query = select(TicketAttachmentRow).where(
            TicketAttachmentRow.tenant_id == self.tenant_id, TicketAttachmentRow.ticket_id == ticket_id
        )
        return list(
            self.session.scalars(query.order_by(TicketAttachmentRow.uploaded_at, TicketAttachmentRow.id))
        )

    def attachment(self, ticket_id: str, attachment_id: str) -> TicketAttachmentRow:
        row = self.session.get(TicketAttachmentRow, {"tenant_id": self.tenant_id, "id": attachment_id})
        if row is None or row.ticket_id != ticket_id:
            raise UnknownTicket(
                f"ticket {ticket_id!r} has no attachment {attachment_id!r}",
                {"id": ticket_id, "attachment": attachment_id},
            )
        return row

    def count(self) -> int:
        query = select(func.count()).select_from(TicketRow).where(TicketRow.tenant_id == self.tenant_id)
        return int(self.session.scalar(query) or 0)

    # --- sites ---------------------------------------------------------------------------------------

    def site_hours(self, site_id: str | None) -> SiteHours | None:
        if site_id is None:
            return None
        site = self.session.get(SiteRow, {"tenant_id": self.tenant_id, "id": site_id})
        if site is None:
            return None
        return SiteHours(
            site.timezone,
            site.opens_minute,
            site.closes_minute,
            frozenset(holiday.day for holiday in site.holidays),
        )


def outbox_row(
    ticket: TicketRow,
    effect: NotificationRequested | CallbackScheduled | KnowledgeCandidate,
    cause: str,
    now: float,
) -> TicketOutboxRow:
    """The outbox request for an effect: a notification (due now), a callback (due when scheduled) or an
    answer offered to the knowledge base. "customer" becomes "customer:<id>" when the ticket has one."""
    customer = f"customer:{ticket.customer_id}" if ticket.customer_id else "customer"
    common = {"tenant_id": ticket.tenant_id, "ticket_id": ticket.id, "cause": cause, "status": "pending"}
    if isinstance(effect, NotificationRequested):
        return TicketOutboxRow(
            **common,
            kind="notification",
            recipient=customer if effect.recipient == "customer" else effect.recipient,
            channel=effect.channel.value,
            template=effect.template,
            payload={"subject": ticket.subject, "state": ticket.state},
            due_at=now,
            created_at=now,
        )
    if isinstance(effect, CallbackScheduled):
        return TicketOutboxRow(
            **common,
            kind="callback",
            recipient=customer,
            template=effect.purpose,
            payload={"purpose": effect.purpose} | ({"queue": effect.queue} if effect.queue else {}),
            due_at=effect.due_at,
            created_at=now,
        )
    payload = {"question": effect.question, "answer": effect.answer, "ticket_type": ticket.type}
    return TicketOutboxRow(**common, kind="knowledge-candidate", payload=payload, due_at=now, created_at=now)


def tenants_due(session: Session, now: float, *, every_open: bool = False) -> list[str]:
    """Tenants with a ticket whose SLA moment or time rule is due by `now` (`every_open`: with a ticket
    not closed)."""
    query = select(TicketRow.tenant_id).where(TicketRow.category != "closed")
    if not every_open:
        query = query.where(TicketRow.next_due_at <= now)
    return list(session.scalars(query.distinct().order_by(TicketRow.tenant_id)))


_CLOCK_COLUMNS = (
    "status",
    "target_seconds",
    "warn_before_seconds",
    "started_at",
    "elapsed_seconds",
    "running_since",
    "fulfilled_at",
    "warned",
    "breached_at",
)


def _columns(row: TicketSlaClockRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _CLOCK_COLUMNS}
