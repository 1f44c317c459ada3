"""Tables of `baiying.care`: each tenant's plan catalogue, monthly usage per subscription (what the plan
optimizer reads), and every offer shown with its outcome (what conversion reports count)."""

from typing import Any

from sqlalchemy import JSON, CheckConstraint, Double, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from baiying.care.offers import Outcome
from baiying.storage.tables import ID, NAME, SEQUENCE, Base, one_of


class PlanRow(Base):
    __tablename__ = "care_plans"
    __table_args__ = (
        CheckConstraint(
            "monthly_fee_fen >= 0 AND minutes >= 0 AND data_mb >= 0"
            " AND extra_minute_fen >= 0 AND extra_mb_fen >= 0",
            name="not_negative",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    monthly_fee_fen: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    data_mb: Mapped[int] = mapped_column(Integer)
    extra_minute_fen: Mapped[int] = mapped_column(Integer)
    extra_mb_fen: Mapped[int] = mapped_column(Integer)


class UsageRow(Base):
    """One month of one subscription's use. `month` is "YYYY-MM"."""

    __tablename__ = "care_usage"
    __table_args__ = (CheckConstraint("minutes >= 0 AND data_mb >= 0", name="not_negative"),)

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(ID, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)
    data_mb: Mapped[int] = mapped_column(Integer)


class OfferOutcomeRow(Base):
    __tablename__ = "care_offer_outcomes"
    __table_args__ = (
        CheckConstraint(one_of("outcome", Outcome), name="outcome"),
        Index(None, "tenant_id", "customer_id", "offer_id"),
        Index(None, "tenant_id", "at"),
    )

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ID)
    offer_id: Mapped[str] = mapped_column(ID)
    outcome: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[str | None] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    at: Mapped[float] = mapped_column(Double)


class CareSettingsRow(Base):
    """A tenant's care settings: its contact-frequency caps (a list of {channel, purposes, max_contacts,
    period_seconds}); no row: the defaults of `baiying.care.caps`."""

    __tablename__ = "care_settings"

    tenant_id: Mapped[str] = mapped_column(ID, ForeignKey("tenants.id"), primary_key=True)
    contact_caps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(ID)
    updated_at: Mapped[float] = mapped_column(Double)
