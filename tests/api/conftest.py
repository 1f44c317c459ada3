"""API tests: the real app through `TestClient`, on SQLite and on the throwaway PostgreSQL cluster (the
suite-wide `db_url` / `empty_db_url` fixtures of `tests/db_fixtures.py`), with a manual clock and a cheap
Argon2 hasher.

The world: tenant "acme" with sites guangzhou and beijing, agents li-na (guangzhou) and zhang-wei
(beijing), wrap-up codes resolved and callback, and users wang (admin), chen (supervisor of guangzhou),
zhou (supervisor of every site) and li-na (agent li-na); tenant "globex" with site shenzhen and its admin
smith.
"""

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.api.app import create_app
from baiying.api.settings import Settings
from baiying.clock import ManualClock
from baiying.storage.engine import make_engine
from baiying.storage.repositories import AgentRepository, SiteRepository, Tenants, WrapUpCodeRepository
from baiying.storage.tables import AgentRow, Base, Role, SiteRow, WrapUpCodeRow

with warnings.catch_warnings():
    # Starlette would rather have `httpx2`; the project pins `httpx`, which works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

# For tests of the HTTP layer alone (parsing, routing, error shapes), where the database plays no part.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])

T0 = 1_795_000_000.0
SECRET = "a-test-secret-key-that-is-long-enough-0123456789"
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
PASSWORDS = {
    "wang": "wang's password",
    "chen": "chen's password",
    "zhou": "zhou's password",
    "lina": "li-na's password",
    "smith": "smith's password",
}
# user id, login, display name, tenant, grants
USERS = [
    ("wang", "wang", "Wang Fang", "acme", [Grant(Role.ADMIN)]),
    ("chen", "chen", "Chen Jie", "acme", [Grant(Role.SUPERVISOR, site_id="guangzhou")]),
    ("zhou", "zhou", "Zhou Min", "acme", [Grant(Role.SUPERVISOR)]),
    ("li-na", "lina", "Li Na", "acme", [Grant(Role.AGENT, agent_id="li-na")]),
    ("smith", "smith", "Sam Smith", "globex", [Grant(Role.ADMIN)]),
]


def seed(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        Tenants(session).add("acme", "Acme", at=T0)
        Tenants(session).add("globex", "Globex", at=T0)
        sites = SiteRepository(session, "acme")
        sites.add(
            SiteRow(id="guangzhou", name="Guangzhou", languages=["yue"], opens_minute=420, closes_minute=1320)
        )
        sites.add(SiteRow(id="beijing", name="Beijing HQ", hq=True))
        SiteRepository(session, "globex").add(SiteRow(id="shenzhen", name="Shenzhen"))
        agents = AgentRepository(session, "acme")
        agents.add(AgentRow(id="li-na", site_id="guangzhou", display_name="Li Na"))
        agents.add(AgentRow(id="zhang-wei", site_id="beijing", display_name="Zhang Wei"))
        codes = WrapUpCodeRepository(session, "acme")
        codes.add(WrapUpCodeRow(code="resolved", label="Resolved"))
        codes.add(WrapUpCodeRow(code="callback", label="Call back"))
        for user_id, login, name, tenant, grants in USERS:
            create_user(
                session,
                tenant,
                user_id=user_id,
                login=login,
                display_name=name,
                password=PASSWORDS[login],
                grants=grants,
                actor="seed",
                at=T0,
                passwords=FAST_PASSWORDS,
            )
        session.commit()
    engine.dispose()


class DatabaseState:
    """Every row of every table, as sorted reprs: equal states mean nothing changed."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def __call__(self) -> dict[str, list[str]]:
        with self.engine.connect() as connection:
            return {
                name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for name, table in Base.metadata.tables.items()
            }


@pytest.fixture
def world(db_url: str) -> str:
    seed(db_url)
    return db_url


@pytest.fixture
def database_state(world: str) -> Iterator[DatabaseState]:
    state = DatabaseState(world)
    yield state
    state.engine.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def settings(world: str) -> Settings:
    return Settings(database_url=world, secret_key=SECRET, live_timer=False)


@pytest.fixture
def app(settings: Settings, clock: ManualClock) -> FastAPI:
    return create_app(settings, clock=clock, passwords=FAST_PASSWORDS)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as opened:
        yield opened


def log_in(client: TestClient, login: str) -> dict[str, str]:
    """Bearer headers for the user; the client's cookie jar is left empty."""
    response = client.post("/api/auth/login", json={"login": login, "password": PASSWORDS[login]})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def error_of(response: Any) -> tuple[int, str, str]:
    """(status, code, message) of an error response, checking its shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return response.status_code, body["error"]["code"], body["error"]["message"]
