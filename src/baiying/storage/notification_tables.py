"""Tables of `baiying.notifications`: the outbox every outgoing message and webhook call goes through,
webhook subscriptions, and each tenant's webhook relay position in the event log."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from baiying.notifications.model import Channel, DeliveryStatus, Purpose
from baiying.storage.tables import ID, SEQUENCE, Base, one_of


class OutboxRow(Base):
    """One message or webhook call. `cause` makes enqueueing idempotent: the same cause (e.g. "event 812 to
    subscription erp", or a rule's firing) never yields a second row."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint(one_of("channel", Channel), name="channel"),
        CheckConstraint(one_of("purpose", Purpose), name="purpose"),
        CheckConstraint(one_of("status", DeliveryStatus), name="status"),
        Index(None, "tenant_id", "cause", unique=True),
        Index(None, "status", "next_attempt_at"),
        Index(None, "tenant_id", "customer_id", "created_at"),
        Index(None, "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"))
    cause: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(2000))  # an address, a phone number, a webhook URL
    subject: Mapped[str | None] = mapped_column(String(400))
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(ID)
    subscription_id: Mapped[str | None] = mapped_column(ID)
    event_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float | None] = mapped_column(Double)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    sent_at: Mapped[float | None] = mapped_column(Double)


class WebhookSubscriptionRow(Base):
    """An outside system following events. `event_types` holds kinds ("contact-queued") or prefixes with
    a star ("contact-*", "*")."""

    __tablename__ = "webhook_subscriptions"

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float] = mapped_column(Double)


class WebhookCursorRow(Base):
    """The last event-log and ticket-history sequences the tenant's webhook relay has turned into
    deliveries."""

    __tablename__ = "webhook_cursors"

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, default=0)
    last_ticket_sequence: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
