"""The customers context's values: a customer, its contact points, consents and products, an interaction.

Contact points are normalised before they are stored or looked up (`baiying.customers.contacts`), so one
phone number written three ways is one contact point; each belongs to one customer of its tenant. Dates
are calendar dates; points in time are epoch seconds, UTC (`baiying.clock.Timestamp`); money is in cents.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from baiying.clock import Timestamp
from baiying.ids import CustomerId


class ContactPointKind(StrEnum):
    PHONE = "phone"  # E.164, e.g. +8613800138000
    EMAIL = "email"  # lower-cased
    CHAT = "chat"  # a chat id as the channel gives it, e.g. "wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


class ProductKind(StrEnum):
    TELECOM = "telecom"  # a subscription: plan, monthly fee, allowances and usage
    APPLIANCE = "appliance"  # a device: model, serial, purchase date, warranty


class Category(StrEnum):
    """What an interaction was about, for the counts in the screen pop."""

    COMPLAINT = "complaint"
    CONSULTATION = "consultation"
    SERVICE = "service"
    OTHER = "other"


class Resolution(StrEnum):
    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True, slots=True)
class ContactPoint:
    kind: ContactPointKind
    value: str  # normalised
    label: str = ""  # "mobile", "work", "wechat"...

    @property
    def match_key(self) -> str:
        """The key duplicates are found by: the value, except an email's `+tag` is ignored."""
        if self.kind is ContactPointKind.EMAIL:
            local, _, domain = self.value.partition("@")
            return f"{local.split('+', 1)[0]}@{domain}"
        return self.value


@dataclass(frozen=True, slots=True)
class Consents:
    """What the customer agreed to; everything is refused until recorded as given."""

    marketing: bool = False
    sms: bool = False
    email: bool = False
    calls: bool = False  # outbound calls (care, offers)

    def merged_with(self, other: "Consents") -> "Consents":
        """Both records' consents: a refusal on either record wins, so a merge never widens consent."""
        return Consents(
            marketing=self.marketing and other.marketing,
            sms=self.sms and other.sms,
            email=self.email and other.email,
            calls=self.calls and other.calls,
        )


@dataclass(frozen=True, slots=True)
class Customer:
    id: CustomerId
    display_name: str
    contact_points: tuple[ContactPoint, ...] = ()
    region: str | None = None
    language: str | None = None  # e.g. "zh", "en"
    dialect: str | None = None  # e.g. "yue" (Cantonese), the routing skill `lang.yue`
    tier: str | None = None  # e.g. "gold"
    segment: str | None = None  # e.g. "enterprise", "consumer"
    birthday: date | None = None
    site_id: str | None = None  # the site that serves the customer, for site-scoped agents
    consents: Consents = field(default_factory=Consents)
    attributes: dict[str, Any] = field(default_factory=dict)
    merged_into: CustomerId | None = None  # set once merged away: the surviving record
    serials: tuple[str, ...] = ()  # the serial numbers of its appliances, for duplicate detection


@dataclass(frozen=True, slots=True)
class TelecomTerms:
    plan: str
    monthly_fee_cents: int
    minutes_allowance: int | None = None  # None: unlimited
    data_allowance_mb: int | None = None
    minutes_used: int = 0  # this month's usage
    data_used_mb: int = 0


@dataclass(frozen=True, slots=True)
class ApplianceTerms:
    model: str
    serial: str | None = None
    purchase_date: date | None = None
    warranty_end: date | None = None
    product_tier: str | None = None  # e.g. "premium"


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    customer_id: CustomerId
    kind: ProductKind
    name: str
    terms: TelecomTerms | ApplianceTerms
    active: bool = True


@dataclass(frozen=True, slots=True)
class Interaction:
    """One entry of a customer's timeline: a contact on any channel (later: a ticket, an outbound call)."""

    source: str  # "contact", later "ticket"
    source_id: str
    customer_id: CustomerId
    channel: str  # voice, chat, email, sms, outbound...
    at: Timestamp
    topic: str | None = None  # what it was about (the contact's intent, else its wrap-up code)
    category: Category = Category.OTHER
    outcome: str = "open"  # open / answered / completed / abandoned / routed-out
    resolution: Resolution | None = None  # known once the contact is completed or abandoned
    agent_id: str | None = None
    queue_id: str | None = None
    site_id: str | None = None  # where it was settled (answered, abandoned), for site-scoped reports
