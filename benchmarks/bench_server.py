"""End to end through HTTP and WebSocket: contacts routed per second, and the latency from
`POST /api/contacts` to the `offer` message arriving on the agent's WebSocket.

A temporary database (SQLite, then PostgreSQL when a throwaway cluster can be started the way the tests
do) is seeded with one queue and `AGENTS` agent users; a real `baiying serve` process is started on
127.0.0.1, every agent opens its stream and logs in ready, then contacts are created at `RATE` per second
for `DURATION_SECONDS`. Each agent accepts and completes (no wrap-up) each offer over HTTP as soon as it
arrives, so it is free again for the next one. Target: ≥ 200 contacts/s with p99 < 50 ms on a 2-core
machine.

The WebSocket client is a minimal RFC 6455 one on asyncio streams (no client library is installed).
When the server cannot serve WebSockets (uvicorn needs the `websockets` or `wsproto` package, and
neither may be installed), the same load runs against the app in this process instead (ASGI calls, no
sockets) and the figures say so: they then include this process's own client work on the same GIL.

Agents' bearer tokens are minted with the server's secret key rather than by 1,000 Argon2 logins (each
costs ~50 ms of CPU); every agent user shares one password hash made with the server's parameters.
"""

import asyncio
import base64
import contextlib
import json
import os
import shutil
import statistics
import struct
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session
from tests.traffic.server import ADMIN, SECRET, ServerProcess, password

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.accounts.tokens import SessionTokens
from baiying.accounts.users import create_user
from baiying.clock import SystemClock
from baiying.simulation.scenario import load_scenario
from baiying.storage import migrate
from baiying.storage.engine import make_engine
from baiying.storage.repositories import import_scenario
from baiying.storage.tables import Role

