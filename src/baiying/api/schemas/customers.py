"""Customers, contact points, products, the timeline and the screen pop as the API reads and writes them."""

from datetime import date
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from baiying.api.schemas import Id, Name
from baiying.customers.access import mask_name, mask_point
from baiying.customers.interactions import FcrResult, RepeatContact
from baiying.customers.model import ContactPointKind, Interaction, ProductKind
from baiying.storage.customer_tables import ContactPointRow, CustomerRow, CustomerSettingsRow, ProductRow

Short = Field(default=None, min_length=1, max_length=32, pattern=r"^[^\x00-\x1f\x7f]*$")
Text = Field(default=None, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactPointIn(_Input):
    kind: ContactPointKind
    value: str = Field(min_length=1, max_length=200)
    label: str = Field(default="", max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")


class ConsentsIn(_Input):
    marketing: bool = False
    sms: bool = False
    email: bool = False
    calls: bool = False


class CustomerCreate(_Input):
    id: Id | None = Field(default=None, description="Defaults to a new random id.")
    display_name: Name
    contact_points: list[ContactPointIn] = Field(default=[], max_length=50)
    region: str | None = Text
    language: str | None = Short
    dialect: str | None = Short
    tier: str | None = Short
    segment: str | None = Short
    birthday: date | None = None
    site: str | None = Field(default=None, min_length=1, max_length=64)
    consents: ConsentsIn = ConsentsIn()
    attributes: dict[str, str | int | float | bool | None] = {}


class CustomerUpdate(_Input):
    """A partial update: fields left out are kept."""

    not_null: ClassVar[frozenset[str]] = frozenset({"display_name", "consents", "attributes"})

    display_name: Name | None = None
    region: str | None = Text
    language: str | None = Short
    dialect: str | None = Short
    tier: str | None = Short
    segment: str | None = Short
    birthday: date | None = None
    site: str | None = Field(default=None, min_length=1, max_length=64)
    consents: ConsentsIn | None = None
    attributes: dict[str, str | int | float | bool | None] | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in self.model_fields_set & self.not_null:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The given fields as `CustomerRow` columns."""
        given = self.model_dump(exclude_unset=True)
        columns: dict[str, Any] = {}
        for name, value in given.items():
            if name == "site":
                columns["site_id"] = value
            elif name == "consents":
                columns.update({f"consent_{key}": flag for key, flag in value.items()})
            else:
                columns[name] = value
        return columns


class ContactPointPublic(BaseModel):
    kind: str
    value: str
    label: str

    @classmethod
    def of(cls, row: ContactPointRow, masked: bool = False) -> "ContactPointPublic":
        value = mask_point(row.kind, row.value) if masked else row.value
        return cls(kind=row.kind, value=value, label=row.label)


class ConsentsPublic(BaseModel):
    marketing: bool
    sms: bool
    email: bool
    calls: bool


class CustomerPublic(BaseModel):
    id: str
    display_name: str
    contact_points: list[ContactPointPublic]
    region: str | None
    language: str | None
    dialect: str | None
    tier: str | None
    segment: str | None
    birthday: date | None
    site: str | None
    consents: ConsentsPublic
    attributes: dict[str, Any]
    merged_into: str | None
    masked: bool = Field(description="True when names, contact points and birthday are masked (PII).")
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, row: CustomerRow, points: list[ContactPointRow], masked: bool = False) -> "CustomerPublic":
        return cls(
            id=row.id,
            display_name=mask_name(row.display_name) if masked else row.display_name,
            contact_points=[ContactPointPublic.of(p, masked) for p in points],
            region=row.region,
            language=row.language,
            dialect=row.dialect,
            tier=row.tier,
            segment=row.segment,
            birthday=None if masked else row.birthday,
            site=row.site_id,
            consents=ConsentsPublic(
                marketing=row.consent_marketing,
                sms=row.consent_sms,
                email=row.consent_email,
                calls=row.consent_calls,
            ),
            attributes=dict(row.attributes),
            merged_into=row.merged_into,
            masked=masked,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class CustomerPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CustomerPublic]


class ProductCreate(_Input):
    id: Id | None = None
    kind: ProductKind
    name: Name
    active: bool = True
    # telecom
    plan: str | None = Text
    monthly_fee_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    minutes_allowance: int | None = Field(default=None, ge=0, le=10_000_000)
    data_allowance_mb: int | None = Field(default=None, ge=0, le=1_000_000_000)
    minutes_used: int = Field(default=0, ge=0, le=10_000_000)
    data_used_mb: int = Field(default=0, ge=0, le=1_000_000_000)
    # appliance
    model: str | None = Text
    serial: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")
    purchase_date: date | None = None
    warranty_end: date | None = None
    product_tier: str | None = Short

    TELECOM: ClassVar[tuple[str, ...]] = (
        "plan",
        "monthly_fee_cents",
        "minutes_allowance",
        "data_allowance_mb",
    )
    APPLIANCE: ClassVar[tuple[str, ...]] = (
        "model",
        "serial",
        "purchase_date",
        "warranty_end",
        "product_tier",
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> Self:
        if self.kind is ProductKind.TELECOM:
            missing = [n for n in ("plan", "monthly_fee_cents") if getattr(self, n) is None]
            foreign = [n for n in self.APPLIANCE if getattr(self, n) is not None]
        else:
            missing = [n for n in ("model",) if getattr(self, n) is None]
            foreign = [n for n in self.TELECOM if getattr(self, n) is not None]
            foreign += [n for n in ("minutes_used", "data_used_mb") if getattr(self, n)]
        if missing:
            raise ValueError(f"a {self.kind.value} product needs {' and '.join(missing)}")
        if foreign:
            raise ValueError(f"{', '.join(foreign)} do not apply to a {self.kind.value} product")
        if self.purchase_date and self.warranty_end and self.warranty_end < self.purchase_date:
            raise ValueError("warranty_end is before purchase_date")
        return self


class ProductUpdate(_Input):
    """A partial update of the fields that change over a product's life; usage is this month's."""

    name: Name | None = None
    active: bool | None = None
    plan: str | None = Text
    monthly_fee_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    minutes_allowance: int | None = Field(default=None, ge=0, le=10_000_000)
    data_allowance_mb: int | None = Field(default=None, ge=0, le=1_000_000_000)
    minutes_used: int | None = Field(default=None, ge=0, le=10_000_000)
    data_used_mb: int | None = Field(default=None, ge=0, le=1_000_000_000)
    warranty_end: date | None = None
    product_tier: str | None = Short

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ProductPublic(BaseModel):
    id: str
    customer_id: str
    kind: str
    name: str
    active: bool
    plan: str | None
    monthly_fee_cents: int | None
    minutes_allowance: int | None
    data_allowance_mb: int | None
    minutes_used: int
    data_used_mb: int
    model: str | None
    serial: str | None
    purchase_date: date | None
    warranty_end: date | None
    product_tier: str | None

    @classmethod
    def of(cls, row: ProductRow) -> "ProductPublic":
        return cls.model_validate(row, from_attributes=True)


class InteractionPublic(BaseModel):
    source: str
    source_id: str
    channel: str
    at: float
    topic: str | None
    category: str
    outcome: str
    resolution: str | None
    agent_id: str | None
    queue_id: str | None

    @classmethod
    def of(cls, item: Interaction) -> "InteractionPublic":
        return cls(
            source=item.source,
            source_id=item.source_id,
            channel=item.channel,
            at=item.at,
            topic=item.topic,
            category=item.category.value,
            outcome=item.outcome,
            resolution=item.resolution.value if item.resolution else None,
            agent_id=item.agent_id,
            queue_id=item.queue_id,
        )


class RepeatContactPublic(BaseModel):
    ordinal: int = Field(description="The current contact is the n-th of today (tenant's time zone).")
    today: int = Field(description="Contacts today before the current one.")
    is_repeat: bool
    banner: str | None = Field(description="In the requested language; null for the day's first contact.")
    banners: dict[str, str | None] = Field(description="The banner in every supported language (en, zh).")
    last: InteractionPublic | None

    @classmethod
    def of(cls, repeat: RepeatContact, language: str) -> "RepeatContactPublic":
        return cls(
            ordinal=repeat.ordinal,
            today=repeat.today,
            is_repeat=repeat.is_repeat,
            banner=repeat.banner(language),
            banners={lang: repeat.banner(lang) for lang in ("en", "zh")},
            last=InteractionPublic.of(repeat.last) if repeat.last else None,
        )


class TimelinePublic(BaseModel):
    customer_id: str
    items: list[InteractionPublic]
    counts: dict[str, int] = Field(description="All-time interactions by category.")


class DuplicatePublic(BaseModel):
    first: str
    second: str
    reasons: list[str]
    score: float


class MergeRequest(_Input):
    merged: str = Field(min_length=1, max_length=64, description="The duplicate to merge into this customer.")


class MergePublic(BaseModel):
    survivor: CustomerPublic
    merged_id: str
    moved: dict[str, int]
    filled: list[str]


class CustomerEventPublic(BaseModel):
    sequence: int
    at: float
    kind: str
    actor: str
    data: dict[str, Any]


class FcrPublic(BaseModel):
    since: float
    until: float
    window_hours: float
    handled: int
    resolved_first_time: int
    repeated: int
    pending: int
    rate: float | None

    @classmethod
    def of(cls, result: FcrResult, since: float, until: float, window_hours: float) -> "FcrPublic":
        return cls(
            since=since,
            until=until,
            window_hours=window_hours,
            handled=result.handled,
            resolved_first_time=result.resolved_first_time,
            repeated=result.repeated,
            pending=result.pending,
            rate=result.rate,
        )


class ImportRequest(_Input):
    """Give the mapping as JSON (`mapping`) or as the YAML file's text (`mapping_yaml`), not both."""

    csv: str = Field(max_length=20_000_000, description="The CSV text, header first.")
    mapping: dict[str, Any] | None = Field(default=None, description="A customer mapping, as JSON.")
    mapping_yaml: str | None = Field(default=None, max_length=100_000, description="...or as YAML text.")
    dry_run: bool = False

    @model_validator(mode="after")
    def _one_mapping(self) -> Self:
        if (self.mapping is None) == (self.mapping_yaml is None):
            raise ValueError("give exactly one of mapping and mapping_yaml")
        return self


class ImportedRowPublic(BaseModel):
    line: int
    customer_id: str
    action: Literal["created", "updated"]
    matched_by: list[str]


class RejectedRowPublic(BaseModel):
    line: int
    field: str
    reason: str


class ImportReportPublic(BaseModel):
    source: str
    rows_read: int
    created: int
    updated: int
    rejected: int
    dry_run: bool
    imported_rows: list[ImportedRowPublic]
    rejected_rows: list[RejectedRowPublic]


class CustomerSettingsIn(_Input):
    default_country_code: int = Field(default=86, ge=1, le=999)
    timezone: str = Field(default="Asia/Shanghai", min_length=1, max_length=64)
    fcr_window_hours: float = Field(default=72.0, gt=0, le=24 * 90)
    agents_see_own_site_only: bool = False
    pii_roles: list[Literal["admin", "supervisor", "agent"]] = ["admin"]
    categories: dict[str, Literal["complaint", "consultation", "service", "other"]] = {}
    resolved_codes: list[str] = ["resolved"]


class CustomerSettingsPublic(CustomerSettingsIn):
    @classmethod
    def of(cls, row: CustomerSettingsRow) -> "CustomerSettingsPublic":
        return cls.model_validate(row, from_attributes=True)


class ScreenPopPublic(BaseModel):
    """The customer 360 for a contact. `sections` is open: each module adds its own under its own name
    (`products`, `interactions`, `repeat_contact`, `counts` here; later e.g. `open_tickets`,
    `care_reminders`, `next_best_offers`); a client shows the sections it knows and ignores others."""

    lookup: dict[str, str] = Field(description="What was looked up: kind and normalised value.")
    found: bool
    customer: CustomerPublic | None
    banner: str | None = Field(description="The repeat-contact banner in the requested language, if any.")
    sections: dict[str, Any]
