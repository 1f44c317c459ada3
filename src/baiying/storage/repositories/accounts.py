"""Repositories for users, their roles, and the audit log."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.storage.repositories.base import Conflict, InvalidRecord, Repository, savepoint
from baiying.storage.tables import AuditEntryRow, Role, UserRoleRow, UserRow


class UserRepository(Repository[UserRow]):
    model = UserRow
    entity = "user"

    def grant(
        self, user_id: str, role: Role, *, site_id: str | None = None, agent_id: str | None = None
    ) -> UserRoleRow:
        """Give a role (idempotent): a supervisor's scoped to one site (None: every site), an agent's
        linked to the agent record the user works as. InvalidRecord for any other combination."""
        role = Role(role)
        if site_id is not None and role is not Role.SUPERVISOR:
            raise InvalidRecord(f"only a supervisor role is scoped to a site, not an {role.value} role")
        if (agent_id is not None) != (role is Role.AGENT):
            raise InvalidRecord("an agent role needs agent_id, and only an agent role has one")
        user = self.get(user_id)
        for existing in user.roles:
            if (existing.role, existing.site_id, existing.agent_id) == (role.value, site_id, agent_id):
                return existing
        grant = UserRoleRow(tenant_id=self.tenant_id, role=role.value, site_id=site_id, agent_id=agent_id)
        with savepoint(self.session, f"the {role.value} role of user {user_id!r}"):
            user.roles.append(grant)
        return grant

    def revoke(self, user_id: str, role: Role, *, site_id: str | None = None) -> int:
        """Take a role away; for a supervisor, only the scope of `site_id` if given. Returns how many."""
        user = self.get(user_id)

        def revoked(grant: UserRoleRow) -> bool:
            return grant.role == Role(role).value and (site_id is None or grant.site_id == site_id)

        kept = [grant for grant in user.roles if not revoked(grant)]
        removed = len(user.roles) - len(kept)
        user.roles = kept
        return removed

    def check(self, row: UserRow) -> None:
        with self.session.no_autoflush:
            holder = user_by_login(self.session, row.login)
        if holder is not None and holder is not row:
            raise Conflict(f"login {row.login!r} is already taken", {"login": row.login})

    def by_login(self, login: str) -> UserRow | None:
        query = select(UserRow).where(UserRow.tenant_id == self.tenant_id, UserRow.login == login)
        return self.session.scalar(query)


def user_by_login(session: Session, login: str) -> UserRow | None:
    """The user with this login in any tenant (logins are unique across tenants)."""
    return session.scalar(select(UserRow).where(UserRow.login == login))


class AuditLog:
    """Who changed what, when, with the record before and after (None before: created; after: deleted)."""

    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def record(
        self,
        actor: str,
        action: str,
        entity: str,
        entity_id: str,
        *,
        at: float,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEntryRow:
        entry = AuditEntryRow(
            tenant_id=self.tenant_id,
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
        )
        self.session.add(entry)
        return entry

    def entries(
        self, *, entity: str | None = None, entity_id: str | None = None, limit: int | None = None
    ) -> list[AuditEntryRow]:
        """The tenant's entries, newest first, optionally for one entity type or record."""
        query = select(AuditEntryRow).where(AuditEntryRow.tenant_id == self.tenant_id)
        if entity is not None:
            query = query.where(AuditEntryRow.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntryRow.entity_id == entity_id)
        query = query.order_by(AuditEntryRow.id.desc())
        return list(self.session.scalars(query if limit is None else query.limit(limit)))
