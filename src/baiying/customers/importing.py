"""Reading a customer CSV with a `CustomerMapping`: each data row becomes a `ParsedRow` or a `RejectedRow`
(line, field, reason). Storing the parsed rows (matching them against existing customers, which can reject
more rows) is the storage adapter's part; together they account for every row: nothing is dropped.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from baiying.customers.contacts import DEFAULT_COUNTRY_CODE, normalise
from baiying.customers.errors import InvalidContactPoint, InvalidCustomerImport
from baiying.customers.mapping import CustomerMapping, ProductColumns
from baiying.customers.model import (
    ApplianceTerms,
    Consents,
    ContactPoint,
    ContactPointKind,
    ProductKind,
    TelecomTerms,
)

MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int  # 1-based line in the file (the header is line 1)
    field: str  # the column at fault; "" for the row as a whole
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedProduct:
    id: str | None
    kind: ProductKind
    name: str
    terms: TelecomTerms | ApplianceTerms


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line: int
    customer_id: str | None
    display_name: str
    points: tuple[tuple[str, ContactPoint], ...]  # (column, point)
    fields: dict[str, Any]  # region, language, ... only those mapped and non-empty
    consents: Consents | None  # None: no consent column mapped
    attributes: dict[str, str] = field(default_factory=dict)
    product: ParsedProduct | None = None


@dataclass(frozen=True, slots=True)
class ParsedFile:
    source: str
    rows_read: int
    rows: tuple[ParsedRow, ...]
    rejected: tuple[RejectedRow, ...]


class _Reject(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def parse_customers(
    lines: Iterable[str],
    mapping: CustomerMapping,
    source: str = "<customers>",
    default_country_code: int = DEFAULT_COUNTRY_CODE,
) -> ParsedFile:
    """Parse the lines of a customer CSV (header first). Raises InvalidCustomerImport for a file that
    cannot be read at all (empty, a mapped column missing from the header)."""
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    header = next(reader, None)
    if not header:
        raise InvalidCustomerImport(f"{source} is empty: expected a header row naming the columns")
    parser = _RowParser(mapping, [cell.strip() for cell in header], source, default_country_code)
    rows: list[ParsedRow] = []
    rejected: list[RejectedRow] = []
    rows_read = 0
    for row in reader:
        if not row:
            continue
        rows_read += 1
        try:
            rows.append(parser.parse(row, reader.line_num))
        except _Reject as problem:
            rejected.append(RejectedRow(reader.line_num, problem.field, problem.reason))
    return ParsedFile(source, rows_read, tuple(rows), tuple(rejected))


class _RowParser:
    def __init__(self, mapping: CustomerMapping, header: list[str], source: str, country_code: int) -> None:
        self.mapping = mapping
        self.width = len(header)
        self.country_code = mapping.country_code or country_code
        positions = {name: index for index, name in enumerate(header)}
        self.index: dict[str, int] = {}
        for field_name, column in mapping.columns().items():
            if column not in positions:
                raise InvalidCustomerImport(
                    f"{source}: column {column!r} (from {field_name}) is not in the header; "
                    f"columns are: {', '.join(header)}",
                    {"field": field_name, "column": column},
                )
            self.index[column] = positions[column]
        self.true = {v.casefold() for v in mapping.true_values}
        self.false = {v.casefold() for v in mapping.false_values}

    def parse(self, row: list[str], line: int) -> ParsedRow:
        m = self.mapping
        if len(row) != self.width:
            raise _Reject("", f"expected {self.width} fields, found {len(row)}")
        name = self._text(row, m.name_column)
        if not name:
            raise _Reject(m.name_column, "the name is empty")
        points: list[tuple[str, ContactPoint]] = []
        seen: set[tuple[str, str]] = set()
        for kind, columns in (
            (ContactPointKind.PHONE, m.phone_columns),
            (ContactPointKind.EMAIL, m.email_columns),
            (ContactPointKind.CHAT, m.chat_columns),
        ):
            for column in columns:
                raw = self._text(row, column)
                if not raw:
                    continue
                try:
                    value = normalise(kind, raw, self.country_code)
                except InvalidContactPoint as exc:
                    raise _Reject(column, exc.message) from None
                if (kind.value, value) not in seen:
                    seen.add((kind.value, value))
                    points.append((column, ContactPoint(kind, value, column)))
        fields: dict[str, Any] = {}
        for key in ("region", "language", "dialect", "tier", "segment", "site_id"):
            column = getattr(m, "site_column" if key == "site_id" else f"{key}_column")
            value = self._text(row, column)
            if value:
                fields[key] = value
        if m.birthday_column is not None:
            birthday = self._date(row, m.birthday_column)
            if birthday is not None:
                fields["birthday"] = birthday
        consent_columns = {
            "marketing": m.consent_marketing_column,
            "sms": m.consent_sms_column,
            "email": m.consent_email_column,
            "calls": m.consent_calls_column,
        }
        consents = None
        if any(column is not None for column in consent_columns.values()):
            consents = Consents(**{key: self._bool(row, column) for key, column in consent_columns.items()})
        customer_id = self._text(row, m.id_column) or None if m.id_column is not None else None
        attributes = {key: self._text(row, column) for key, column in m.attribute_columns.items()}
        product = self._product(row, m.product) if m.product is not None else None
        return ParsedRow(
            line,
            customer_id,
            name,
            tuple(points),
            fields,
            consents,
            {k: v for k, v in attributes.items() if v},
            product,
        )

    # -- fields ---------------------------------------------------------------------------------------

    def _text(self, row: list[str], column: str | None) -> str:
        if column is None:
            return ""
        value = row[self.index[column]].strip()
        if len(value) > MAX_TEXT:
            raise _Reject(column, f"longer than {MAX_TEXT} characters")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise _Reject(column, "holds a control character")
        return value

    def _bool(self, row: list[str], column: str | None) -> bool:
        if column is None:
            return False
        value = self._text(row, column)
        if value.casefold() in self.true:
            return True
        if value.casefold() in self.false:
            return False
        expected = ", ".join(repr(v) for v in [*self.mapping.true_values, *self.mapping.false_values])
        raise _Reject(column, f"{value!r} is neither true nor false (expected one of {expected})")

    def _date(self, row: list[str], column: str | None) -> date | None:
        value = self._text(row, column)
        if column is None or not value:
            return None
        try:
            return datetime.strptime(value, self.mapping.date_format).date()  # noqa: DTZ007 - a date
        except ValueError:
            raise _Reject(
                column, f"{value!r} is not a date in the format {self.mapping.date_format}"
            ) from None

    def _whole(self, row: list[str], column: str | None) -> int | None:
        value = self._text(row, column)
        if column is None or not value:
            return None
        try:
            number = int(value)
        except ValueError:
            raise _Reject(column, f"{value!r} is not a whole number") from None
        if number < 0:
            raise _Reject(column, f"{value!r} is negative")
        return number

    def _cents(self, row: list[str], column: str) -> int:
        value = self._text(row, column)
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise _Reject(column, f"{value!r} is not an amount of money") from None
        cents = amount * 100
        if not amount.is_finite() or amount < 0 or cents != cents.to_integral_value():
            raise _Reject(column, f"{value!r} is not an amount of money (0 or more, at most 2 decimals)")
        return int(cents)

    def _product(self, row: list[str], columns: ProductColumns) -> ParsedProduct | None:
        mapped = [v for k, v in columns.model_dump().items() if k.endswith("_column") and isinstance(v, str)]
        if not any(self._text(row, column) for column in mapped):
            return None
        product_id = self._text(row, columns.id_column) or None
        terms: TelecomTerms | ApplianceTerms
        if columns.kind is ProductKind.TELECOM:
            assert columns.plan_column is not None
            assert columns.monthly_fee_column is not None
            plan = self._text(row, columns.plan_column)
            if not plan:
                raise _Reject(columns.plan_column, "the plan is empty")
            terms = TelecomTerms(
                plan=plan,
                monthly_fee_cents=self._cents(row, columns.monthly_fee_column),
                minutes_allowance=self._whole(row, columns.minutes_allowance_column),
                data_allowance_mb=self._whole(row, columns.data_allowance_mb_column),
                minutes_used=self._whole(row, columns.minutes_used_column) or 0,
                data_used_mb=self._whole(row, columns.data_used_mb_column) or 0,
            )
            name = self._text(row, columns.name_column) or plan
        else:
            assert columns.model_column is not None
            model = self._text(row, columns.model_column)
            if not model:
                raise _Reject(columns.model_column, "the model is empty")
            purchase = self._date(row, columns.purchase_date_column)
            warranty = self._date(row, columns.warranty_end_column)
            if purchase is not None and warranty is not None and warranty < purchase:
                assert columns.warranty_end_column is not None
                raise _Reject(columns.warranty_end_column, "the warranty ends before the purchase date")
            terms = ApplianceTerms(
                model=model,
                serial=self._text(row, columns.serial_column) or None,
                purchase_date=purchase,
                warranty_end=warranty,
                product_tier=self._text(row, columns.product_tier_column) or None,
            )
            name = self._text(row, columns.name_column) or model
        return ParsedProduct(product_id, columns.kind, name, terms)
