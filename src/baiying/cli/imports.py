"""What the CLI's importers share: a session on the chosen tenant, and how rejected rows are shown."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CLI_ACTOR = "cli"
REJECTED_SHOWN = 20


class RejectedRow(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def field(self) -> str | None: ...
    @property
    def reason(self) -> str: ...


def chosen_tenant(session: "Session", tenant: str | None) -> str:
    """The tenant named (which must exist), else the database's only one."""
    from sqlalchemy import select

    from baiying.errors import DomainError
    from baiying.storage.repositories import Tenants
    from baiying.storage.tables import TenantRow

    if tenant is not None:
        Tenants(session).get(tenant)
        return tenant
    existing: list[str] = sorted(session.scalars(select(TenantRow.id)))
    if len(existing) == 1:
        return existing[0]
    if not existing:
        raise DomainError("the database has no tenant yet: create one (e.g. `baiying users create`) first")
    raise DomainError(f"the database has several tenants ({', '.join(existing)}): choose one with --tenant")


@contextmanager
def tenant_session(url: str, tenant: str | None) -> Iterator[tuple["Session", str]]:
    """A session on the database at `url` and the tenant to import into; the engine is disposed after."""
    from sqlalchemy.orm import Session

    from baiying.storage.engine import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session, chosen_tenant(session, tenant)
    finally:
        engine.dispose()


def print_rejected(console: Console, rejected: Sequence[RejectedRow], shown: int = REJECTED_SHOWN) -> None:
    """The first `shown` rejected rows (line, field, reason), and how many more the JSON report lists."""
    for row in rejected[:shown]:
        console.print(f"  line {row.line}: {row.field or '(row)'}: {row.reason}", markup=False)
    if len(rejected) > shown:
        console.print(f"  … and {len(rejected) - shown} more (see --json)", markup=False)
