"""Agent records with their skills and per-channel capacity: admins create, change and delete them;
supervisors read the agents of their sites; an agent reads their own record. A change to a logged-in
agent's profile reaches the live router at once (`LiveCenter.update_profile`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Response, status
from sqlalchemy.orm import Session

from baiying.accounts.policy import Action, Kind, Resource, can, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import CenterDep, ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath
from baiying.api.schemas.network import AgentCreate, AgentPublic, AgentUpdate, SkillsReplace
from baiying.application.center import LiveCenter
from baiying.ids import AgentId
from baiying.storage.repositories import AgentRepository, Conflict, snapshot
from baiying.storage.tables import AgentRow

router = APIRouter(prefix="/api/agents", tags=["agents"])
ENTITY = "agent"


def _agent(principal: Principal, agent_id: str, site_id: str | None) -> Resource:
    return resource(Kind.AGENT, principal.tenant_id, agent_id, site=site_id, agent=agent_id)


def _snapshot(row: AgentRow) -> dict[str, Any]:
    return {
        **snapshot(row),
        "skills": {s.skill: s.level for s in row.skills},
        "capacity": {c.channel: c.slots for c in row.capacity},
    }


def _logged_in(session: Session, center: LiveCenter, tenant_id: str, agent_id: str) -> bool:
    session.rollback()  # end the read: the live center works in transactions of its own
    return center.inspect(tenant_id, lambda router: AgentId(agent_id) in router.agents)


def _refresh_router(center: LiveCenter, tenant_id: str, agent_id: str, changed: bool) -> None:
    """After the commit: a logged-in agent is routed by their new profile from now on."""
    if changed and center.inspect(tenant_id, lambda router: AgentId(agent_id) in router.agents):
        center.update_profile(tenant_id, AgentId(agent_id))


@router.get("")
def list_agents(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.AGENT)]
) -> list[AgentPublic]:
    """The agents the caller may read: all for an admin, those of their sites for a supervisor, their own
    record for an agent."""
    rows = AgentRepository(session, principal.tenant_id).list()
    return [
        AgentPublic.of(row)
        for row in rows
        if can(principal, Action.READ, _agent(principal, row.id, row.site_id))
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_agent(
    body: AgentCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.AGENT)],
) -> AgentPublic:
    """Create an agent at a site (and team), with skills and capacity; 409 for an unknown site or team."""
    require(principal, Action.CREATE, _agent(principal, body.id, body.site_id))
    agents = AgentRepository(session, principal.tenant_id)
    fields = body.model_dump(exclude={"skills", "capacity"})
    row = agents.add(AgentRow(**fields))
    agents.set_skills(row.id, body.skills)
    agents.set_capacity(row.id, body.capacity)
    session.flush()
    audited.record(session, principal, clock, "create", ENTITY, row.id, after=_snapshot(row))
    public = AgentPublic.of(row)
    session.commit()
    return public


@router.get("/{agent_id}")
def get_agent(
    agent_id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.AGENT)]
) -> AgentPublic:
    agents = AgentRepository(session, principal.tenant_id)
    row = agents.find(agent_id)
    # Whoever may not read it learns nothing, not even whether it exists.
    require(principal, Action.READ, _agent(principal, agent_id, row.site_id if row is not None else None))
    return AgentPublic.of(agents.get(agent_id))


@router.patch("/{agent_id}")
def update_agent(
    agent_id: KeyPath,
    body: AgentUpdate,
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.AGENT)],
) -> AgentPublic:
    """Change an agent's record or capacity. A logged-in agent cannot be moved to another site or
    deactivated (409: log them out first); other changes reach the live router at once."""
    tenant = principal.tenant_id
    agents = AgentRepository(session, tenant)
    before = _snapshot(agents.get(agent_id))
    require(principal, Action.UPDATE, _agent(principal, agent_id, before["site_id"]))
    changes = body.changes()
    capacity = changes.pop("capacity", None)
    moves = changes.get("site_id", before["site_id"]) != before["site_id"] or changes.get("active") is False
    if moves and _logged_in(session, center, tenant, agent_id):
        raise Conflict(
            f"agent {agent_id!r} is logged in: log them out before moving or deactivating them",
            {"agent_id": agent_id},
        )
    row = agents.update(agent_id, **changes)
    if capacity is not None:
        agents.set_capacity(agent_id, capacity)
    session.flush()
    after = _snapshot(row)
    audited.record(session, principal, clock, "update", ENTITY, agent_id, before=before, after=after)
    public = AgentPublic.of(row)
    session.commit()
    _refresh_router(center, tenant, agent_id, before != after)
    return public


@router.put("/{agent_id}/skills")
def replace_skills(
    agent_id: KeyPath,
    body: SkillsReplace,
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.AGENT)],
) -> AgentPublic:
    """Replace the agent's skills (levels 1 to 10); a logged-in agent is offered by the new ones at once."""
    tenant = principal.tenant_id
    agents = AgentRepository(session, tenant)
    before = _snapshot(agents.get(agent_id))
    require(principal, Action.UPDATE, _agent(principal, agent_id, before["site_id"]))
    agents.set_skills(agent_id, body.skills)
    session.flush()
    row = agents.get(agent_id)
    after = _snapshot(row)
    audited.record(session, principal, clock, "skills", ENTITY, agent_id, before=before, after=after)
    public = AgentPublic.of(row)
    session.commit()
    _refresh_router(center, tenant, agent_id, before != after)
    return public


@router.delete("/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_agent(
    agent_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.AGENT)],
) -> Response:
    """Delete an agent record; 409 while the agent is logged in or contacts or users refer to it."""
    tenant = principal.tenant_id
    agents = AgentRepository(session, tenant)
    row = agents.get(agent_id)
    require(principal, Action.DELETE, _agent(principal, agent_id, row.site_id))
    if _logged_in(session, center, tenant, agent_id):
        raise Conflict(f"agent {agent_id!r} is logged in: log them out first", {"agent_id": agent_id})
    before = _snapshot(agents.get(agent_id))
    agents.delete(agent_id)
    audited.record(session, principal, clock, "delete", ENTITY, agent_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
