"""The access policy, exhaustively: every principal shape × every action × every kind × every place a
resource can be, against a literal table of what is allowed."""

from itertools import product

import pytest

from baiying.accounts.errors import Forbidden
from baiying.accounts.policy import (
    POLICY,
    Action,
    Kind,
    Resource,
    Scope,
    Visibility,
    can,
    can_ever,
    require,
    require_ever,
    resource,
    visibility,
)
from baiying.accounts.principal import Grant, Principal
from baiying.storage.tables import Role

EVERYTHING = frozenset(product(Action, Kind))

SUPERVISOR_AT_SITE = frozenset(
    {
        (Action.READ, Kind.SITE),
        (Action.READ, Kind.TEAM),
        (Action.READ, Kind.AGENT),
        (Action.READ, Kind.CONTACT),
        (Action.READ, Kind.STATS),
        (Action.CHANGE_STATUS, Kind.SITE),
        (Action.FORCE_STATE, Kind.AGENT),
        (Action.MONITOR, Kind.CONTACT),  # listen to its calls
    }
)
SUPERVISOR_ANYWHERE = frozenset(
    {
        (Action.READ, Kind.QUEUE),
        (Action.READ, Kind.WRAP_UP_CODE),
        (Action.READ, Kind.NOTIFICATION),
        (Action.CREATE, Kind.NOTIFICATION),
        (Action.READ, Kind.CARE),
    }
)
AGENT_OWN = frozenset(
    {
        (Action.READ, Kind.AGENT),
        (Action.WORK, Kind.AGENT),
        (Action.READ, Kind.CONTACT),
        (Action.UPDATE, Kind.CONTACT),
    }
)
AGENT_ANYWHERE = frozenset(
    {
        (Action.READ, Kind.WRAP_UP_CODE),
        (Action.CREATE, Kind.NOTIFICATION),
        (Action.READ, Kind.CARE),
        (Action.CREATE, Kind.CARE),
    }
)
NOTHING: frozenset[tuple[Action, Kind]] = frozenset()


def principal(*grants: Grant, tenant: str = "acme") -> Principal:
    return Principal("u", tenant, "someone", "Someone", grants)


PRINCIPALS = {
    "admin": principal(Grant(Role.ADMIN)),
    "supervisor-guangzhou": principal(Grant(Role.SUPERVISOR, site_id="guangzhou")),
    "supervisor-everywhere": principal(Grant(Role.SUPERVISOR)),
    "agent-li-na": principal(Grant(Role.AGENT, agent_id="li-na")),
    "no-role": principal(),
}

# Where a resource of any kind can be: (tenant, sites it belongs to, agent it belongs to).
PLACES: dict[str, tuple[str, frozenset[str], str | None]] = {
    "guangzhou, li-na's": ("acme", frozenset({"guangzhou"}), "li-na"),
    "guangzhou, another agent's": ("acme", frozenset({"guangzhou"}), "zhang-wei"),
    "guangzhou, no agent's": ("acme", frozenset({"guangzhou"}), None),
    "beijing": ("acme", frozenset({"beijing"}), None),
    "beijing, li-na's": ("acme", frozenset({"beijing"}), "li-na"),
    "guangzhou and beijing": ("acme", frozenset({"guangzhou", "beijing"}), None),
    "tenant-wide": ("acme", frozenset(), None),
    "another tenant's guangzhou, li-na's": ("globex", frozenset({"guangzhou"}), "li-na"),
}

