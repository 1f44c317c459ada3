"""Who is asking: a user of one tenant with the roles granted to them."""

from dataclasses import dataclass

from baiying.storage.tables import Role


@dataclass(frozen=True, slots=True)
class Grant:
    """One role: a supervisor's scoped to `site_id` (None: every site of the tenant); an agent's linked to
    the agent record `agent_id` the user works as."""

    role: Role
    site_id: str | None = None
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    tenant_id: str
    login: str
    display_name: str
    grants: tuple[Grant, ...]
    language: str | None = None  # the page language the user chose ("en", "zh"); None: the browser's

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.grants)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def agent_ids(self) -> frozenset[str]:
        return frozenset(g.agent_id for g in self.grants if g.role is Role.AGENT and g.agent_id is not None)
