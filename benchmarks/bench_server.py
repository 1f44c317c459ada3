"""End to end through HTTP and WebSocket: contacts routed per second, and the latency from
`POST /api/contacts` to the `offer` message arriving on the agent's WebSocket.

A temporary database (SQLite, then PostgreSQL on a throwaway cluster, `baiying.storage.throwaway`, as the
tests start it) is seeded with one queue and `AGENTS` agent users; a real `baiying serve` process is
started on 127.0.0.1, every agent opens its stream and logs in ready, then contacts are created at `RATE`
per second for `DURATION_SECONDS`. Each agent accepts and completes (no wrap-up) each offer over HTTP as
soon as it arrives, so it is free again for the next one. Target: ≥ 200 contacts/s with p99 < 50 ms on a
2-core machine.

The client runs on the same cores as the server, so it is kept lean: HTTP/1.1 keep-alive and RFC 6455
on plain asyncio streams (uvloop when installed), no client library. Wall-clock figures depend on
whatever else the machine runs, so the CPU each side spent per contact during the timed window is
printed too (the server's from /proc, the client's from its own process time): those do not.

`BENCH_SERVER_RATE` changes the offered rate (e.g. below saturation, to read the latency of a server
that keeps up); `BENCH_SERVER_DATABASES=sqlite` (or `postgresql`) measures one database only. With
`BENCH_SERVER_PROFILE=DIR` (and py-spy installed), the server is sampled during the timed window (the
thread holding the GIL: where its CPU goes) and its collapsed stacks written to DIR.

Where the p99 went (2026-12-06, SQLite, `BENCH_SERVER_RATE=100`): the server's own stalls, not the
routing. With a `gc.callbacks` probe in the server process, full garbage collections ran every 3 to 8
seconds, each walking the ~250,000 objects of the startup plus ~230,000 of the 1,000 agent WebSockets' ASGI
stacks (coroutines, cells, deques): 230-450 ms per pause on the shared machine, every thread stopped. The
app now freezes its startup objects (`gc.freeze`) and collects the youngest generation every 10,000
allocations: no full collection at all during the timed window since, young ones 10-35 ms there (a few ms
on an idle machine). Measured back to back, two pairs, on a 2-core machine shared with other work (load
3-6), before → after: routed 79.6-93.9 → 97.7-99.7 contacts/s of 100 offered, p50 344-487 → 35-36 ms,
p99 715-797 → 161-467 ms, server CPU per contact 9.6-12.0 → 9.2-10.2 ms (that figure moves ±15 % with
the load; the earlier quiet run measured 178 contacts/s at 250 offered). What is left of the p99 on a
loaded machine is the server getting a share of a core; on a quiet one, rerun and read the figures.

The next tail is SQLite's checkpoint: it runs inside the COMMIT that takes the WAL past 1,000 pages
(`wal_autocheckpoint`'s default; about one commit in a hundred here), under the tenant's lock. In process
(TestClient, 3,000 commits) commit p99 is ~5-16 ms and the worst 15-114 ms, where it is 3-4 ms and 10 ms
with the autocheckpoint off and a thread checkpointing PASSIVE every second; but that variant cost ~3 ms
more CPU and ~10 ms more wall time per contact (not yet explained; perhaps a WAL that a PASSIVE
checkpoint cannot restart while requests read, so it keeps growing), so it was not kept. A RESTART
checkpoint when the center is idle, or a larger `wal_autocheckpoint`, are the candidates to measure.

Where the CPU per contact went (2026-12-06, session 11; py-spy `--gil` on the server under this bench, and
an in-process driver of the three HTTP calls): the framework around the center, more than the center.
Before → after, back to back on the shared machine (load 4.4-6.8): server CPU per contact SQLite 8.2 →
5.5 ms (routed 114.6 → 147.3 contacts/s of 250 offered), PostgreSQL 9.3 → 6.6 ms (78.9 → 89.6/s); p99
still 540-850 ms, the server saturated at that rate (other runs that day: ±15 %). In order: (1) `POST
/api/contacts` took a database session as a generator dependency, two more anyio thread-pool hops (~120
us of CPU each) on every contact; (2) FastAPI matches the included routers one by one, and the contacts'
routes came 17th (300-550 → 20-120 us a request); (3) each request checked its token's signature (two
HMACs, base64, JSON: ~40 us) where a remembered token costs ~1 us; (4) two fewer dependencies per
role-checked request; (5) a plain `def` route costs two hops (the route, then its response validation,
which FastAPI also runs in the pool): create, accept and complete are `async` and hand the center's call
to an executor of their own (one ~55 us hop). Not kept: waiters of a group commit sleeping on an event of
their own rather than each taking the tenant's lock in turn (no difference measured). What is left (same
profile): the center's group (SQLAlchemy statements and the commit, ~30 %), uvicorn and Starlette's
per-request middleware (~25 %), FastAPI's dependency solving (~10 %), the WebSocket sends (~6 %).

Session 12 (2026-12-06; py-spy `--gil`, `BENCH_SERVER_RATE=100`): FastAPI's own stack around the three calls
was still ~55 % of the server's CPU (its exception, exit-stack and telemetry middleware, the route table,
the dependency tree, whose cache keys FastAPI 0.165 recomputes per request, and a second validation of each
answer). The contact routes' plain case now takes an express lane (`baiying.api.express`, a pure ASGI
middleware running the routes' own functions; everything else still FastAPI's), and the agents' stream
messages are serialised once, in the hub, by pydantic-core. In process, the three calls alone
(`bench_contact_calls`): CPU per contact 7.4-7.7 -> 5.2-5.6 ms back to back (lane / FastAPI 0.73 measured
side by side). End to end here, 100 contacts/s offered, back to back in pairs at load 7.6-10.2 (the server
given 37-73 % of a core): server CPU per contact SQLite 7.41 / 7.32 / 7.42 -> 6.93 / 5.96 / 6.54 ms (mean
7.38 -> 6.48, -12 %), PostgreSQL 7.43 / 9.01 / 9.33 -> 8.35 / 6.39 / 8.57 ms (mean 8.59 -> 7.77, -10 %, one
pair the other way: that machine's noise). Not reached: the 4 ms a contact needs for 200/s on two shared
cores. What is left (profiled with the lane, before the stream change): the center's worker threads ~36 %
(SQL statements and commit, the executor hand-offs, lock waits), the WebSocket sends ~17 % (one
`transport.write` per message, several messages per contact: offer, answered, completed, state changes;
through Starlette's send wrappers), the three requests on the loop ~26 % (the executor hand-off ~6 %,
writing the response ~6 %, token and role check ~4 %, body validation ~2 %), uvicorn's request parsing ~5 %,
its keep-alive pings of the 1,000 sockets ~2 %. Next candidates: the accept and complete checks made inside
the command's `prepare` (one lock round trip each instead of two), and HTTP workers in front of one center
process.

Session 13 (2026-12-06; shared machine, load 3.9-4.8, the other helper's callgrind runs): the live center's
writes were half its CPU. (1) The journal, event-log and contact statements, and the arrival's existence
check, run on the session's DBAPI cursor with SQL built once per dialect (`baiying.storage.direct`;
SQLAlchemy's per-execute machinery cost several times SQLite's own work); event documents are built from the
fields, not `asdict`; each payload is JSON-encoded once. (2) Accept and complete check the caller inside the
command (one turn of the tenant's lock, not two). (3) `baiying serve` writes a response's head and body, and
the messages one command sends an agent, in one socket write (`baiying.api.coalesced`; strace: 2.77 -> 1.41
writes per read). (4) SQLite's BEGIN runs on sqlite3's connection. In process (`LiveCenter` alone, three
commands a contact): 3.9 -> 2.1 ms; `bench_contact_calls` lane 4.9 -> 3.0 ms. Here, back to back with the
session's starting tree: 150/s offered, server CPU per contact SQLite 5.92 / 5.88 -> 4.45 / 4.04 ms (p99 298 /
320 -> 93 / 23 ms); 250/s offered, routed 159.4 -> 249.9 contacts/s, p99 422 -> 102 ms, CPU 5.44 -> 3.29 ms
(the groups grow under load); PostgreSQL at 150/s (saturated, load 5.6-7.5): 7.76 -> 6.70 ms, 89.7 -> 96.7/s.
Measured with `perf` (cpu-clock, no hardware counters here), the server's CPU is now ~58 % the interpreter,
~29 % the kernel (half of it task switches: the executor hand-offs and the tenant-lock convoy of ~100
threads), ~5 % SQLite. Not kept or not shown: the socket coalescing's CPU gain is within the machine's noise
(its syscall cut is not); note the server this bench starts runs the source tree (`PYTHONPATH=src`), pure
Python whatever the venv, though the compiled routing is ~1 % of its samples. Next: one center thread per
tenant fed by a queue (no lock convoy, fewer hand-offs), and one contacts statement per group.

End of session 13, the merged head on a quiet machine, `make`'s interpreter now Debian's Python 3.11.2
(PGO/LTO, not pyenv's shared-libpython build: ~30% less CPU), 250/s offered: SQLite 250.0 routed/s, p50
4.0 ms, p99 22.6 ms, server CPU 3.88 ms a contact at 97% of a core (the target met on SQLite); PostgreSQL
133-150/s, p50 360-410 ms, p99 460-660 ms, server CPU 4.1-4.4 ms at only 61-65% of a core, the center's
PostgreSQL backend at 28-37% (rising during the run): PostgreSQL waits, it does not run out of CPU. Tried
there and not kept, none moved it at 250/s offered: a group's contact rows queued and sent at its end in
one pipelined round trip (149.6 against 149.3/s), psycopg's pipeline mode for the group's journal, events
and COMMIT, no pre-ping on checkout, a 0.5 ms GIL switch interval. Left to find: what the commands wait
for (the backend's per-statement cost growing over the run, the background workers' queries, the request
sessions' pool of 15).

Session 14 (2026-12-06; quiet machine, Debian's Python): PostgreSQL was not short of CPU but queued behind
two things. (1) With no planner statistics (the throwaway cluster runs without autovacuum) a contact's
key lookup went through the (tenant, arrival) index and read every contact of the tenant: the existence
check and the UPDATEs took 250-390 us each and grew with the table. This bench's cluster now runs
autovacuum, as a production server does (looking every second: a real server's tables were analyzed long
ago, this one's are seconds old). (2) The group commit's convoy: every caller, its command already run by
another, still queued for the tenant's lock to find that out, one thread and one turn of the GIL at a
time; groups stayed at ~3 commands with ~40 callers waiting. Callers now sleep on a signal of their own
and one leads (`baiying.application.driver`). Then (3) the group's statements go in one pipeline (its
contact rows and journal entries wait in a queue and go with the events' multi-row INSERT), and the
arrivals' existence checks are one statement. At 250/s offered, PostgreSQL: 136 -> 176 (1) -> 249.5 (2)
routed/s; p50 411 -> 272 -> 28-45 -> 6 ms (3), p99 530 -> 369 -> 75-150 -> 20-40 ms; server CPU per
contact 4.7 -> 3.0-3.3 ms. SQLite: p50 2.1-2.7 ms, p99 11-18 ms. The first quarter second of the window
is the slowest (p50 38 ms there once); then moments of 40-70 ms every few seconds (autovacuum's passes,
young-generation collections). The server this bench starts now runs the installed package (compiled, its
routers' arenas on huge pages, as `baiying serve` runs after `make`), not the source tree; measured both
ways, alternating, the figures moved within the machine's noise (SQLite server CPU 3.37-3.84 ms a contact).

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
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.traffic.server import ADMIN, SECRET, ServerProcess, password

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.accounts.tokens import SessionTokens
from baiying.clock import SystemClock
from baiying.simulation.scenario import load_scenario
from baiying.storage.tables import Role
from baiying.storage.throwaway import ClusterUnavailable, PostgresCluster
from baiying.traffic.seed import seed_center
from benchmarks import BenchmarkCannotRun

TENANT = "bench"
AGENT_PASSWORD = "agents"  # every agent user's password is password(AGENT_PASSWORD)
AGENTS = 1_000
RATE = float(os.environ.get("BENCH_SERVER_RATE", "250"))  # contacts offered per second
DURATION_SECONDS = 15.0
MAX_IN_FLIGHT = 64  # contact creations awaiting their answer
HTTP_CONNECTIONS = 64  # keep-alive connections the agents share for accept and complete
CONNECT_CONCURRENCY = 50
DRAIN_SECONDS = 5.0
HTTP_TIMEOUT_SECONDS = 30.0
TARGET_RATE, TARGET_P99_MS = 200.0, 50.0
PROFILE_ENV = "BENCH_SERVER_PROFILE"
DATABASES = os.environ.get("BENCH_SERVER_DATABASES", "sqlite,postgresql").split(",")
# The tests' throwaway cluster runs without autovacuum; a production server runs it, and the planner needs
# its statistics: with none, a lookup of a contact by its key read every contact of the tenant through the
# (tenant, arrival) index, ever slower as the table grew. A real server's tables were analyzed long ago;
# this one is seconds old, so its autovacuum looks every second rather than every minute.
PRODUCTION_LIKE = {"autovacuum": "on", "autovacuum_naptime": "1"}
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
    """Migrate and seed the database (the admin and one user per agent, sharing one password); returns the
    agents' password hash."""
    hasher = _OneHash()
    users = [(ADMIN, password(ADMIN), Grant(Role.ADMIN))]
    users += [(a, password(AGENT_PASSWORD), Grant(Role.AGENT, agent_id=a)) for a in agent_ids]
    seed_center(
        url, TENANT, load_scenario(SCENARIO, "bench scenario"), users, passwords=hasher, actor="bench"
    )
    return hasher.hash(password(AGENT_PASSWORD))


