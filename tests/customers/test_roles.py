"""Every customer endpoint against every role, as `tests/api/test_admin.py` does for the admin API:
admin (boss), supervisor of guangzhou (sup-gz), agents of guangzhou and beijing, with the tenant
restricting agents to their site's customers. A refused call is a 403 that changes nothing; without a
session every endpoint is a 401."""

from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from sqlalchemy.orm import Session

from baiying.customers.contacts import contact_point
from baiying.customers.model import TelecomTerms
from baiying.storage.customer_tables import CustomerSettingsRow
from baiying.storage.engine import make_engine
from baiying.storage.repositories.customers import CustomerStore
from tests.api.conftest import DatabaseState, TestClient, error_of
from tests.api.test_live import login
from tests.application.helpers import T0, TENANT

USERS = ("boss", "sup-gz", "agent-gz", "agent-bj")


class Call(NamedTuple):
    method: str
    path: str
    body: dict[str, Any] | None
    expected: tuple[int, int, int, int]  # by USERS

    @property
    def route(self) -> tuple[str, str]:
        path = self.path.partition("?")[0]
        for concrete, template in (
            ("/contact-points/email/li.na@example.com", "/contact-points/{kind}/{value}"),
            ("/products/m1", "/products/{product_id}"),
            ("/api/customers/gz-cust", "/api/customers/{customer_id}"),
            ("/api/customers/bj-cust", "/api/customers/{customer_id}"),
        ):
            path = path.replace(concrete, template)
        return self.method, path


IMPORT = {"csv": "Name\nZhao Lei\n", "mapping": {"name_column": "Name"}}
PLAN = {"id": "m2", "kind": "telecom", "name": "Plan", "plan": "p", "monthly_fee_cents": 100}
SETTINGS = {"agents_see_own_site_only": True}
CALLS = [
    Call("GET", "/api/customers", None, (200, 200, 200, 200)),
    Call("POST", "/api/customers", {"display_name": "New", "site": "guangzhou"}, (201, 201, 403, 403)),
    Call("GET", "/api/customers/duplicates", None, (200, 403, 403, 403)),
    Call("POST", "/api/customers/import", IMPORT, (200, 403, 403, 403)),
    Call("GET", f"/api/customers/fcr?since={T0 - 86_400}", None, (200, 200, 403, 403)),
    Call("GET", "/api/customers/gz-cust", None, (200, 200, 200, 403)),
    Call("GET", "/api/customers/bj-cust", None, (200, 403, 403, 200)),
    Call("PATCH", "/api/customers/gz-cust", {"language": "en"}, (200, 200, 200, 403)),
    Call(
        "POST",
        "/api/customers/gz-cust/contact-points",
        {"kind": "email", "value": "li.na@example.com"},
        (201, 201, 201, 403),
    ),
    Call(
        "DELETE", "/api/customers/gz-cust/contact-points/email/li.na@example.com", None, (200, 200, 200, 403)
    ),
    Call("GET", "/api/customers/gz-cust/events", None, (200, 200, 200, 403)),
    Call("GET", "/api/customers/gz-cust/duplicates", None, (200, 200, 200, 403)),
    Call("GET", "/api/customers/gz-cust/timeline", None, (200, 200, 200, 403)),
    Call("GET", "/api/customers/gz-cust/products", None, (200, 200, 200, 403)),
    Call("POST", "/api/customers/gz-cust/products", PLAN, (201, 201, 403, 403)),
    Call("PATCH", "/api/customers/gz-cust/products/m1", {"minutes_used": 5}, (200, 200, 403, 403)),
    Call("DELETE", "/api/customers/gz-cust/products/m1", None, (204, 204, 403, 403)),
    Call("GET", "/api/screen-pop?phone=13800138000", None, (200, 200, 200, 403)),
    Call("GET", "/api/customer-settings", None, (200, 403, 403, 403)),
    Call("PUT", "/api/customer-settings", SETTINGS, (200, 403, 403, 403)),
    Call("POST", "/api/customers/gz-cust/merge", {"merged": "bj-cust"}, (200, 403, 403, 403)),
    Call("DELETE", "/api/customers/gz-cust", None, (204, 403, 403, 403)),
]
CUSTOMER_ROUTES = {call.route for call in CALLS}


@pytest.fixture
def world(live_world: str) -> str:
    engine = make_engine(live_world)
    with Session(engine) as session:
        session.add(CustomerSettingsRow(tenant_id=TENANT, agents_see_own_site_only=True, pii_roles=["admin"]))
        store = CustomerStore(session, TENANT)
        points = [contact_point("phone", "13800138000")]
        store.create(
            "gz-cust", {"display_name": "Li Na", "site_id": "guangzhou"}, points, at=T0, actor="seed"
        )
        store.create("bj-cust", {"display_name": "Li Na", "site_id": "beijing"}, [], at=T0, actor="seed")
        store.add_product("gz-cust", "m1", "Plan", TelecomTerms("p", 100), at=T0)
        session.commit()
    engine.dispose()
    return live_world


@pytest.fixture
def state(world: str) -> Iterator[DatabaseState]:
    found = DatabaseState(world)
    yield found
    found.engine.dispose()


def test_every_customer_route_is_in_the_matrix(live: TestClient) -> None:
    paths = live.get("/openapi.json").json()["paths"]
    found = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(("/api/customers", "/api/customer-settings", "/api/screen-pop"))
        for method in operations
    }
    assert found == CUSTOMER_ROUTES


@pytest.mark.parametrize("user", USERS)
def test_each_role_against_each_customer_endpoint(
    world: str, live: TestClient, state: DatabaseState, user: str
) -> None:
    headers = login(live, user)
    for call in CALLS:
        before = state()
        response = live.request(call.method, call.path, json=call.body, headers=headers)
        expected = call.expected[USERS.index(user)]
        assert response.status_code == expected, (call, response.text)
        if expected == 403:
            assert error_of(response)[1] == "forbidden"
            assert state() == before, f"{call}: a forbidden call changed the database"


def test_without_a_session_every_customer_endpoint_is_401(
    world: str, live: TestClient, state: DatabaseState
) -> None:
    before = state()
    for call in CALLS:
        assert error_of(live.request(call.method, call.path, json=call.body))[:2] == (
            401,
            "unauthenticated",
        ), call
    assert state() == before
