"""Admin endpoints for teams, agents (skills, capacity), queues and routing policies, on SQLite and
PostgreSQL: each role against each endpoint (forbidden calls get 403 and change nothing), CRUD round
trips audited with before and after, a policy's errors named by line, and a policy change taken by the
live router."""

from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning
from sqlalchemy.orm import Session

from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.clock import ManualClock
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.storage.engine import make_engine
from baiying.storage.repositories import PolicyRepository, QueueRepository, TeamRepository
from baiying.storage.tables import QueueRow, Role, TeamRow
from tests.api.conftest import FAST_PASSWORDS, T0, DatabaseState, error_of, log_in
from tests.api.test_live import center_of, login, ok, open_app, password
from tests.application.helpers import T0 as NATIONAL_T0
from tests.application.helpers import TENANT, load_national

GENERAL = "id: general\nsteps:\n  - name: anyone\n    target: {skills: {sales: 1}, sites: any}\n"


class Call(NamedTuple):
    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    expected: dict[str, int]  # status by login: wang (admin), chen (supervisor, guangzhou), lina (agent)


def statuses(admin: int, supervisor: int, agent: int) -> dict[str, int]:
    return {"wang": admin, "chen": supervisor, "lina": agent}


ADMIN_ONLY = statuses(200, 403, 403)

# In order: the admin's creations come before their deletions.
CALLS = [
    Call("list teams", "GET", "/api/teams", None, statuses(200, 200, 403)),
    Call("read own site's team", "GET", "/api/teams/gz-team", None, statuses(200, 200, 403)),
    Call("read other site's team", "GET", "/api/teams/bj-team", None, ADMIN_ONLY),
    Call("create team", "POST", "/api/teams", {"id": "xm", "name": "XM"}, statuses(201, 403, 403)),
    Call("update team", "PATCH", "/api/teams/gz-team", {"name": "GZ"}, ADMIN_ONLY),
    Call("delete team", "DELETE", "/api/teams/xm", None, statuses(204, 403, 403)),
    Call("list agents", "GET", "/api/agents", None, statuses(200, 200, 200)),
    Call("read own agent", "GET", "/api/agents/li-na", None, statuses(200, 200, 200)),
    Call("read other agent", "GET", "/api/agents/zhang-wei", None, ADMIN_ONLY),
    Call(
        "create agent",
        "POST",
        "/api/agents",
        {"id": "wu", "site_id": "beijing", "display_name": "Wu", "skills": {"sales": 5}},
        statuses(201, 403, 403),
    ),
    Call("update agent", "PATCH", "/api/agents/li-na", {"team_id": "gz-team"}, ADMIN_ONLY),
    Call("replace skills", "PUT", "/api/agents/li-na/skills", {"skills": {"sales": 7}}, ADMIN_ONLY),
    Call("delete agent", "DELETE", "/api/agents/wu", None, statuses(204, 403, 403)),
    Call("list queues", "GET", "/api/queues", None, statuses(200, 200, 403)),
    Call("read queue", "GET", "/api/queues/general", None, statuses(200, 200, 403)),
    Call(
        "create queue",
        "POST",
        "/api/queues",
        {"id": "vip", "name": "VIP", "policy_id": "general"},
        statuses(201, 403, 403),
    ),
    Call("update queue", "PATCH", "/api/queues/general", {"offer_timeout_seconds": 15}, ADMIN_ONLY),
    Call("delete queue", "DELETE", "/api/queues/vip", None, statuses(204, 403, 403)),
    Call("list policies", "GET", "/api/policies", None, ADMIN_ONLY),
    Call("read policy", "GET", "/api/policies/general", None, ADMIN_ONLY),
    Call(
        "replace policy",
        "PUT",
        "/api/policies/general",
        {"yaml": GENERAL.replace("sales: 1", "sales: 2")},
        ADMIN_ONLY,
    ),
]

NETWORK_ROUTES = {
    ("GET", "/api/teams"),
    ("POST", "/api/teams"),
    *((m, "/api/teams/{team_id}") for m in ("GET", "PATCH", "DELETE")),
    ("GET", "/api/agents"),
    ("POST", "/api/agents"),
    *((m, "/api/agents/{agent_id}") for m in ("GET", "PATCH", "DELETE")),
    ("PUT", "/api/agents/{agent_id}/skills"),
    ("GET", "/api/queues"),
    ("POST", "/api/queues"),
    *((m, "/api/queues/{queue_id}") for m in ("GET", "PATCH", "DELETE")),
    ("GET", "/api/policies"),
    *((m, "/api/policies/{policy_id}") for m in ("GET", "PUT")),
}
"""This module's endpoints; `test_admin` leaves them out of its own matrix."""


