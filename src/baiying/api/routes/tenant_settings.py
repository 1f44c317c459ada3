"""The tenant's own settings: `GET /api/tenant` (any user of the tenant: its name and default page
language) and `PATCH /api/tenant` (admins; audited). The default language is what the pages speak to a
user who chose none on their account or in this browser, before the browser's Accept-Language."""

from typing import Annotated

from fastapi import APIRouter

from baiying.accounts.policy import Action, Kind
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, CurrentUser, SessionDep, allowed
from baiying.api.schemas.admin import TenantPublic, TenantUpdate
from baiying.storage.repositories import Tenants

router = APIRouter(prefix="/api/tenant", tags=["tenant"])
ENTITY = "tenant"


@router.get("")
def get_tenant(session: SessionDep, principal: CurrentUser) -> TenantPublic:
    return TenantPublic.of(Tenants(session).get(principal.tenant_id))


@router.patch("")
def update_tenant(
    body: TenantUpdate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.TENANT)],
) -> TenantPublic:
    """Change the tenant's settings (fields left out are kept)."""
    row = Tenants(session).get(principal.tenant_id)
    changes = body.changes()
    before = {name: getattr(row, name) for name in changes}
    for name, value in changes.items():
        setattr(row, name, value)
    audited.record(session, principal, clock, "update", ENTITY, row.id, before=before, after=changes)
    session.commit()
    return TenantPublic.of(row)