# ---- a lean HTTP/1.1 and WebSocket client ------------------------------------------------------------------


class HttpError(Exception):
    pass


class HttpPool:
    """Keep-alive HTTP/1.1 connections to one server, at most `size` open; JSON in, (status, body) out."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(size)

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(payload)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        if token is not None:
            head += f"Authorization: Bearer {token}\r\n"
        async with self._slots:
            while True:
                reused = bool(self._idle)
                reader, writer = self._idle.pop() if reused else await self._open()
                try:
                    writer.write(head.encode() + b"\r\n" + payload)
                    status, answer, keep = await asyncio.wait_for(_response(reader), HTTP_TIMEOUT_SECONDS)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    writer.close()
                    if reused and not getattr(exc, "partial", b""):
                        continue  # the server closed an idle keep-alive connection: use a new one
                    raise
                except BaseException:
                    writer.close()
                    raise
                if keep:
                    self._idle.append((reader, writer))
                else:
                    writer.close()
                return status, answer

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        raise HttpError("chunked responses are not expected from this API")
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() != "close"


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
    server_cpu_seconds: float = float("nan")
    client_cpu_seconds: float = float("nan")


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far, from /proc; NaN where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _agent(
    agent: str, socket: TcpSocket, http: HttpPool, token: str, sent: dict[str, float], figures: Figures
) -> None:
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
            accepted, _ = await http.request("POST", f"/api/contacts/{contact}/accept", token=token)
            done, body = await http.request("POST", f"/api/contacts/{contact}/complete", token=token)
            if accepted == 200 and done == 200:
                figures.completed += 1
            else:
                figures.errors.append(f"{agent}: {accepted} {done} {body[:200]!r}")
        except (OSError, HttpError, asyncio.IncompleteReadError, TimeoutError) as exc:
            figures.errors.append(f"{agent}: {exc!r}")


async def _connect_agents(
    port: int, http: HttpPool, tokens: dict[str, str], figures: Figures
) -> dict[str, TcpSocket]:
    sockets: dict[str, TcpSocket] = {}
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_one(agent: str) -> None:
        async with gate:
            try:
                socket = await TcpSocket.connect(port, f"/api/agents/{agent}/stream", tokens[agent])
                hello = await socket.receive()
                if hello.get("type") != "hello":
                    raise SocketClosed(f"first message {hello}")
                sockets[agent] = socket
                status, body = await http.request(
                    "POST", f"/api/agents/{agent}/login", {"ready": True}, tokens[agent]
                )
                if status != 200:
                    figures.errors.append(f"login {agent}: {status} {body[:200]!r}")
            except (OSError, SocketClosed, HttpError, asyncio.IncompleteReadError, TimeoutError) as exc:
                figures.errors.append(f"connect {agent}: {exc!r}")

    await asyncio.gather(*(open_one(agent) for agent in tokens if agent != ADMIN))
    return sockets


async def _load(port: int, tokens: dict[str, str], on_window: Callable[[bool], None]) -> Figures:
    figures = Figures()
    http = HttpPool(port, HTTP_CONNECTIONS + MAX_IN_FLIGHT)
    sockets = await _connect_agents(port, http, tokens, figures)
    figures.sockets = len(sockets)
    sent: dict[str, float] = {}
    readers = [asyncio.create_task(_agent(a, s, http, tokens[a], sent, figures)) for a, s in sockets.items()]
    admin = tokens[ADMIN]
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def create(n: int) -> None:
        contact = f"c-{n:06d}"
        async with in_flight:
            sent[contact] = time.perf_counter()
            try:
                status, body = await http.request(
                    "POST", "/api/contacts", {"id": contact, "queue": "support"}, admin
                )
            except (OSError, HttpError, asyncio.IncompleteReadError, TimeoutError) as exc:
                figures.errors.append(f"create {contact}: {exc!r}")
                return
        if status == 201:
            figures.created += 1
        else:
            figures.errors.append(f"create {contact}: {status} {body[:200]!r}")

    creations: list[asyncio.Task[None]] = []
    on_window(True)
    client_cpu = time.process_time()
    start = time.perf_counter()
    n = 0
    while (now := time.perf_counter() - start) < DURATION_SECONDS:
        due = int(now * RATE) + 1
        while n < due:
            creations.append(asyncio.create_task(create(n)))
            n += 1
        await asyncio.sleep(min(0.005, 1.0 / RATE))
    figures.seconds = time.perf_counter() - start
    figures.client_cpu_seconds = time.process_time() - client_cpu
    on_window(False)
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
    await http.close()
    figures.completed = min(figures.completed, offered_in_time)
    return figures


def _tokens(agent_ids: list[str], agent_hash: str) -> dict[str, str]:
    minted = SessionTokens(SECRET, SystemClock())
    return {a: minted.open(a, TENANT, agent_hash).bearer_token for a in agent_ids}


async def _drive(
    server: ServerProcess, agent_ids: list[str], agent_hash: str, profile: Path | None
) -> Figures:
    login = HttpPool(server.port, 1)
    status, body = await login.request(
        "POST", "/api/auth/login", {"login": ADMIN, "password": password(ADMIN)}
    )
    await login.close()
    if status != 200:
        raise HttpError(f"the admin cannot log in: {status} {body[:200]!r}")
    tokens = {**_tokens(agent_ids, agent_hash), ADMIN: json.loads(body)["token"]}
    assert server.process is not None
    pid = server.process.pid
    spy: list[subprocess.Popen[bytes]] = []
    server_cpu: list[float] = []

    def on_window(opening: bool) -> None:
        server_cpu.append(_process_cpu_seconds(pid))
        if opening and profile is not None:
            spy.append(_py_spy(pid, profile))

    figures = await _load(server.port, tokens, on_window)
    figures.server_cpu_seconds = server_cpu[1] - server_cpu[0]
    for process in spy:
        process.wait(timeout=60)
    return figures


def _py_spy(pid: int, directory: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling the server for the timed window: collapsed stacks (raw) for reading by script."""
    directory.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    output = directory / f"server-{pid}.txt"
    command = [spy, "record", "-p", str(pid), "-r", "100", "--gil", "-d", str(int(DURATION_SECONDS))]
    command += ["--format", "raw", "-o", str(output)]
    print(f"    profiling the server into {output}", flush=True)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _run(database: str, url: str, workdir: Path) -> None:
    agent_ids = [f"agent-{i:03d}" for i in range(1, AGENTS + 1)]  # the scenario's ids
    started = time.perf_counter()
    agent_hash = _seed(url, agent_ids)
    print(f"  seeded {AGENTS:,} agents in {time.perf_counter() - started:.1f} s", flush=True)
    server = ServerProcess(url, workdir, from_source=False)  # the installed package, as `make` builds it
    profile = os.environ.get(PROFILE_ENV)
    try:
        server.start()
        figures = _event_loop_run(_drive(server, agent_ids, agent_hash, Path(profile) if profile else None))
    finally:
        server.kill()
    _report(database, figures)


