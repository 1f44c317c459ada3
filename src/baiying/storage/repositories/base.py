"""The shape every repository shares: tenant-scoped add / find / get / list / update / delete.

Repositories take the caller's `Session` and never commit. Each write runs in a savepoint, so a violated
constraint raises `Conflict` and leaves the caller's transaction usable; a missing record raises
`UnknownEntity`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from baiying.errors import DomainError, UnknownEntity
from baiying.storage.tables import Base

Row = TypeVar("Row", bound=Base)


class Conflict(DomainError):
    """A write would break the schema's rules: a duplicate id, a reference to a missing record, or a
    record still referenced by others."""

    code = "conflict"


class InvalidRecord(DomainError):
    code = "invalid-record"


@contextmanager
def savepoint(session: Session, subject: str, *, deleting: bool = False) -> Iterator[None]:
    """Run the block's writes in a savepoint and flush them. A violated constraint undoes only the block's
    writes and raises Conflict saying what `subject` (e.g. "agent 'li-na'") did wrong."""
    # begin_nested() first flushes earlier pending changes outside the savepoint, so only this block's
    # writes can fail inside it.
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise Conflict(_explain(exc, subject, deleting)) from None


def _explain(exc: IntegrityError, subject: str, deleting: bool) -> str:
    # PostgreSQL names the violation by SQLSTATE, SQLite only in its message.
    state = getattr(exc.orig, "sqlstate", None)
    text = str(exc.orig)
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if state == "23503" or "FOREIGN KEY constraint" in text:
        return (
            f"{subject} is still in use" if deleting else f"{subject} refers to a record that does not exist"
        )
    if state == "23514" or "CHECK constraint" in text:
        name = constraint or text.rpartition(":")[2].strip()
        return f"{subject} breaks the rule {name}"
    if state == "23505" or "UNIQUE constraint" in text:
        return f"{subject} repeats a value that must be unique"
    return f"{subject} cannot be stored: {text.strip().splitlines()[0]}"


class Repository(Generic[Row]):
    """CRUD for one table keyed by (tenant_id, `key`). Subclasses name the table and add their rules."""

    model: ClassVar[type[Base]]
    entity: ClassVar[str]  # how messages name a record: "site", "wrap-up code"
    key: ClassVar[str] = "id"

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self._table = cast(Table, self.model.__table__)

    def add(self, row: Row) -> Row:
        """Insert `row` for this tenant; Conflict if its key exists or it refers to a missing record,
        InvalidRecord if it breaks a rule of `check`."""
        row_key = getattr(row, self.key)
        if self.find(row_key) is not None:
            raise Conflict(
                f"{self.entity} {row_key!r} already exists", {"entity": self.entity, "id": row_key}
            )
        row.tenant_id = self.tenant_id  # type: ignore[attr-defined]  # every repository's table has one
        self.check(row)
        with savepoint(self.session, f"{self.entity} {row_key!r}"):
            self.session.add(row)
        return row

    def find(self, key: str) -> Row | None:
        return cast(Row | None, self.session.get(self.model, {"tenant_id": self.tenant_id, self.key: key}))

    def get(self, key: str) -> Row:
        found = self.find(key)
        if found is None:
            raise UnknownEntity(f"no {self.entity} {key!r}", {"entity": self.entity, "id": key})
        return found

    def list(self, **equal_to: Any) -> list[Row]:
        """This tenant's rows (those whose columns equal the values given), ordered by key."""
        query = select(self.model).where(self._table.c.tenant_id == self.tenant_id)
        for column, value in equal_to.items():
            query = query.where(self._column(column) == value)
        return cast(list[Row], list(self.session.scalars(query.order_by(self._table.c[self.key]))))

    def update(self, key: str, **changes: Any) -> Row:
        """Set the given columns (not the key); Conflict if the row would refer to a missing record."""
        row = self.get(key)
        for name in changes:
            if self._column(name).primary_key:
                raise InvalidRecord(f"{self.entity} {key!r}: {name} cannot be changed")
        with savepoint(self.session, f"{self.entity} {key!r}"):
            for name, value in changes.items():
                setattr(row, name, value)
            self.check(row)
        return row

    def delete(self, key: str) -> None:
        """Delete the row; Conflict while other records still refer to it."""
        row = self.get(key)
        with savepoint(self.session, f"{self.entity} {key!r}", deleting=True):
            self.session.delete(row)

    def check(self, row: Row) -> None:
        """Rules a row must keep before it is written; raises InvalidRecord."""

    def _column(self, name: str) -> Any:
        if name not in self._table.c:
            raise InvalidRecord(f"{self.entity} has no field {name!r}")
        return self._table.c[name]


def snapshot(row: Base) -> dict[str, Any]:
    """A row's column values as JSON-friendly data, for the audit log's before/after."""
    table = cast(Table, row.__table__)
    values = {column.name: getattr(row, column.key) for column in table.columns}
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}
