"""The customers context's tables (issue 5), on the same declarative `Base` as `tables.py`.

- `customer_settings`: per tenant, the default country code for phone numbers, the time zone "today" is
  counted in, the FCR window, whether agents see only their site's customers, which roles see PII in
  lists, and the topic-to-category rules and resolved wrap-up codes of the timeline.
- `customers`, `customer_contact_points` (unique per tenant and kind; the unique index is the screen pop's
  lookup), `customer_products` (telecom and appliance columns, NULL where they do not apply).
- `customer_interactions`: the timeline, a projection of the event log kept by
  `repositories.customers.InteractionProjector` (its read position in `customer_projection_cursor`).
- `customer_events`: what happened to customers (created, merged...), append-only.
"""

from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from baiying.customers.model import Category, ContactPointKind, ProductKind, Resolution
from baiying.storage.tables import ID, NAME, SEQUENCE, Base, one_of

SHORT = String(32)


class CustomerSettingsRow(Base):
    __tablename__ = "customer_settings"
    __table_args__ = (
        CheckConstraint("default_country_code BETWEEN 1 AND 999", name="country_code"),
        CheckConstraint("fcr_window_hours > 0", name="fcr_window"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    default_country_code: Mapped[int] = mapped_column(Integer, default=86)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    fcr_window_hours: Mapped[float] = mapped_column(Double, default=72.0)
    agents_see_own_site_only: Mapped[bool] = mapped_column(Boolean, default=False)
    pii_roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # roles that see PII in lists
    categories: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # topic -> category
    resolved_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # wrap-up codes meaning resolved


class CustomerRow(Base):
    __tablename__ = "customers"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        Index(None, "tenant_id", "name_key"),
        Index(None, "tenant_id", "birthday"),
        Index(None, "tenant_id", "merged_into"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    display_name: Mapped[str] = mapped_column(NAME)
    name_key: Mapped[str] = mapped_column(NAME)  # `matching.name_key(display_name)`, for duplicate search
    region: Mapped[str | None] = mapped_column(NAME)
    language: Mapped[str | None] = mapped_column(SHORT)
    dialect: Mapped[str | None] = mapped_column(SHORT)
    tier: Mapped[str | None] = mapped_column(SHORT)
    segment: Mapped[str | None] = mapped_column(String(64))
    birthday: Mapped[date | None] = mapped_column(Date)
    site_id: Mapped[str | None] = mapped_column(ID)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_email: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    merged_into: Mapped[str | None] = mapped_column(ID)  # the survivor, once merged away
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class ContactPointRow(Base):
    __tablename__ = "customer_contact_points"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"
        ),
        CheckConstraint(one_of("kind", ContactPointKind), name="kind"),
        UniqueConstraint("tenant_id", "kind", "value"),
        Index(None, "tenant_id", "customer_id"),
        Index(None, "tenant_id", "match_key"),
    )

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    customer_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(NAME)  # normalised: E.164, lower-cased email, trimmed chat id
    match_key: Mapped[str] = mapped_column(NAME)  # `ContactPoint.match_key`
    label: Mapped[str] = mapped_column(String(64), default="")


class ProductRow(Base):
    __tablename__ = "customer_products"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"], ondelete="CASCADE"
        ),
        CheckConstraint(one_of("kind", ProductKind), name="kind"),
        CheckConstraint(
            "kind <> 'telecom' OR (plan IS NOT NULL AND monthly_fee_cents IS NOT NULL)", name="telecom"
        ),
        CheckConstraint("kind <> 'appliance' OR model IS NOT NULL", name="appliance"),
        CheckConstraint(
            "(monthly_fee_cents IS NULL OR monthly_fee_cents >= 0) "
            "AND minutes_used >= 0 AND data_used_mb >= 0",
            name="amounts",
        ),
        Index(None, "tenant_id", "customer_id"),
        Index(None, "tenant_id", "serial"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(NAME)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    plan: Mapped[str | None] = mapped_column(NAME)
    monthly_fee_cents: Mapped[int | None] = mapped_column(Integer)
    minutes_allowance: Mapped[int | None] = mapped_column(Integer)  # NULL: unlimited (or not telecom)
    data_allowance_mb: Mapped[int | None] = mapped_column(Integer)
    minutes_used: Mapped[int] = mapped_column(Integer, default=0)  # this month
    data_used_mb: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str | None] = mapped_column(NAME)
    serial: Mapped[str | None] = mapped_column(String(100))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    warranty_end: Mapped[date | None] = mapped_column(Date)
    product_tier: Mapped[str | None] = mapped_column(SHORT)
    updated_at: Mapped[float] = mapped_column(Double)


class InteractionRow(Base):
    """One timeline entry, keyed by where it comes from (`source` "contact" and the contact id)."""

    __tablename__ = "customer_interactions"
    __table_args__ = (
        CheckConstraint(one_of("category", Category), name="category"),
        CheckConstraint(f"resolution IS NULL OR {one_of('resolution', Resolution)}", name="resolution"),
        Index(None, "tenant_id", "customer_id", "at"),
        Index(None, "tenant_id", "at"),  # the FCR report's pass over a period, in time order
    )

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    source: Mapped[str] = mapped_column(SHORT, primary_key=True)
    source_id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ID)  # not a foreign key: the timeline outlives records
    channel: Mapped[str] = mapped_column(SHORT)
    at: Mapped[float] = mapped_column(Double)
    topic: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(SHORT, default=Category.OTHER.value)
    outcome: Mapped[str] = mapped_column(SHORT, default="open")
    resolution: Mapped[str | None] = mapped_column(SHORT)
    wrap_up_code: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(ID)
    queue_id: Mapped[str | None] = mapped_column(ID)
    site_id: Mapped[str | None] = mapped_column(ID)
    updated_at: Mapped[float] = mapped_column(Double)


class ProjectionCursorRow(Base):
    __tablename__ = "customer_projection_cursor"

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(SEQUENCE, default=0)


class CustomerEventRow(Base):
    __tablename__ = "customer_events"
    __table_args__ = (Index(None, "tenant_id", "customer_id", "sequence"),)

    sequence: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"))
    at: Mapped[float] = mapped_column(Double)
    kind: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(ID)
    actor: Mapped[str] = mapped_column(NAME)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
