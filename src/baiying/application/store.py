"""What the live engine reads and writes besides the journal and the event log: agent profiles, the
`contacts` rows, site statuses. Checks that could fail at COMMIT are made here before the router decides
(an unknown site, an over-long id, attributes that are not JSON), since a failure after it costs a rebuild.
"""

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.application.commands import Outcome
from baiying.errors import DomainError, InvalidTransition
from baiying.ids import AgentId, ContactId, SiteId, TeamId
from baiying.routing.errors import NoSuchAgent, NoSuchQueue, NoSuchSite
from baiying.routing.model import DEFAULT_CAPACITY, AgentProfile, Channel, Contact
from baiying.routing.router import Router
from baiying.storage.direct import DirectWrites
from baiying.storage.repositories import Conflict, SiteRepository
from baiying.storage.tables import AgentRow, ContactRow

# Column widths of `contacts` (PostgreSQL enforces them; SQLite would not).
_WIDTHS = {"id": 64, "customer_id": 64, "language": 32, "intent": 100, "tier": 32, "region": 100}


class InvalidContact(DomainError):
    code = "invalid-contact"


def agent_profile(
    session: Session, tenant_id: str, agent_id: AgentId, *, active_only: bool = True
) -> AgentProfile:
    """The stored agent as the router knows it. NoSuchAgent if absent; InvalidTransition if deactivated."""
    row = session.get(AgentRow, {"tenant_id": tenant_id, "id": agent_id})
    if row is None:
        raise NoSuchAgent(f"no agent {agent_id!r}", {"agent_id": agent_id})
    if active_only and not row.active:
        raise InvalidTransition(f"agent {agent_id} is deactivated")
    return AgentProfile(
        id=AgentId(row.id),
        site_id=SiteId(row.site_id),
        skills={s.skill: s.level for s in row.skills},
        team_id=TeamId(row.team_id) if row.team_id is not None else None,
        capacity={Channel(c.channel): c.slots for c in row.capacity} or dict(DEFAULT_CAPACITY),
        attributes=dict(row.attributes),
    )


def check_new_contact(session: Session, tenant_id: str, contact: Contact, router: Router) -> None:
    """Refuse, before routing, a contact its row could not store."""
    if contact.queue_id not in router.config.queues:
        raise NoSuchQueue(f"unknown queue {contact.queue_id}", {"queue_id": contact.queue_id})
    if contact.site_id is not None and contact.site_id not in router.config.sites:
        raise NoSuchSite(f"unknown site {contact.site_id}", {"site_id": contact.site_id})
    for name, width in _WIDTHS.items():
        value = getattr(contact, name)
        if value is not None and len(value) > width:
            raise InvalidContact(f"contact {name} is longer than {width} characters", {"field": name})
    try:
        json.dumps(dict(contact.attributes))
    except (TypeError, ValueError) as exc:
        raise InvalidContact(
            f"contact attributes must be plain JSON: {exc}", {"field": "attributes"}
        ) from None
    if contact.id in router.contacts or _stored(session, tenant_id, contact.id):
        raise Conflict(f"contact {contact.id!r} already exists", {"entity": "contact", "id": contact.id})


def _stored(session: Session, tenant_id: str, contact_id: str) -> bool:
    with DirectWrites.of(session) as direct:
        return direct.contact_exists(tenant_id, contact_id)


def contact_row(session: Session, tenant_id: str, contact_id: ContactId) -> ContactRow | None:
    return session.get(ContactRow, {"tenant_id": tenant_id, "id": contact_id})


def write_outcome(
    session: Session,
    direct: DirectWrites,
    tenant_id: str,
    now: float,
    outcome: Outcome,
    attributes: Mapping[ContactId, Mapping[str, Any]] | None = None,
) -> None:
    """Bring the `contacts` rows (and a site's status) up to date with what the command did. `attributes`
    adds keys to a contact's stored attributes (the wrap-up code and notes). The rows are written through
    `direct`, the transaction's statements."""
    changes = {contact_id: dict(columns) for contact_id, columns in outcome.contacts.items()}
    for contact_id, added in (attributes or {}).items():
        stored = session.scalar(
            select(ContactRow.attributes).where(
                ContactRow.tenant_id == tenant_id, ContactRow.id == contact_id
            )
        )
        changes.setdefault(contact_id, {})["attributes"] = {**(stored or {}), **added}
    arrived = outcome.arrived
    if arrived is not None:
        columns = changes.pop(arrived.id, {})
        direct.insert_contact(
            {
                "tenant_id": tenant_id,
                "id": arrived.id,
                "queue_id": arrived.queue_id,
                "channel": str(arrived.channel),
                "intake_site_id": arrived.site_id,
                "customer_id": arrived.customer_id,
                "language": arrived.language,
                "intent": arrived.intent,
                "tier": arrived.tier,
                "region": arrived.region,
                "priority": arrived.priority,
                "arrived_at": arrived.arrived_at,
                "attributes": dict(arrived.attributes),
                "state": "waiting",
                "step_index": 0,
                "placement": [],
                "agent_id": None,
                "updated_at": now,
                **columns,
            }
        )
    # One executemany per shape of change (every row of an executemany must set the same columns).
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for contact_id, columns in changes.items():
        row = {**columns, "id": contact_id, "updated_at": now}
        shapes.setdefault((*sorted(columns), "updated_at"), []).append(row)
    for shape, rows in shapes.items():
        direct.update_contacts(tenant_id, shape, rows)
    if outcome.site_status is not None:
        site_id, status = outcome.site_status
        SiteRepository(session, tenant_id).set_status(site_id, status, now)