def _template(path: str) -> str:
    for prefix, name in [
        ("teams", "team_id"),
        ("agents", "agent_id"),
        ("queues", "queue_id"),
        ("policies", "policy_id"),
    ]:
        head = f"/api/{prefix}/"
        if path.startswith(head):
            rest = path[len(head) :].partition("/")[2]
            return f"{head}{{{name}}}" + (f"/{rest}" if rest else "")
    return path


@pytest.fixture
def network(world: str) -> str:
    """The admin world plus teams gz-team (guangzhou) and bj-team (beijing), and queue general routed by
    policy general."""
    engine = make_engine(world)
    with Session(engine) as session:
        teams = TeamRepository(session, "acme")
        teams.add(TeamRow(id="gz-team", name="Guangzhou team", site_id="guangzhou"))
        teams.add(TeamRow(id="bj-team", name="Beijing team", site_id="beijing"))
        PolicyRepository(session, "acme").put("general", GENERAL, at=T0)
        QueueRepository(session, "acme").add(QueueRow(id="general", name="General", policy_id="general"))
        session.commit()
    engine.dispose()
    return world


@pytest.fixture
def admin_client(network: str, client: TestClient) -> TestClient:
    return client


def test_every_network_route_is_in_the_matrix(admin_client: TestClient) -> None:
    paths = admin_client.get("/openapi.json").json()["paths"]
    prefixes = ("/api/teams", "/api/agents", "/api/queues", "/api/policies")
    found = {(m.upper(), p) for p, ops in paths.items() for m in ops if p.startswith(prefixes)}
    from tests.api.test_live import LIVE_ROUTES

    assert found - LIVE_ROUTES == NETWORK_ROUTES
    assert {(c.method, _template(c.path)) for c in CALLS} == NETWORK_ROUTES


@pytest.mark.parametrize("user", ["wang", "chen", "lina"])
def test_each_role_against_each_endpoint(
    admin_client: TestClient, database_state: DatabaseState, user: str
) -> None:
    headers = log_in(admin_client, user)
    for call in CALLS:
        before = database_state()
        response = admin_client.request(call.method, call.path, json=call.body, headers=headers)
        assert response.status_code == call.expected[user], (call.name, response.text)
        if call.expected[user] == 403:
            assert error_of(response)[1] == "forbidden"
            assert database_state() == before, f"{call.name}: a forbidden call changed the database"


def test_without_a_session_every_endpoint_is_401_and_changes_nothing(
    admin_client: TestClient, database_state: DatabaseState
) -> None:
    before = database_state()
    for call in CALLS:
        response = admin_client.request(call.method, call.path, json=call.body)
        assert error_of(response)[:2] == (401, "unauthenticated"), call.name
    assert database_state() == before


def audit(client: TestClient, headers: dict[str, str], entity: str, entity_id: str) -> list[dict[str, Any]]:
    response = client.get("/api/audit", params={"entity": entity, "entity_id": entity_id}, headers=headers)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()))  # oldest first


