"""The audit log, newest first: admins only."""

from typing import Annotated

from fastapi import APIRouter, Query

from baiying.accounts.policy import Action, Kind, require, resource
from baiying.accounts.principal import Principal
from baiying.api.deps import SessionDep, allowed
from baiying.api.schemas import NO_CONTROLS
from baiying.api.schemas.admin import AuditEntryPublic
from baiying.storage.repositories import AuditLog

router = APIRouter(prefix="/api/audit", tags=["audit"])
MAX_ENTRIES = 1000


@router.get("")
def list_entries(
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.AUDIT_LOG)],
    entity: Annotated[str | None, Query(max_length=40, pattern=NO_CONTROLS)] = None,
    entity_id: Annotated[str | None, Query(max_length=64, pattern=NO_CONTROLS)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES)] = 100,
) -> list[AuditEntryPublic]:
    require(principal, Action.READ, resource(Kind.AUDIT_LOG, principal.tenant_id))
    entries = AuditLog(session, principal.tenant_id).entries(entity=entity, entity_id=entity_id, limit=limit)
    return [AuditEntryPublic.of(entry) for entry in entries]