ALLOWED: dict[tuple[str, str], frozenset[tuple[Action, Kind]]] = {
    ("admin", "guangzhou, li-na's"): EVERYTHING,
    ("admin", "guangzhou, another agent's"): EVERYTHING,
    ("admin", "guangzhou, no agent's"): EVERYTHING,
    ("admin", "beijing"): EVERYTHING,
    ("admin", "beijing, li-na's"): EVERYTHING,
    ("admin", "guangzhou and beijing"): EVERYTHING,
    ("admin", "tenant-wide"): EVERYTHING,
    ("admin", "another tenant's guangzhou, li-na's"): NOTHING,
    ("supervisor-guangzhou", "guangzhou, li-na's"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-guangzhou", "guangzhou, another agent's"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-guangzhou", "guangzhou, no agent's"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-guangzhou", "beijing"): SUPERVISOR_ANYWHERE,
    ("supervisor-guangzhou", "beijing, li-na's"): SUPERVISOR_ANYWHERE,
    ("supervisor-guangzhou", "guangzhou and beijing"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-guangzhou", "tenant-wide"): SUPERVISOR_ANYWHERE,
    ("supervisor-guangzhou", "another tenant's guangzhou, li-na's"): NOTHING,
    ("supervisor-everywhere", "guangzhou, li-na's"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-everywhere", "guangzhou, another agent's"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-everywhere", "guangzhou, no agent's"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-everywhere", "beijing"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-everywhere", "beijing, li-na's"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-everywhere", "guangzhou and beijing"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-everywhere", "tenant-wide"): SUPERVISOR_AT_SITE | SUPERVISOR_ANYWHERE,
    ("supervisor-everywhere", "another tenant's guangzhou, li-na's"): NOTHING,
    ("agent-li-na", "guangzhou, li-na's"): AGENT_OWN | AGENT_ANYWHERE,
    ("agent-li-na", "guangzhou, another agent's"): AGENT_ANYWHERE,
    ("agent-li-na", "guangzhou, no agent's"): AGENT_ANYWHERE,
    ("agent-li-na", "beijing"): AGENT_ANYWHERE,
    ("agent-li-na", "beijing, li-na's"): AGENT_OWN | AGENT_ANYWHERE,
    ("agent-li-na", "guangzhou and beijing"): AGENT_ANYWHERE,
    ("agent-li-na", "tenant-wide"): AGENT_ANYWHERE,
    ("agent-li-na", "another tenant's guangzhou, li-na's"): NOTHING,
    **{("no-role", place): NOTHING for place in PLACES},
}


def test_the_table_names_every_principal_and_place() -> None:
    assert set(ALLOWED) == set(product(PRINCIPALS, PLACES))


@pytest.mark.parametrize(("who", "where"), sorted(ALLOWED))
def test_every_action_on_every_kind(who: str, where: str) -> None:
    tenant, sites, agent = PLACES[where]
    asking = PRINCIPALS[who]
    decided = {
        (action, kind)
        for action, kind in EVERYTHING
        if can(asking, action, Resource(kind, tenant, "x", sites, agent))
    }
    expected = ALLOWED[who, where]
    assert sorted(decided - expected) == [], "allowed but should not be"
    assert sorted(expected - decided) == [], "refused but should be allowed"


def test_several_grants_allow_what_any_of_them_allows() -> None:
    both = principal(Grant(Role.SUPERVISOR, site_id="beijing"), Grant(Role.AGENT, agent_id="li-na"))
    lina_at_guangzhou = resource(Kind.CONTACT, "acme", "c-1", site="guangzhou", agent="li-na")
    assert can(both, Action.UPDATE, lina_at_guangzhou)  # as the agent it is assigned to
    assert can(both, Action.READ, resource(Kind.CONTACT, "acme", "c-2", site="beijing"))  # as supervisor
    assert not can(both, Action.READ, resource(Kind.CONTACT, "acme", "c-3", site="guangzhou"))
    assert not can(both, Action.UPDATE, resource(Kind.CONTACT, "acme", "c-2", site="beijing"))


def test_two_site_grants_cover_both_sites() -> None:
    two = principal(Grant(Role.SUPERVISOR, site_id="beijing"), Grant(Role.SUPERVISOR, site_id="xiamen"))
    for site in ("beijing", "xiamen"):
        assert can(two, Action.CHANGE_STATUS, resource(Kind.SITE, "acme", site, site=site))
    assert not can(two, Action.CHANGE_STATUS, resource(Kind.SITE, "acme", "guangzhou", site="guangzhou"))


def test_the_policy_covers_every_role_and_only_known_scopes() -> None:
    assert set(POLICY) == set(Role)
    assert POLICY[Role.ADMIN] == dict.fromkeys(EVERYTHING, Scope.TENANT)
    for rules in POLICY.values():
        assert set(rules) <= EVERYTHING
        assert set(rules.values()) <= set(Scope)


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_can_ever_is_true_exactly_when_some_place_allows(who: str) -> None:
    asking = PRINCIPALS[who]
    somewhere = frozenset().union(*(ALLOWED[who, place] for place in PLACES))
    for action, kind in EVERYTHING:
        assert can_ever(asking, action, kind) == ((action, kind) in somewhere)


def test_require_names_who_what_and_which() -> None:
    chen = Principal("chen", "acme", "chen", "Chen Jie", (Grant(Role.SUPERVISOR, site_id="guangzhou"),))
    require(chen, Action.CHANGE_STATUS, resource(Kind.SITE, "acme", "guangzhou", site="guangzhou"))
    with pytest.raises(Forbidden) as refused:
        require(chen, Action.CHANGE_STATUS, resource(Kind.SITE, "acme", "beijing", site="beijing"))
    assert refused.value.message == "user 'chen' may not change-status site 'beijing'"
    assert refused.value.details == {"action": "change-status", "kind": "site", "id": "beijing"}
    with pytest.raises(Forbidden, match=r"^user 'chen' may not read this audit-log$"):
        require(chen, Action.READ, resource(Kind.AUDIT_LOG, "acme"))
    with pytest.raises(Forbidden, match=r"^user 'chen' may not delete any user$"):
        require_ever(chen, Action.DELETE, Kind.USER)


def test_resource_gathers_its_sites() -> None:
    placed = resource(Kind.CONTACT, "acme", "c-1", site="beijing", sites=["guangzhou"], agent="li-na")
    assert placed == Resource(Kind.CONTACT, "acme", "c-1", frozenset({"beijing", "guangzhou"}), "li-na")


def test_visibility_is_what_can_allows_one_resource_at_a_time() -> None:
    mixed = principal(Grant(Role.SUPERVISOR, site_id="guangzhou"), Grant(Role.AGENT, agent_id="li-na"))
    assert visibility(mixed, Action.READ, Kind.CONTACT) == Visibility(
        sites=frozenset({"guangzhou"}), agents=frozenset({"li-na"})
    )
    assert visibility(mixed, Action.UPDATE, Kind.CONTACT) == Visibility(agents=frozenset({"li-na"}))
    assert visibility(principal(Grant(Role.SUPERVISOR)), Action.READ, Kind.CONTACT).everything
    assert visibility(principal(Grant(Role.ADMIN)), Action.DELETE, Kind.CONTACT).everything
    assert visibility(principal(Grant(Role.AGENT, agent_id="li-na")), Action.READ, Kind.STATS) == Visibility()
    # Every place a contact can be is visible exactly when `can` allows it.
    for who in (mixed, principal(Grant(Role.AGENT, agent_id="li-na"))):
        seen = visibility(who, Action.READ, Kind.CONTACT)
        for sites, agent in product([(), ("guangzhou",), ("beijing",)], [None, "li-na", "zhang-wei"]):
            target = resource(Kind.CONTACT, "acme", "c1", sites=sites, agent=agent)
            inside = seen.everything or bool(seen.sites & set(sites)) or agent in seen.agents
            assert inside == can(who, Action.READ, target), (sites, agent)
