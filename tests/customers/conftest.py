"""Customer API tests run in the live world of `tests/api/test_live.py` (tenant "national", sites beijing
and guangzhou, users boss (admin), sup-gz (supervisor of guangzhou), agent-bj and agent-gz), on SQLite
and PostgreSQL, with a manual clock starting Monday 2026-11-23 10:00 in Beijing."""

from collections.abc import Iterator

import pytest

from baiying.clock import ManualClock
from tests.api.conftest import TestClient
from tests.api.test_live import open_app, seed_live_world
from tests.application.helpers import T0


@pytest.fixture
def live_world(db_url: str) -> str:
    return seed_live_world(db_url)


@pytest.fixture
def live_clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def live(live_world: str, live_clock: ManualClock) -> Iterator[TestClient]:
    with TestClient(open_app(live_world, live_clock)) as client:
        yield client
