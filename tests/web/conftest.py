"""Web UI tests through the real app (`TestClient`): the live world of the API tests (the national
scenario, users boss, sup-gz, agent-bj and agent-gz), on SQLite and PostgreSQL."""

from collections.abc import Iterator

import pytest

from baiying.clock import ManualClock
from tests.api.conftest import TestClient  # imported there without starlette's httpx2 warning
from tests.api.test_live import open_app, password, seed_live_world
from tests.application.helpers import T0


@pytest.fixture
def web(db_url: str) -> Iterator[TestClient]:
    with TestClient(open_app(seed_live_world(db_url), ManualClock(T0))) as client:
        yield client


def sign_in(client: TestClient, login: str) -> None:
    """Log in as the login page does: the session cookie stays in the client's jar."""
    response = client.post("/api/auth/login", json={"login": login, "password": password(login)})
    assert response.status_code == 200, response.text
