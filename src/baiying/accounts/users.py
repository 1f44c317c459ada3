"""Creating and changing users, each change written to the audit log (never with the password hash)."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.clock import Timestamp
from baiying.storage.repositories import AuditLog, UserRepository, snapshot
from baiying.storage.tables import UserRow

ENTITY = "user"
PASSWORD_CHANGED = "(changed)"  # what the audit log shows of a new password


def user_snapshot(user: UserRow) -> dict[str, Any]:
    """The user as the audit log and the API show it: columns without the hash, plus roles."""
    values = snapshot(user)
    values["has_password"] = values.pop("password_hash") is not None
    values["roles"] = [
        {"role": g.role, "site_id": g.site_id, "agent_id": g.agent_id}
        for g in sorted(user.roles, key=lambda g: (g.role, g.site_id or "", g.agent_id or ""))
    ]
    return values


def create_user(
    session: Session,
    tenant_id: str,
    *,
    user_id: str,
    login: str,
    display_name: str,
    password: str | None,
    grants: Iterable[Grant],
    actor: str,
    at: Timestamp,
    passwords: Passwords,
    active: bool = True,
) -> UserRow:
    """Add a user with roles (None password: cannot log in with one). Raises WeakPassword, Conflict
    (id or login taken, unknown site or agent) or InvalidRecord (a role combination the schema refuses).
    The caller commits."""
    password_hash = passwords.hash(password) if password is not None else None
    users = UserRepository(session, tenant_id)
    row = UserRow(
        id=user_id,
        login=login,
        display_name=display_name,
        password_hash=password_hash,
        active=active,
        created_at=at,
    )
    users.add(row)
    _grant_all(users, user_id, grants)
    AuditLog(session, tenant_id).record(actor, "create", ENTITY, user_id, at=at, after=user_snapshot(row))
    return row


def update_user(
    session: Session,
    tenant_id: str,
    user_id: str,
    *,
    changes: dict[str, Any],
    password: str | None,
    actor: str,
    at: Timestamp,
    passwords: Passwords,
) -> UserRow:
    """Change columns (login, display_name, active) and optionally the password; audited."""
    users = UserRepository(session, tenant_id)
    before = user_snapshot(users.get(user_id))
    if password is not None:
        changes = {**changes, "password_hash": passwords.hash(password)}
    row = users.update(user_id, **changes)
    after = user_snapshot(row)
    if password is not None:
        after["password"] = PASSWORD_CHANGED
    AuditLog(session, tenant_id).record(actor, "update", ENTITY, user_id, at=at, before=before, after=after)
    return row


def replace_grants(
    session: Session, tenant_id: str, user_id: str, grants: Sequence[Grant], *, actor: str, at: Timestamp
) -> UserRow:
    """Give the user exactly these roles; audited as action "roles"."""
    users = UserRepository(session, tenant_id)
    row = users.get(user_id)
    before = user_snapshot(row)
    row.roles = []
    session.flush()
    _grant_all(users, user_id, grants)
    AuditLog(session, tenant_id).record(
        actor, "roles", ENTITY, user_id, at=at, before=before, after=user_snapshot(row)
    )
    return row


def delete_user(session: Session, tenant_id: str, user_id: str, *, actor: str, at: Timestamp) -> None:
    users = UserRepository(session, tenant_id)
    before = user_snapshot(users.get(user_id))
    users.delete(user_id)
    AuditLog(session, tenant_id).record(actor, "delete", ENTITY, user_id, at=at, before=before)


def _grant_all(users: UserRepository, user_id: str, grants: Iterable[Grant]) -> None:
    for grant in grants:
        users.grant(user_id, grant.role, site_id=grant.site_id, agent_id=grant.agent_id)
