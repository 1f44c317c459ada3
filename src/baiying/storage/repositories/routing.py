"""The router's configuration from the tables, and a scenario's network into the tables.

What is stored is what a routing file holds (sites, placement, queues, policies), validated by the same
pydantic specs and cross-checks as `baiying.routing.config.load_routing_config`, so a configuration that
loads from the database is one `baiying route-check` would accept.
"""

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from baiying.clock import SystemClock
from baiying.errors import ConfigError, ConfigProblem
from baiying.routing.config import (
    PolicySpec,
    QueueSpec,
    RoutingConfig,
    RoutingSpec,
    SiteSpec,
    compile_spec,
    cross_check,
)
from baiying.simulation.scenario import Scenario, agent_name
from baiying.storage.repositories.base import savepoint
from baiying.storage.repositories.network import (
    PolicyRepository,
    QueueRepository,
    SiteRepository,
    Tenants,
    parse_policy,
)
from baiying.storage.tables import (
    AgentCapacityRow,
    AgentRow,
    AgentSkillRow,
    QueueRow,
    RoutingPolicyRow,
    SiteRow,
    TeamRow,
)
from baiying.yamlconfig import format_path

MINUTES_PER_HOUR = 60


def load_routing_config(session: Session, tenant_id: str) -> RoutingConfig:
    """The tenant's routing configuration, compiled for the router.

    Raises UnknownEntity for an unknown tenant and ConfigError (naming the policy, field and line) when
    the stored configuration does not validate or refers to sites, queues or policies that do not exist.
    """
    return compile_spec(routing_spec(session, tenant_id))


def routing_spec(session: Session, tenant_id: str) -> RoutingSpec:
    """The tenant's configuration as the validated, cross-checked spec a routing file would give."""
    tenant = Tenants(session).get(tenant_id)
    source = f"routing configuration of tenant {tenant_id!r}"
    data: dict[str, Any] = {
        "sites": [_site_data(row) for row in SiteRepository(session, tenant_id).list()],
        "placement": tenant.placement,
        "queues": [_queue_data(row) for row in QueueRepository(session, tenant_id).list()],
        "policies": [parse_policy(row.source, row.id) for row in PolicyRepository(session, tenant_id).list()],
    }
    try:
        spec = RoutingSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            ConfigProblem(format_path(e["loc"]), str(e["msg"]).removeprefix("Value error, "))
            for e in exc.errors(include_url=False)
        ]
        raise ConfigError(source, problems) from None
    crossed = [ConfigProblem(format_path(path), reason) for path, reason in cross_check(spec)]
    if crossed:
        raise ConfigError(source, crossed)
    return spec


def _clock(minute: int) -> str:
    return f"{minute // MINUTES_PER_HOUR:02d}:{minute % MINUTES_PER_HOUR:02d}"


def _site_data(row: SiteRow) -> dict[str, Any]:
    hours = None
    if row.opens_minute is not None and row.closes_minute is not None:
        hours = f"{_clock(row.opens_minute)}-{_clock(row.closes_minute)}"
    return {
        "id": row.id,
        "name": row.name,
        "timezone": row.timezone,
        "languages": list(row.languages),
        "hq": row.hq,
        "hours": hours,
    }


def _queue_data(row: QueueRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "policy": row.policy_id,
        "channel": row.channel,
        "wrap_up_seconds": row.wrap_up_seconds,
        "offer_timeout_seconds": row.offer_timeout_seconds,
        "expected_handle_seconds": row.expected_handle_seconds,
        "service_level": {"seconds": row.sl_seconds, "target": row.sl_target},
    }


def site_row(spec: SiteSpec) -> SiteRow:
    """A site of a routing file as a row (status open)."""
    opens = closes = None
    if spec.hours is not None:
        start, _, end = spec.hours.partition("-")
        opens, closes = (_minutes(part.strip()) for part in (start, end))
    return SiteRow(
        id=spec.id,
        name=spec.name or spec.id,
        timezone=spec.timezone,
        opens_minute=opens,
        closes_minute=closes,
        status="open",
        languages=list(spec.languages),
        hq=spec.hq,
    )


def _minutes(clock: str) -> int:
    hours, _, minutes = clock.partition(":")
    return int(hours) * MINUTES_PER_HOUR + int(minutes)


def policy_source(spec: PolicySpec) -> str:
    """A policy as the YAML source stored for it: only what differs from the defaults."""
    data = spec.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    sites: int
    policies: int
    queues: int
    teams: int
    agents: int


def import_scenario(
    session: Session, tenant_id: str, scenario: Scenario, *, at: float | None = None
) -> ImportSummary:
    """Store a scenario's network: placement rules, sites, policies, queues, teams and agents (named
    `<group>-001`… as the simulator names them). Creates the tenant if it does not exist.

    Traffic, shifts and drills are the simulator's and are not stored. Raises Conflict, with nothing
    imported, when the tenant already holds a record with one of the scenario's ids.
    """
    spec = scenario.spec
    now = SystemClock().now() if at is None else at
    tenants = Tenants(session)
    tenant = tenants.find(tenant_id) or tenants.add(tenant_id, spec.name, now)
    teams: dict[str, set[str]] = {}
    for group in spec.agents:
        if group.team is not None:
            teams.setdefault(group.team, set()).add(group.site)
    agents = [
        AgentRow(
            id=agent_name(group, number),
            site_id=group.site,
            team_id=group.team,
            display_name=agent_name(group, number),
            attributes=dict(group.attributes),
            active=True,
            skills=[AgentSkillRow(skill=skill, level=level) for skill, level in group.skills.items()],
            capacity=[AgentCapacityRow(channel=c.value, slots=n) for c, n in group.capacity.items()],
        )
        for group in spec.agents
        for number in range(1, group.count + 1)
    ]
    stages: list[list[Any]] = [
        [site_row(site) for site in spec.sites],
        [
            RoutingPolicyRow(id=p.id, source=policy_source(p), version=1, updated_at=now)
            for p in spec.policies
        ],
        [
            TeamRow(id=team, name=team, site_id=next(iter(sites)) if len(sites) == 1 else None)
            for team, sites in teams.items()
        ],
        [_queue_row(queue) for queue in spec.queues],
        agents,
    ]
    with savepoint(session, f"scenario {scenario.source} imported into tenant {tenant_id!r}"):
        tenant.placement = spec.placement.model_dump(mode="json", exclude_defaults=True)
        # One flush per stage: rows refer to earlier stages through composite foreign keys that are not
        # ORM relationships, so the unit of work would not order them by itself.
        for rows in stages:
            for row in rows:
                row.tenant_id = tenant_id
            session.add_all(rows)
            session.flush()
    return ImportSummary(len(spec.sites), len(spec.policies), len(spec.queues), len(teams), len(agents))


def _queue_row(queue: QueueSpec) -> QueueRow:
    return QueueRow(
        id=queue.id,
        name=queue.name or queue.id,
        policy_id=queue.policy,
        channel=queue.channel.value,
        wrap_up_seconds=queue.wrap_up_seconds,
        offer_timeout_seconds=queue.offer_timeout_seconds,
        expected_handle_seconds=queue.expected_handle_seconds,
        sl_seconds=queue.service_level.seconds,
        sl_target=queue.service_level.target,
    )
