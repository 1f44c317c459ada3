"""Reading monthly product usage from a CSV (billing's export) with a column mapping: each data row becomes
a `UsageLine` or a `RejectedUsage` (line, field, reason); storing them (which rejects rows of unknown
subscriptions) is the storage adapter's part. Together they account for every row: nothing is dropped.

    delimiter: ","
    product_column: Subscription     # the subscription (product) id
    month_column: Period             # read with month_format
    month_format: "%Y-%m"            # e.g. "%Y%m" for 202610
    minutes_column: Voice minutes
    data_column: Data used
    data_unit: gb                    # mb (default), gb or kb; stored as whole MB
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from baiying.errors import ConfigError, ConfigProblem
from baiying.yamlconfig import load_model

MB_PER_UNIT = {"kb": Decimal(1) / Decimal(1024), "mb": Decimal(1), "gb": Decimal(1024)}
MAX_AMOUNT = 100_000_000  # what the usage table accepts per month


class UsageMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delimiter: str = Field(",", min_length=1, max_length=1)
    product_column: str = Field(min_length=1)
    month_column: str = Field(min_length=1)
    month_format: str = "%Y-%m"
    minutes_column: str = Field(min_length=1)
    data_column: str = Field(min_length=1)
    data_unit: Literal["kb", "mb", "gb"] = "mb"

    def columns(self) -> dict[str, str]:
        """Mapping field -> the column it names."""
        return {
            "product_column": self.product_column,
            "month_column": self.month_column,
            "minutes_column": self.minutes_column,
            "data_column": self.data_column,
        }


def load_usage_mapping(text: str, source: str) -> UsageMapping:
    """Errors name the field and line."""
    return load_model(text, UsageMapping, source)


@dataclass(frozen=True, slots=True)
class UsageLine:
    line: int
    product_id: str
    month: str  # YYYY-MM
    minutes: int
    data_mb: int


@dataclass(frozen=True, slots=True)
class RejectedUsage:
    line: int  # 1-based line in the file (the header is line 1)
    field: str  # the column at fault; "" for the row as a whole
    reason: str


@dataclass(frozen=True, slots=True)
class UsageFile:
    rows_read: int
    rows: tuple[UsageLine, ...]
    rejected: tuple[RejectedUsage, ...]


class _Refused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def parse_usage(lines: Iterable[str], mapping: UsageMapping, source: str) -> UsageFile:
    """Every data row, parsed or rejected with its reason. Raises ConfigError (naming the mapping field)
    when the file has no header or the header lacks a mapped column."""
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    header = next(reader, None)
    if header is None:
        raise ConfigError(source, [ConfigProblem("", "the file is empty: it needs a header row")])
    header = [cell.strip().lstrip("\ufeff") for cell in header]
    missing = [
        ConfigProblem(name, f"column {column!r} is not in the header (columns: {', '.join(header)})")
        for name, column in mapping.columns().items()
        if column not in header
    ]
    if missing:
        raise ConfigError("mapping", missing)
    index = {column: header.index(column) for column in mapping.columns().values()}
    rows: list[UsageLine] = []
    rejected: list[RejectedUsage] = []
    seen: dict[tuple[str, str], int] = {}
    read = 0
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line is no row
        read += 1
        try:
            if len(cells) != len(header):
                raise _Refused("", f"{len(cells)} cells where the header has {len(header)}")
            row = _row(number, [cells[index[c]].strip() for c in mapping.columns().values()], mapping)
            key = (row.product_id, row.month)
            if key in seen:
                raise _Refused(
                    mapping.month_column, f"{row.month} of {row.product_id!r} is already on line {seen[key]}"
                )
            seen[key] = number
            rows.append(row)
        except _Refused as refused:
            rejected.append(RejectedUsage(number, refused.field, refused.reason))
    return UsageFile(read, tuple(rows), tuple(rejected))


def _row(number: int, values: list[str], mapping: UsageMapping) -> UsageLine:
    product, month_text, minutes_text, data_text = values
    if not product:
        raise _Refused(mapping.product_column, "empty: the subscription id is required")
    if len(product) > 64:
        raise _Refused(mapping.product_column, "longer than 64 characters")
    try:
        month = datetime.strptime(month_text, mapping.month_format).strftime("%Y-%m")  # noqa: DTZ007 - a month, no moment
    except ValueError:
        raise _Refused(
            mapping.month_column, f"{month_text!r} is not a month in the form {mapping.month_format}"
        ) from None
    minutes = _amount(minutes_text, mapping.minutes_column, Decimal(1), "minutes")
    data_mb = _amount(
        data_text, mapping.data_column, MB_PER_UNIT[mapping.data_unit], mapping.data_unit.upper()
    )
    return UsageLine(number, product, month, minutes, data_mb)


def _amount(text: str, column: str, scale: Decimal, unit: str) -> int:
    try:
        value = Decimal(text.replace(",", "")) if text else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _Refused(column, f"{text!r} is not a number of {unit}")
    if value < 0:
        raise _Refused(column, f"{text} is negative")
    amount = int((value * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if amount > MAX_AMOUNT:
        raise _Refused(column, f"{text} is more than {MAX_AMOUNT} a month")
    return amount