TENANT = "bench"
AGENT_PASSWORD = "agents"  # every agent user's password is password(AGENT_PASSWORD)
AGENTS = 1_000
RATE = 250.0  # contacts offered per second
DURATION_SECONDS = 15.0
MAX_IN_FLIGHT = 64  # contact creations awaiting their answer
CONNECT_CONCURRENCY = 50
DRAIN_SECONDS = 5.0
HTTP_TIMEOUT_SECONDS = 30.0
TARGET_RATE, TARGET_P99_MS = 200.0, 50.0
SCENARIO = f"""
name: bench
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


class _OneHash(Passwords):
    """The server's hashing parameters (so no login rehashes, a write), but each password hashed once:
    every agent user gets the same valid hash of the agents' shared password."""

    def __init__(self) -> None:
        super().__init__()
        self._hashes: dict[str, str] = {}

    def hash(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = super().hash(password)
        return self._hashes[password]


def _seed(url: str, agent_ids: list[str]) -> str:
    """Migrate and seed the database as `tests.traffic.server.seed` does, the agents sharing one password;
    returns its hash."""
    migrate.upgrade(url)
    scenario = load_scenario(SCENARIO, "bench scenario")
    at = SystemClock().now() - 86_400
    hasher = _OneHash()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            import_scenario(session, TENANT, scenario, at=at)
            users = [(ADMIN, ADMIN, Grant(Role.ADMIN))]
            users += [(a, AGENT_PASSWORD, Grant(Role.AGENT, agent_id=a)) for a in agent_ids]
            for login, secret, grant in users:
                create_user(
                    session,
                    TENANT,
                    user_id=login,
                    login=login,
                    display_name=login,
                    password=password(secret),
                    grants=[grant],
                    actor="bench",
                    at=at,
                    passwords=hasher,
                )
            session.commit()
    finally:
        engine.dispose()
    return hasher.hash(password(AGENT_PASSWORD))


# ---- a minimal WebSocket client -------------------------------------------------------------------------


class SocketClosed(Exception):
    pass


class TcpSocket:
    """RFC 6455 over asyncio streams: the handshake, unfragmented text frames in, close and pong out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int, path: str, token: str) -> "TcpSocket":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        )
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            writer.close()
            raise SocketClosed(f"handshake refused: {status.decode(errors='replace')}")
        return cls(reader, writer)

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)  # payload < 126

    async def receive(self) -> dict[str, Any]:
        while True:
            first, second = await self.reader.readexactly(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await self.reader.readexactly(length)
            if opcode == 0x1:
                message: dict[str, Any] = json.loads(payload)
                return message
            if opcode == 0x8:
                raise SocketClosed(payload[2:].decode(errors="replace"))
            if opcode == 0x9:
                self._send(0xA, payload[:125])

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self._send(0x8, struct.pack("!H", 1000))
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)


class AsgiSocket:
    """The same interface, calling the ASGI app in this process (no network)."""

    def __init__(self, app: Any, path: str, token: str) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "subprotocols": [],
            "state": {},
        }
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.inbox.get, self.outbox.put))

    @classmethod
    async def connect(cls, app: Any, path: str, token: str) -> "AsgiSocket":
        socket = cls(app, path, token)
        accepted = await socket.outbox.get()
        if accepted["type"] != "websocket.accept":
            raise SocketClosed(f"refused: {accepted}")
        return socket

    async def receive(self) -> dict[str, Any]:
        message = await self.outbox.get()
        if message["type"] != "websocket.send":
            raise SocketClosed(str(message))
        received: dict[str, Any] = json.loads(message.get("text") or message["bytes"])
        return received

    async def close(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, 2.0)


Connect = Callable[[str, str], Awaitable[TcpSocket | AsgiSocket]]


# ---- the load ---------------------------------------------------------------------------------------------


@dataclass
class Figures:
    sockets: int = 0
    created: int = 0
    offered: int = 0
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0


async def _agent(
    agent: str,
    socket: TcpSocket | AsgiSocket,
    http: httpx.AsyncClient,
    token: str,
    sent: dict[str, float],
    figures: Figures,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while True:
        try:
            message = await socket.receive()
        except (SocketClosed, asyncio.IncompleteReadError, ConnectionError):
            return
        if message.get("type") != "offer":
            continue
        contact = message["contact"]["id"]
        started = sent.get(contact)
        if started is not None:
            figures.latencies.append(time.perf_counter() - started)
        figures.offered += 1
        try:
            accepted = await http.post(f"/api/contacts/{contact}/accept", headers=headers)
            done = await http.post(f"/api/contacts/{contact}/complete", headers=headers)
            if accepted.status_code == 200 and done.status_code == 200:
                figures.completed += 1
            else:
                figures.errors.append(f"{agent}: {accepted.status_code} {done.status_code} {done.text[:200]}")
        except httpx.HTTPError as exc:
            figures.errors.append(f"{agent}: {exc!r}")


async def _load(http: httpx.AsyncClient, connect: Connect, tokens: dict[str, str]) -> Figures:
    figures = Figures()
    sockets: dict[str, TcpSocket | AsgiSocket] = {}
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_one(agent: str) -> None:
        async with gate:
            try:
                socket = await connect(f"/api/agents/{agent}/stream", tokens[agent])
                hello = await socket.receive()
                assert hello["type"] == "hello", hello
                sockets[agent] = socket
                response = await http.post(
                    f"/api/agents/{agent}/login",
                    json={"ready": True},
                    headers={"Authorization": f"Bearer {tokens[agent]}"},
                )
                if response.status_code != 200:
                    figures.errors.append(f"login {agent}: {response.status_code} {response.text[:200]}")
            except (
                OSError,
                SocketClosed,
                AssertionError,
                asyncio.IncompleteReadError,
                httpx.HTTPError,
            ) as exc:
                figures.errors.append(f"connect {agent}: {exc!r}")

    await asyncio.gather(*(open_one(agent) for agent in tokens if agent != ADMIN))
    figures.sockets = len(sockets)
    sent: dict[str, float] = {}
    readers = [asyncio.create_task(_agent(a, s, http, tokens[a], sent, figures)) for a, s in sockets.items()]
    admin = {"Authorization": f"Bearer {tokens[ADMIN]}"}
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def create(n: int) -> None:
        contact = f"c-{n:06d}"
        async with in_flight:
            sent[contact] = time.perf_counter()
            try:
                response = await http.post(
                    "/api/contacts", json={"id": contact, "queue": "support"}, headers=admin
                )
            except httpx.HTTPError as exc:
                figures.errors.append(f"create {contact}: {exc!r}")
                return
        if response.status_code == 201:
            figures.created += 1
        else:
            figures.errors.append(f"create {contact}: {response.status_code} {response.text[:200]}")

    creations: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    n = 0
    while (now := time.perf_counter() - start) < DURATION_SECONDS:
        due = int(now * RATE) + 1
        while n < due:
            creations.append(asyncio.create_task(create(n)))
            n += 1
        await asyncio.sleep(min(0.005, 1.0 / RATE))
    figures.seconds = time.perf_counter() - start
    offered_in_time = figures.offered
    await asyncio.wait(creations, timeout=DRAIN_SECONDS)
    deadline = time.perf_counter() + DRAIN_SECONDS
    while figures.offered < figures.created and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    figures.offered, offered_in_time = offered_in_time, figures.offered  # the rate counts the timed window
    for task in creations:
        task.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets.values()))
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, *creations, return_exceptions=True)
    figures.created = max(figures.created, 0)
    figures.completed = min(figures.completed, offered_in_time)
    return figures


def _tokens(agent_ids: list[str], agent_hash: str, admin_token: str) -> dict[str, str]:
    minted = SessionTokens(SECRET, SystemClock())
    tokens = {a: minted.open(a, TENANT, agent_hash).bearer_token for a in agent_ids}
    tokens[ADMIN] = admin_token
    return tokens


async def _over_tcp(server: ServerProcess, agent_ids: list[str], agent_hash: str) -> Figures | None:
    """The load against the server process, or None when it refuses WebSockets."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=server.base, timeout=HTTP_TIMEOUT_SECONDS, limits=limits) as http:
        login = await http.post("/api/auth/login", json={"login": ADMIN, "password": password(ADMIN)})
        login.raise_for_status()
        http.cookies.clear()
        tokens = _tokens(agent_ids, agent_hash, login.json()["token"])
        try:
            probe = await TcpSocket.connect(
                server.port, f"/api/agents/{agent_ids[0]}/stream", tokens[agent_ids[0]]
            )
        except (SocketClosed, OSError, asyncio.IncompleteReadError) as exc:
            print(f"  the server process refuses WebSockets ({exc}); running in-process instead", flush=True)
            return None
        await probe.close()

        async def connect(path: str, token: str) -> TcpSocket:
            return await TcpSocket.connect(server.port, path, token)

        return await _load(http, connect, tokens)


async def _in_process(url: str, agent_ids: list[str], agent_hash: str) -> Figures:
    from baiying.api.app import create_app
    from baiying.api.settings import Settings

    settings = Settings.from_environment(database_url=url, environ={"BAIYING_SECRET_KEY": SECRET})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", timeout=HTTP_TIMEOUT_SECONDS
        ) as http:
            login = await http.post("/api/auth/login", json={"login": ADMIN, "password": password(ADMIN)})
            login.raise_for_status()
            http.cookies.clear()
            tokens = _tokens(agent_ids, agent_hash, login.json()["token"])

            async def connect(path: str, token: str) -> AsgiSocket:
                return await AsgiSocket.connect(app, path, token)

            return await _load(http, connect, tokens)


