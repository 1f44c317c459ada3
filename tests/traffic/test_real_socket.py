"""The streams over a real socket: `baiying serve` (uvicorn) accepts the wallboard WebSocket and pushes
stats, and an agent's stream delivers an offer made through the HTTP API."""

import asyncio
import json
from pathlib import Path

import httpx
import websockets

from tests.traffic.server import ADMIN, ServerProcess, password, seed

TENANT = "sockets"
SCENARIO = """
name: sockets
seed: 1
sites: [{id: hq}]
queues: [{id: support, policy: any-agent, offer_timeout_seconds: 3600}]
policies: [{id: any-agent, steps: [{target: {skills: {support: 1}}}]}]
traffic:
  - {name: calls, queue: support, site: hq, daily_volume: 10, handle: {kind: constant, value: 60}}
agents: [{group: agent, site: hq, count: 1, skills: {support: 5}}]
"""
RECEIVE_TIMEOUT_SECONDS = 10.0


def token(client: httpx.Client, login: str) -> str:
    response = client.post("/api/auth/login", json={"login": login, "password": password(login)})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


async def next_message(socket: websockets.ClientConnection, kind: str) -> dict[str, object]:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), RECEIVE_TIMEOUT_SECONDS))
        if message["type"] == kind:
            return dict(message)


def test_a_real_server_streams_stats_and_offers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'baiying.db'}"
    seed(url, TENANT, SCENARIO, ["agent-001"])
    server = ServerProcess(url, tmp_path)
    try:
        server.start()
        with httpx.Client(base_url=server.base, timeout=10.0) as client:
            admin, agent = (token(client, login) for login in (ADMIN, "agent-001"))

        async def scenario() -> tuple[dict[str, object], dict[str, object]]:
            ws = server.base.replace("http://", "ws://")
            async with (
                websockets.connect(f"{ws}/api/wallboard/stream?token={admin}") as wallboard,
                websockets.connect(f"{ws}/api/agents/agent-001/stream?token={agent}") as desktop,
            ):
                stats = await next_message(wallboard, "stats")
                await next_message(desktop, "hello")
                async with httpx.AsyncClient(base_url=server.base, timeout=10.0) as client:
                    headers = {"Authorization": f"Bearer {agent}"}
                    assert (
                        await client.post("/api/agents/agent-001/login", headers=headers)
                    ).status_code == 200
                    headers = {"Authorization": f"Bearer {admin}"}
                    created = await client.post("/api/contacts", json={"queue": "support"}, headers=headers)
                    assert created.status_code == 201, created.text
                return stats, await next_message(desktop, "offer")

        stats, offer = asyncio.run(scenario())
        assert "tenant" in stats or "queues" in stats
        assert offer["contact"]["queue"] == "support"  # type: ignore[index]
    finally:
        server.kill()
