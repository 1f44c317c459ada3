"""The WebSocket streams, on SQLite and PostgreSQL: an agent's desktop gets hello, offers with the screen
pop, state changes, answered and completed, and withdrawn offers; a reconnecting desktop is restored
from hello; nobody opens another agent's stream or the wallboard without the right role (closed with
4401 / 4403 after a JSON error); the wallboard gets statistics on connect and again when a contact
arrives; a slow client's feed overflows. Every receive has a deadline, so nothing hangs."""

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning
from starlette.testclient import WebSocketTestSession

from baiying.api.websockets import Feed, StreamHub, _agents_concerned, _Tenant
from baiying.clock import ManualClock
from baiying.events import ContactAbandoned
from baiying.ids import ContactId, QueueId
from tests.api.test_live import arrive, login, ok, open_app, password, seed_live_world
from tests.application.helpers import A1, GZ1, T0

TIMEOUT = 5.0


@pytest.fixture
def stream_world(db_url: str) -> str:
    return seed_live_world(db_url)


@pytest.fixture
def live(stream_world: str) -> Iterator[TestClient]:
    with TestClient(open_app(stream_world, ManualClock(T0))) as client:
        yield client


def hub_of(client: TestClient) -> StreamHub:
    app: Any = client.app
    hub: StreamHub = app.state.streams
    return hub


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def receive(ws: WebSocketTestSession, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next message as the raw ASGI message (`websocket.send` or `websocket.close`), or fail."""

    async def next_message() -> dict[str, Any]:
        with anyio.fail_after(timeout):
            message: dict[str, Any] = await ws._send_rx.receive()
            return message

    return ws.portal.call(next_message)


def receive_json(ws: WebSocketTestSession, timeout: float = TIMEOUT) -> dict[str, Any]:
    message = receive(ws, timeout)
    assert message["type"] == "websocket.send", message
    body: dict[str, Any] = json.loads(message["text"])
    return body


def next_of(ws: WebSocketTestSession, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next message of type `kind`, skipping others, within `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {kind!r} message within {timeout} s"
        message = receive_json(ws, left)
        if message["type"] == kind:
            return message


def collect(ws: WebSocketTestSession, *kinds: str, timeout: float = TIMEOUT) -> dict[str, dict[str, Any]]:
    """The first message of each type in `kinds` (in whatever order they come), skipping others."""
    deadline = time.monotonic() + timeout
    found: dict[str, dict[str, Any]] = {}
    while set(found) != set(kinds):
        left = deadline - time.monotonic()
        assert left > 0, f"no {set(kinds) - set(found)} message within {timeout} s"
        message = receive_json(ws, left)
        if message["type"] in kinds:
            found.setdefault(message["type"], message)
    return found


def refused(client: TestClient, path: str, **options: Any) -> tuple[int, str]:
    """(close code, error code) of a refused stream: a JSON error, then the close."""
    with client.websocket_connect(path, **options) as ws:
        error = receive_json(ws)
        closed = receive(ws)
    assert error["type"] == "error"
    assert set(error["error"]) == {"code", "message", "details"}
    assert closed["type"] == "websocket.close"
    return closed["code"], error["error"]["code"]


def test_an_agent_desktop_follows_an_offer_to_completion(live: TestClient) -> None:
    admin, agent = login(live, "boss"), login(live, "agent-bj")
    with live.websocket_connect(f"/api/agents/{A1}/stream", headers=agent) as ws:
        hello = receive_json(ws)
        assert (hello["type"], hello["agent"], hello["state"], hello["contacts"]) == (
            "hello",
            A1,
            "offline",
            [],
        )

        ok(live.post(f"/api/agents/{A1}/login", headers=agent))
        assert next_of(ws, "state")["state"] == "ready"

        arrive(live, admin, "c1", customer="cust-9", intent="refund", attributes={"account": "A-77"})
        seen = collect(ws, "offer", "state")
        assert seen["state"]["state"] == "reserved"
        offer = seen["offer"]
        contact = offer["contact"]
        assert contact["id"] == "c1"
        assert (contact["queue"], contact["channel"], contact["customer_id"]) == (
            "billing",
            "voice",
            "cust-9",
        )
        assert (contact["language"], contact["intent"], contact["attributes"]) == (
            "cmn",
            "refund",
            {"account": "A-77"},
        )
        assert contact["arrived_at"] == T0
        assert offer["expires_at"] > offer["at"]

        ok(live.post("/api/contacts/c1/accept", headers=agent))
        seen = collect(ws, "answered", "state")
        assert seen["answered"]["contact_id"] == "c1"
        assert (seen["state"]["state"], seen["state"]["previous"]) == ("busy", "reserved")

        ok(live.post("/api/contacts/c1/complete", json={"wrap_up_code": "resolved"}, headers=agent))
        seen = collect(ws, "completed", "state")
        assert seen["completed"]["contact_id"] == "c1"
        assert seen["state"]["state"] == "wrap-up"
    assert hub_of(live).connections() == 0  # unsubscribed on disconnect


def test_a_reconnecting_desktop_is_restored_and_withdrawn_offers_are_told(live: TestClient) -> None:
    admin, agent = login(live, "boss"), login(live, "agent-bj")
    ok(live.post(f"/api/agents/{A1}/login", headers=agent))
    arrive(live, admin, "c1")
    # by query token, as a browser does
    with live.websocket_connect(f"/api/agents/{A1}/stream?token={token_of(agent)}") as ws:
        hello = receive_json(ws)
        assert hello["state"] == "reserved"
        assert [(c["phase"], c["contact"]["id"]) for c in hello["contacts"]] == [("reserved", "c1")]

        ok(live.post("/api/contacts/c1/reject", headers=agent))
        withdrawn = next_of(ws, "offer-withdrawn")
        assert (withdrawn["contact_id"], withdrawn["reason"]) == ("c1", "rejected")

        arrive(live, admin, "c2")
        assert next_of(ws, "offer")["contact"]["id"] == "c2"
        ok(live.post("/api/contacts/c2/cancel", headers=admin))  # the customer hung up while it rang
        withdrawn = next_of(ws, "offer-withdrawn")
        assert (withdrawn["contact_id"], withdrawn["reason"]) == ("c2", "abandoned")

        arrive(live, admin, "c3")
        assert next_of(ws, "offer")["contact"]["id"] == "c3"
        ok(live.post("/api/contacts/c3/route-out", json={"destination": "voicemail"}, headers=admin))
        withdrawn = next_of(ws, "offer-withdrawn")
        assert (withdrawn["contact_id"], withdrawn["reason"]) == ("c3", "routed-out")


def test_an_admin_watches_an_agent_by_cookie(live: TestClient) -> None:
    response = live.post("/api/auth/login", json={"login": "boss", "password": password("boss")})
    assert response.status_code == 200
    with live.websocket_connect(f"/api/agents/{A1}/stream") as ws:  # the cookie jar sends the session
        assert receive_json(ws)["type"] == "hello"
    # a page of another origin does not get to use the cookie
    code, error = refused(live, f"/api/agents/{A1}/stream", headers={"Origin": "https://evil.example"})
    assert (code, error) == (4401, "unauthenticated")


def test_nobody_opens_a_stream_they_may_not_see(live: TestClient) -> None:
    other, supervisor = login(live, "agent-gz"), login(live, "sup-gz")
    assert refused(live, f"/api/agents/{A1}/stream", headers=other) == (4403, "forbidden")
    assert refused(live, f"/api/agents/{A1}/stream", headers=supervisor) == (4403, "forbidden")
    assert refused(live, f"/api/agents/{A1}/stream") == (4401, "unauthenticated")
    assert refused(live, f"/api/agents/{A1}/stream?token=forged") == (4401, "unauthenticated")
    assert refused(live, "/api/agents/nobody/stream", headers=login(live, "boss"))[0] == 4404
    assert refused(live, "/api/wallboard/stream", headers=other) == (4403, "forbidden")
    assert refused(live, "/api/wallboard/stream") == (4401, "unauthenticated")
    with live.websocket_connect(f"/api/agents/{GZ1}/stream", headers=supervisor) as ws:
        assert receive_json(ws)["agent"] == GZ1
    assert hub_of(live).connections() == 0


def test_the_wallboard_gets_stats_on_connect_and_on_change(live: TestClient) -> None:
    admin = login(live, "boss")
    with live.websocket_connect("/api/wallboard/stream", headers=admin) as ws:
        first = receive_json(ws)
        assert first["type"] == "stats"
        assert first["total"]["waiting"] == 0
        arrive(live, admin, "c1")  # no agent is logged in: it waits
        deadline = time.monotonic() + TIMEOUT
        while True:
            stats = next_of(ws, "stats", max(0.1, deadline - time.monotonic()))
            if stats["total"]["waiting"] == 1:
                break
        assert stats["queues"]["billing"]["waiting"] == 1
    with live.websocket_connect("/api/wallboard/stream", headers=login(live, "sup-gz")) as ws:
        scoped = receive_json(ws)
        assert scoped["total"] is None
        assert scoped["queues"] == {}
        assert set(scoped["sites"]) <= {"guangzhou"}
    assert hub_of(live).connections() == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_wallboard_ticks_without_changes(live: TestClient) -> None:
    with live.websocket_connect("/api/wallboard/stream", headers=login(live, "boss")) as ws:
        assert receive_json(ws)["type"] == "stats"
        started = time.monotonic()
        assert receive_json(ws, timeout=3)["type"] == "stats"
        assert time.monotonic() - started > 0.5  # the periodic tick, not a burst


def test_a_feed_that_cannot_keep_up_overflows() -> None:
    async def scenario() -> Feed:
        feed = Feed(asyncio.get_running_loop(), limit=3)
        feed.post([{"n": 1}, {"n": 2}])
        await asyncio.sleep(0)
        assert feed.take() == [{"n": 1}, {"n": 2}]
        feed.post([{"n": 3}, {"n": 4}])
        feed.post([{"n": 5}, {"n": 6}])
        assert await feed.wait(1.0)
        return feed

    feed = asyncio.run(scenario())
    assert feed.overflowed
    assert feed.take() == []


def test_a_batch_finds_the_agents_its_contacts_ring_at_through_the_index() -> None:
    tenant = _Tenant()
    for n in range(1000):
        tenant.agents[f"a{n}"] = set()
    tenant.set_ringing("a7", {"c1", "c2"})
    tenant.ring("a9", "c2")
    abandoned = ContactAbandoned(0.0, ContactId("c2"), QueueId("q"), None, 1.0)
    assert _agents_concerned([abandoned], tenant) == {"a7", "a9"}
    tenant.unring("a9", "c2")
    tenant.set_ringing("a7", {"c1"})
    assert _agents_concerned([abandoned], tenant) == set()
    tenant.drop_ringing("a7")
    assert tenant.ringing == {"a9": set()}
    assert tenant.ringers == {}
