"""Each tenant's ticket configuration over HTTP: the workflows, SLA policies and automation rules in force
(the tenant's stored versions, else the shipped files), read by admins and supervisors, changed by admins.
A change is validated with the whole configuration: 422 `invalid-config` names file, field and line of
each problem. Each change is a new version, kept, and an audit entry; the ticket desk uses it at once."""

from typing import Annotated

from fastapi import APIRouter, Path

from baiying.accounts.errors import Forbidden
from baiying.api import audited
from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.routes.ticket_access import OverseerDep
from baiying.api.schemas.tickets import ConfigFileIn, ConfigFilePublic, ConfigFileSummary, ConfigVersionPublic
from baiying.application import ticket_config
from baiying.application.tickets import TicketDesk
from baiying.storage.tables import Role

router = APIRouter(prefix="/api/ticket-config", tags=["tickets"])
FileName = Annotated[
    str,
    Path(
        pattern=r"^(sla|rules|workflows/[a-z][a-z0-9-]{0,30})\.yaml$", description="e.g. workflows/lead.yaml"
    ),
]


@router.get("")
def list_files(session: SessionDep, principal: OverseerDep) -> list[ConfigFileSummary]:
    """Every file, with the version in force (0: the shipped file)."""
    return [ConfigFileSummary.of(f) for f in ticket_config.files(session, principal.tenant_id)]


@router.get("/{name:path}/versions")
def list_versions(name: FileName, session: SessionDep, principal: OverseerDep) -> list[ConfigVersionPublic]:
    """The tenant's versions of the file, newest first (none: the shipped file is in force), each with
    who stored it, when, and the lines it changed from the version before."""
    return [ConfigVersionPublic.of(v) for v in ticket_config.history(session, principal.tenant_id, name)]


@router.get("/{name:path}")
def read_file(name: FileName, session: SessionDep, principal: OverseerDep) -> ConfigFilePublic:
    return ConfigFilePublic.of(ticket_config.file(session, principal.tenant_id, name))


@router.put("/{name:path}")
def write_file(
    name: FileName, body: ConfigFileIn, session: SessionDep, clock: ClockDep, principal: CurrentUser
) -> ConfigFilePublic:
    """Put the file's next version in force (the same text as in force changes nothing). A new
    `sla.yaml` re-matches the open tickets whose policy or its terms changed (`rematched_tickets`); a new
    `rules.yaml` re-indexes when each open ticket's time rules fall due."""
    if Role.ADMIN not in principal.roles:
        raise Forbidden(
            f"user {principal.login!r} may not change the ticket configuration", {"kind": "ticket"}
        )
    before = ticket_config.file(session, principal.tenant_id, name)
    previous = ticket_config.tenant_config(session, principal.tenant_id)
    saved = ticket_config.save(session, principal.tenant_id, name, body.text, principal.user_id, clock.now())
    rematched: list[str] = []
    if saved.version != before.version:
        config = ticket_config.tenant_config(session, principal.tenant_id)
        desk = TicketDesk(session, principal.tenant_id, config)
        if name == "sla.yaml":
            # Open tickets whose terms changed are re-matched now, so their clocks follow the new policies.
            rematched = desk.rematch_all(previous, clock.now())
        elif name == "rules.yaml":
            desk.reindex_all(clock.now())  # time rules may fall due at other moments now
    audited.record(
        session,
        principal,
        clock,
        "update",
        "ticket-config",
        name,
        before={"version": before.version},
        after={"version": saved.version},
    )
    session.commit()
    return ConfigFilePublic.of(saved, rematched)
