"""Writing admin changes to the audit log: who (the user id), what, when, before and after."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from baiying.accounts.principal import Principal
from baiying.clock import Clock
from baiying.storage.repositories import AuditLog


def record(
    session: Session,
    principal: Principal,
    clock: Clock,
    action: str,
    entity: str,
    entity_id: str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    """Add the entry to the session, to be committed with the change it describes; an update that
    changed nothing is not recorded."""
    if before is not None and after is not None and dict(before) == dict(after):
        return
    AuditLog(session, principal.tenant_id).record(
        principal.user_id, action, entity, entity_id, at=clock.now(), before=before, after=after
    )
