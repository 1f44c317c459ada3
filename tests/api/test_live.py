"""The live engine behind the API, on SQLite and PostgreSQL: an agent's day through HTTP (log in, an
offer, accept, complete with a wrap-up code), waiting order, a site's evacuation moving its contacts,
each role's forbidden calls (403, nothing changed), and statistics equal to the analytics of the log."""

import dataclasses
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning
from sqlalchemy.orm import Session

from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.analytics import compute_kpis
from baiying.api.app import create_app
from baiying.api.settings import Settings
from baiying.application.center import LiveCenter
from baiying.clock import ManualClock
from baiying.events import ContactRoutedOut
from baiying.ids import ContactId, QueueId, SiteId
from baiying.storage.engine import make_engine
from baiying.storage.tables import Role
from tests.api.conftest import FAST_PASSWORDS, SECRET, DatabaseState, error_of
from tests.application.helpers import A1, A2, GZ1, T0, TENANT, load_national

DAY_START = T0 - 10 * 3600  # 00:00 in Beijing
# login, grants
USERS = {
    "boss": [Grant(Role.ADMIN)],
    "sup-gz": [Grant(Role.SUPERVISOR, site_id="guangzhou")],
    "agent-bj": [Grant(Role.AGENT, agent_id=A1)],
    "agent-gz": [Grant(Role.AGENT, agent_id=GZ1)],
}


def password(login: str) -> str:
    return f"{login}'s password"


@pytest.fixture
def live_world(db_url: str) -> str:
    return seed_live_world(db_url)


def seed_live_world(db_url: str) -> str:
    """The national scenario and one user per entry of USERS, each with `password(login)`."""
    load_national(db_url)
    engine = make_engine(db_url)
    with Session(engine) as session:
        for login, grants in USERS.items():
            create_user(
                session,
                TENANT,
                user_id=login,
                login=login,
                display_name=login,
                password=password(login),
                grants=grants,
                actor="seed",
                at=T0,
                passwords=FAST_PASSWORDS,
            )
        session.commit()
    engine.dispose()
    return db_url


@pytest.fixture
def live_clock() -> ManualClock:
    return ManualClock(T0)


def open_app(url: str, clock: ManualClock, **settings: Any) -> FastAPI:
    options: dict[str, Any] = {"live_timer": False, **settings}
    return create_app(
        Settings(database_url=url, secret_key=SECRET, **options), clock=clock, passwords=FAST_PASSWORDS
    )


@pytest.fixture
def live(live_world: str, live_clock: ManualClock) -> Iterator[TestClient]:
    with TestClient(open_app(live_world, live_clock)) as client:
        yield client


@pytest.fixture
def live_state(live_world: str) -> Iterator[DatabaseState]:
    state = DatabaseState(live_world)
    yield state
    state.engine.dispose()


def center_of(client: TestClient) -> LiveCenter:
    app: Any = client.app
    center: LiveCenter = app.state.baiying.center
    return center


def login(client: TestClient, user: str) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"login": user, "password": password(user)})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def arrive(client: TestClient, admin: dict[str, str], contact_id: str, **fields: Any) -> dict[str, Any]:
    body = {"id": contact_id, "queue": "billing", "site": "beijing", "language": "cmn", **fields}
    created: dict[str, Any] = ok(client.post("/api/contacts", json=body, headers=admin), 201)
    return created


