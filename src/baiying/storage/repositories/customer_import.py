"""Storing a parsed customer CSV (`baiying.customers.importing`): each row is matched to an existing
customer (by id, else by its contact points) and updates it, or creates a new one; or it is rejected.

Every row ends in the report: rows_read == len(imported) + len(rejected), nothing dropped silently.
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from baiying.customers.errors import ContactPointTaken, UnknownCustomer
from baiying.customers.importing import ParsedFile, ParsedRow, RejectedRow
from baiying.customers.mapping import OnExisting
from baiying.customers.matching import MatchConflict, match
from baiying.ids import CustomerId
from baiying.storage.customer_tables import ProductRow
from baiying.storage.repositories.base import Conflict
from baiying.storage.repositories.customers import CustomerStore, terms_columns


@dataclass(frozen=True, slots=True)
class ImportedRow:
    line: int
    customer_id: str
    action: str  # "created" or "updated"
    matched_by: tuple[str, ...] = ()  # for "updated": "id", or the contact points that matched


@dataclass
class ImportReport:
    source: str
    rows_read: int
    imported: list[ImportedRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for row in self.imported if row.action == "created")

    @property
    def updated(self) -> int:
        return sum(1 for row in self.imported if row.action == "updated")

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "created": self.created,
            "updated": self.updated,
            "rejected": len(self.rejected),
            "imported_rows": [
                {
                    "line": r.line,
                    "customer_id": r.customer_id,
                    "action": r.action,
                    "matched_by": list(r.matched_by),
                }
                for r in self.imported
            ],
            "rejected_rows": [{"line": r.line, "field": r.field, "reason": r.reason} for r in self.rejected],
        }


def import_customers(
    session: Session,
    tenant_id: str,
    parsed: ParsedFile,
    *,
    on_existing: OnExisting,
    at: float,
    actor: str,
) -> ImportReport:
    """Store the parsed rows in order. Each row ends imported (created or updated) or rejected: the parse's
    rejections, plus rows whose contact points belong to different customers, rows matching an existing
    customer under `on_existing: reject`, and rows the database refuses (e.g. an unknown site). So
    rows_read == len(imported) + len(rejected). Never commits."""
    report = ImportReport(parsed.source, parsed.rows_read, rejected=list(parsed.rejected))
    store = CustomerStore(session, tenant_id)
    for row in parsed.rows:
        try:
            with session.begin_nested():
                report.imported.append(_import_row(store, row, on_existing, at, actor, parsed.source))
        except _RowRefused as refused:
            report.rejected.append(RejectedRow(row.line, refused.field, refused.reason))
        except (ContactPointTaken, UnknownCustomer, Conflict) as exc:
            # A point held by another customer, or a rule the database enforces (an unknown site): the
            # row is named, never dropped.
            report.rejected.append(RejectedRow(row.line, "", exc.message))
    report.rejected.sort(key=lambda r: r.line)
    return report


class _RowRefused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _import_row(
    store: CustomerStore, row: ParsedRow, on_existing: OnExisting, at: float, actor: str, source: str
) -> ImportedRow:
    points = [point for _, point in row.points]
    column_of = {point.value: column for column, point in row.points}
    named = CustomerId(row.customer_id) if row.customer_id else None
    try:
        found = match(points, store.owners(points), named)
    except MatchConflict as conflict:
        first = next(iter(conflict.owners))
        raise _RowRefused(column_of.get(first, ""), str(conflict)) from None
    fields: dict[str, Any] = {"display_name": row.display_name, **row.fields}
    if row.consents is not None:
        fields.update(
            consent_marketing=row.consents.marketing,
            consent_sms=row.consents.sms,
            consent_email=row.consents.email,
            consent_calls=row.consents.calls,
        )
    by: tuple[str, ...] = ()
    if found.customer_id is None or (named is not None and store.find(named) is None):
        created = store.create(
            row.customer_id,
            {**fields, "attributes": dict(row.attributes)},
            points,
            at=at,
            actor=actor,
            source=f"import:{source}",
        )
        customer_id = created.id
        action = "created"
    else:
        if on_existing is OnExisting.REJECT:
            raise _RowRefused(
                "",
                f"matches existing customer {found.customer_id!r} by {', '.join(found.by)} "
                "(on_existing: reject)",
            )
        survivor = store.survivor(found.customer_id)
        assert survivor is not None
        customer_id = survivor.id
        merged_attributes = {**survivor.attributes, **row.attributes}
        store.update(customer_id, {**fields, "attributes": merged_attributes}, at=at, actor=actor)
        store.add_points(customer_id, points)
        action, by = "updated", found.by
    if row.product is not None:
        product_id = row.product.id or f"{customer_id}-{row.line}"
        existing = store.session.get(ProductRow, {"tenant_id": store.tenant_id, "id": product_id})
        if existing is not None:
            if existing.customer_id != customer_id:
                raise _RowRefused("", f"product {product_id!r} belongs to customer {existing.customer_id!r}")
            store.update_product(
                customer_id, product_id, {"name": row.product.name, **terms_columns(row.product.terms)}, at=at
            )
        else:
            store.add_product(customer_id, product_id, row.product.name, row.product.terms, at=at)
    return ImportedRow(row.line, customer_id, action, by)
