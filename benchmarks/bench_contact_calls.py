"""The three HTTP calls of every routed contact (create, accept, complete), in process: the server's CPU
per contact through the express lane (`baiying.api.express`, bearer tokens) beside the same calls through
FastAPI's stack (session cookies, which the lane leaves to FastAPI), as a ratio.

The app runs in this process on a temporary SQLite database (`BENCH_CALLS_DATABASE_URL` for another),
driven through its ASGI interface with no sockets and no WebSocket, one contact at a time, so each command
commits alone: what is measured is the HTTP layer around the live center, with the center's own cost in
both columns. CPU time is the process's (every thread), which the machine's other load moves far less than
wall time; the two ways alternate, twice each, and each figure is the mean of its two runs.
"""

import asyncio
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.traffic.server import ADMIN, SECRET, password

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.api.app import create_app
from baiying.api.deps import SESSION_COOKIE
from baiying.api.settings import Settings
from baiying.simulation.scenario import load_scenario
from baiying.storage.tables import Role
from baiying.traffic.seed import seed_center

TENANT = "bench"
AGENTS = 20
CONTACTS = int(os.environ.get("BENCH_CALLS_CONTACTS", "600"))  # per run
WARM_UP = 200
SCENARIO = f"""
name: calls
seed: 1
answer_seconds: {{kind: constant, value: 1}}
sites: [{{id: hq}}]
queues: [{{id: support, policy: any-agent, wrap_up_seconds: 0}}]
policies: [{{id: any-agent, steps: [{{target: {{skills: {{support: 1}}}}}}]}}]
traffic:
  - {{name: calls, queue: support, site: hq, rates_per_hour: [{", ".join(["60"] * 24)}],
     handle: {{kind: constant, value: 60}}}}
agents: [{{group: agent, site: hq, count: {AGENTS}, skills: {{support: 5}}}}]
"""

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
Credentials = tuple[bytes, bytes]  # the header that authenticates a user: (name, value)


async def _call(app: App, method: str, path: str, who: Credentials | None, body: Any = None) -> Any:
    """One request through the ASGI app; returns (status, JSON body, the session cookie if one was set)."""
    payload = json.dumps(body).encode() if body is not None else b""
    headers = [(b"host", b"bench"), (b"content-length", str(len(payload)).encode())]
    if body is not None:
        headers.append((b"content-type", b"application/json"))
    if who is not None:
        headers.append(who)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await asyncio.Event().wait()  # the client never leaves
        raise AssertionError("unreachable")

    answer: dict[str, Any] = {"body": b"", "cookie": None}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            for name, value in message.get("headers", ()):
                if name == b"set-cookie" and value.startswith(f"{SESSION_COOKIE}=".encode()):
                    answer["cookie"] = value.split(b";", 1)[0]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], json.loads(answer["body"] or b"null"), answer["cookie"]


async def _log_in(app: App, login: str, secret: str) -> dict[str, Credentials]:
    status, body, cookie = await _call(
        app, "POST", "/api/auth/login", None, {"login": login, "password": secret}
    )
    if status != 200 or cookie is None:
        raise RuntimeError(f"{login} cannot log in: {status} {body}")
    return {"bearer": (b"authorization", f"Bearer {body['token']}".encode()), "cookie": (b"cookie", cookie)}


async def _contacts(
    app: App, way: str, admin: dict[str, Credentials], agents: dict[str, dict[str, Credentials]], ids: range
) -> None:
    for n in ids:
        contact = f"{way}-{n:06d}"
        status, body, _ = await _call(
            app, "POST", "/api/contacts", admin[way], {"id": contact, "queue": "support"}
        )
        if status != 201 or body["agent"] is None:
            raise RuntimeError(f"create {contact}: {status} {body}")
        agent = agents[body["agent"]][way]
        for action in ("accept", "complete"):
            status, body, _ = await _call(app, "POST", f"/api/contacts/{contact}/{action}", agent)
            if status != 200:
                raise RuntimeError(f"{action} {contact}: {status} {body}")


async def _measure(url: str) -> dict[str, list[float]]:
    agent_ids = [f"agent-{i:03d}" for i in range(1, AGENTS + 1)]
    hasher = Passwords()
    users = [(ADMIN, password(ADMIN), Grant(Role.ADMIN))]
    users += [(a, password(a), Grant(Role.AGENT, agent_id=a)) for a in agent_ids]
    seed_center(
        url, TENANT, load_scenario(SCENARIO, "bench scenario"), users, passwords=hasher, actor="bench"
    )
    app = create_app(Settings(database_url=url, secret_key=SECRET, live_timer=False), passwords=hasher)
    cpu: dict[str, list[float]] = {"bearer": [], "cookie": []}
    async with app.router.lifespan_context(app):
        asgi: App = app  # type: ignore[assignment]
        admin = await _log_in(asgi, ADMIN, password(ADMIN))
        agents = {a: await _log_in(asgi, a, password(a)) for a in agent_ids}
        for agent in agent_ids:
            status, body, _ = await _call(
                asgi, "POST", f"/api/agents/{agent}/login", agents[agent]["bearer"], {}
            )
            if status != 200:
                raise RuntimeError(f"log in {agent}: {status} {body}")
        start = 0
        for way in ("bearer", "cookie"):
            await _contacts(asgi, way, admin, agents, range(start, start + WARM_UP))
            start += WARM_UP
        for _ in range(2):
            for way in ("bearer", "cookie"):
                before = time.process_time()
                await _contacts(asgi, way, admin, agents, range(start, start + CONTACTS))
                cpu[way].append((time.process_time() - before) / CONTACTS * 1000)
                start += CONTACTS
    return cpu


def main() -> None:
    print(__doc__.strip().splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="baiying-bench-calls-") as scratch:
        url = os.environ.get("BENCH_CALLS_DATABASE_URL") or f"sqlite:///{Path(scratch) / 'calls.db'}"
        cpu = asyncio.run(_measure(url))
    lane, framework = (sum(cpu[way]) / len(cpu[way]) for way in ("bearer", "cookie"))
    runs = ", ".join(f"{way} {' / '.join(f'{ms:.2f}' for ms in cpu[way])}" for way in cpu)
    print(f"  {CONTACTS:,} contacts a run, create + accept + complete each, one at a time ({runs} ms)")
    print(f"    server CPU per contact, express lane (bearer): {lane:.2f} ms")
    print(f"    server CPU per contact, FastAPI's stack (cookie): {framework:.2f} ms")
    print(f"    ratio lane / FastAPI: {lane / framework:.2f}")


if __name__ == "__main__":
    main()