def test_an_agent_takes_a_contact_through_the_api(live: TestClient, live_clock: ManualClock) -> None:
    admin, agent = login(live, "boss"), login(live, "agent-bj")
    ok(live.post(f"/api/agents/{A1}/login", headers=agent))
    session = ok(live.get(f"/api/agents/{A1}/session", headers=agent))
    assert (session["state"], session["site"]) == ("ready", "beijing")

    live_clock.advance(2)
    created = arrive(live, admin, "c1", customer="cust-9", attributes={"account": "A-77"})
    assert (created["phase"], created["agent"], created["site"]) == ("offered", A1, "beijing")
    assert any(d["type"] == "OfferToAgent" and d["agent"] == A1 for d in created["decisions"])

    seen = ok(live.get("/api/contacts/c1", headers=agent))
    assert (seen["phase"], seen["agent"], seen["routed"]) == ("offered", A1, True)
    live_clock.advance(3)
    accepted = ok(live.post("/api/contacts/c1/accept", headers=agent))
    assert "ContactAnswered" in accepted["events"]
    assert ok(live.get("/api/contacts/c1", headers=agent))["phase"] == "connected"

    live_clock.advance(60)
    body = {"wrap_up_code": "resolved", "notes": "refund issued\nthanks"}
    done = ok(live.post("/api/contacts/c1/complete", json=body, headers=agent))
    assert "ContactCompleted" in done["events"]
    after = ok(live.get("/api/contacts/c1", headers=agent))
    assert (after["phase"], after["agent"]) == ("completed", A1)
    assert ok(live.get(f"/api/agents/{A1}/session", headers=agent))["state"] == "wrap-up"
    ok(live.post(f"/api/agents/{A1}/wrap-up/end", headers=agent))
    ok(live.put(f"/api/agents/{A1}/state", json={"state": "aux", "reason": "lunch"}, headers=agent))
    session = ok(live.get(f"/api/agents/{A1}/session", headers=agent))
    assert (session["state"], session["reason"]) == ("aux", "lunch")
    ok(live.post(f"/api/agents/{A1}/logout", headers=agent))
    assert live.get(f"/api/agents/{A1}/session", headers=agent).json() is None

    # Refusals the engine makes, with their codes.
    assert error_of(live.post("/api/contacts/c1/accept", headers=admin))[:2] == (409, "invalid-transition")
    assert error_of(live.post("/api/contacts", json={"queue": "nope"}, headers=admin))[:2] == (
        404,
        "unknown-queue",
    )
    assert error_of(live.get("/api/contacts/nope", headers=admin))[:2] == (404, "unknown-contact")
    assert error_of(arrive_raw(live, admin, {"id": "c1", "queue": "billing"}))[:2] == (409, "conflict")


def arrive_raw(client: TestClient, headers: dict[str, str], body: Any) -> Any:
    return client.post("/api/contacts", json=body, headers=headers)


def test_waiting_order_transfer_cancel_and_callback(live: TestClient, live_clock: ManualClock) -> None:
    admin = login(live, "boss")
    for n, priority in ((1, 0), (2, 5), (3, 0)):
        live_clock.advance(1)
        assert arrive(live, admin, f"w{n}", priority=priority)["phase"] == "waiting"
    waiting = ok(live.get("/api/queues/billing/waiting", headers=admin))
    assert [c["id"] for c in waiting] == ["w2", "w1", "w3"]
    assert error_of(live.get("/api/queues/nope/waiting", headers=admin))[:2] == (404, "unknown-queue")

    ok(live.post("/api/contacts/w1/cancel", headers=admin))
    assert ok(live.get("/api/contacts/w1", headers=admin))["phase"] == "abandoned"
    ok(live.post("/api/contacts/w3/callback", headers=admin))
    assert ok(live.get("/api/contacts/w3", headers=admin))["callback"] is True
    ok(live.post("/api/contacts/w2/transfer", json={"queue": "tech"}, headers=admin))
    assert ok(live.get("/api/contacts/w2", headers=admin))["queue"] == "tech"
    assert [c["id"] for c in ok(live.get("/api/queues/billing/waiting", headers=admin))] == ["w3"]


