"""Each tenant's versions of its ticket configuration files; the highest version of a file is in force."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from baiying.storage.ticket_tables import TicketConfigFileRow, TicketRow


def current_versions(session: Session, tenant_id: str) -> dict[str, int]:
    """The version in force of each file the tenant has changed."""
    rows = session.execute(
        select(TicketConfigFileRow.name, func.max(TicketConfigFileRow.version))
        .where(TicketConfigFileRow.tenant_id == tenant_id)
        .group_by(TicketConfigFileRow.name)
    )
    return {name: int(version) for name, version in rows}


def current_files(session: Session, tenant_id: str) -> dict[str, TicketConfigFileRow]:
    """The row in force of each file the tenant has changed (one query)."""
    latest = (
        select(TicketConfigFileRow.name, func.max(TicketConfigFileRow.version).label("version"))
        .where(TicketConfigFileRow.tenant_id == tenant_id)
        .group_by(TicketConfigFileRow.name)
        .subquery()
    )
    query = select(TicketConfigFileRow).join(
        latest,
        (TicketConfigFileRow.name == latest.c.name) & (TicketConfigFileRow.version == latest.c.version),
    )
    return {row.name: row for row in session.scalars(query.where(TicketConfigFileRow.tenant_id == tenant_id))}


def versions(session: Session, tenant_id: str, name: str) -> list[TicketConfigFileRow]:
    """Every version of the file, newest first."""
    query = (
        select(TicketConfigFileRow)
        .where(TicketConfigFileRow.tenant_id == tenant_id, TicketConfigFileRow.name == name)
        .order_by(TicketConfigFileRow.version.desc())
    )
    return list(session.scalars(query))


def add_version(
    session: Session, tenant_id: str, name: str, text: str, user_id: str, at: float
) -> TicketConfigFileRow:
    version = current_versions(session, tenant_id).get(name, 0) + 1
    row = TicketConfigFileRow(
        tenant_id=tenant_id, name=name, version=version, text=text, created_by=user_id, created_at=at
    )
    session.add(row)
    session.flush()
    return row


def open_states(session: Session, tenant_id: str, ticket_type: str) -> dict[str, int]:
    """How many tickets of the type not closed are in each state."""
    rows = session.execute(
        select(TicketRow.state, func.count())
        .where(
            TicketRow.tenant_id == tenant_id, TicketRow.type == ticket_type, TicketRow.category != "closed"
        )
        .group_by(TicketRow.state)
    )
    return {state: int(count) for state, count in rows}
