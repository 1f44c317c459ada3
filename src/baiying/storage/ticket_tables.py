"""Tickets (issue 5): the tickets, their append-only history, SLA clocks, the outbox of requested
notifications and callbacks, the automation rules' firings, and attachments' metadata.

On the same `tables.Base` as the rest of the schema (migration 0004 creates exactly these tables; the
migration test compares them). `customer_id` is a plain indexed string: customers live in another module
and a ticket may outlive its customer record. Times are epoch seconds, UTC, as everywhere.
"""

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from baiying.storage.tables import ID, NAME, SEQUENCE, Base, one_of
from baiying.tickets.model import Priority, StateCategory, TicketType
from baiying.tickets.sla import ClockStatus, Metric

OUTBOX_KINDS = ("notification", "callback", "knowledge-candidate")
OUTBOX_STATUSES = ("pending", "done")
TICKET_FK = (["tenant_id", "ticket_id"], ["tickets.tenant_id", "tickets.id"])


class TicketRow(Base):
    """A ticket's current state; how it got there is in `ticket_events`."""

    __tablename__ = "tickets"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        CheckConstraint(one_of("type", TicketType), name="type"),
        CheckConstraint(one_of("priority", Priority), name="priority"),
        CheckConstraint(one_of("category", StateCategory), name="category"),
        CheckConstraint("(type = 'complaint') = (level IS NOT NULL)", name="complaint_level"),
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 3", name="level_range"),
        Index(None, "tenant_id", "customer_id"),
        Index(None, "tenant_id", "category", "next_due_at"),
        Index(None, "tenant_id", "created_at"),
        Index(None, "tenant_id", "contact_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    previous_state: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16))
    level: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[str | None] = mapped_column(ID)
    site_id: Mapped[str | None] = mapped_column(ID)
    tier: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(NAME)
    description: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    queue_id: Mapped[str | None] = mapped_column(ID)
    team_id: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(ID)  # the named expert working on it
    parent_id: Mapped[str | None] = mapped_column(ID)  # the ticket whose follow-up this is
    contact_id: Mapped[str | None] = mapped_column(ID)  # the contact (call, chat...) it was recorded in
    created_by: Mapped[str] = mapped_column(NAME)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    state_entered_at: Mapped[float] = mapped_column(Double)
    responded_at: Mapped[float | None] = mapped_column(Double)  # first customer-visible answer
    customer_wrote_at: Mapped[float | None] = mapped_column(Double)  # last message from the customer
    closed_at: Mapped[float | None] = mapped_column(Double)
    sla_policy: Mapped[str | None] = mapped_column(String(64))  # None: no SLA applies
    next_due_at: Mapped[float | None] = mapped_column(Double)  # earliest SLA warning/breach or time rule
    version: Mapped[int] = mapped_column(Integer, default=1)


class TicketEventRow(Base):
    """Append-only: every change to a ticket, who made it and when, with the values before and after."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        ForeignKeyConstraint(*TICKET_FK, ondelete="CASCADE"),
        Index(None, "tenant_id", "ticket_id", "sequence"),
        Index(None, "tenant_id", "kind", "at"),
    )

    sequence: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    ticket_id: Mapped[str] = mapped_column(ID)
    at: Mapped[float] = mapped_column(Double)
    actor: Mapped[str] = mapped_column(NAME)  # a user id, or "system" (SLA, automation)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class TicketSlaClockRow(Base):
    __tablename__ = "ticket_sla_clocks"
    __table_args__ = (
        ForeignKeyConstraint(*TICKET_FK, ondelete="CASCADE"),
        CheckConstraint(one_of("metric", Metric), name="metric"),
        CheckConstraint(one_of("status", ClockStatus), name="status"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ID, primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    target_seconds: Mapped[float] = mapped_column(Double)
    warn_before_seconds: Mapped[float] = mapped_column(Double)
    started_at: Mapped[float] = mapped_column(Double)
    elapsed_seconds: Mapped[float] = mapped_column(Double)
    running_since: Mapped[float | None] = mapped_column(Double)
    fulfilled_at: Mapped[float | None] = mapped_column(Double)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    breached_at: Mapped[float | None] = mapped_column(Double)
    due_at: Mapped[float | None] = mapped_column(Double)  # while running: when it breaches


class TicketOutboxRow(Base):
    """Requests for the adapters that come later: notifications (SMS, email, in-app), callbacks due at a
    time, and answers offered to the knowledge base. Written in the same transaction as the change."""

    __tablename__ = "ticket_outbox"
    __table_args__ = (
        ForeignKeyConstraint(*TICKET_FK, ondelete="CASCADE"),
        CheckConstraint(one_of("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status"),
        Index(None, "tenant_id", "status", "kind", "due_at"),
        Index(None, "tenant_id", "ticket_id"),
        # A customer's callbacks, as the contact caps count them in every screen pop and outbox message.
        Index(None, "tenant_id", "recipient", "kind", "due_at"),
    )

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    ticket_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str | None] = mapped_column(NAME)  # "customer:<id>", "agent:<id>", "role:<role>", ...
    channel: Mapped[str | None] = mapped_column(String(16))
    template: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[float] = mapped_column(Double)  # when to act (now, for a notification)
    cause: Mapped[str] = mapped_column(String(255))  # what requested it: an event or a rule firing
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[float] = mapped_column(Double)


class TicketRuleFiringRow(Base):
    """Each cause an automation rule fired for: the primary key makes a second firing impossible."""

    __tablename__ = "ticket_rule_firings"
    __table_args__ = (
        ForeignKeyConstraint(*TICKET_FK, ondelete="CASCADE"),
        Index(None, "tenant_id", "ticket_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    cause: Mapped[str] = mapped_column(String(255), primary_key=True)
    rule_id: Mapped[str] = mapped_column(ID)
    ticket_id: Mapped[str] = mapped_column(ID)
    due_at: Mapped[float] = mapped_column(Double)
    fired_at: Mapped[float] = mapped_column(Double)


class TicketAttachmentRow(Base):
    """A file attached to a ticket; its bytes are in the attachment store under `storage_key`."""

    __tablename__ = "ticket_attachments"
    __table_args__ = (
        ForeignKeyConstraint(*TICKET_FK, ondelete="CASCADE"),
        CheckConstraint("size_bytes > 0", name="size_bytes"),
        Index(None, "tenant_id", "ticket_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ID)
    filename: Mapped[str] = mapped_column(NAME)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by: Mapped[str] = mapped_column(NAME)
    uploaded_at: Mapped[float] = mapped_column(Double)


class TicketConfigFileRow(Base):
    """One version of one of a tenant's ticket configuration files (`workflows/<type>.yaml`, `sla.yaml`,
    `rules.yaml`); the highest version is in force, a file without any is the shipped one."""

    __tablename__ = "ticket_config_files"

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[float] = mapped_column(Double)