def test_evacuating_a_site_moves_its_waiting_contacts(live: TestClient, live_clock: ManualClock) -> None:
    admin, supervisor = login(live, "boss"), login(live, "sup-gz")
    for n in (1, 2):
        live_clock.advance(1)
        created = arrive(live, admin, f"g{n}", site="guangzhou", language="yue")
        assert (created["phase"], created["site"]) == ("waiting", "guangzhou")
    # The supervisor of Guangzhou sees its contacts waiting.
    assert [c["id"] for c in ok(live.get("/api/queues/billing/waiting", headers=supervisor))] == ["g1", "g2"]

    live_clock.advance(5)
    site = ok(live.put("/api/sites/guangzhou/status", json={"status": "evacuated"}, headers=supervisor))
    assert site["status"] == "evacuated"
    for n in (1, 2):
        moved = ok(live.get(f"/api/contacts/g{n}", headers=admin))
        assert moved["phase"] == "waiting"
        assert moved["site"] is not None, moved
        assert "guangzhou" not in moved["placement"], moved
    events = [type(e).__name__ for _, e in center_of(live).read_events(TENANT, T0)]
    assert "SiteStatusChanged" in events
    [entry] = ok(live.get("/api/audit", params={"entity": "site", "entity_id": "guangzhou"}, headers=admin))
    assert (entry["action"], entry["actor"], entry["after"]["status"]) == (
        "site-status",
        "sup-gz",
        "evacuated",
    )
    # The supervisor of Guangzhou no longer sees them; nobody can log in there.
    assert ok(live.get("/api/queues/billing/waiting", headers=supervisor)) == []
    assert error_of(live.post(f"/api/agents/{GZ1}/login", headers=login(live, "agent-gz")))[0] == 409


def test_a_routed_out_contact_ends_with_its_destination_reason_event_and_count(
    live: TestClient, live_world: str, live_clock: ManualClock
) -> None:
    admin = login(live, "boss")
    ok(live.post(f"/api/agents/{A1}/login", headers=admin))
    live_clock.advance(1)
    assert arrive(live, admin, "r1")["agent"] == A1  # ringing at A1
    assert arrive(live, admin, "r2")["phase"] == "waiting"
    live_clock.advance(9)
    body = {"destination": "voicemail", "reason": "the caller chose voicemail"}
    done = ok(live.post("/api/contacts/r1/route-out", json=body, headers=admin))
    assert [d["type"] for d in done["decisions"]][:2] == ["WithdrawOffer", "RouteOut"]
    assert "ContactRoutedOut" in done["events"]
    # A1 is freed and rings with r2 at once: nothing is left dangling on the routed-out contact.
    assert ok(live.get("/api/contacts/r2", headers=admin))["agent"] == A1
    ended = ok(live.get("/api/contacts/r1", headers=admin))
    assert (ended["phase"], ended["routed"], ended["agent"]) == ("routed-out", False, None)
    assert (ended["routed_out_to"], ended["routed_out_reason"]) == ("voicemail", "the caller chose voicemail")
    # A connected contact is transferred or completed, never routed out; an ended one is gone from routing.
    ok(live.post("/api/contacts/r2/accept", headers=admin))
    refused = live.post("/api/contacts/r2/route-out", json={"destination": "ticket"}, headers=admin)
    assert error_of(refused)[:2] == (409, "invalid-transition")
    again = live.post("/api/contacts/r1/route-out", json={"destination": "ticket"}, headers=admin)
    assert error_of(again)[:2] == (404, "unknown-contact")

    events = [e for _, e in center_of(live).read_events(TENANT, DAY_START)]
    [routed_out] = [e for e in events if isinstance(e, ContactRoutedOut)]
    assert (routed_out.contact_id, routed_out.destination, routed_out.reason, routed_out.wait_seconds) == (
        "r1",
        "voicemail",
        "the caller chose voicemail",
        9.0,
    )
    total = compute_kpis(events, interval_seconds=900, sl_seconds=20.0, timezone="Asia/Shanghai").total
    assert (total.offered, total.answered, total.abandoned, total.routed_out) == (2, 1, 0, 1)
    # A restarted center rebuilds the router from the journal: r1 is not waiting or ringing anywhere.
    restarted = LiveCenter(live_world, ManualClock(live_clock.now()))
    try:
        assert restarted.inspect(TENANT, lambda router: ContactId("r1") in router.contacts) is False
        assert restarted.contact(TENANT, ContactId("r1")).routed_out_to == "voicemail"
        assert [c.contact_id for c in restarted.waiting(TENANT)] == []
    finally:
        restarted.close()


