"""Repositories over the configuration and account tables, scoped to one tenant.

They take the caller's `Session` and never commit; each write runs in a savepoint, so a violated
constraint raises `Conflict` and leaves the caller's transaction usable, and a missing record raises
`UnknownEntity`. They return the ORM rows of `baiying.storage.tables`; times are epoch seconds, UTC.
"""

from baiying.storage.repositories.accounts import AuditLog, UserRepository, user_by_login
from baiying.storage.repositories.base import Conflict, InvalidRecord, Repository, savepoint, snapshot
from baiying.storage.repositories.network import (
    AgentRepository,
    PolicyRepository,
    QueueRepository,
    SiteRepository,
    TeamRepository,
    Tenants,
    WrapUpCodeRepository,
    parse_policy,
)
from baiying.storage.repositories.routing import (
    ImportSummary,
    import_scenario,
    load_routing_config,
    policy_source,
    routing_spec,
    site_row,
)

__all__ = [
    "AgentRepository",
    "AuditLog",
    "Conflict",
    "ImportSummary",
    "InvalidRecord",
    "PolicyRepository",
    "QueueRepository",
    "Repository",
    "SiteRepository",
    "TeamRepository",
    "Tenants",
    "UserRepository",
    "WrapUpCodeRepository",
    "import_scenario",
    "load_routing_config",
    "parse_policy",
    "policy_source",
    "routing_spec",
    "savepoint",
    "site_row",
    "snapshot",
    "user_by_login",
]