def test_crud_round_trips_are_audited_with_before_and_after(admin_client: TestClient) -> None:
    c, admin = admin_client, log_in(admin_client, "wang")
    team = {"id": "xm", "name": "Xiamen", "site_id": "beijing"}
    assert ok(c.post("/api/teams", json=team, headers=admin), 201) == team
    assert ok(c.patch("/api/teams/xm", json={"site_id": None}, headers=admin))["site_id"] is None
    agent = {
        "id": "wu",
        "site_id": "beijing",
        "team_id": "xm",
        "display_name": "Wu Lei",
        "attributes": {"seniority": 3},
        "skills": {"sales": 5, "lang.cmn": 9},
        "capacity": {"chat": 3, "voice": 1},
    }
    created = ok(c.post("/api/agents", json=agent, headers=admin), 201)
    assert created == {**agent, "active": True}
    assert ok(c.get("/api/agents/wu", headers=admin)) == created
    changed = ok(c.patch("/api/agents/wu", json={"capacity": {"email": 2}, "active": False}, headers=admin))
    assert (changed["capacity"], changed["active"]) == ({"email": 2}, False)
    skilled = ok(c.put("/api/agents/wu/skills", json={"skills": {"sales": 10}}, headers=admin))
    assert skilled["skills"] == {"sales": 10}
    assert error_of(c.delete("/api/teams/xm", headers=admin))[:2] == (409, "conflict")  # wu is in it
    assert c.delete("/api/agents/wu", headers=admin).status_code == 204
    assert c.delete("/api/teams/xm", headers=admin).status_code == 204
    assert c.get("/api/agents/wu", headers=admin).status_code == 404

    queue = {"id": "vip", "name": "VIP", "policy_id": "general", "channel": "chat", "sl_target": 0.9}
    made = ok(c.post("/api/queues", json=queue, headers=admin), 201)
    assert (made["channel"], made["sl_target"], made["offer_timeout_seconds"]) == ("chat", 0.9, 20.0)
    assert ok(c.patch("/api/queues/vip", json={"name": "VIP line"}, headers=admin))["name"] == "VIP line"
    assert [q["id"] for q in ok(c.get("/api/queues", headers=admin))] == ["general", "vip"]
    assert c.delete("/api/queues/vip", headers=admin).status_code == 204

    sales = GENERAL.replace("general", "sales")
    put = ok(c.put("/api/policies/sales", content=sales, headers={**admin, "Content-Type": "text/yaml"}))
    assert (put["version"], put["source"], put["routing_applied"]) == (1, sales, True)
    changed_source = sales.replace("sales: 1", "sales: 4")
    again = ok(c.put("/api/policies/sales", json={"yaml": changed_source}, headers=admin))
    assert (again["version"], again["source"]) == (2, changed_source)
    assert ok(c.get("/api/policies/sales", headers=admin))["source"] == changed_source
    assert [p["id"] for p in ok(c.get("/api/policies", headers=admin))] == ["general", "sales"]

    assert [e["action"] for e in audit(c, admin, "team", "xm")] == ["create", "update", "delete"]
    entries = audit(c, admin, "agent", "wu")
    assert [e["action"] for e in entries] == ["create", "update", "skills", "delete"]
    _, update, skills, delete = entries
    assert (update["before"]["capacity"], update["after"]["capacity"]) == (
        {"chat": 3, "voice": 1},
        {"email": 2},
    )
    assert (skills["before"]["skills"], skills["after"]["skills"]) == (
        {"lang.cmn": 9, "sales": 5},
        {"sales": 10},
    )
    assert (delete["before"]["skills"], delete["after"]) == ({"sales": 10}, None)
    assert [e["action"] for e in audit(c, admin, "queue", "vip")] == ["create", "update", "delete"]
    policy = audit(c, admin, "routing-policy", "sales")
    assert [(e["action"], e["before"] and e["before"]["version"], e["after"]["version"]) for e in policy] == [
        ("create", None, 1),
        ("update", 1, 2),
    ]
    assert all(e["actor"] == "wang" and e["at"] == T0 for e in policy)


def test_a_supervisor_and_an_agent_read_only_what_is_theirs(admin_client: TestClient) -> None:
    chen, lina = log_in(admin_client, "chen"), log_in(admin_client, "lina")
    assert [t["id"] for t in ok(admin_client.get("/api/teams", headers=chen))] == ["gz-team"]
    assert [a["id"] for a in ok(admin_client.get("/api/agents", headers=chen))] == ["li-na"]
    assert [a["id"] for a in ok(admin_client.get("/api/agents", headers=lina))] == ["li-na"]
    # who may not read an agent learns nothing, not even whether it exists
    assert error_of(admin_client.get("/api/agents/nobody", headers=lina))[:2] == (403, "forbidden")


def test_precise_errors_change_nothing(admin_client: TestClient, database_state: DatabaseState) -> None:
    admin = log_in(admin_client, "wang")
    cases: list[tuple[str, str, dict[str, Any] | None, tuple[int, str]]] = [
        ("POST", "/api/teams", {"id": "gz-team", "name": "Again"}, (409, "conflict")),
        ("POST", "/api/teams", {"id": "t", "name": "T", "site_id": "atlantis"}, (409, "conflict")),
        ("POST", "/api/agents", {"id": "x", "site_id": "atlantis", "display_name": "X"}, (409, "conflict")),
        (
            "POST",
            "/api/agents",
            {"id": "x", "site_id": "beijing", "display_name": "X", "skills": {"sales": 11}},
            (422, "invalid-request"),
        ),
        ("PUT", "/api/agents/li-na/skills", {"skills": {"sales": 0}}, (422, "invalid-request")),
        ("PUT", "/api/agents/nobody/skills", {"skills": {"sales": 1}}, (404, "not-found")),
        ("PATCH", "/api/agents/li-na", {"capacity": {"fax": 1}}, (422, "invalid-request")),
        ("PATCH", "/api/agents/li-na", {"display_name": None}, (422, "invalid-request")),
        ("POST", "/api/queues", {"id": "q", "name": "Q", "policy_id": "none"}, (409, "conflict")),
        ("PATCH", "/api/queues/general", {"sl_target": 1.5}, (422, "invalid-request")),
        ("DELETE", "/api/policies/general", None, (405, "method-not-allowed")),
        ("PUT", "/api/policies/general", {"source": GENERAL}, (422, "invalid-request")),
    ]
    before = database_state()
    for method, path, body, expected in cases:
        response = admin_client.request(method, path, json=body, headers=admin)
        assert error_of(response)[:2] == expected, (method, path, response.text)
    assert database_state() == before, "a refused change left something behind"


