"""Admin endpoints: each role against each endpoint (forbidden calls get 403 and change nothing), the
audit trail of every change, and precise errors; on SQLite and PostgreSQL."""

from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning

from tests.api.conftest import T0, DatabaseState, error_of, log_in, sqlite_only
from tests.api.test_admin_network import NETWORK_ROUTES
from tests.api.test_live import LIVE_ROUTES
from tests.api.test_voice import VOICE_ROUTES
from tests.customers.test_roles import CUSTOMER_ROUTES
from tests.knowledge.test_api import KB_ROUTES
from tests.tickets.test_roles import TICKET_ROUTES
from tests.web.test_chat import CHAT_ROUTES


class Call(NamedTuple):
    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    expected: dict[str, int]  # status by login: wang (admin), chen (supervisor, guangzhou), lina (agent)


def statuses(admin: int, supervisor: int, agent: int) -> dict[str, int]:
    return {"wang": admin, "chen": supervisor, "lina": agent}


PLAN = {
    "name": "畅享39",
    "monthly_fee_fen": 3900,
    "minutes": 100,
    "data_mb": 3000,
    "extra_minute_fen": 15,
    "extra_mb_fen": 3,
}

PERIOD = "start_date=2026-11-01&end_date=2026-11-30"

# In order: the admin's creations come before their deletions.
CALLS = [
    Call("me", "GET", "/api/me", None, statuses(200, 200, 200)),
    Call("own language", "PATCH", "/api/me", {"language": "en"}, statuses(200, 200, 200)),
    Call("list sites", "GET", "/api/sites", None, statuses(200, 200, 403)),
    Call("read own site", "GET", "/api/sites/guangzhou", None, statuses(200, 200, 403)),
    Call("read other site", "GET", "/api/sites/beijing", None, statuses(200, 403, 403)),
    Call("create site", "POST", "/api/sites", {"id": "xiamen", "name": "Xiamen"}, statuses(201, 403, 403)),
    Call("create site, bad body", "POST", "/api/sites", {"nonsense": 1}, statuses(422, 403, 403)),
    Call("update site", "PATCH", "/api/sites/guangzhou", {"name": "Guangzhou 2"}, statuses(200, 403, 403)),
    Call("read holidays", "GET", "/api/sites/guangzhou/holidays", None, statuses(200, 200, 403)),
    Call(
        "replace holidays",
        "PUT",
        "/api/sites/guangzhou/holidays",
        {"holidays": [{"day": "2027-01-01", "name": "New Year"}]},
        statuses(200, 403, 403),
    ),
    Call(
        "own site status",
        "PUT",
        "/api/sites/guangzhou/status",
        {"status": "draining"},
        statuses(200, 200, 403),
    ),
    Call(
        "other site status",
        "PUT",
        "/api/sites/beijing/status",
        {"status": "evacuated"},
        statuses(200, 403, 403),
    ),
    Call("delete site", "DELETE", "/api/sites/xiamen", None, statuses(204, 403, 403)),
    Call("read tenant", "GET", "/api/tenant", None, statuses(200, 200, 200)),
    Call("tenant language", "PATCH", "/api/tenant", {"default_language": "zh"}, statuses(200, 403, 403)),
    Call("tenant, bad language", "PATCH", "/api/tenant", {"default_language": "fr"}, statuses(422, 403, 403)),
    Call("list codes", "GET", "/api/wrap-up-codes", None, statuses(200, 200, 200)),
    Call("read code", "GET", "/api/wrap-up-codes/resolved", None, statuses(200, 200, 200)),
    Call(
        "create code",
        "POST",
        "/api/wrap-up-codes",
        {"code": "sale", "label": "Sale"},
        statuses(201, 403, 403),
    ),
    Call("update code", "PATCH", "/api/wrap-up-codes/resolved", {"label": "Solved"}, statuses(200, 403, 403)),
    Call("delete code", "DELETE", "/api/wrap-up-codes/callback", None, statuses(204, 403, 403)),
    Call("list users", "GET", "/api/users", None, statuses(200, 403, 403)),
    Call("read user", "GET", "/api/users/li-na", None, statuses(200, 403, 403)),
    Call(
        "create user",
        "POST",
        "/api/users",
        {"id": "sun", "login": "sun", "display_name": "Sun Li", "password": "sun's password"},
        statuses(201, 403, 403),
    ),
    Call("update user", "PATCH", "/api/users/li-na", {"display_name": "Li Na (GZ)"}, statuses(200, 403, 403)),
    Call(
        "widen chen's own roles",
        "PUT",
        "/api/users/chen/roles",
        {"roles": [{"role": "supervisor"}]},
        statuses(200, 403, 403),
    ),
    Call("delete user", "DELETE", "/api/users/sun", None, statuses(204, 403, 403)),
    Call("read audit log", "GET", "/api/audit", None, statuses(200, 403, 403)),
    Call("list notification templates", "GET", "/api/notification-templates", None, statuses(200, 200, 200)),
    Call(
        "send an SMS",
        "POST",
        "/api/notifications",
        {"channel": "sms", "to": "13800138000", "body": "您的工单已受理", "cause": "matrix"},
        statuses(201, 201, 201),
    ),
    Call("read the outbox", "GET", "/api/notifications", None, statuses(200, 200, 403)),
    Call("list webhooks", "GET", "/api/webhooks", None, statuses(200, 403, 403)),
    Call(
        "create webhook",
        "POST",
        "/api/webhooks",
        {"id": "erp", "url": "https://erp.example.com/hook", "event_types": ["*"]},
        statuses(201, 403, 403),
    ),
    Call("read webhook", "GET", "/api/webhooks/erp", None, statuses(200, 403, 403)),
    Call("update webhook", "PATCH", "/api/webhooks/erp", {"active": False}, statuses(200, 403, 403)),
    Call("delete webhook", "DELETE", "/api/webhooks/erp", None, statuses(204, 403, 403)),
    Call("list plans", "GET", "/api/care/plans", None, statuses(200, 200, 200)),
    Call("put plan", "PUT", "/api/care/plans/basic", PLAN, statuses(201, 403, 403)),
    Call("delete plan", "DELETE", "/api/care/plans/basic", None, statuses(204, 403, 403)),
    Call(
        "put usage",
        "PUT",
        "/api/care/usage/p-1/2026-10",
        {"minutes": 5, "data_mb": 9},
        statuses(200, 403, 403),
    ),
    Call("read usage", "GET", "/api/care/usage/p-1", None, statuses(200, 200, 200)),
    Call(
        "import usage",
        "POST",
        "/api/care/usage/import",
        {
            "csv": "sub,month,min,mb\np-1,2026-10,5,9\n",
            "mapping": {
                "product_column": "sub",
                "month_column": "month",
                "minutes_column": "min",
                "data_column": "mb",
            },
        },
        statuses(200, 403, 403),
    ),
    Call(
        "record an offer outcome",
        "POST",
        "/api/care/offers/outcomes",
        {"customer_id": "c-1", "offer_id": "data-upgrade", "outcome": "shown"},
        statuses(201, 403, 201),
    ),
    Call(
        "offer conversion", "GET", "/api/care/offers/conversion?from=0&to=9e9", None, statuses(200, 200, 200)
    ),
    # reports over a date range: a site supervisor's KPIs cover their sites (chen's: guangzhou)
    Call("kpi report", "GET", f"/api/reports/kpis?{PERIOD}", None, statuses(200, 200, 403)),
    Call("kpi table csv", "GET", f"/api/reports/kpis/agents.csv?{PERIOD}", None, statuses(200, 200, 403)),
    Call(
        "kpi report, other site",
        "GET",
        f"/api/reports/kpis?{PERIOD}&site=beijing",
        None,
        statuses(200, 403, 403),
    ),
    Call("fcr", "GET", f"/api/reports/fcr?{PERIOD}", None, statuses(200, 200, 403)),
    Call("fcr csv", "GET", f"/api/reports/fcr.csv?{PERIOD}", None, statuses(200, 200, 403)),
    Call("fcr, other site", "GET", f"/api/reports/fcr?{PERIOD}&site=beijing", None, statuses(200, 403, 403)),
    Call("sla", "GET", f"/api/reports/sla-attainment?{PERIOD}", None, statuses(200, 200, 403)),
    Call("sla csv", "GET", f"/api/reports/sla-attainment.csv?{PERIOD}", None, statuses(200, 200, 403)),
    Call(
        "sla, other site",
        "GET",
        f"/api/reports/sla-attainment.csv?{PERIOD}&site=beijing",
        None,
        statuses(200, 403, 403),
    ),
    Call("conversion", "GET", f"/api/reports/offer-conversion?{PERIOD}", None, statuses(200, 200, 403)),
    Call(
        "conversion csv", "GET", f"/api/reports/offer-conversion.csv?{PERIOD}", None, statuses(200, 200, 403)
    ),
    Call(
        "conversion, other site",
        "GET",
        f"/api/reports/offer-conversion?{PERIOD}&site=beijing",
        None,
        statuses(200, 403, 403),
    ),
    Call("read contact caps", "GET", "/api/care/contact-caps", None, statuses(200, 200, 200)),
    Call(
        "set contact caps",
        "PUT",
        "/api/care/contact-caps",
        {"caps": [{"channel": "sms", "purposes": ["marketing"], "max_contacts": 1, "period_seconds": 86400}]},
        statuses(200, 403, 403),
    ),
]


