"""The express lane for the contact routes (`baiying.api.express`): the plain calls it answers read the
same as FastAPI's answers to the same calls, and everything else is still FastAPI's (errors and all)."""

import asyncio
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning

from baiying.clock import ManualClock
from tests.api.conftest import error_of
from tests.api.test_live import A1, live, live_clock, live_world, login, ok, password

__all__ = ["live", "live_clock", "live_world"]  # fixtures of test_live, used here

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


def served(client: TestClient) -> int:
    app: Any = client.app
    count: int = app.state.baiying.express_served
    return count


def cookie_login(client: TestClient, user: str) -> None:
    """Log in with the session cookie only: a request without a bearer token is then FastAPI's."""
    response = client.post("/api/auth/login", json={"login": user, "password": password(user)})
    assert response.status_code == 200, response.text


def one_contact(client: TestClient, clock: ManualClock, contact: str, headers: dict[str, str]) -> list[Any]:
    """Create (A1 idle for 10 s), accept and complete `contact`, then end A1's wrap-up: the three answers."""
    clock.advance(10)
    body = {"id": contact, "queue": "billing", "site": "beijing", "language": "cmn"}
    created = ok(client.post("/api/contacts", json=body, headers=headers), 201)
    clock.advance(3)
    accepted = ok(client.post(f"/api/contacts/{contact}/accept", headers=headers))
    clock.advance(60)
    completed = ok(client.post(f"/api/contacts/{contact}/complete", json={"notes": "ok"}, headers=headers))
    ok(client.post(f"/api/agents/{A1}/wrap-up/end", headers=headers))
    return [created, accepted, completed]


def without_times(answers: list[Any], contact: str) -> list[Any]:
    """The answers with the contact's id and the times taken out (the two contacts differ only there)."""
    text = json.dumps(answers).replace(contact, "CONTACT")
    return json.loads(
        text, object_hook=lambda o: {k: v for k, v in o.items() if k not in ("at", "arrived_at")}
    )


@sqlite_only
def test_the_lane_answers_as_fastapi_does(live: TestClient, live_clock: ManualClock) -> None:
    admin = login(live, "boss")
    ok(live.post(f"/api/agents/{A1}/login", headers=admin))

    before = served(live)
    lane = one_contact(live, live_clock, "c1", admin)
    assert served(live) == before + 3  # create, accept, complete: the lane's

    cookie_login(live, "boss")
    before = served(live)
    framework = one_contact(live, live_clock, "c2", {})
    assert served(live) == before  # cookie-authenticated: FastAPI's

    assert (lane[0]["phase"], lane[0]["agent"]) == ("offered", A1)
    assert ("ContactAnswered" in lane[1]["events"], "ContactCompleted" in lane[2]["events"]) == (True, True)
    assert without_times(lane, "c1") == without_times(framework, "c2")
    assert lane[2]["at"] - lane[0]["arrived_at"] == framework[2]["at"] - framework[0]["arrived_at"] == 63


@sqlite_only
def test_what_the_lane_does_not_take_gets_fastapis_answer(live: TestClient) -> None:
    admin, agent = login(live, "boss"), login(live, "agent-bj")
    ok(live.post(f"/api/agents/{A1}/login", headers=admin))
    before = served(live)

    invalid = live.post("/api/contacts", json={"queue": "billing", "priority": "high"}, headers=admin)
    assert error_of(invalid)[:2] == (422, "invalid-request")
    assert "priority" in error_of(invalid)[2]
    malformed = live.post(
        "/api/contacts", content=b'{"queue": ', headers={**admin, "content-type": "application/json"}
    )
    assert error_of(malformed)[:2] == (400, "malformed-json")
    not_an_object = live.post("/api/contacts", json=["queue"], headers=admin)
    assert error_of(not_an_object)[:2] == (422, "invalid-request")
    as_text = live.post(
        "/api/contacts", content=b"queue=billing", headers={**admin, "content-type": "text/plain"}
    )
    assert error_of(as_text)[:2] == (422, "invalid-request")
    forbidden = live.post("/api/contacts", json={"queue": "billing"}, headers=agent)
    assert error_of(forbidden)[:2] == (403, "forbidden")
    unknown_token = live.post(
        "/api/contacts", json={"queue": "billing"}, headers={"Authorization": "Bearer x"}
    )
    assert error_of(unknown_token)[0] == 401
    anonymous = live.post("/api/contacts/c9/accept")
    assert error_of(anonymous)[:2] == (401, "unauthenticated")
    too_large = live.post(
        "/api/contacts",
        content=b'{"queue": "billing", "intent": "' + b"x" * 2_000_000 + b'"}',
        headers={**admin, "content-type": "application/json"},
    )
    assert error_of(too_large)[:2] == (413, "body-too-large")
    assert served(live) == before

    # Refused in the lane by the route's own checks or the center: the app's error answer, not counted.
    assert error_of(live.post("/api/contacts/nope/accept", headers=agent))[:2] == (404, "unknown-contact")
    created = ok(live.post("/api/contacts", json={"id": "z", "queue": "billing"}, headers=admin), 201)
    assert created["agent"] == A1
    before = served(live)
    assert error_of(live.post("/api/contacts/z/complete", headers=agent))[:2] == (409, "invalid-transition")
    unknown_code = live.post("/api/contacts/z/complete", json={"wrap_up_code": "nope"}, headers=admin)
    assert error_of(unknown_code)[:2] == (422, "unknown-wrap-up-code")
    again = live.post("/api/contacts", json={"id": "z", "queue": "billing"}, headers=admin)
    assert error_of(again)[:2] == (409, "conflict")
    assert served(live) == before


@sqlite_only
def test_a_chunked_body_over_the_cap_read_by_the_lane_gets_the_json_413(live: TestClient) -> None:
    admin = login(live, "boss")
    ok(live.get("/api/me", headers=admin))  # the user is remembered from their first request on
    chunk = b"x" * (512 * 1024)
    messages = [{"type": "http.request", "body": chunk, "more_body": True} for _ in range(3)]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/contacts",
        "raw_path": b"/api/contacts",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", admin["Authorization"].encode()),
        ],  # no content-length: the body arrives in chunks, as with chunked transfer encoding
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    before = served(live)
    asyncio.run(live.app(scope, receive, send))  # type: ignore[arg-type]
    assert (sent[0]["status"], served(live)) == (413, before)
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "body-too-large"
