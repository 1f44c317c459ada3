"""`GET /api/contacts` on SQLite and PostgreSQL: every filter, keyed pages newest first, what each role
sees (and the 403 of a filter outside it), and a precise 422 for every bad filter."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning

from baiying.clock import ManualClock
from tests.api.conftest import DatabaseState, error_of
from tests.api.test_live import arrive, login, ok, open_app, seed_live_world
from tests.application.helpers import A1, A2, GZ1, T0


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


@pytest.fixture
def live_state(live_world: str) -> Iterator[DatabaseState]:
    state = DatabaseState(live_world)
    yield state
    state.engine.dispose()


# Contacts made by `day`, oldest first: (id, queue, site, channel); c1 is offered to A1, accepted and
# completed; c2 waits (A1 is busy) and is cancelled (abandoned); the others wait.
DAY = [
    ("c1", "billing", "beijing", "voice"),
    ("c2", "billing", "beijing", "voice"),
    ("c3", "tech", "beijing", "voice"),
    ("c4", "billing", "guangzhou", "voice"),
    ("c5", "billing", "guangzhou", "chat"),
    ("c6", "tech", "guangzhou", "voice"),
]


def day(client: TestClient, clock: ManualClock) -> dict[str, str]:
    admin = login(client, "boss")
    ok(client.post(f"/api/agents/{A1}/login", headers=admin))
    for contact_id, queue, site, channel in DAY:
        clock.advance(10)
        language = "yue" if site == "guangzhou" else "cmn"
        arrive(client, admin, contact_id, queue=queue, site=site, channel=channel, language=language)
        if contact_id == "c1":
            ok(client.post("/api/contacts/c1/accept", headers=admin))
        if contact_id == "c2":
            ok(client.post("/api/contacts/c2/cancel", headers=admin))
    clock.advance(10)
    ok(client.post("/api/contacts/c1/complete", json={"wrap_up_code": "resolved"}, headers=admin))
    return admin


def ids(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    page = ok(client.get("/api/contacts", params=params, headers=headers))
    assert page["next_cursor"] is None, page
    return [item["id"] for item in page["items"]]


def at(offset: float) -> str:
    return datetime.fromtimestamp(T0 + offset, UTC).isoformat()


def test_every_filter_newest_first(live: TestClient, live_clock: ManualClock) -> None:
    admin = day(live, live_clock)
    assert ids(live, admin) == ["c6", "c5", "c4", "c3", "c2", "c1"]
    assert ids(live, admin, queue="tech") == ["c6", "c3"]
    assert ids(live, admin, site="guangzhou") == ["c6", "c5", "c4"]
    assert ids(live, admin, state="waiting") == ["c6", "c5", "c4", "c3"]
    assert ids(live, admin, state="completed") == ["c1"]
    assert ids(live, admin, state="abandoned") == ["c2"]
    assert ids(live, admin, state="connected") == []
    assert ids(live, admin, channel="chat") == ["c5"]
    assert ids(live, admin, agent=A1) == ["c1"]
    assert ids(live, admin, queue="billing", site="guangzhou", channel="voice") == ["c4"]
    # c1 arrived at T0+10, ... c6 at T0+60: from inclusive, to exclusive; ISO 8601 or epoch seconds.
    assert ids(live, admin, created_from=at(20), created_to=at(40)) == ["c3", "c2"]
    assert ids(live, admin, created_from=str(T0 + 50)) == ["c6", "c5"]
    assert ids(live, admin, created_to="2026-11-23T02:00:20Z") == ["c1"]  # 10:00:20 in Beijing

    [item] = ok(live.get("/api/contacts", params={"state": "completed"}, headers=admin))["items"]
    assert (item["agent"], item["routed"], item["channel"], item["site"]) == (A1, False, "voice", "beijing")
    waiting = ok(live.get("/api/contacts", params={"channel": "chat"}, headers=admin))["items"][0]
    assert (waiting["phase"], waiting["routed"], waiting["queue"]) == ("waiting", True, "billing")
    ok(live.post("/api/contacts/c5/callback", headers=admin))
    waiting = ok(live.get("/api/contacts", params={"channel": "chat"}, headers=admin))["items"][0]
    assert waiting["callback"] is True  # as the router has it


def test_pages_follow_each_other_without_repeats(live: TestClient, live_clock: ManualClock) -> None:
    admin = login(live, "boss")
    for n in range(7):
        if n != 3:  # c3 and c4 arrive at the same time: the id breaks the tie
            live_clock.advance(1)
        arrive(live, admin, f"p{n}", site="guangzhou", language="yue")
    seen, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = ok(live.get("/api/contacts", params=params, headers=admin))
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        live_clock.advance(1)
        arrive(live, admin, f"new{pages}", site="guangzhou", language="yue")  # newer: not in later pages
    assert seen == ["p6", "p5", "p4", "p3", "p2", "p1", "p0"]
    assert pages == 3
    assert len(ok(live.get("/api/contacts", params={"limit": 7}, headers=admin))["items"]) == 7
    exact = ok(live.get("/api/contacts", params={"limit": 9, "site": "guangzhou"}, headers=admin))
    assert exact["next_cursor"] is None  # nine contacts, one page of nine: no empty page after it


def test_each_role_sees_only_its_contacts(live: TestClient, live_clock: ManualClock) -> None:
    day(live, live_clock)
    supervisor, agent_bj, agent_gz = login(live, "sup-gz"), login(live, "agent-bj"), login(live, "agent-gz")
    assert ids(live, supervisor) == ["c6", "c5", "c4"]
    assert ids(live, supervisor, queue="billing") == ["c5", "c4"]
    assert ids(live, supervisor, site="guangzhou", state="waiting") == ["c6", "c5", "c4"]
    assert ids(live, agent_bj) == ["c1"]
    assert ids(live, agent_bj, agent=A1, state="completed") == ["c1"]
    assert ids(live, agent_bj, site="beijing") == ["c1"]  # theirs, at Beijing
    assert ids(live, agent_bj, site="guangzhou") == []
    assert ids(live, agent_gz) == []
    # An offer shows in the agent's list while it rings.
    ok(live.post(f"/api/agents/{GZ1}/login", headers=agent_gz))
    [offered] = ok(live.get("/api/contacts", headers=agent_gz))["items"]
    assert (offered["id"], offered["phase"], offered["agent"]) == ("c4", "offered", GZ1)

    assert error_of(live.get("/api/contacts", params={"site": "beijing"}, headers=supervisor))[:3] == (
        403,
        "forbidden",
        "user 'sup-gz' may not read contacts at site 'beijing'",
    )
    assert error_of(live.get("/api/contacts", params={"agent": A2}, headers=agent_bj))[:3] == (
        403,
        "forbidden",
        f"user 'agent-bj' may not read the contacts of agent '{A2}'",
    )
    assert error_of(live.get("/api/contacts"))[:2] == (401, "unauthenticated")


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"state": "sleeping"}, "query.state", "Input should be 'waiting', 'offered', 'connected'"),
        ({"channel": "pigeon"}, "query.channel", "Input should be"),
        ({"limit": 0}, "query.limit", "greater than or equal to 1"),
        ({"limit": 501}, "query.limit", "less than or equal to 500"),
        ({"limit": "ten"}, "query.limit", "valid integer"),
        ({"created_from": "2026-11-23T10:00:00"}, "query.created_from", "timezone info"),
        ({"created_from": "yesterday"}, "query.created_from", "valid datetime"),
        (
            {"created_from": "2026-11-23T10:00:00Z", "created_to": "2026-11-23T09:00:00Z"},
            "query.created_to",
            "must not be before created_from",
        ),
        ({"cursor": "not-a-cursor"}, "query.cursor", "not a cursor this server gave"),
        ({"cursor": "WzEsMl0"}, "query.cursor", "not a cursor this server gave"),  # [1,2]: no id
        ({"queue": "nope"}, "query.queue", "no queue 'nope'"),
        ({"site": "atlantis"}, "query.site", "no site 'atlantis'"),
        ({"agent": "nobody"}, "query.agent", "no agent 'nobody'"),
        ({"sate": "waiting"}, "query.sate", "unknown parameter; the filters are agent, channel"),
    ],
)
def test_bad_filters_are_422_naming_the_parameter(
    live: TestClient, live_state: DatabaseState, params: dict[str, Any], field: str, reason: str
) -> None:
    admin = login(live, "boss")
    before = live_state()
    response = live.get("/api/contacts", params=params, headers=admin)
    status, code, message = error_of(response)
    assert (status, code) == (422, "invalid-request"), response.text
    [problem] = response.json()["error"]["details"]["problems"]
    assert problem["field"] == field
    assert reason in problem["reason"], problem
    assert message.startswith(f"{field}: ")
    assert live_state() == before