@sqlite_only
def test_every_endpoint_class_is_in_the_matrix(client: TestClient) -> None:
    routes = {(m, p) for m, p in _api_routes(client)}
    called = {(c.method, _template(c.path)) for c in CALLS}
    # the live engine's have their matrix in test_live, teams/agents/queues/policies in test_admin_network,
    # customers' in tests/customers/test_roles, tickets' in tests/tickets/test_roles, the knowledge base's in
    # tests/knowledge/test_api, the web chat's in tests/web/test_chat, call control's in tests/api/test_voice
    elsewhere = LIVE_ROUTES | NETWORK_ROUTES | CUSTOMER_ROUTES | TICKET_ROUTES | KB_ROUTES | CHAT_ROUTES
    elsewhere |= VOICE_ROUTES
    assert routes - called - elsewhere == set()


def _api_routes(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/") and not path.startswith("/api/auth/")
        for method in operations
    ]


def _template(path: str) -> str:
    path = path.partition("?")[0]
    replacements = {
        "/api/sites/": "/api/sites/{site_id}",
        "/api/wrap-up-codes/": "/api/wrap-up-codes/{code}",
        "/api/users/": "/api/users/{user_id}",
        "/api/webhooks/": "/api/webhooks/{id}",
        "/api/care/plans/": "/api/care/plans/{plan_id}",
        "/api/care/usage/import": "/api/care/usage/import",
        "/api/care/usage/p-1/": "/api/care/usage/{product_id}/{month}",
        "/api/care/usage/": "/api/care/usage/{product_id}",
        "/api/reports/kpis/": "/api/reports/kpis/{table}.csv",
    }
    for prefix, template in replacements.items():
        if path.startswith(prefix):
            rest = path[len(prefix) :].partition("/")[2]
            return f"{template}/{rest}" if rest else template
    return path


