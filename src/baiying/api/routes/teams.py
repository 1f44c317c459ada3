"""Teams: admins create, change and delete them; supervisors read the teams of their sites."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from baiying.accounts.policy import Action, Kind, Resource, can, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath
from baiying.api.schemas.network import TeamCreate, TeamPublic, TeamUpdate
from baiying.storage.repositories import TeamRepository, snapshot
from baiying.storage.tables import TeamRow

router = APIRouter(prefix="/api/teams", tags=["teams"])
ENTITY = "team"


def _team(principal: Principal, team_id: str, site_id: str | None) -> Resource:
    return resource(Kind.TEAM, principal.tenant_id, team_id, site=site_id)


@router.get("")
def list_teams(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.TEAM)]
) -> list[TeamPublic]:
    """The teams the caller may read: all for an admin, those of their sites for a supervisor."""
    rows = TeamRepository(session, principal.tenant_id).list()
    return [
        TeamPublic.of(row)
        for row in rows
        if can(principal, Action.READ, _team(principal, row.id, row.site_id))
    ]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_team(
    body: TeamCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.TEAM)],
) -> TeamPublic:
    require(principal, Action.CREATE, _team(principal, body.id, body.site_id))
    row = TeamRepository(session, principal.tenant_id).add(TeamRow(**body.model_dump()))
    audited.record(session, principal, clock, "create", ENTITY, row.id, after=snapshot(row))
    session.commit()
    return TeamPublic.of(row)


@router.get("/{team_id}")
def get_team(
    team_id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.TEAM)]
) -> TeamPublic:
    row = TeamRepository(session, principal.tenant_id).get(team_id)
    require(principal, Action.READ, _team(principal, team_id, row.site_id))
    return TeamPublic.of(row)


@router.patch("/{team_id}")
def update_team(
    team_id: KeyPath,
    body: TeamUpdate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.TEAM)],
) -> TeamPublic:
    teams = TeamRepository(session, principal.tenant_id)
    before = snapshot(teams.get(team_id))
    require(principal, Action.UPDATE, _team(principal, team_id, before["site_id"]))
    row = teams.update(team_id, **body.changes())
    audited.record(session, principal, clock, "update", ENTITY, team_id, before=before, after=snapshot(row))
    session.commit()
    return TeamPublic.of(row)


@router.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_team(
    team_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.TEAM)],
) -> Response:
    """Delete a team; 409 while agents still belong to it."""
    teams = TeamRepository(session, principal.tenant_id)
    before = snapshot(teams.get(team_id))
    require(principal, Action.DELETE, _team(principal, team_id, before["site_id"]))
    teams.delete(team_id)
    audited.record(session, principal, clock, "delete", ENTITY, team_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
