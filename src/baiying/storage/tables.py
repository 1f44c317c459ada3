"""The database schema as SQLAlchemy 2 typed declarative models.

Conventions (the migrations in `migrations/versions` create exactly this; a test compares them):

- Every entity belongs to a tenant; its primary key is `(tenant_id, id)` with a caller-chosen string id
  ("beijing", "bj-billing-early-001"), the same ids the routing configuration and the event log use.
- Points in time are floats of seconds since the epoch, UTC (`Double`), like `baiying.clock.Timestamp`.
  Opening hours are minutes after midnight in the site's own time zone; holidays are local dates.
- Enumerated strings (site status, channel, role) are guarded by CHECK constraints.
- JSON columns hold plain JSON values; assign a new value to change one (in-place mutation of a loaded
  dict or list is not tracked).
- Constraint names follow `NAMING_CONVENTION`, so Alembic autogenerate compares them stably.
"""

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from baiying.routing.model import Channel, SiteStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(64)
NAME = String(200)
# SQLite gives an autoincrementing rowid only to a column declared exactly INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"  # scoped to one site per role row, or to every site when site_id is NULL
    AGENT = "agent"  # linked to the agent record the user works as


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK expression: `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _tenant_fk() -> Mapped[str]:
    return mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)


class TenantRow(Base):
    """A customer organisation; `placement` holds its multi-site placement rules (a `PlacementSpec`)."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    placement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Double)
    # the page language of its users who chose none ("en", "zh"); NULL: each browser's
    default_language: Mapped[str | None] = mapped_column(String(8))


class SiteRow(Base):
    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint(one_of("status", SiteStatus), name="status"),
        CheckConstraint(
            "(opens_minute IS NULL AND closes_minute IS NULL) OR "
            "(opens_minute BETWEEN 0 AND 1440 AND closes_minute BETWEEN 0 AND 1440)",
            name="hours",
        ),
    )

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opens_minute: Mapped[int | None] = mapped_column(Integer)  # both NULL: open 24x7
    closes_minute: Mapped[int | None] = mapped_column(Integer)  # before opens_minute: spans midnight
    status: Mapped[str] = mapped_column(String(16), default=SiteStatus.OPEN.value)
    status_changed_at: Mapped[float | None] = mapped_column(Double)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    hq: Mapped[bool] = mapped_column(Boolean, default=False)

    holidays: Mapped[list["SiteHolidayRow"]] = relationship(
        cascade="all, delete-orphan", order_by="SiteHolidayRow.day"
    )


class SiteHolidayRow(Base):
    """A local calendar date on which the site is closed all day."""

    __tablename__ = "site_holidays"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"], ondelete="CASCADE"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, default="")


class TeamRow(Base):
    __tablename__ = "teams"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),)

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    site_id: Mapped[str | None] = mapped_column(ID)  # NULL: a team spanning sites


class AgentRow(Base):
    __tablename__ = "agents"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"]),
        ForeignKeyConstraint(["tenant_id", "team_id"], ["teams.tenant_id", "teams.id"]),
        Index(None, "tenant_id", "site_id"),
    )

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    site_id: Mapped[str] = mapped_column(ID)
    team_id: Mapped[str | None] = mapped_column(ID)
    display_name: Mapped[str] = mapped_column(NAME)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    skills: Mapped[list["AgentSkillRow"]] = relationship(
        cascade="all, delete-orphan", order_by="AgentSkillRow.skill"
    )
    capacity: Mapped[list["AgentCapacityRow"]] = relationship(
        cascade="all, delete-orphan", order_by="AgentCapacityRow.channel"
    )


class AgentSkillRow(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"], ondelete="CASCADE"
        ),
        CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ID, primary_key=True)
    skill: Mapped[str] = mapped_column(String(100), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)


class AgentCapacityRow(Base):
    """How many contacts of a channel the agent takes at once. An agent with no rows takes one call."""

    __tablename__ = "agent_capacity"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"], ondelete="CASCADE"
        ),
        CheckConstraint(one_of("channel", Channel), name="channel"),
        CheckConstraint("slots >= 0", name="slots"),
    )

    tenant_id: Mapped[str] = mapped_column(ID, primary_key=True)
    agent_id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    slots: Mapped[int] = mapped_column(Integer)


class UserRow(Base):
    """A person who logs in. `login` is unique across tenants, so a login form needs no tenant field."""

    __tablename__ = "users"

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    login: Mapped[str] = mapped_column(NAME, unique=True)
    display_name: Mapped[str] = mapped_column(NAME)
    password_hash: Mapped[str | None] = mapped_column(String(255))  # NULL: cannot log in with a password
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[float] = mapped_column(Double)
    language: Mapped[str | None] = mapped_column(String(8))  # "en" or "zh"; NULL: the browser's

    roles: Mapped[list["UserRoleRow"]] = relationship(cascade="all, delete-orphan", order_by="UserRoleRow.id")


class UserRoleRow(Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "site_id"], ["sites.tenant_id", "sites.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"], ondelete="CASCADE"
        ),
        CheckConstraint(one_of("role", Role), name="role"),
        CheckConstraint("role = 'supervisor' OR site_id IS NULL", name="site_scope"),
        CheckConstraint("(role = 'agent') = (agent_id IS NOT NULL)", name="agent_link"),
        Index(None, "tenant_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    role: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(ID)


class RoutingPolicyRow(Base):
    """A routing policy as its YAML source (one `PolicySpec` mapping), kept verbatim for editing."""

    __tablename__ = "routing_policies"

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[float] = mapped_column(Double)


class QueueRow(Base):
    __tablename__ = "queues"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "policy_id"], ["routing_policies.tenant_id", "routing_policies.id"]
        ),
        CheckConstraint(one_of("channel", Channel), name="channel"),
        CheckConstraint("wrap_up_seconds >= 0", name="wrap_up_seconds"),
        CheckConstraint("offer_timeout_seconds > 0", name="offer_timeout_seconds"),
        CheckConstraint("expected_handle_seconds > 0", name="expected_handle_seconds"),
        CheckConstraint("sl_seconds > 0 AND sl_target > 0 AND sl_target <= 1", name="service_level"),
    )

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    policy_id: Mapped[str] = mapped_column(ID)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.VOICE.value)
    wrap_up_seconds: Mapped[float] = mapped_column(Double, default=0.0)
    offer_timeout_seconds: Mapped[float] = mapped_column(Double, default=20.0)
    expected_handle_seconds: Mapped[float] = mapped_column(Double, default=180.0)
    sl_seconds: Mapped[float] = mapped_column(Double, default=20.0)
    sl_target: Mapped[float] = mapped_column(Double, default=0.8)


class ContactRow(Base):
    """A contact's attributes and where it is now; its history is in `events`."""

    __tablename__ = "contacts"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "queue_id"], ["queues.tenant_id", "queues.id"]),
        ForeignKeyConstraint(["tenant_id", "intake_site_id"], ["sites.tenant_id", "sites.id"]),
        ForeignKeyConstraint(["tenant_id", "agent_id"], ["agents.tenant_id", "agents.id"]),
        CheckConstraint(one_of("channel", Channel), name="channel"),
        Index(None, "tenant_id", "state"),
        Index(None, "tenant_id", "arrived_at"),  # listed newest first
    )

    tenant_id: Mapped[str] = _tenant_fk()
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    queue_id: Mapped[str] = mapped_column(ID)
    channel: Mapped[str] = mapped_column(String(16))
    intake_site_id: Mapped[str | None] = mapped_column(ID)
    customer_id: Mapped[str | None] = mapped_column(ID)
    language: Mapped[str | None] = mapped_column(String(32))
    intent: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    arrived_at: Mapped[float] = mapped_column(Double)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(32))  # its lifecycle phase, e.g. waiting / offered / ended
    step_index: Mapped[int] = mapped_column(Integer, default=0)  # the routing policy step it waits in
    placement: Mapped[list[str]] = mapped_column(JSON, default=list)  # site ids it waits at, in order
    agent_id: Mapped[str | None] = mapped_column(ID)
    updated_at: Mapped[float] = mapped_column(Double)


class EventRow(Base):
    """The append-only event log. `data` is `Event.to_record()`; the id columns copy it for indexing.

    `site_id` is the event's `site_id` or, for an overflow, `to_site_id`; `queue_id` is its `queue_id` or,
    for a transfer, `to_queue_id`. Ids are not foreign keys: the log outlives the rows it mentions.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "kind", "at"),
        Index(None, "contact_id"),
        Index(None, "agent_id", "at"),
        Index(None, "tenant_id", "at"),
    )

    sequence: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"))
    at: Mapped[float] = mapped_column(Double)
    kind: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(ID)
    site_id: Mapped[str | None] = mapped_column(ID)
    queue_id: Mapped[str | None] = mapped_column(ID)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class WrapUpCodeRow(Base):
    __tablename__ = "wrap_up_codes"

    tenant_id: Mapped[str] = _tenant_fk()
    code: Mapped[str] = mapped_column(ID, primary_key=True)
    label: Mapped[str] = mapped_column(NAME)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditEntryRow(Base):
    """Who changed what and when, with the entity before and after (NULL before: created; after: deleted)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "tenant_id", "at"), Index(None, "tenant_id", "entity", "entity_id"))

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"))
    at: Mapped[float] = mapped_column(Double)
    actor: Mapped[str] = mapped_column(NAME)  # a user id, or "system"
    action: Mapped[str] = mapped_column(String(64))  # e.g. "update", "site-status"
    entity: Mapped[str] = mapped_column(String(40))  # e.g. "site", "agent", "routing-policy"
    entity_id: Mapped[str] = mapped_column(ID)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# Tables of other contexts share `Base`; importing them here puts them in the metadata the migrations
# are compared with, whichever module is imported first.
from baiying.storage import care_tables as _care_tables  # noqa: E402, F401
from baiying.storage import chat_tables as _chat_tables  # noqa: E402, F401
from baiying.storage import customer_tables as _customer_tables  # noqa: E402, F401
from baiying.storage import knowledge_tables as _knowledge_tables  # noqa: E402, F401
from baiying.storage import notification_tables as _notification_tables  # noqa: E402, F401
from baiying.storage import ticket_tables as _ticket_tables  # noqa: E402, F401