def _event_loop_run(work: Any) -> Figures:
    try:
        import uvloop
    except ImportError:
        result: Figures = asyncio.run(work)
        return result
    return uvloop.run(work)  # type: ignore[no-any-return]


def _report(database: str, figures: Figures) -> None:
    rate = figures.offered / figures.seconds if figures.seconds else 0.0
    ordered = sorted(figures.latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000 if ordered else float("nan")
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    per_contact = 1000 / figures.offered if figures.offered else float("nan")
    print(f"  {database}: real `baiying serve` process, HTTP + WebSocket over 127.0.0.1")
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
    print(
        f"    CPU per contact: server {figures.server_cpu_seconds * per_contact:.2f} ms, "
        f"client {figures.client_cpu_seconds * per_contact:.2f} ms "
        f"(server {figures.server_cpu_seconds / figures.seconds:.0%} of a core, "
        f"client {figures.client_cpu_seconds / figures.seconds:.0%})"
    )
    if figures.errors:
        print(f"    {len(figures.errors):,} errors, first: {figures.errors[0]}")


def main() -> None:
    print(__doc__.strip().splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="baiying-bench-") as scratch:
        root = Path(scratch)
        (root / "sqlite").mkdir()
        if "sqlite" in DATABASES:
            _run("SQLite", f"sqlite:///{root / 'sqlite' / 'baiying.db'}", root / "sqlite")
        if "postgresql" not in DATABASES:
            return
        try:
            cluster = PostgresCluster(prefix="baiying-bench-pg-", settings=PRODUCTION_LIKE)
        except ClusterUnavailable as exc:
            raise BenchmarkCannotRun(f"server needs a throwaway PostgreSQL cluster: {exc}") from exc
        try:
            cluster.start()
            url = cluster.url(cluster.database("bench"))
            (root / "postgresql").mkdir()
            _run("PostgreSQL", url, root / "postgresql")
        except ClusterUnavailable as exc:
            raise BenchmarkCannotRun(f"server: the PostgreSQL cluster did not start: {exc}") from exc
        finally:
            cluster.close()


if __name__ == "__main__":
    main()
