"""Ticket API tests: the real app through `TestClient` on SQLite and PostgreSQL, on the world of
`tests/api/conftest.py` (tenant acme: sites guangzhou 07:00-22:00 and beijing 24x7; users wang admin, chen
supervisor of guangzhou, zhou supervisor of every site, li-na agent), plus zhang-wei as an expert (agent
at beijing whose record grants the `expert` role) and ma-li, the complaint manager."""

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.api.app import create_app
from baiying.api.settings import Settings
from baiying.clock import ManualClock
from baiying.storage.engine import make_engine
from baiying.storage.repositories import AgentRepository
from baiying.storage.tables import AgentRow, Role
from tests.api.conftest import FAST_PASSWORDS, PASSWORDS, SECRET, T0, seed

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

TICKET_PASSWORDS = {**PASSWORDS, "zhangwei": "zhang-wei's password", "mali": "ma-li's password"}


def seed_tickets_world(url: str) -> None:
    seed(url)
    engine = make_engine(url)
    with Session(engine) as session:
        agents = AgentRepository(session, "acme")
        agents.update("zhang-wei", attributes={"ticket_roles": ["expert"]})
        agents.add(
            AgentRow(
                id="ma-li",
                site_id="beijing",
                display_name="Ma Li",
                attributes={"ticket_roles": ["complaint-manager"]},
            )
        )
        for user_id, login, name in (("zhang-wei", "zhangwei", "Zhang Wei"), ("ma-li", "mali", "Ma Li")):
            create_user(
                session,
                "acme",
                user_id=user_id,
                login=login,
                display_name=name,
                password=TICKET_PASSWORDS[login],
                grants=[Grant(Role.AGENT, agent_id=user_id)],
                actor="seed",
                at=T0,
                passwords=FAST_PASSWORDS,
            )
        session.commit()
    engine.dispose()


@pytest.fixture
def world(db_url: str) -> str:
    seed_tickets_world(db_url)
    return db_url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def app(world: str, clock: ManualClock) -> FastAPI:
    # Tickets live for days: the sessions of the test users must outlast the clock moves.
    settings = Settings(
        database_url=world, secret_key=SECRET, live_timer=False, session_ttl_seconds=90 * 86400
    )
    return create_app(settings, clock=clock, passwords=FAST_PASSWORDS)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as opened:
        yield opened


class Users:
    """Bearer headers per login, logged in once per test."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cache: dict[str, dict[str, str]] = {}

    def __getitem__(self, login: str) -> dict[str, str]:
        if login not in self.cache:
            response = self.client.post(
                "/api/auth/login", json={"login": login, "password": TICKET_PASSWORDS[login]}
            )
            assert response.status_code == 200, response.text
            self.client.cookies.clear()
            self.cache[login] = {"Authorization": f"Bearer {response.json()['token']}"}
        return self.cache[login]


@pytest.fixture
def users(client: TestClient) -> Users:
    return Users(client)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()
