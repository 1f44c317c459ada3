"""Which column of a customer CSV means what: a YAML-friendly mapping, or the same built from CLI options.

Like the call-log mapping (`baiying.importers.mapping`): every `*_column` names a header cell; list fields
(`phone_columns`...) name several. Unknown keys are refused, errors name the field and line.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.customers.model import ProductKind
from baiying.yamlconfig import load_model


class OnExisting(StrEnum):
    UPDATE = "update"  # a row matching an existing customer updates it (and adds its new contact points)
    REJECT = "reject"  # ...is rejected, naming the customer it matches


class ProductColumns(BaseModel):
    """One product per row, of a fixed kind; a row whose product columns are all empty has none."""

    model_config = ConfigDict(extra="forbid")

    kind: ProductKind
    id_column: str | None = None  # empty: the product id is derived from the customer id and line
    name_column: str | None = None  # the plan or product name
    # telecom
    plan_column: str | None = None
    monthly_fee_column: str | None = None  # in yuan (or the tenant's currency unit), e.g. 58 or 58.00
    minutes_allowance_column: str | None = None
    data_allowance_mb_column: str | None = None
    minutes_used_column: str | None = None
    data_used_mb_column: str | None = None
    # appliance
    model_column: str | None = None
    serial_column: str | None = None
    purchase_date_column: str | None = None
    warranty_end_column: str | None = None
    product_tier_column: str | None = None

    @model_validator(mode="after")
    def _enough(self) -> "ProductColumns":
        if self.kind is ProductKind.TELECOM and (self.plan_column is None or self.monthly_fee_column is None):
            raise ValueError("a telecom product needs plan_column and monthly_fee_column")
        if self.kind is ProductKind.APPLIANCE and self.model_column is None:
            raise ValueError("an appliance product needs model_column")
        return self


class CustomerMapping(BaseModel):
    """How to read one customer CSV. Booleans (consents) read `true_values` / `false_values`; dates read
    `date_format`; a phone without a country prefix is national to `country_code` (default: the tenant's)."""

    model_config = ConfigDict(extra="forbid")

    delimiter: str = ","
    date_format: str = "%Y-%m-%d"
    country_code: int | None = Field(default=None, ge=1, le=999)
    on_existing: OnExisting = OnExisting.UPDATE
    true_values: list[str] = ["1", "true", "yes", "y", "是"]
    false_values: list[str] = ["", "0", "false", "no", "n", "否"]
    id_column: str | None = None
    name_column: str
    phone_columns: list[str] = []
    email_columns: list[str] = []
    chat_columns: list[str] = []
    region_column: str | None = None
    language_column: str | None = None
    dialect_column: str | None = None
    tier_column: str | None = None
    segment_column: str | None = None
    birthday_column: str | None = None
    site_column: str | None = None
    consent_marketing_column: str | None = None
    consent_sms_column: str | None = None
    consent_email_column: str | None = None
    consent_calls_column: str | None = None
    attribute_columns: dict[str, str] = {}  # attribute name -> column
    product: ProductColumns | None = None

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        value = {"tab": "\t", "\\t": "\t"}.get(value, value)
        if len(value) != 1:
            raise ValueError(f'delimiter must be one character (or "tab"), got {value!r}')
        return value

    @model_validator(mode="after")
    def _checks(self) -> "CustomerMapping":
        overlap = {v.casefold() for v in self.true_values} & {v.casefold() for v in self.false_values}
        if overlap:
            raise ValueError(f"{', '.join(sorted(overlap))} listed in both true_values and false_values")
        return self

    def columns(self) -> dict[str, str]:
        """Every mapped column, by the mapping field that names it (e.g. "phone_columns[1]")."""
        named: dict[str, str] = {}
        for name, value in self.model_dump(exclude={"product", "attribute_columns"}).items():
            if name.endswith("_column") and isinstance(value, str):
                named[name] = value
            elif name.endswith("_columns") and isinstance(value, list):
                named.update({f"{name}[{index}]": column for index, column in enumerate(value)})
        named.update({f"attribute_columns.{key}": column for key, column in self.attribute_columns.items()})
        if self.product is not None:
            for name, value in self.product.model_dump().items():
                if name.endswith("_column") and isinstance(value, str):
                    named[f"product.{name}"] = value
        return named


def load_mapping(text: str, source: str) -> CustomerMapping:
    """A mapping from YAML text; raises ConfigError naming the field and line of each problem."""
    return load_model(text, CustomerMapping, source)


# The mapping fields `--column FIELD=COLUMN` may set; list fields take the option once per column.
CLI_FIELDS = (
    "id",
    "name",
    "phone",
    "email",
    "chat",
    "region",
    "language",
    "dialect",
    "tier",
    "segment",
    "birthday",
    "site",
    "consent_marketing",
    "consent_sms",
    "consent_email",
    "consent_calls",
)
