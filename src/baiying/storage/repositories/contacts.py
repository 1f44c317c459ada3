"""Listing the `contacts` rows: filtered, scoped to what the caller may see, newest first, a page at a time.

Pages are keyed, not offset: a cursor is the `(arrived_at, id)` of the last row of the previous page, so
contacts arriving meanwhile neither repeat nor shift a page (the newest-first order puts them before the
first page). The index `(tenant_id, arrived_at)` serves the order; the filters narrow it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from baiying.storage.tables import ContactRow


@dataclass(frozen=True, slots=True)
class ContactScope:
    """Which contacts a caller may see: all of the tenant's, or those placed at one of `sites`, or those
    assigned to (ringing at, connected to, completed by) one of `agents`."""

    everything: bool = False
    sites: frozenset[str] = field(default_factory=frozenset)
    agents: frozenset[str] = field(default_factory=frozenset)


EVERYTHING = ContactScope(everything=True)


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Every given criterion must hold. `site_id`: placed at the site (waiting there, or handled there);
    `arrived_from` inclusive, `arrived_to` exclusive, epoch seconds UTC."""

    queue_id: str | None = None
    site_id: str | None = None
    state: str | None = None
    channel: str | None = None
    agent_id: str | None = None
    arrived_from: float | None = None
    arrived_to: float | None = None


@dataclass(frozen=True, slots=True)
class ContactCursor:
    """Where a page ended: the last row's arrival time and id."""

    arrived_at: float
    contact_id: str


class ContactListing:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def page(
        self,
        criteria: ContactFilter,
        scope: ContactScope,
        *,
        limit: int,
        after: ContactCursor | None = None,
    ) -> tuple[list[ContactRow], ContactCursor | None]:
        """Up to `limit` rows, newest first (then by id, descending), after `after`; and the cursor of the
        next page, None when this one is the last."""
        query = self._query(criteria, scope, after).limit(limit + 1)
        rows = list(self.session.scalars(query))
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        return rows, ContactCursor(rows[-1].arrived_at, rows[-1].id)

    def _query(
        self, criteria: ContactFilter, scope: ContactScope, after: ContactCursor | None
    ) -> Select[ContactRow]:
        c = ContactRow
        conditions: list[ColumnElement[bool]] = [c.tenant_id == self.tenant_id, self._scoped(scope)]
        if criteria.queue_id is not None:
            conditions.append(c.queue_id == criteria.queue_id)
        if criteria.site_id is not None:
            conditions.append(self._placed_at([criteria.site_id]))
        if criteria.state is not None:
            conditions.append(c.state == criteria.state)
        if criteria.channel is not None:
            conditions.append(c.channel == criteria.channel)
        if criteria.agent_id is not None:
            conditions.append(c.agent_id == criteria.agent_id)
        if criteria.arrived_from is not None:
            conditions.append(c.arrived_at >= criteria.arrived_from)
        if criteria.arrived_to is not None:
            conditions.append(c.arrived_at < criteria.arrived_to)
        if after is not None:
            conditions.append(
                or_(
                    c.arrived_at < after.arrived_at,
                    and_(c.arrived_at == after.arrived_at, c.id < after.contact_id),
                )
            )
        return select(c).where(*conditions).order_by(c.arrived_at.desc(), c.id.desc())

    def _scoped(self, scope: ContactScope) -> ColumnElement[bool]:
        if scope.everything:
            return true()
        allowed: list[ColumnElement[bool]] = []
        if scope.sites:
            allowed.append(self._placed_at(sorted(scope.sites)))
        if scope.agents:
            allowed.append(ContactRow.agent_id.in_(sorted(scope.agents)))
        return or_(*allowed) if allowed else false()

    def _placed_at(self, sites: Sequence[str]) -> ColumnElement[bool]:
        """The row's `placement` (a JSON list of site ids) holds one of `sites`."""
        # Each database spells "the elements of a JSON array, as rows" its own way; both name them `value`.
        if self.session.get_bind().dialect.name == "postgresql":
            elements = func.json_array_elements_text(ContactRow.placement).table_valued("value")
        else:
            elements = func.json_each(ContactRow.placement).table_valued("value")
        return exists(select(1).select_from(elements).where(elements.c.value.in_(list(sites))))