def tickets_of(client: TestClient, headers: dict[str, str], contact_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(
        client.get("/api/tickets", params={"contact_id": contact_id}, headers=headers)
    )
    return found


def test_a_contact_routed_out_to_a_ticket_gets_one_even_across_a_restart(
    live_world: str, live_clock: ManualClock
) -> None:
    with TestClient(open_app(live_world, live_clock)) as client:
        admin = login(client, "boss")
        arrive(client, admin, "k1", customer="cust-9")
        live_clock.advance(40)
        body = {"destination": "ticket", "reason": "nobody free for 40 s"}
        ok(client.post("/api/contacts/k1/route-out", json=body, headers=admin))
        deadline = time.monotonic() + 5
        while not (found := tickets_of(client, admin, "k1")):  # opened on the bus subscriber's thread
            assert time.monotonic() < deadline, "no ticket was opened for the routed-out contact"
            time.sleep(0.02)
        [ticket] = found
        assert (ticket["type"], ticket["customer_id"], ticket["site_id"]) == (
            "consultation",
            "cust-9",
            "beijing",
        )
        assert ticket["description"] == "Routed out of queue billing to a ticket: nobody free for 40 s."
        arrive(client, admin, "k2")
        ok(client.post("/api/contacts/k2/route-out", json={"destination": "voicemail"}, headers=admin))
    # Routed out while no server ran the subscriber (a crash after the commit): the next start opens it.
    center = LiveCenter(live_world, live_clock)
    try:
        center.arrive(TENANT, QueueId("billing"), contact_id=ContactId("k3"), site_id=SiteId("beijing"))
        center.route_out(TENANT, ContactId("k3"), "ticket", "nobody free")
    finally:
        center.close()
    with TestClient(open_app(live_world, live_clock)) as client:
        admin = login(client, "boss")
        assert [t["contact_id"] for t in tickets_of(client, admin, "k3")] == ["k3"]
        assert len(tickets_of(client, admin, "k1")) == 1  # not opened twice
        assert tickets_of(client, admin, "k2") == []  # voicemail: no ticket


class Call(NamedTuple):
    method: str
    path: str
    body: dict[str, Any] | None
    forbidden: frozenset[str]  # the logins that get 403


def forbidden(*logins: str) -> frozenset[str]:
    return frozenset(logins)


SUP, BJ_AGENT, GZ_AGENT = "sup-gz", "agent-bj", "agent-gz"
ALL_BUT_ADMIN = forbidden(SUP, BJ_AGENT, GZ_AGENT)
# Contact "x" is offered to A1 (Beijing); contact "y" waits. Each call is made by every role in turn.
LIVE_CALLS = [
    Call("POST", "/api/contacts", {"queue": "billing", "site": "guangzhou"}, ALL_BUT_ADMIN),
    Call("GET", "/api/contacts/x", None, forbidden(SUP, GZ_AGENT)),
    Call("GET", "/api/contacts?site=beijing", None, forbidden(SUP)),  # unfiltered: each sees their own
    Call("GET", f"/api/contacts?agent={A1}", None, forbidden(GZ_AGENT)),
    Call("POST", "/api/contacts/y/cancel", None, ALL_BUT_ADMIN),
    Call("POST", "/api/contacts/y/transfer", {"queue": "tech"}, ALL_BUT_ADMIN),
    Call("POST", "/api/contacts/y/callback", None, ALL_BUT_ADMIN),
    Call("POST", "/api/contacts/y/route-out", {"destination": "voicemail"}, ALL_BUT_ADMIN),
    Call("POST", "/api/contacts/x/accept", None, forbidden(SUP, GZ_AGENT)),
    Call("POST", "/api/contacts/x/reject", None, forbidden(SUP, GZ_AGENT)),
    Call("POST", "/api/contacts/x/complete", {"wrap_up_code": "resolved"}, forbidden(SUP, GZ_AGENT)),
    Call("GET", "/api/queues/billing/waiting", None, forbidden(BJ_AGENT, GZ_AGENT)),
    Call("GET", f"/api/agents/{A1}/session", None, forbidden(SUP, GZ_AGENT)),
    Call("POST", f"/api/agents/{A1}/login", None, forbidden(SUP, GZ_AGENT)),
    Call("POST", f"/api/agents/{A1}/logout", None, forbidden(SUP, GZ_AGENT)),
    Call("PUT", f"/api/agents/{A1}/state", {"state": "aux", "reason": "break"}, forbidden(SUP, GZ_AGENT)),
    Call("POST", f"/api/agents/{A1}/wrap-up/end", None, forbidden(SUP, GZ_AGENT)),
    Call("PUT", f"/api/agents/{A1}/forced-state", {"state": "offline"}, ALL_BUT_ADMIN),
    Call("GET", "/api/stats", None, forbidden(BJ_AGENT, GZ_AGENT)),
    Call("PUT", "/api/sites/beijing/status", {"status": "evacuated"}, ALL_BUT_ADMIN),
]
LIVE_ROUTES = {
    ("POST", "/api/contacts"),
    ("GET", "/api/contacts"),
    *((m, f"/api/contacts/{{contact_id}}{s}") for m, s in [("GET", "")]),
    *(
        ("POST", f"/api/contacts/{{contact_id}}/{verb}")
        for verb in ("cancel", "transfer", "callback", "route-out", "accept", "reject", "complete")
    ),
    ("GET", "/api/queues/{queue_id}/waiting"),
    ("GET", "/api/agents/{agent_id}/session"),
    ("POST", "/api/agents/{agent_id}/login"),
    ("POST", "/api/agents/{agent_id}/logout"),
    ("PUT", "/api/agents/{agent_id}/state"),
    ("POST", "/api/agents/{agent_id}/wrap-up/end"),
    ("PUT", "/api/agents/{agent_id}/forced-state"),
    ("GET", "/api/stats"),
}


@pytest.mark.parametrize("user", [SUP, BJ_AGENT, GZ_AGENT])
def test_forbidden_calls_get_403_and_change_nothing(
    live: TestClient, live_state: DatabaseState, live_clock: ManualClock, user: str
) -> None:
    admin = login(live, "boss")
    ok(live.post(f"/api/agents/{A1}/login", headers=admin))
    live_clock.advance(1)
    assert arrive(live, admin, "x")["agent"] == A1
    assert arrive(live, admin, "y")["phase"] == "waiting"
    headers = login(live, user)
    before = live_state()
    for call in LIVE_CALLS:
        if user not in call.forbidden:
            continue
        response = live.request(call.method, call.path, json=call.body, headers=headers)
        assert error_of(response)[:2] == (403, "forbidden"), f"{call.method} {call.path}"
        assert live_state() == before, f"{call.method} {call.path}: a forbidden call changed the database"


def test_every_live_route_is_in_the_matrix(live: TestClient) -> None:
    paths = live.get("/openapi.json").json()["paths"]
    found = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert found >= LIVE_ROUTES


def test_the_stats_equal_the_analytics_of_the_stored_log(live: TestClient, live_clock: ManualClock) -> None:
    admin, supervisor = login(live, "boss"), login(live, "sup-gz")
    for agent in (A1, A2):
        ok(live.post(f"/api/agents/{agent}/login", headers=admin))
    for n in range(1, 5):
        live_clock.advance(3)
        arrive(live, admin, f"s{n}")
    live_clock.advance(4)
    ok(live.post("/api/contacts/s1/accept", headers=admin))
    live_clock.advance(30)  # s2's offer to A2 is missed meanwhile
    center_of(live).advance()
    ok(live.post("/api/contacts/s1/complete", json={"wrap_up_code": "resolved"}, headers=admin))
    ok(live.post("/api/contacts/s4/cancel", headers=admin))
    arrive(live, admin, "s5", site="guangzhou", language="yue")
    live_clock.advance(10)

    stats = ok(live.get("/api/stats", headers=admin))
    events = [e for _, e in center_of(live).read_events(TENANT, DAY_START)]
    report = compute_kpis(events, interval_seconds=900, sl_seconds=20.0, timezone="Asia/Shanghai")
    assert stats["total"]["today"] == dataclasses.asdict(report.total)
    assert stats["total"]["today"]["offered"] == 5
    [billing] = [row for row in report.queues if row.queue_id == "billing"]
    queue_report = compute_kpis(
        events,
        interval_seconds=900,
        sl_seconds=center_of(live).inspect(
            TENANT, lambda r: r.config.queues["billing"].service_level.seconds
        ),
        timezone="Asia/Shanghai",
    )
    [queue_row] = [row for row in queue_report.queues if row.queue_id == "billing"]
    assert stats["queues"]["billing"]["today"] == dataclasses.asdict(queue_row.kpis)
    assert billing.kpis.offered == 5
    for row in report.sites:
        assert stats["sites"][row.site_id]["today"] == dataclasses.asdict(row.kpis)
    waiting_now = len(center_of(live).waiting(TENANT))
    assert stats["total"]["waiting"] == waiting_now
    assert sum(stats["total"]["agents"].values()) == 2

    scoped = ok(live.get("/api/stats", headers=supervisor))
    assert scoped["total"] is None
    assert scoped["queues"] == {}
    assert set(scoped["sites"]) == {"guangzhou"}
    assert scoped["sites"]["guangzhou"] == stats["sites"]["guangzhou"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_malformed_bodies_are_4xx_never_500(live: TestClient) -> None:
    admin = login(live, "boss")
    ok(live.post(f"/api/agents/{A1}/login", headers=admin))
    bad = [
        ("POST", "/api/contacts", {"queue": "billing", "priority": "high"}),
        ("POST", "/api/contacts", {"queue": "billing", "channel": "pigeon"}),
        ("POST", "/api/contacts", {"queue": "billing", "attributes": {"k": "a\x00b"}}),
        ("POST", "/api/contacts", {"queue": "billing", "priority": 10**30}),
        ("POST", "/api/contacts", {"queue": "billing", "unknown": 1}),
        ("POST", "/api/contacts", ["not", "an", "object"]),
        ("POST", "/api/contacts/x/transfer", {"queue": "tech", "agent": A1}),
        ("POST", "/api/contacts/x/route-out", {"destination": "the moon"}),
        ("POST", "/api/contacts/x/route-out", {"destination": "voicemail", "reason": "a\nb"}),
        ("PUT", f"/api/agents/{A1}/state", {"state": "aux"}),
        ("PUT", f"/api/agents/{A1}/state", {"state": "sleeping"}),
        ("PUT", f"/api/agents/{A1}/forced-state", {"state": "ready", "reason": "x"}),
        ("POST", f"/api/agents/{A1}/login", {"ready": "maybe"}),
        ("PUT", "/api/sites/beijing/status", {"status": "closed"}),
    ]
    for method, path, body in bad:
        status, code, _ = error_of(live.request(method, path, json=body, headers=admin))
        assert (status, code) == (422, "invalid-request"), (method, path, body)
    broken = live.post(
        "/api/contacts", content=b'{"queue": ', headers={**admin, "content-type": "application/json"}
    )
    assert error_of(broken)[:2] == (400, "malformed-json")
    arrive(live, admin, "z")
    unknown_code = live.post("/api/contacts/z/complete", json={"wrap_up_code": "nope"}, headers=admin)
    assert error_of(unknown_code)[:2] == (422, "unknown-wrap-up-code")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_timer_loop_fires_deadlines_and_stops_with_the_app(
    live_world: str, live_clock: ManualClock
) -> None:
    app = open_app(live_world, live_clock, live_timer=True, live_timer_max_sleep_seconds=0.02)
    with TestClient(app) as client:
        admin = login(client, "boss")
        ok(client.post(f"/api/agents/{A1}/login", headers=admin))
        assert arrive(client, admin, "t1")["agent"] == A1
        due = center_of(client).next_due()
        assert due is not None
        live_clock.set(due + 1)  # the offer's deadline passes: the loop must fire it
        deadline = time.monotonic() + 5
        while ok(client.get("/api/contacts/t1", headers=admin))["phase"] == "offered":
            assert time.monotonic() < deadline, "the timer loop did not fire the offer's deadline"
            time.sleep(0.02)
    assert app.state.baiying.center is None  # shut down
