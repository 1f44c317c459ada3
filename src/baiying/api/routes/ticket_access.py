"""Who may do what with tickets, as route dependencies: the ticket roles a user acts as, the tickets they
may read, the ticket desk of their tenant.

Admins, supervisors (tickets of their site, or of no site; a supervisor of every site sees all) and agents
(every ticket of the tenant: they serve any customer) read and work on tickets; which workflow transitions
each may take is the workflow's business. The ticket roles a user acts as: admin, every role but `system`;
supervisor, `supervisor`; agent, `agent` plus the roles listed in the agent record's
`attributes.ticket_roles` (e.g. `["expert"]`, `["complaint-manager"]`, `["sales"]`). Reports, the
automation and the outbox are for admins and supervisors.
"""

from typing import Annotated

from fastapi import Depends, Request

from baiying.accounts.errors import Forbidden
from baiying.accounts.principal import Principal
from baiying.api.deps import CurrentUser, SessionDep
from baiying.api.schemas.tickets import TicketPublic
from baiying.application.ticket_config import tenant_config
from baiying.application.tickets import Actor, TicketDesk
from baiying.storage.tables import AgentRow, Role
from baiying.storage.ticket_tables import TicketRow
from baiying.tickets.actions import TICKET_ROLES
from baiying.tickets.config import TicketConfig
from baiying.tickets.model import TicketType


def actor(session: SessionDep, principal: CurrentUser) -> Actor:
    roles: set[str] = set()
    agent_id = None
    for grant in principal.grants:
        if grant.role is Role.ADMIN:
            roles |= {role for role in TICKET_ROLES if role != "system"}
        elif grant.role is Role.SUPERVISOR:
            roles.add("supervisor")
        elif grant.role is Role.AGENT and grant.agent_id is not None:
            roles.add("agent")
            agent_id = grant.agent_id
            agent = session.get(AgentRow, {"tenant_id": principal.tenant_id, "id": grant.agent_id})
            extra = (agent.attributes or {}).get("ticket_roles", []) if agent is not None else []
            roles |= {role for role in extra if role in TICKET_ROLES and role != "system"}
    if not roles:
        raise Forbidden(f"user {principal.login!r} may not work on tickets", {"kind": "ticket"})
    return Actor(principal.user_id, frozenset(roles), agent_id)


ActorDep = Annotated[Actor, Depends(actor)]


def may_see(principal: Principal, row: TicketRow) -> bool:
    for grant in principal.grants:
        if grant.role in (Role.ADMIN, Role.AGENT):
            return True
        if grant.role is Role.SUPERVISOR and (
            grant.site_id is None or row.site_id is None or grant.site_id == row.site_id
        ):
            return True
    return False


def visible_sites(principal: Principal) -> frozenset[str] | None:
    """The sites whose tickets the principal may read (tickets of no site too); None: every ticket."""
    sites: set[str] = set()
    for grant in principal.grants:
        if grant.role in (Role.ADMIN, Role.AGENT) or (
            grant.role is Role.SUPERVISOR and grant.site_id is None
        ):
            return None
        if grant.role is Role.SUPERVISOR and grant.site_id is not None:
            sites.add(grant.site_id)
    return frozenset(sites)


def desk(request: Request, session: SessionDep, principal: CurrentUser) -> TicketDesk:
    """The tenant's desk, with the app's ticket configuration if it was given one
    (`app.state.ticket_config`), else the tenant's own (its stored files, the shipped ones in the rest)."""
    config: TicketConfig | None = getattr(request.app.state, "ticket_config", None)
    if config is None:
        config = tenant_config(session, principal.tenant_id)
    return TicketDesk(session, principal.tenant_id, config)


DeskDep = Annotated[TicketDesk, Depends(desk)]


def readable_ticket(desk: TicketDesk, principal: Principal, ticket_id: str) -> TicketRow:
    row = desk.tickets.get(ticket_id)
    if not may_see(principal, row):
        raise Forbidden(
            f"user {principal.login!r} may not read ticket {ticket_id!r}", {"kind": "ticket", "id": ticket_id}
        )
    return row


def overseer(principal: CurrentUser) -> Principal:
    if not principal.roles & {Role.ADMIN, Role.SUPERVISOR}:
        raise Forbidden(
            f"user {principal.login!r} may not run ticket reports or automation", {"kind": "ticket"}
        )
    return principal


def public(desk: TicketDesk, row: TicketRow, actor: Actor) -> TicketPublic:
    workflow = desk.config.workflow(TicketType(row.type))
    return TicketPublic.of(row, [t.name for t in workflow.available(row.state, actor.roles)])


OverseerDep = Annotated[Principal, Depends(overseer)]
