"""The access policy as data: which role may do what to which kind of resource, and within what scope.

- admin: everything in their tenant.
- supervisor: scoped to their site (a grant without a site covers every site): reads sites, teams, agents,
  contacts and statistics there, changes the site's status, forces agents' states and monitors the calls
  of the contacts there; reads the tenant's
  queues and wrap-up codes (a wallboard names queues; a supervisor completes nothing).
- agent: only their own agent record and session (log in/out, state, offers) and the contacts assigned to
  them; reads the tenant's wrap-up codes (needed to complete a contact).
- notifications: supervisors read the outbox and send; agents send (an after-call SMS, a survey link)
  but do not read what others sent; webhook subscriptions are for admins only.
- care: every role reads plans, usage and offers; agents record offer outcomes; admins change plans and usage.

Nothing crosses tenants, not even for an admin. A principal holding several grants may do what any of
them allows. `can` answers; `require` raises Forbidden with a message naming who, what and which.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from baiying.accounts.errors import Forbidden
from baiying.accounts.principal import Grant, Principal
from baiying.storage.tables import Role


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    CHANGE_STATUS = "change-status"  # a site's status: open, draining, evacuated
    FORCE_STATE = "force-state"  # set another agent's state (log out, aux) as a supervisor
    WORK = "work"  # an agent's own session: log in/out, set state, accept/reject offers
    MONITOR = "monitor"  # listen to an agent's call with a customer from a supervisor's phone


class Kind(StrEnum):
    SITE = "site"
    TEAM = "team"
    AGENT = "agent"
    QUEUE = "queue"
    ROUTING_POLICY = "routing-policy"
    WRAP_UP_CODE = "wrap-up-code"
    USER = "user"
    AUDIT_LOG = "audit-log"
    STATS = "stats"
    CONTACT = "contact"
    NOTIFICATION = "notification"  # an SMS or email to a customer, in the outbox
    WEBHOOK = "webhook"  # a subscription of an outside system to events
    CARE = "care"  # plans, usage, next-best offers and their outcomes
    TENANT = "tenant"  # the tenant's own settings (its default page language)


class Scope(StrEnum):
    TENANT = "tenant"  # any resource of the principal's tenant
    SITE = "site"  # a resource at the grant's site; every site's when the grant names none
    OWN = "own"  # a resource of the agent record the grant links to


@dataclass(frozen=True, slots=True)
class Resource:
    """What is asked for. `sites` are the sites it belongs to (none: tenant-wide, e.g. a queue or
    tenant statistics; several: a contact placed at more than one site); `agent_id` the agent it belongs
    to (the agent record itself, or the agent a contact is assigned to); `id` only names it in messages."""

    kind: Kind
    tenant_id: str
    id: str | None = None
    sites: frozenset[str] = field(default_factory=frozenset)
    agent_id: str | None = None


def resource(
    kind: Kind,
    tenant_id: str,
    id: str | None = None,  # the resource's own id, as in the API path
    *,
    site: str | None = None,
    sites: Iterable[str] = (),
    agent: str | None = None,
) -> Resource:
    every = frozenset(sites) | ({site} if site is not None else set())
    return Resource(kind, tenant_id, id, every, agent)


_SUPERVISOR_READS_AT_SITE = (Kind.SITE, Kind.TEAM, Kind.AGENT, Kind.CONTACT, Kind.STATS)

POLICY: Final[Mapping[Role, Mapping[tuple[Action, Kind], Scope]]] = {
    Role.ADMIN: {(action, kind): Scope.TENANT for action in Action for kind in Kind},
    Role.SUPERVISOR: {
        **{(Action.READ, kind): Scope.SITE for kind in _SUPERVISOR_READS_AT_SITE},
        (Action.CHANGE_STATUS, Kind.SITE): Scope.SITE,
        (Action.FORCE_STATE, Kind.AGENT): Scope.SITE,
        (Action.MONITOR, Kind.CONTACT): Scope.SITE,
        (Action.READ, Kind.QUEUE): Scope.TENANT,
        (Action.READ, Kind.WRAP_UP_CODE): Scope.TENANT,
        (Action.READ, Kind.NOTIFICATION): Scope.TENANT,
        (Action.CREATE, Kind.NOTIFICATION): Scope.TENANT,
        (Action.READ, Kind.CARE): Scope.TENANT,
    },
    Role.AGENT: {
        (Action.READ, Kind.AGENT): Scope.OWN,
        (Action.WORK, Kind.AGENT): Scope.OWN,
        (Action.READ, Kind.CONTACT): Scope.OWN,
        (Action.UPDATE, Kind.CONTACT): Scope.OWN,  # complete with a wrap-up code, notes, transfer
        (Action.READ, Kind.WRAP_UP_CODE): Scope.TENANT,
        (Action.CREATE, Kind.NOTIFICATION): Scope.TENANT,  # the after-call SMS, a survey link
        (Action.READ, Kind.CARE): Scope.TENANT,
        (Action.CREATE, Kind.CARE): Scope.TENANT,  # record an offer's outcome
    },
}


def _within(scope: Scope, grant: Grant, target: Resource) -> bool:
    if scope is Scope.TENANT:
        return True
    if scope is Scope.SITE:
        return grant.site_id is None or grant.site_id in target.sites
    return grant.agent_id is not None and grant.agent_id == target.agent_id


def can(principal: Principal, action: Action, target: Resource) -> bool:
    if principal.tenant_id != target.tenant_id:
        return False
    for grant in principal.grants:
        scope = POLICY[grant.role].get((action, target.kind))
        if scope is not None and _within(scope, grant, target):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which resources of a kind a principal may act on, as a query can filter them: all of the tenant's
    (`everything`), or those at one of `sites`, or those of one of `agents`."""

    everything: bool = False
    sites: frozenset[str] = field(default_factory=frozenset)
    agents: frozenset[str] = field(default_factory=frozenset)


def visibility(principal: Principal, action: Action, kind: Kind) -> Visibility:
    """The union of what the principal's grants allow for `action` on `kind`: what `can` answers one
    resource at a time, for a listing to filter by."""
    everything = False
    sites: set[str] = set()
    agents: set[str] = set()
    for grant in principal.grants:
        scope = POLICY[grant.role].get((action, kind))
        if scope is Scope.TENANT or (scope is Scope.SITE and grant.site_id is None):
            everything = True
        elif scope is Scope.SITE and grant.site_id is not None:
            sites.add(grant.site_id)
        elif scope is Scope.OWN and grant.agent_id is not None:
            agents.add(grant.agent_id)
    return Visibility(everything, frozenset(sites), frozenset(agents))


def can_ever(principal: Principal, action: Action, kind: Kind) -> bool:
    """Whether some resource of `kind` could be allowed: a cheap check before the request is read."""
    return any((action, kind) in POLICY[grant.role] for grant in principal.grants)


def require(principal: Principal, action: Action, target: Resource) -> None:
    """Raise Forbidden unless `can(principal, action, target)`."""
    if not can(principal, action, target):
        raise Forbidden(
            f"user {principal.login!r} may not {action.value} {_describe(target)}",
            {"action": action.value, "kind": target.kind.value, "id": target.id},
        )


def require_ever(principal: Principal, action: Action, kind: Kind) -> None:
    if not can_ever(principal, action, kind):
        raise Forbidden(
            f"user {principal.login!r} may not {action.value} any {kind.value}",
            {"action": action.value, "kind": kind.value, "id": None},
        )


def _describe(target: Resource) -> str:
    return f"{target.kind.value} {target.id!r}" if target.id is not None else f"this {target.kind.value}"
