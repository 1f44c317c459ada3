"""Restart safety with a real server process: `kill -9` of `baiying serve` while contacts wait and
agents are busy, then a restart on the same database, finds the same waiting contacts in the same order,
the agents in the same states, the event log intact (no event lost or duplicated), and work carries on.

Offers ring for an hour and the policy has no step timeouts, so the server's real-time timer loop has
nothing to fire while the test runs: every assertion is about state, none about wall-clock deadlines."""

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from baiying.storage.engine import make_engine
from baiying.storage.tables import EventRow
from tests.traffic.server import ADMIN, ServerProcess, log_in, seed

TENANT = "e2e"
AGENTS = ["agent-001", "agent-002"]
SCENARIO = """
name: restart test
days: 1
seed: 1
sites:
  - {id: hq}
queues:
  - {id: support, policy: any-agent, offer_timeout_seconds: 3600, wrap_up_seconds: 0}
policies:
  - id: any-agent
    steps:
      - target: {skills: {support: 1}}
traffic:
  - {name: calls, queue: support, site: hq, rates_per_hour: [60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60,
     60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60], handle: {kind: constant, value: 5}}
agents:
  - {group: agent, site: hq, count: 2, skills: {support: 5}}
"""
HTTP_TIMEOUT_SECONDS = 10.0


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def event_log(url: str) -> list[tuple[int, str, str | None, str | None, float]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(EventRow.sequence, EventRow.kind, EventRow.contact_id, EventRow.agent_id, EventRow.at)
                .where(EventRow.tenant_id == TENANT)
                .order_by(EventRow.sequence)
            )
            return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]
    finally:
        engine.dispose()


def event_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(EventRow)).scalar_one())
    finally:
        engine.dispose()


def snapshot(client: httpx.Client, admin: dict[str, str]) -> tuple[list[Any], dict[str, Any]]:
    """The queue's waiting contacts in order and each agent's session, timestamps included (they must
    survive the restart too)."""
    waiting = ok(client.get("/api/queues/support/waiting", headers=admin))
    sessions = {a: ok(client.get(f"/api/agents/{a}/session", headers=admin)) for a in AGENTS}
    return waiting, sessions


def test_kill_9_with_contacts_waiting_and_agents_busy_loses_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'baiying.db'}"
    seed(url, TENANT, SCENARIO, AGENTS)
    server = ServerProcess(url, tmp_path)
    try:
        server.start()
        with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_SECONDS) as client:
            admin = log_in(client, ADMIN)
            agents = {a: log_in(client, a) for a in AGENTS}
            for agent, headers in agents.items():
                ok(client.post(f"/api/agents/{agent}/login", headers=headers))
            offered: dict[str, str] = {}
            for n in range(1, 7):
                body = {"id": f"c{n}", "queue": "support", "site": "hq", "priority": 5 if n == 5 else 0}
                created = ok(client.post("/api/contacts", json=body, headers=admin), 201)
                if created["agent"] is not None:
                    offered[created["agent"]] = created["id"]
            assert sorted(offered.values()) == ["c1", "c2"]
            for agent, contact in offered.items():
                ok(client.post(f"/api/contacts/{contact}/accept", headers=agents[agent]))
            waiting, sessions = snapshot(client, admin)
        # c5's priority puts it first; then arrival order.
        assert [c["id"] for c in waiting] == ["c5", "c3", "c4", "c6"]
        assert {a: (s["state"], s["contacts"]) for a, s in sessions.items()} == {
            a: ("busy", {c: "active"}) for a, c in offered.items()
        }
        before = event_log(url)
        assert before, "the server logged no event"

        server.kill()
        assert event_log(url) == before  # what was answered had been committed

        server.start()  # same database; a new process and a new port
        with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_SECONDS) as client:
            admin = log_in(client, ADMIN)
            waiting_after, sessions_after = snapshot(client, admin)
            assert [c["id"] for c in waiting_after] == ["c5", "c3", "c4", "c6"]
            assert waiting_after == waiting
            assert sessions_after == sessions
            after = event_log(url)
            assert after == before  # recovering replays the log, it does not write to it
            sequences = [row[0] for row in after]
            assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
            assert event_count(url) == len(after)
            keys = [(kind, contact, agent, at) for _, kind, contact, agent, at in after]
            assert len(set(keys)) == len(keys), "a duplicated event"

            # The session carries on: agent 1 completes, the head of the queue is offered to them.
            agent, contact = AGENTS[0], offered[AGENTS[0]]
            headers = log_in(client, agent)
            ok(client.post(f"/api/contacts/{contact}/complete", json={}, headers=headers))
            assert ok(client.get(f"/api/contacts/{contact}", headers=admin))["phase"] == "completed"
            head = ok(client.get("/api/contacts/c5", headers=admin))
            assert (head["phase"], head["agent"]) == ("offered", agent)
            ok(client.post("/api/contacts/c5/accept", headers=headers))
            session = ok(client.get(f"/api/agents/{agent}/session", headers=headers))
            assert (session["state"], session["contacts"]) == ("busy", {"c5": "active"})
            remaining = ok(client.get("/api/queues/support/waiting", headers=admin))
            assert [c["id"] for c in remaining] == ["c3", "c4", "c6"]
            new = event_log(url)
            assert new[: len(after)] == after
            assert [row[0] for row in new] == list(range(sequences[0], sequences[0] + len(new)))
    finally:
        server.kill()
