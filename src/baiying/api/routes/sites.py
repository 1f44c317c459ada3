"""Sites: admins create, change and delete them; supervisors read theirs and change their status."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from baiying.accounts.policy import Action, Kind, Resource, can, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import CenterDep, ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath
from baiying.api.schemas.admin import SiteCreate, SitePublic, SiteStatusChange, SiteUpdate
from baiying.ids import SiteId
from baiying.routing.model import SiteStatus
from baiying.storage.repositories import InvalidRecord, SiteRepository, snapshot
from baiying.storage.tables import SiteRow

router = APIRouter(prefix="/api/sites", tags=["sites"])
ENTITY = "site"


def _site(principal: Principal, site_id: str) -> Resource:
    return resource(Kind.SITE, principal.tenant_id, site_id, site=site_id)


@router.get("")
def list_sites(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.SITE)]
) -> list[SitePublic]:
    """The sites the caller may read: all for an admin, their own for a supervisor."""
    rows = SiteRepository(session, principal.tenant_id).list()
    return [SitePublic.of(row) for row in rows if can(principal, Action.READ, _site(principal, row.id))]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_site(
    body: SiteCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.SITE)],
) -> SitePublic:
    require(principal, Action.CREATE, _site(principal, body.id))
    row = SiteRepository(session, principal.tenant_id).add(
        SiteRow(**body.model_dump(), status=SiteStatus.OPEN)
    )
    audited.record(session, principal, clock, "create", ENTITY, row.id, after=snapshot(row))
    session.commit()
    return SitePublic.of(row)


@router.get("/{site_id}")
def get_site(
    site_id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.SITE)]
) -> SitePublic:
    require(principal, Action.READ, _site(principal, site_id))
    return SitePublic.of(SiteRepository(session, principal.tenant_id).get(site_id))


@router.patch("/{site_id}")
def update_site(
    site_id: KeyPath,
    body: SiteUpdate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.SITE)],
) -> SitePublic:
    require(principal, Action.UPDATE, _site(principal, site_id))
    sites = SiteRepository(session, principal.tenant_id)
    before = snapshot(sites.get(site_id))
    changes = body.changes()
    opens = changes.get("opens_minute", before["opens_minute"])
    closes = changes.get("closes_minute", before["closes_minute"])
    if (opens is None) != (closes is None):
        raise InvalidRecord(
            f"site {site_id!r}: give both opens_minute and closes_minute, or neither (open 24x7)",
            {"opens_minute": opens, "closes_minute": closes},
        )
    row = sites.update(site_id, **changes)
    audited.record(session, principal, clock, "update", ENTITY, site_id, before=before, after=snapshot(row))
    session.commit()
    return SitePublic.of(row)


@router.put("/{site_id}/status")
def change_site_status(
    site_id: KeyPath,
    body: SiteStatusChange,
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.CHANGE_STATUS, Kind.SITE)],
) -> SitePublic:
    """Open, drain or evacuate a site (an admin's, or its supervisor's call); audited as "site-status".
    The live router applies it first: draining stops new placements there, evacuating moves the site's
    waiting contacts to the other sites."""
    require(principal, Action.CHANGE_STATUS, _site(principal, site_id))
    tenant = principal.tenant_id
    sites = SiteRepository(session, tenant)
    row = sites.get(site_id)
    if row.status != body.status.value:
        before = snapshot(row)
        session.rollback()  # end the read: the live center commits the change in a transaction of its own
        if center.inspect(tenant, lambda router: site_id in router.config.sites):
            # The router re-places the site's contacts (failover) and stores the site's new status.
            center.set_site_status(tenant, SiteId(site_id), body.status)
        row = sites.get(site_id)
        if row.status != body.status.value:  # a site the router does not route to (yet), or already there
            sites.set_status(site_id, body.status, at=clock.now())
        audited.record(
            session, principal, clock, "site-status", ENTITY, site_id, before=before, after=snapshot(row)
        )
        session.commit()
    return SitePublic.of(row)


@router.delete("/{site_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_site(
    site_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.SITE)],
) -> Response:
    """Delete a site; 409 while agents, teams or contacts still belong to it."""
    require(principal, Action.DELETE, _site(principal, site_id))
    sites = SiteRepository(session, principal.tenant_id)
    before = snapshot(sites.get(site_id))
    sites.delete(site_id)
    audited.record(session, principal, clock, "delete", ENTITY, site_id, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
