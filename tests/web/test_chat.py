"""The customer web chat through the real app (SQLite and PostgreSQL): a visitor with no account starts
a chat, the routing engine offers it to an agent like any contact, agent and visitor exchange messages,
the messages survive a restart, and completing the contact closes the chat and keeps its transcript on
the contact and in the customer's timeline. Bad input gets a precise 4xx; the visitor's pace is limited."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.api.routes import chat as chat_routes
from baiying.chat.model import STARTS_PER_ADDRESS
from baiying.clock import ManualClock
from baiying.storage.chat_tables import ChatMessageRow
from baiying.storage.engine import make_engine
from baiying.storage.tables import ContactRow
from tests.api.conftest import TestClient
from tests.api.test_live import login, ok, open_app, seed_live_world
from tests.application.helpers import A1, T0, TENANT

BASE = f"/api/chat/visitor/{TENANT}/conversations"
# Every chat endpoint (tests/api/test_admin.py checks the API has no endpoint outside a matrix).
VISITOR_ROUTES = {
    ("POST", "/api/chat/visitor/{tenant}/conversations"),
    ("GET", "/api/chat/visitor/{tenant}/conversations/{conversation_id}"),
    ("POST", "/api/chat/visitor/{tenant}/conversations/{conversation_id}/messages"),
    ("POST", "/api/chat/visitor/{tenant}/conversations/{conversation_id}/leave"),
}
AGENT_ROUTES = {
    ("GET", "/api/chat/contacts/{contact_id}/messages"),
    ("POST", "/api/chat/contacts/{contact_id}/messages"),
}
CHAT_ROUTES = VISITOR_ROUTES | AGENT_ROUTES
WANG = {
    "id": "wang-fang",
    "display_name": "王芳",
    "site": "beijing",
    "contact_points": [{"kind": "phone", "value": "13900139000"}],
}


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    chat_routes.LIMITS.__init__()  # type: ignore[misc]
    yield
    chat_routes.LIMITS.__init__()  # type: ignore[misc]


@pytest.fixture
def world(db_url: str) -> str:
    return seed_live_world(db_url)


@contextmanager
def stored(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def stored_attributes(url: str, contact_id: str) -> dict[str, Any]:
    with stored(url) as session:
        row = session.get(ContactRow, (TENANT, contact_id))
        return dict(row.attributes) if row is not None else {}


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        time.sleep(0.05)
    return check()


def error_of(response: Any) -> tuple[int, str, dict[str, Any]]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["details"]


def start(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"queue": "billing", "name": "Li Lei", "message": "Hello, my bill is wrong", **fields}
    started: dict[str, Any] = ok(client.post(BASE, json=body), 201)
    return started


def visitor(started: dict[str, Any]) -> dict[str, str]:
    return {"X-Chat-Token": started["token"]}


def test_a_visitor_and_an_agent_chat_until_the_agent_completes_the_contact(world: str) -> None:
    clock = ManualClock(T0)
    with TestClient(open_app(world, clock)) as client:
        boss, agent = login(client, "boss"), login(client, "agent-bj")
        ok(client.post("/api/customers", json=WANG, headers=boss), 201)
        ok(client.patch(f"/api/agents/{A1}", json={"capacity": {"voice": 1, "chat": 2}}, headers=boss))
        ok(client.post(f"/api/agents/{A1}/login", headers=agent))
        started = start(client, name="<b>Li</b>", phone="+86 139 0013 9000", language="zh")
        chat_id = started["id"]
        assert started["status"] == "waiting"
        assert [m["text"] for m in started["messages"]] == ["Hello, my bill is wrong"]
        assert started["visitor"] == "<b>Li</b>"  # stored as given; pages show it as text
        contact = ok(client.get(f"/api/contacts/{chat_id}", headers=boss))
        assert (contact["phase"], contact["agent"]) == ("offered", A1), contact
        with stored(world) as session:
            row = session.get(ContactRow, (TENANT, chat_id))
            assert row is not None
            assert (row.channel, row.customer_id) == ("chat", "wang-fang")  # linked by the phone
            assert row.attributes["phone"] == "+8613900139000"
            assert row.attributes["chat_id"] == f"web:{chat_id}"
            assert (row.attributes["page_language"], row.language) == ("zh", None)  # routing's is its own
        ok(client.post(f"/api/contacts/{chat_id}/accept", headers=agent))

        seen = ok(client.get(f"/api/chat/contacts/{chat_id}/messages", headers=agent))
        assert seen["status"] == "connected"
        first = seen["messages"][-1]["id"]
        clock.advance(5)
        reply = ok(
            client.post(
                f"/api/chat/contacts/{chat_id}/messages", json={"text": "Let me check."}, headers=agent
            ),
            201,
        )
        assert (reply["sender"], reply["author"]) == ("agent", "agent-bj")
        polled = ok(client.get(f"{BASE}/{chat_id}", params={"after": first}, headers=visitor(started)))
        assert (polled["status"], polled["agent"]) == ("connected", "Beijing billing early 001") or polled[
            "agent"
        ]
        assert [m["text"] for m in polled["messages"]] == ["Let me check."]
        ok(
            client.post(
                f"{BASE}/{chat_id}/messages",
                json={"text": "Thanks <script>x</script>"},
                headers=visitor(started),
            ),
            201,
        )

    # The server restarts: every message is still there, and the chat goes on.
    with TestClient(open_app(world, clock)) as client:
        agent = login(client, "agent-bj")
        after_restart = ok(client.get(f"{BASE}/{chat_id}", headers=visitor(started)))
        assert [m["sender"] for m in after_restart["messages"]] == ["visitor", "agent", "visitor"]
        assert after_restart["messages"][-1]["text"] == "Thanks <script>x</script>"
        assert after_restart["status"] == "connected"

        clock.advance(30)
        ok(client.post(f"/api/contacts/{chat_id}/complete", json={"wrap_up_code": "resolved"}, headers=agent))
        # Nobody reads the chat again: it is closed anyway, its transcript copied onto the contact.
        assert eventually(lambda: "transcript" in stored_attributes(world, chat_id))
        closed = ok(client.get(f"/api/chat/contacts/{chat_id}/messages", headers=agent))
        assert closed["status"] == "ended"
        status, code, _ = error_of(
            client.post(f"{BASE}/{chat_id}/messages", json={"text": "hi"}, headers=visitor(started))
        )
        assert (status, code) == (409, "chat-closed")
        status, code, _ = error_of(
            client.post(f"/api/chat/contacts/{chat_id}/messages", json={"text": "x"}, headers=agent)
        )
        assert (status, code) == (409, "chat-closed")
        assert ok(client.get(f"{BASE}/{chat_id}", headers=visitor(started)))["status"] == "ended"
        with stored(world) as session:
            row = session.get(ContactRow, (TENANT, chat_id))
            assert row is not None
            kept = row.attributes["transcript"]
            assert [(m["sender"], m["text"]) for m in kept] == [
                ("visitor", "Hello, my bill is wrong"),
                ("agent", "Let me check."),
                ("visitor", "Thanks <script>x</script>"),
            ]
            assert row.attributes["wrap_up"]["code"] == "resolved"  # the completion's own keys stay

        # The customer's timeline has the chat; its transcript is readable by who sees the customer.
        boss = login(client, "boss")
        items = ok(client.get("/api/customers/wang-fang/timeline", headers=boss))["items"]
        assert [(i["source_id"], i["channel"], i["outcome"]) for i in items] == [
            (chat_id, "chat", "completed")
        ]
        transcript = ok(client.get(f"/api/chat/contacts/{chat_id}/messages", headers=boss))
        assert len(transcript["messages"]) == 3
        status, code, _ = error_of(
            client.get(f"/api/chat/contacts/{chat_id}/messages", headers=login(client, "sup-gz"))
        )
        assert (status, code) == (403, "forbidden")


def test_an_unknown_visitor_leaves_while_waiting_and_the_contact_is_abandoned(world: str) -> None:
    with TestClient(open_app(world, ManualClock(T0))) as client:
        started = start(client, email="Someone@Example.com")
        chat_id = started["id"]
        boss = login(client, "boss")
        contact = ok(client.get(f"/api/contacts/{chat_id}", headers=boss))
        assert contact["phase"] == "waiting"  # nobody is logged in
        left = ok(client.post(f"{BASE}/{chat_id}/leave", headers=visitor(started)))
        assert left["status"] == "ended"
        assert ok(client.get(f"/api/contacts/{chat_id}", headers=boss))["phase"] == "abandoned"
        with stored(world) as session:
            row = session.get(ContactRow, (TENANT, chat_id))
            assert row is not None
            assert row.customer_id is None
            assert row.attributes["email"] == "someone@example.com"
            assert [m["text"] for m in row.attributes["transcript"]] == ["Hello, my bill is wrong"]


def test_the_visitors_input_is_checked_and_paced(world: str) -> None:
    clock = ManualClock(T0)
    with TestClient(open_app(world, clock)) as client:
        cases = [
            ({"message": "   "}, 422, "invalid-chat-message", "empty"),
            ({"message": "x" * 2001}, 422, "invalid-chat-message", "too-long"),
            ({"message": "bell\u0007"}, 422, "invalid-chat-message", "control-character"),
            ({"name": " "}, 422, "invalid-chat-message", "empty"),
            ({"email": "not an email"}, 422, "invalid-contact-point", None),
            ({"phone": "12"}, 422, "invalid-contact-point", None),
            ({"queue": "nope"}, 404, "unknown-queue", None),
            ({"colour": "red"}, 422, "invalid-request", None),
        ]
        for fields, status, code, reason in cases:
            body = {"queue": "billing", "name": "Li", "message": "hi", **fields}
            got = error_of(client.post(BASE, json=body))
            assert got[:2] == (status, code), (fields, got)
            if reason is not None:
                assert got[2]["reason"] == reason
        assert error_of(
            client.post(
                "/api/chat/visitor/nobody/conversations",
                json={"queue": "billing", "name": "Li", "message": "hi"},
            )
        )[:2] == (404, "unknown-queue")
        with stored(world) as session:
            assert session.scalars(select(ChatMessageRow)).all() == []  # nothing refused was stored

        started = start(client)
        chat_id = started["id"]
        assert error_of(client.get(f"{BASE}/{chat_id}", headers={"X-Chat-Token": "forged"}))[:2] == (
            403,
            "invalid-chat-token",
        )
        assert error_of(client.get(f"{BASE}/{chat_id}"))[:2] == (403, "invalid-chat-token")
        assert error_of(client.get(f"{BASE}/unknown", headers=visitor(started)))[:2] == (
            403,
            "invalid-chat-token",
        )
        send = f"{BASE}/{chat_id}/messages"
        for n in range(5):
            ok(client.post(send, json={"text": f"message {n}"}, headers=visitor(started)), 201)
        limited = client.post(send, json={"text": "one more"}, headers=visitor(started))
        status, code, details = error_of(limited)
        assert (status, code) == (429, "chat-rate-limited")
        assert limited.headers["Retry-After"] == str(details["retry_after_seconds"]) == "10"
        clock.advance(10)
        ok(client.post(send, json={"text": "one more"}, headers=visitor(started)), 201)
        # An agent not connected to the chat may not write to it.
        agent = login(client, "agent-bj")
        assert error_of(
            client.post(f"/api/chat/contacts/{chat_id}/messages", json={"text": "x"}, headers=agent)
        )[:2] == (403, "forbidden")

        for _ in range(STARTS_PER_ADDRESS - 1):  # one address starts at most so many chats in 10 minutes
            start(client)
        status, code, _ = error_of(
            client.post(BASE, json={"queue": "billing", "name": "Li", "message": "hi"})
        )
        assert (status, code) == (429, "chat-rate-limited")


def test_the_chat_page_needs_no_login_and_escapes_its_query(world: str) -> None:
    with TestClient(open_app(world, ManualClock(T0))) as client:
        page = client.get("/chat", params={"tenant": TENANT, "queue": "billing"})
        assert page.status_code == 200
        assert f'"tenant": "{TENANT}"' in page.text
        assert '"queue": "billing"' in page.text
        assert 'id="chat-start"' in page.text
        assert "/web/static/chat.js" in page.text
        assert "/lang/zh?next=/chat%3Ftenant%3Dnational%26queue%3Dbilling" in page.text
        hostile = client.get(
            "/chat", params={"tenant": "</script><script>alert(1)</script>", "queue": "q"}
        ).text
        assert "<script>alert(1)" not in hostile
        bare = client.get("/chat").text
        assert 'id="chat-unconfigured"' in bare
        assert 'id="chat-start"' not in bare
        chinese = client.get(
            "/chat", params={"tenant": TENANT, "queue": "billing"}, headers={"Accept-Language": "zh-CN"}
        )
        assert "在线客服" in chinese.text


def test_who_may_call_each_chat_endpoint(world: str) -> None:
    """The visitor's endpoints need the conversation's token (never a login); the agent's need a session,
    and only the agent connected to the chat may write to it; others who may not see the contact or its
    customer may not read it."""
    with TestClient(open_app(world, ManualClock(T0))) as client:
        paths = client.get("/openapi.json").json()["paths"]
        found = {(m.upper(), p) for p, ops in paths.items() if p.startswith("/api/chat/") for m in ops}
        assert found == CHAT_ROUTES
        boss = login(client, "boss")
        ok(client.patch(f"/api/agents/{A1}", json={"capacity": {"voice": 1, "chat": 1}}, headers=boss))
        ok(client.post(f"/api/agents/{A1}/login", headers=login(client, "agent-bj")))
        started = start(client)
        chat_id = started["id"]
        ok(client.post(f"/api/contacts/{chat_id}/accept", headers=login(client, "agent-bj")))
        path = f"{BASE}/{chat_id}"
        for method, url in (("GET", path), ("POST", f"{path}/messages"), ("POST", f"{path}/leave")):
            body = {"text": "hi"} if url.endswith("messages") else None
            for headers in ({}, {"X-Chat-Token": "forged"}, boss):  # not even an admin's session
                refused = client.request(method, url, json=body, headers=headers)
                assert error_of(refused)[:2] == (403, "invalid-chat-token"), (method, url, headers)
        messages = f"/api/chat/contacts/{chat_id}/messages"
        for method, body in (("GET", None), ("POST", {"text": "hi"})):
            assert error_of(client.request(method, messages, json=body))[:2] == (401, "unauthenticated")
            for user in ("agent-gz", "sup-gz"):
                refused = client.request(method, messages, json=body, headers=login(client, user))
                assert error_of(refused)[:2] == (403, "forbidden"), (method, user)
        assert ok(client.get(messages, headers=boss))["status"] == "connected"  # an admin may read it
        admin_write = client.post(messages, json={"text": "hi"}, headers=boss)
        assert error_of(admin_write)[:2] == (403, "forbidden")  # but only the connected agent writes
        ok(client.post(messages, json={"text": "hi"}, headers=login(client, "agent-bj")), 201)
        no_chat = client.get("/api/chat/contacts/nope/messages", headers=boss)
        assert error_of(no_chat)[:2] == (404, "unknown-conversation")

        # The visitor leaves while connected: the agent is told, and completes the contact.
        left = ok(client.post(f"{path}/leave", headers=visitor(started)))
        assert left["status"] == "connected"
        told = ok(client.get(messages, headers=boss))["messages"][-1]
        assert (told["sender"], told["text"]) == ("system", "visitor-left")
