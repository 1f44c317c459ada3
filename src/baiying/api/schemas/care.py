"""Care as the API reads and writes it: plans, usage, offer outcomes and conversion."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from baiying.api.schemas import Id, Name
from baiying.api.schemas.admin import _Input
from baiying.care.offers import Outcome
from baiying.storage.care_tables import PlanRow, UsageRow
from baiying.storage.repositories.care import Conversion

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Fen = Annotated[int, Field(ge=0, le=100_000_000, description="Money in fen (1/100 yuan).")]
Amount = Annotated[int, Field(ge=0, le=100_000_000)]


class PlanIn(_Input):
    name: Name
    monthly_fee_fen: Fen
    minutes: Amount
    data_mb: Amount
    extra_minute_fen: Fen
    extra_mb_fen: Fen


class PlanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    monthly_fee_fen: int
    minutes: int
    data_mb: int
    extra_minute_fen: int
    extra_mb_fen: int

    @classmethod
    def of(cls, row: PlanRow) -> "PlanPublic":
        return cls.model_validate(row)


class UsageIn(_Input):
    minutes: Amount
    data_mb: Amount


class UsagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: str
    month: str
    minutes: int
    data_mb: int

    @classmethod
    def of(cls, row: UsageRow) -> "UsagePublic":
        return cls.model_validate(row)


class OutcomeIn(_Input):
    customer_id: Id
    offer_id: Id
    outcome: Outcome
    contact_id: Id | None = None


class OutcomeRecorded(BaseModel):
    id: int
    customer_id: str
    offer_id: str
    outcome: Outcome
    contact_id: str | None
    at: float


class ConversionPublic(BaseModel):
    offer_id: str
    shown: int
    accepted: int
    declined: int
    later: int
    conversion_rate: float | None = Field(description="accepted / shown; null when never shown")

    @classmethod
    def of(cls, row: Conversion) -> "ConversionPublic":
        return cls(
            offer_id=row.offer_id,
            shown=row.shown,
            accepted=row.accepted,
            declined=row.declined,
            later=row.later,
            conversion_rate=row.rate,
        )


class ContactCapIn(_Input):
    channel: Literal["voice", "chat", "email", "sms"]
    purposes: list[Literal["care", "marketing"]] = Field(min_length=1)
    max_contacts: int = Field(ge=0, le=1000, description="0: never on this channel for these purposes.")
    period_seconds: float = Field(gt=0, le=366 * 86400, description="The sliding window, in seconds.")


class ContactCapsIn(_Input):
    caps: list[ContactCapIn] = Field(max_length=100)


class ContactCapsPublic(BaseModel):
    caps: list[ContactCapIn]
    source: Literal["tenant", "default"] = Field(description="default: the tenant configured none.")
    updated_by: str | None = None
    updated_at: float | None = None


class UsageImportRequest(_Input):
    csv: str = Field(min_length=1, max_length=20_000_000, description="The CSV text, header first.")
    mapping: dict[str, Any] | None = Field(
        default=None, description="product_column, month_column, minutes_column, data_column, ..."
    )
    mapping_yaml: str | None = Field(default=None, max_length=100_000, description="The same, as YAML.")
    dry_run: bool = Field(default=False, description="Check and report; store nothing.")

    @model_validator(mode="after")
    def _one_mapping(self) -> "UsageImportRequest":
        if (self.mapping is None) == (self.mapping_yaml is None):
            raise ValueError("give mapping or mapping_yaml (one of them)")
        return self


class RejectedUsagePublic(BaseModel):
    row: int = Field(description="The line in the file; the header is line 1.")
    field: str = Field(description="The column at fault; empty for the row as a whole.")
    reason: str


class UsageImportPublic(BaseModel):
    rows_read: int
    imported: int
    added: int
    replaced: int
    rejected_rows: list[RejectedUsagePublic]
    dry_run: bool
