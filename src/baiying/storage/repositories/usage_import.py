"""Storing imported monthly usage: rows of subscriptions the tenant does not have (or that are no telecom
subscription) are rejected with the reason; the others replace what was recorded for their month."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.care.usage_import import RejectedUsage, UsageFile
from baiying.customers.model import ProductKind
from baiying.storage.care_tables import UsageRow
from baiying.storage.customer_tables import ProductRow
from baiying.storage.repositories.care import record_usage


@dataclass(frozen=True, slots=True)
class UsageImportReport:
    rows_read: int
    added: int  # months not recorded before
    replaced: int  # months recorded before, now replaced
    rejected: tuple[RejectedUsage, ...]  # in file order

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "imported": self.added + self.replaced,
            "added": self.added,
            "replaced": self.replaced,
            "rejected_rows": [{"row": r.line, "field": r.field, "reason": r.reason} for r in self.rejected],
        }


def import_usage(
    session: Session, tenant_id: str, parsed: UsageFile, product_column: str
) -> UsageImportReport:
    """Store the parsed rows in the caller's transaction (the caller commits, or rolls back a dry run)."""
    wanted = sorted({row.product_id for row in parsed.rows})
    kinds = (
        dict(
            session.execute(
                select(ProductRow.id, ProductRow.kind).where(
                    ProductRow.tenant_id == tenant_id, ProductRow.id.in_(wanted)
                )
            ).all()
        )
        if wanted
        else {}
    )
    rejected = list(parsed.rejected)
    added = replaced = 0
    for row in parsed.rows:
        kind = kinds.get(row.product_id)
        if kind is None:
            rejected.append(RejectedUsage(row.line, product_column, f"no subscription {row.product_id!r}"))
            continue
        if kind != ProductKind.TELECOM.value:
            reason = f"{row.product_id!r} is a {kind} product, not a subscription with usage"
            rejected.append(RejectedUsage(row.line, product_column, reason))
            continue
        existed = session.get(UsageRow, (tenant_id, row.product_id, row.month)) is not None
        record_usage(session, tenant_id, row.product_id, row.month, row.minutes, row.data_mb)
        replaced += existed
        added += not existed
    return UsageImportReport(parsed.rows_read, added, replaced, tuple(sorted(rejected, key=lambda r: r.line)))