def _run(database: str, url: str, workdir: Path) -> None:
    agent_ids = [f"agent-{i:03d}" for i in range(1, AGENTS + 1)]  # the scenario's ids
    started = time.perf_counter()
    agent_hash = _seed(url, agent_ids)
    print(f"  seeded {AGENTS:,} agents in {time.perf_counter() - started:.1f} s", flush=True)
    server = ServerProcess(url, workdir)
    how = "real `baiying serve` process, HTTP + WebSocket over 127.0.0.1"
    try:
        server.start()
        figures = asyncio.run(_over_tcp(server, agent_ids, agent_hash))
    finally:
        server.kill()
    if figures is None:
        how = "IN-PROCESS (ASGI calls, no sockets): the server process cannot serve WebSockets"
        figures = asyncio.run(_in_process(url, agent_ids, agent_hash))
    _report(database, how, figures)


def _report(database: str, how: str, figures: Figures) -> None:
    rate = figures.offered / figures.seconds if figures.seconds else 0.0
    ordered = sorted(figures.latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000 if ordered else float("nan")
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    print(f"  {database}: {how}")
    print(f"    agent sockets connected: {figures.sockets:,} of {AGENTS:,}")
    print(
        f"    offered {RATE:.0f} contacts/s for {figures.seconds:.1f} s: {figures.created:,} created, "
        f"{figures.offered:,} offered to agents in that time, {figures.completed:,} completed"
    )
    print(f"    routed: {rate:,.1f} contacts/s (target ≥ {TARGET_RATE:.0f})")
    print(
        f"    create → offer on the socket: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(target < {TARGET_P99_MS:.0f} ms)"
    )
    if figures.errors:
        print(f"    {len(figures.errors):,} errors, first: {figures.errors[0]}")


def _postgres(root: Path) -> tuple[Any, str] | None:
    """A throwaway cluster from the tests' fixtures and a database URL, or None (with a reason printed)."""
    try:
        from tests.db_fixtures import PostgresCluster, _server_bindir
    except ImportError as exc:
        print(f"  PostgreSQL skipped: the test fixtures cannot be imported ({exc})")
        return None
    try:
        cluster = PostgresCluster(root, _server_bindir())
        cluster.start()
    except BaseException as exc:  # pytest.fail raises an exception outside Exception
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"  PostgreSQL skipped: no throwaway cluster ({str(exc).strip()[:200]})")
        return None
    return cluster, cluster.url(cluster.database())


def main() -> None:
    print(__doc__.strip().splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="baiying-bench-") as scratch:
        root = Path(scratch)
        (root / "sqlite").mkdir()
        _run("SQLite", f"sqlite:///{root / 'sqlite' / 'baiying.db'}", root / "sqlite")
        pg_root = root / "postgresql"
        pg_root.mkdir()
        found = _postgres(pg_root)
        if found is not None:
            cluster, url = found
            try:
                (root / "pg-work").mkdir()
                _run("PostgreSQL", url, root / "pg-work")
            finally:
                cluster.stop()
                shutil.rmtree(pg_root, ignore_errors=True)


if __name__ == "__main__":
    main()
