"""Repositories for the contact center's shape: tenants, sites, teams, agents, queues, routing policies,
wrap-up codes."""

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from baiying.errors import ConfigError, ConfigProblem, UnknownEntity
from baiying.ids import AgentId, SiteId, TeamId
from baiying.routing.config import PolicySpec
from baiying.routing.model import (
    DEFAULT_CAPACITY,
    MAX_SKILL_LEVEL,
    MIN_SKILL_LEVEL,
    AgentProfile,
    Channel,
    SiteStatus,
)
from baiying.storage.repositories.base import Conflict, InvalidRecord, Repository
from baiying.storage.tables import (
    AgentCapacityRow,
    AgentRow,
    AgentSkillRow,
    QueueRow,
    RoutingPolicyRow,
    SiteHolidayRow,
    SiteRow,
    TeamRow,
    TenantRow,
    WrapUpCodeRow,
)
from baiying.yamlconfig import load_model


class Tenants:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: str, name: str, at: float) -> TenantRow:
        if self.find(tenant_id) is not None:
            raise Conflict(f"tenant {tenant_id!r} already exists", {"entity": "tenant", "id": tenant_id})
        row = TenantRow(id=tenant_id, name=name, placement={}, created_at=at)
        self.session.add(row)
        return row

    def find(self, tenant_id: str) -> TenantRow | None:
        return self.session.get(TenantRow, tenant_id)

    def get(self, tenant_id: str) -> TenantRow:
        found = self.find(tenant_id)
        if found is None:
            raise UnknownEntity(f"no tenant {tenant_id!r}", {"entity": "tenant", "id": tenant_id})
        return found


class SiteRepository(Repository[SiteRow]):
    model = SiteRow
    entity = "site"

    def set_status(self, site_id: str, status: SiteStatus, at: float) -> SiteStatus:
        """Change a site's status; returns the previous one."""
        row = self.get(site_id)
        previous = SiteStatus(row.status)
        row.status, row.status_changed_at = SiteStatus(status).value, at
        return previous

    def set_holidays(self, site_id: str, holidays: Mapping[date, str]) -> None:
        """Replace the site's holidays: local dates on which it is closed, each with a name."""
        self.get(site_id).holidays = [SiteHolidayRow(day=day, name=name) for day, name in holidays.items()]

    def check(self, row: SiteRow) -> None:
        if row.status is not None and row.status not in set(SiteStatus):
            raise InvalidRecord(f"site {row.id!r}: unknown status {row.status!r}")


class TeamRepository(Repository[TeamRow]):
    model = TeamRow
    entity = "team"


class AgentRepository(Repository[AgentRow]):
    model = AgentRow
    entity = "agent"

    def set_skills(self, agent_id: str, skills: Mapping[str, int]) -> None:
        """Replace the agent's skills; InvalidRecord for a level outside 1..10."""
        row = self.get(agent_id)
        row.skills = [AgentSkillRow(skill=skill, level=level) for skill, level in skills.items()]
        self.check(row)

    def set_capacity(self, agent_id: str, capacity: Mapping[Channel, int]) -> None:
        """Replace how many contacts of each channel the agent takes at once (none: one call)."""
        row = self.get(agent_id)
        row.capacity = [AgentCapacityRow(channel=Channel(c).value, slots=n) for c, n in capacity.items()]
        self.check(row)

    def check(self, row: AgentRow) -> None:
        for skill in row.skills:
            if not MIN_SKILL_LEVEL <= skill.level <= MAX_SKILL_LEVEL:
                raise InvalidRecord(
                    f"agent {row.id!r}: skill {skill.skill} level {skill.level} is outside "
                    f"{MIN_SKILL_LEVEL}..{MAX_SKILL_LEVEL}"
                )
        for slot in row.capacity:
            if slot.slots < 0:
                raise InvalidRecord(f"agent {row.id!r}: capacity for {slot.channel} is negative")

    def profiles(self, *, active_only: bool = True) -> dict[AgentId, AgentProfile]:
        """What the router knows of each agent, by id."""
        query = (
            select(AgentRow)
            .where(AgentRow.tenant_id == self.tenant_id)
            .options(selectinload(AgentRow.skills), selectinload(AgentRow.capacity))
            .order_by(AgentRow.id)
        )
        if active_only:
            query = query.where(AgentRow.active.is_(True))
        profiles = {}
        for row in self.session.scalars(query):
            profile = AgentProfile(
                id=AgentId(row.id),
                site_id=SiteId(row.site_id),
                skills={s.skill: s.level for s in row.skills},
                team_id=TeamId(row.team_id) if row.team_id is not None else None,
                capacity={Channel(c.channel): c.slots for c in row.capacity} or dict(DEFAULT_CAPACITY),
                attributes=dict(row.attributes),
            )
            profiles[profile.id] = profile
        return profiles


class QueueRepository(Repository[QueueRow]):
    model = QueueRow
    entity = "queue"


def parse_policy(source: str, policy_id: str | None = None, name: str | None = None) -> PolicySpec:
    """Validate a routing policy's YAML source (one policy mapping, as in a routing file's `policies`).

    Raises ConfigError naming fields and lines, also when the source declares another id than `policy_id`.
    """
    where = name or f"routing policy {policy_id!r}"
    spec = load_model(source, PolicySpec, where)
    if policy_id is not None and spec.id != policy_id:
        reason = f"the source declares id {spec.id!r}, expected {policy_id!r}"
        raise ConfigError(where, [ConfigProblem("id", reason)])
    return spec


class PolicyRepository(Repository[RoutingPolicyRow]):
    model = RoutingPolicyRow
    entity = "routing policy"

    def put(self, policy_id: str, source: str, at: float) -> RoutingPolicyRow:
        """Create the policy, or replace its source and bump `version`; ConfigError for invalid YAML."""
        parse_policy(source, policy_id)
        row = self.find(policy_id)
        if row is None:
            return self.add(RoutingPolicyRow(id=policy_id, source=source, version=1, updated_at=at))
        if row.source != source:
            row.source, row.version, row.updated_at = source, row.version + 1, at
        return row

    def spec(self, policy_id: str) -> PolicySpec:
        return parse_policy(self.get(policy_id).source, policy_id)

    def check(self, row: RoutingPolicyRow) -> None:
        parse_policy(row.source, row.id)


class WrapUpCodeRepository(Repository[WrapUpCodeRow]):
    model = WrapUpCodeRow
    entity = "wrap-up code"
    key = "code"