@pytest.mark.parametrize("login", ["wang", "chen", "lina"])
def test_each_role_against_each_endpoint(
    client: TestClient, database_state: DatabaseState, login: str
) -> None:
    headers = log_in(client, login)
    for call in CALLS:
        before = database_state()
        response = client.request(call.method, call.path, json=call.body, headers=headers)
        expected = call.expected[login]
        assert response.status_code == expected, (call.name, response.text)
        if expected == 403:
            assert error_of(response)[1] == "forbidden"
            assert database_state() == before, f"{call.name}: a forbidden call changed the database"


def test_without_a_session_every_endpoint_is_401_and_changes_nothing(
    client: TestClient, database_state: DatabaseState
) -> None:
    before = database_state()
    for call in CALLS:
        response = client.request(call.method, call.path, json=call.body)
        assert error_of(response)[:2] == (401, "unauthenticated"), call.name
    assert database_state() == before


def test_a_supervisor_sees_only_their_sites(client: TestClient) -> None:
    chen, zhou = log_in(client, "chen"), log_in(client, "zhou")
    assert [s["id"] for s in client.get("/api/sites", headers=chen).json()] == ["guangzhou"]
    assert [s["id"] for s in client.get("/api/sites", headers=zhou).json()] == ["beijing", "guangzhou"]
    refused = client.get("/api/sites/beijing", headers=chen)
    assert error_of(refused) == (403, "forbidden", "user 'chen' may not read site 'beijing'")
    assert refused.json()["error"]["details"] == {"action": "read", "kind": "site", "id": "beijing"}
    changed = client.put("/api/sites/beijing/status", json={"status": "draining"}, headers=zhou)
    assert changed.json()["status"] == "draining"


