"""What care needs to know about a customer, as plain values (the customer module maps its records here).

Money is in fen (1/100 yuan) as integers, so sums and comparisons are exact."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class Plan:
    """A telecom plan in the catalogue: what the fee includes and what more costs."""

    id: str
    name: str
    monthly_fee_fen: int
    minutes: int
    data_mb: int
    extra_minute_fen: int
    extra_mb_fen: int

    def __post_init__(self) -> None:
        if (
            min(self.monthly_fee_fen, self.minutes, self.data_mb, self.extra_minute_fen, self.extra_mb_fen)
            < 0
        ):
            raise ValueError(f"plan {self.id!r}: fees, allowances and prices cannot be negative")


@dataclass(frozen=True, slots=True)
class Usage:
    """One calendar month of use, `month` as "YYYY-MM"."""

    month: str
    minutes: int
    data_mb: int


@dataclass(frozen=True, slots=True)
class Product:
    """A product the customer holds: a subscription (`plan_id`, `contract_end`) or an appliance
    (`model`, `serial`, `warranty_end`)."""

    id: str
    kind: str  # "subscription" or "appliance"
    name: str
    plan_id: str | None = None
    contract_end: date | None = None
    model: str | None = None
    serial: str | None = None
    warranty_end: date | None = None
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    id: str
    name: str
    tier: str | None = None
    segment: str | None = None
    region: str | None = None
    language: str | None = None
    birthday: date | None = None
    products: tuple[Product, ...] = ()
    usage: tuple[Usage, ...] = ()  # any order; the latest months count
    marketing_consent: bool = True  # False: no marketing offer is shown, only care
    attributes: Mapping[str, Any] = field(default_factory=dict)