@pytest.mark.parametrize(
    ("source", "field", "line", "reason"),
    [
        (GENERAL + "    timeout_seconds: -5\n", "steps[0].timeout_seconds", 5, "greater than"),
        ("id: general\nsteps:\n  - name: [unclosed\n", "", 4, "not valid YAML"),
        (GENERAL.replace("general", "other"), "id", None, "expected 'general'"),
    ],
)
def test_an_invalid_policy_is_refused_naming_the_line(
    admin_client: TestClient,
    database_state: DatabaseState,
    source: str,
    field: str,
    line: int | None,
    reason: str,
) -> None:
    admin = log_in(admin_client, "wang")
    before = database_state()
    response = admin_client.put(
        "/api/policies/general", content=source, headers={**admin, "Content-Type": "text/yaml"}
    )
    assert error_of(response)[:2] == (422, "invalid-config"), response.text
    [problem] = response.json()["error"]["details"]["problems"]
    assert (problem["field"], problem["line"]) == (field, line)
    assert reason in problem["reason"]
    assert database_state() == before


def test_a_policy_the_routing_configuration_refuses_changes_nothing(
    admin_client: TestClient, database_state: DatabaseState
) -> None:
    admin = log_in(admin_client, "wang")
    before = database_state()
    source = GENERAL.replace("sites: any", "sites: [atlantis]")
    response = admin_client.put("/api/policies/general", json={"yaml": source}, headers=admin)
    assert error_of(response)[:2] == (422, "invalid-config"), response.text
    assert "atlantis" in response.text
    assert database_state() == before


# ---- the live router takes the change ---------------------------------------------------------------------

AGENT = "bj-billing-early-001"  # billing 6, lang.cmn 9
ONLY_MASTERS = """\
id: billing
steps:
  - name: billing masters anywhere
    target: {skills: {billing: 10}, sites: any}
"""


@pytest.fixture
def live_admin(db_url: str) -> Iterator[TestClient]:
    load_national(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        create_user(
            session,
            TENANT,
            user_id="boss",
            login="boss",
            display_name="boss",
            password=password("boss"),
            grants=[Grant(Role.ADMIN)],
            actor="seed",
            at=NATIONAL_T0,
            passwords=FAST_PASSWORDS,
        )
        session.commit()
    engine.dispose()
    with TestClient(open_app(db_url, ManualClock(NATIONAL_T0))) as client:
        yield client


def test_a_policy_change_is_taken_by_the_live_router(live_admin: TestClient) -> None:
    c = live_admin
    admin = login(c, "boss")
    changed = ok(
        c.put("/api/policies/billing", content=ONLY_MASTERS, headers={**admin, "Content-Type": "text/yaml"})
    )
    assert (changed["version"], changed["routing_applied"]) == (2, True)
    steps = center_of(c).inspect(TENANT, lambda router: router.config.policies["billing"].steps)
    assert [step.name for step in steps] == ["billing masters anywhere"]

    center = center_of(c)
    center.login(TENANT, AgentId(AGENT))  # (the center itself: the HTTP login is test_live's)
    billing = {"site_id": SiteId("beijing"), "language": "cmn"}
    center.arrive(TENANT, QueueId("billing"), contact_id=ContactId("c1"), **billing)  # type: ignore[arg-type]
    assert [w.contact_id for w in center.waiting(TENANT)] == ["c1"]  # billing 6 < 10: nobody takes it

    # A logged-in agent's new skills reach the router at once.
    skills = {"billing": 10, "lang.cmn": 9}
    assert (
        ok(c.put(f"/api/agents/{AGENT}/skills", json={"skills": skills}, headers=admin))["skills"] == skills
    )
    assert center.inspect(TENANT, lambda r: dict(r.agents[AgentId(AGENT)].profile.skills)) == skills

    # While the router is busy a change is stored, and taken once it is empty.
    busy = ok(
        c.put(
            "/api/policies/billing",
            json={
                "yaml": ONLY_MASTERS + "  - name: anyone\n    target: {skills: {billing: 1}, sites: any}\n"
            },
            headers=admin,
        )
    )
    assert (busy["version"], busy["routing_applied"]) == (3, False)