def test_an_admin_cannot_reach_another_tenant(client: TestClient, database_state: DatabaseState) -> None:
    before = database_state()
    admin = log_in(client, "wang")
    assert error_of(client.get("/api/sites/shenzhen", headers=admin)) == (
        404,
        "not-found",
        "no site 'shenzhen'",
    )
    assert client.patch("/api/sites/shenzhen", json={"name": "x"}, headers=admin).status_code == 404
    assert client.delete("/api/users/smith", headers=admin).status_code == 404
    assert [u["id"] for u in client.get("/api/users", headers=admin).json()] == [
        "chen",
        "li-na",
        "wang",
        "zhou",
    ]
    smith = log_in(client, "smith")
    assert [s["id"] for s in client.get("/api/sites", headers=smith).json()] == ["shenzhen"]
    assert [(e["entity"], e["entity_id"]) for e in client.get("/api/audit", headers=smith).json()] == [
        ("user", "smith")
    ]
    assert database_state() == before


def audit(client: TestClient, headers: dict[str, str], entity: str, entity_id: str) -> list[dict[str, Any]]:
    response = client.get("/api/audit", params={"entity": entity, "entity_id": entity_id}, headers=headers)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()))  # oldest first


def test_site_changes_are_audited_with_before_and_after(client: TestClient) -> None:
    admin, chen = log_in(client, "wang"), log_in(client, "chen")
    site = {
        "id": "xiamen",
        "name": "Xiamen",
        "languages": ["nan"],
        "opens_minute": 480,
        "closes_minute": 1200,
    }
    created = client.post("/api/sites", json=site, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {
        **site,
        "timezone": "Asia/Shanghai",
        "status": "open",
        "status_changed_at": None,
        "hq": False,
    }
    assert (
        client.patch("/api/sites/xiamen", json={"name": "Xiamen (Fujian)"}, headers=admin).status_code == 200
    )
    assert (
        client.put("/api/sites/guangzhou/status", json={"status": "evacuated"}, headers=chen).status_code
        == 200
    )
    again = client.put("/api/sites/guangzhou/status", json={"status": "evacuated"}, headers=chen)
    assert again.json()["status_changed_at"] == T0  # unchanged: not audited twice
    assert client.delete("/api/sites/xiamen", headers=admin).status_code == 204

    entries = audit(client, admin, "site", "xiamen")
    assert [(e["action"], e["actor"], e["at"]) for e in entries] == [
        ("create", "wang", T0),
        ("update", "wang", T0),
        ("delete", "wang", T0),
    ]
    create, update, delete = entries
    assert create["before"] is None
    assert create["after"]["name"] == "Xiamen"
    assert (update["before"]["name"], update["after"]["name"]) == ("Xiamen", "Xiamen (Fujian)")
    assert {k for k in update["before"] if update["before"][k] != update["after"][k]} == {"name"}
    assert (delete["before"]["name"], delete["after"]) == ("Xiamen (Fujian)", None)

    [status] = audit(client, admin, "site", "guangzhou")
    assert (status["action"], status["actor"]) == ("site-status", "chen")
    assert (status["before"]["status"], status["after"]["status"]) == ("open", "evacuated")
    assert (status["before"]["status_changed_at"], status["after"]["status_changed_at"]) == (None, T0)


def test_wrap_up_code_changes_are_audited(client: TestClient) -> None:
    admin = log_in(client, "wang")
    assert (
        client.post("/api/wrap-up-codes", json={"code": "sale", "label": "Sale"}, headers=admin).status_code
        == 201
    )
    assert client.patch("/api/wrap-up-codes/sale", json={"active": False}, headers=admin).json() == {
        "code": "sale",
        "label": "Sale",
        "active": False,
    }
    assert client.delete("/api/wrap-up-codes/sale", headers=admin).status_code == 204
    entries = audit(client, admin, "wrap-up-code", "sale")
    assert [(e["action"], e["before"], e["after"]) for e in entries] == [
        ("create", None, {"tenant_id": "acme", "code": "sale", "label": "Sale", "active": True}),
        (
            "update",
            {"tenant_id": "acme", "code": "sale", "label": "Sale", "active": True},
            {"tenant_id": "acme", "code": "sale", "label": "Sale", "active": False},
        ),
        ("delete", {"tenant_id": "acme", "code": "sale", "label": "Sale", "active": False}, None),
    ]
    assert client.get("/api/wrap-up-codes/sale", headers=admin).status_code == 404


def test_the_tenant_default_language_is_the_admins_to_set_and_audited(client: TestClient) -> None:
    admin = log_in(client, "wang")
    assert client.get("/api/tenant", headers=admin).json() == {
        "id": "acme",
        "name": "Acme",
        "default_language": None,
    }
    changed = client.patch("/api/tenant", json={"default_language": "zh"}, headers=admin)
    assert changed.json() == {"id": "acme", "name": "Acme", "default_language": "zh"}
    assert client.get("/api/tenant", headers=log_in(client, "lina")).json()["default_language"] == "zh"
    assert client.get("/api/tenant", headers=log_in(client, "smith")).json()["default_language"] is None
    assert client.patch("/api/tenant", json={}, headers=admin).json()["default_language"] == "zh"  # kept
    back = client.patch("/api/tenant", json={"default_language": None}, headers=admin)
    assert back.json()["default_language"] is None
    refused = client.patch("/api/tenant", json={"default_language": "fr"}, headers=admin)
    status, code, message = error_of(refused)
    assert (status, code) == (422, "invalid-request")
    assert "default_language" in message
    unknown = client.patch("/api/tenant", json={"language": "zh"}, headers=admin)
    assert error_of(unknown)[:2] == (422, "invalid-request")
    assert "language" in error_of(unknown)[2]
    entries = audit(client, admin, "tenant", "acme")
    assert [(e["action"], e["before"], e["after"]) for e in entries] == [
        ("update", {"default_language": None}, {"default_language": "zh"}),
        ("update", {"default_language": "zh"}, {"default_language": None}),
    ]


def test_user_changes_are_audited_without_secrets(client: TestClient) -> None:
    admin = log_in(client, "wang")
    body = {
        "id": "sun",
        "login": "sun",
        "display_name": "Sun Li",
        "password": "sun's password",
        "roles": [{"role": "supervisor", "site_id": "beijing"}, {"role": "agent", "agent_id": "zhang-wei"}],
    }
    created = client.post("/api/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "sun",
        "tenant_id": "acme",
        "login": "sun",
        "display_name": "Sun Li",
        "active": True,
        "created_at": T0,
        "has_password": True,
        "language": None,
        "roles": [
            {"role": "supervisor", "site_id": "beijing", "agent_id": None},
            {"role": "agent", "site_id": None, "agent_id": "zhang-wei"},
        ],
    }
    login = client.post("/api/auth/login", json={"login": "sun", "password": "sun's password"})
    assert login.status_code == 200
    client.cookies.clear()

    assert (
        client.patch("/api/users/sun", json={"password": "a new password"}, headers=admin).status_code == 200
    )
    roles = {"roles": [{"role": "admin"}]}
    assert client.put("/api/users/sun/roles", json=roles, headers=admin).json()["roles"] == [
        {"role": "admin", "site_id": None, "agent_id": None}
    ]
    assert client.delete("/api/users/sun", headers=admin).status_code == 204

    entries = audit(client, admin, "user", "sun")
    assert [e["action"] for e in entries] == ["create", "update", "roles", "delete"]
    create, update, grant, delete = entries
    assert create["after"]["has_password"] is True
    assert update["after"]["password"] == "(changed)"
    assert [r["role"] for r in grant["before"]["roles"]] == ["agent", "supervisor"]
    assert grant["after"]["roles"] == [{"role": "admin", "site_id": None, "agent_id": None}]
    assert delete["after"] is None
    for entry in entries:
        text = repr(entry)
        assert "password_hash" not in text
        assert "$argon2" not in text
        assert "sun's password" not in text
        assert "a new password" not in text


def test_precise_errors_for_admin_mistakes(client: TestClient, database_state: DatabaseState) -> None:
    admin = log_in(client, "wang")
    cases: list[tuple[str, str, dict[str, Any] | None, tuple[int, str, str]]] = [
        (
            "POST",
            "/api/sites",
            {"id": "guangzhou", "name": "Again"},
            (409, "conflict", "site 'guangzhou' already exists"),
        ),
        ("DELETE", "/api/sites/guangzhou", None, (409, "conflict", "site 'guangzhou' is still in use")),
        ("GET", "/api/sites/nowhere", None, (404, "not-found", "no site 'nowhere'")),
        (
            "PATCH",
            "/api/wrap-up-codes/nothing",
            {"label": "x"},
            (404, "not-found", "no wrap-up code 'nothing'"),
        ),
        (
            "PATCH",
            "/api/sites/beijing",
            {"opens_minute": 480},
            (
                422,
                "invalid-record",
                "site 'beijing': give both opens_minute and closes_minute, or neither (open 24x7)",
            ),
        ),
        (
            "POST",
            "/api/users",
            {"id": "x", "login": "chen", "display_name": "X"},
            (409, "conflict", "login 'chen' is already taken"),
        ),
        (
            "POST",
            "/api/users",
            {"id": "x", "login": "x", "display_name": "X", "password": "short"},
            (422, "weak-password", "a password needs at least 8 characters"),
        ),
        (
            "POST",
            "/api/users",
            {"id": "x", "login": "x", "display_name": "X", "roles": [{"role": "agent"}]},
            (422, "invalid-record", "an agent role needs agent_id, and only an agent role has one"),
        ),
        (
            "PUT",
            "/api/users/chen/roles",
            {"roles": [{"role": "supervisor", "site_id": "atlantis"}]},
            (409, "conflict", "the supervisor role of user 'chen' refers to a record that does not exist"),
        ),
        (
            "DELETE",
            "/api/users/wang",
            None,
            (409, "conflict", "you cannot delete yourself: ask another admin"),
        ),
        (
            "PATCH",
            "/api/users/wang",
            {"active": False},
            (409, "conflict", "you cannot deactivate yourself: ask another admin"),
        ),
        (
            "PUT",
            "/api/users/wang/roles",
            {"roles": [{"role": "supervisor"}]},
            (409, "conflict", "you cannot take the admin role from yourself: ask another admin"),
        ),
    ]
    before = database_state()
    for method, path, body, expected in cases:
        response = client.request(method, path, json=body, headers=admin)
        assert error_of(response) == expected, (method, path)
    assert database_state() == before, "a refused change left something behind"
