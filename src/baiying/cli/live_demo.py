"""`baiying demo`: the live contact center on this machine, with nothing to set up.

A fresh SQLite database under var/demo/ is migrated and loaded with the bundled national scenario (sites,
skills, agents, policies) plus an admin, a supervisor and one agent user per bot, and the service data
(customers with plans, appliances and usage, the plan catalogue, knowledge articles, worked tickets; most
contacts call from a demo customer's phone, so the screen pop has a customer to show); `baiying serve` runs
in a child process on 127.0.0.1; a traffic generator plays the scenario's arrivals (accelerated ×speed) and
bot agents take and complete the contacts through the same HTTP API a person uses. Ctrl-C (or --minutes)
stops the traffic, lets the bots finish and log out, prints a summary from GET /api/stats and stops the
server. Passwords are generated and printed once.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy.orm import Session

from baiying.accounts.passwords import Passwords, generate_password
from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.application.demo_data import seed_service_data
from baiying.clock import SystemClock
from baiying.errors import DomainError
from baiying.scenarios import bundled
from baiying.simulation.scenario import Scenario, agent_name, load_scenario
from baiying.storage import migrate
from baiying.storage.engine import make_engine
from baiying.storage.repositories import import_scenario
from baiying.storage.tables import Role
from baiying.traffic import BotAgent, BotReport, TrafficGenerator, TrafficReport
from baiying.traffic.http import TrafficError, log_in

TENANT = "national"
CHAT_QUEUE = "billing"  # the demo's web chat page queues here
ADMIN = "admin"
SUPERVISOR = "supervisor"
# The scenario staffs ~140 agents at a time; the demo runs ~30 bots (see `bot_agents`), so it plays that
# share of the scenario's traffic: enough to keep the bots busy without a queue that only grows.
TRAFFIC_SHARE = 0.15
BIG_GROUP = 10
BOT_POLL_SECONDS = 0.3
BOT_STAGGER_SECONDS = 0.1
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
HTTP_TIMEOUT_SECONDS = 10.0
FOREVER_MINUTES = 7 * 24 * 60.0  # without --minutes the traffic runs until Ctrl-C


class DemoFailed(DomainError):
    code = "demo-failed"


@dataclass
class Credentials:
    admin: str
    supervisor: str
    bots: list[tuple[str, str]] = field(default_factory=list)
    callers: tuple[str, ...] = ()  # the demo customers' phones, which the traffic calls from


def scaled(scenario: Scenario, share: float) -> Scenario:
    """The scenario with every traffic stream's volume multiplied by `share`."""
    streams = []
    for stream in scenario.spec.traffic:
        if stream.rates_per_hour is not None:
            update: dict[str, Any] = {"rates_per_hour": [r * share for r in stream.rates_per_hour]}
        else:
            update = {"daily_volume": (stream.daily_volume or 0.0) * share}
        streams.append(stream.model_copy(update=update))
    spec = scenario.spec.model_copy(update={"traffic": streams})
    return Scenario(spec, scenario.routing, scenario.source)


def fresh_database(directory: Path) -> str:
    """A new, migrated SQLite database `directory/baiying.db` (any previous one is deleted)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "baiying.db"
    for stale in (path, path.with_name("baiying.db-wal"), path.with_name("baiying.db-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return url


def bot_agents(scenario: Scenario) -> list[str]:
    """The agents the bots work as: the first of each distinct (site, skills) agent group (its shifts are
    the simulator's business), two of those with ten or more agents in a group."""
    chosen: dict[tuple[str, frozenset[tuple[str, int]]], list[str]] = {}
    for group in scenario.spec.agents:
        key = (group.site, frozenset(group.skills.items()))
        if key in chosen:
            continue
        bots = 2 if group.count >= BIG_GROUP else 1
        chosen[key] = [agent_name(group, n) for n in range(1, min(bots, group.count) + 1)]
    return [agent for agents in chosen.values() for agent in agents]


class _Hashed(Passwords):
    """The server's hashing, done ahead of time on every core (argon2 releases the GIL)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            self._done = dict(zip(secrets, pool.map(super().hash, secrets), strict=True))

    def hash(self, password: str) -> str:
        return self._done.get(password) or super().hash(password)


def seed(url: str, scenario: Scenario) -> Credentials:
    """Import the scenario's network and add the admin, the supervisor and one agent user per bot (login =
    agent id), each with a generated password."""
    credentials = Credentials(admin=generate_password(), supervisor=generate_password())
    users: list[tuple[str, str, Grant]] = [
        (ADMIN, credentials.admin, Grant(Role.ADMIN)),
        (SUPERVISOR, credentials.supervisor, Grant(Role.SUPERVISOR)),
    ]
    for agent in bot_agents(scenario):
        secret = generate_password()
        credentials.bots.append((agent, secret))
        users.append((agent, secret, Grant(Role.AGENT, agent_id=agent)))
    hasher = _Hashed([secret for _, secret, _ in users])
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            at = SystemClock().now() - 60.0
            import_scenario(session, TENANT, scenario, at=at)
            for login, secret, grant in users:
                create_user(
                    session,
                    TENANT,
                    user_id=login,
                    login=login,
                    display_name=login,
                    password=secret,
                    grants=[grant],
                    actor="demo",
                    at=at,
                    passwords=hasher,
                )
            bots = [agent for agent, _ in credentials.bots]
            service = seed_service_data(
                session,
                TENANT,
                at,
                sites=[site.id for site in scenario.spec.sites],
                agent_id=bots[0] if bots else None,
                expert_id=bots[1] if len(bots) > 1 else None,
            )
            credentials.callers = service.phones
            session.commit()
    finally:
        engine.dispose()
    return credentials


def work(
    base: str,
    scenario: Scenario,
    credentials: list[tuple[str, str]],
    speed: float,
    stopping: threading.Event,
) -> list[BotReport]:
    """`baiying.traffic.run_bots`, with the bots' log-ins spread out (the server hashes each password)
    and until `stopping` is set; then every bot finishes its contact and logs out."""
    clients = [httpx.Client(base_url=base, timeout=HTTP_TIMEOUT_SECONDS) for _ in credentials]
    bots = [
        BotAgent(c, scenario, login=login, password=secret, speed=speed, poll_seconds=BOT_POLL_SECONDS)
        for c, (login, secret) in zip(clients, credentials, strict=True)
    ]
    failures: dict[str, str] = {}

    def run(bot: BotAgent) -> None:
        try:
            bot.run()
        except (TrafficError, httpx.HTTPError) as error:
            failures[bot.login] = str(error)

    threads = [threading.Thread(target=run, args=(b,), name=f"bot-{b.login}", daemon=True) for b in bots]
    try:
        for thread in threads:
            if stopping.wait(BOT_STAGGER_SECONDS):
                break
            thread.start()
        stopping.wait()
    finally:
        for bot in bots:
            bot.stop()
        for thread in threads:
            if thread.is_alive():
                thread.join(STOP_TIMEOUT_SECONDS)
        for client in clients:
            client.close()
    for bot in bots:
        if bot.login in failures:
            bot.report.errors.append(failures[bot.login])
    return [bot.report for bot in bots]


class Server:
    """`baiying serve` in a child process of its own session, so the terminal's Ctrl-C reaches the demo
    only: the demo lets the bots log out before it stops the server."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.url = url
        self.port = port
        self.log = log
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, stopping: threading.Event) -> None:
        command = [sys.executable, "-m", "baiying", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--url", self.url]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not stopping.is_set():
            if self.process.poll() is not None:
                raise DemoFailed(f"the server exited at start:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise DemoFailed(
                    f"the server did not answer within {START_TIMEOUT_SECONDS:g} s:\n{self.tail()}"
                )
            stopping.wait(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


def port_taken(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
    except httpx.TransportError:
        return False
    return True


def run_live_demo(
    *,
    minutes: float | None,
    speed: float,
    port: int,
    start_second_of_day: float | None,
    directory: Path,
    say: Callable[[str], None],
) -> None:
    """The whole demo; returns once everything has stopped. Raises DemoFailed (or another DomainError)."""
    stopping = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            say("\nStopping: the traffic ends, the bots finish their contacts and log out ...")
        stopping.set()

    for sig in previous:
        signal.signal(sig, on_signal)
    try:
        if port_taken(port):
            raise DemoFailed(f"port {port} is in use: choose another with --port")
        scenario = load_scenario(
            bundled("national.yaml").read_text(encoding="utf-8"), "scenarios/national.yaml"
        )
        say(f"Baiying live demo: {scenario.spec.description}")
        say(f"Creating the database {directory / 'baiying.db'} and loading the national scenario ...")
        url = fresh_database(directory)
        credentials = seed(url, scenario)
        server = Server(url, port, directory / "server.log")
        try:
            server.start(stopping)
            if not stopping.is_set():
                _run(server, scenario, credentials, minutes, speed, start_second_of_day, stopping, say)
        finally:
            server.stop()
        say("Server stopped.")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(
    server: Server,
    scenario: Scenario,
    credentials: Credentials,
    minutes: float | None,
    speed: float,
    start_second_of_day: float | None,
    stopping: threading.Event,
    say: Callable[[str], None],
) -> None:
    bot_reports: list[BotReport] = []
    traffic_report: list[TrafficReport] = []
    with httpx.Client(base_url=server.base, timeout=HTTP_TIMEOUT_SECONDS) as admin:
        log_in(admin, ADMIN, credentials.admin)
        generator = TrafficGenerator(
            admin,
            scaled(scenario, TRAFFIC_SHARE),
            speed=speed,
            start_second_of_day=start_second_of_day,
            callers=credentials.callers,
        )
        bots = threading.Thread(
            target=lambda: bot_reports.extend(work(server.base, scenario, credentials.bots, speed, stopping)),
            name="demo-bots",
        )
        traffic = threading.Thread(
            target=lambda: traffic_report.append(
                generator.run(minutes=minutes if minutes is not None else FOREVER_MINUTES)
            ),
            name="demo-traffic",
        )
        bots.start()
        traffic.start()
        first_bot, first_secret = credentials.bots[0]
        say("")
        say(f"The contact center is live: {server.base}/docs (OpenAPI; log in with POST /api/auth/login)")
        say(f"  agent desktop and supervisor wallboard: {server.base}/ (log in with one of these)")
        say(f"  admin pages and reports: {server.base}/admin and {server.base}/reports")
        say(f"  customer web chat (bots answer): {server.base}/chat?tenant={TENANT}&queue={CHAT_QUEUE}")
        say(f"  admin login:      {ADMIN} / {credentials.admin}")
        say(f"  supervisor login: {SUPERVISOR} / {credentials.supervisor}")
        say(f"  agent login:      {first_bot} / {first_secret}  (one of {len(credentials.bots)} bot agents)")
        say(f"  (passwords are shown once; the database is {server.url}, made fresh at each run)")
        pace = f"traffic ×{speed:g} ({TRAFFIC_SHARE:.0%} of the national scenario's volume)"
        until = f"for {minutes:g} min" if minutes is not None else "until Ctrl-C"
        say(f"Running {pace}, {len(credentials.bots)} bot agents, {until} ...")
        deadline = None if minutes is None else time.monotonic() + minutes * 60.0
        while not stopping.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                break
            if server.process is not None and server.process.poll() is not None:
                say(f"The server stopped unexpectedly:\n{server.tail()}")
                break
            if not traffic.is_alive() and deadline is None:
                break
            stopping.wait(0.2)
        generator.stop()
        stopping.set()  # the bots' stop signal
        traffic.join(STOP_TIMEOUT_SECONDS)
        bots.join(STOP_TIMEOUT_SECONDS + 30.0)
        say("Traffic stopped; the bots logged out.")
        _summary(admin, traffic_report, bot_reports, say)


def _summary(
    admin: httpx.Client,
    traffic_report: list[TrafficReport],
    bot_reports: list[BotReport],
    say: Callable[[str], None],
) -> None:
    sent = traffic_report[0] if traffic_report else None
    created = len(sent.created) if sent is not None else 0
    completed = sum(len(r.completed) for r in bot_reports)
    say("")
    say("Summary")
    say(f"  contacts created: {created}")
    say(f"  completed by the bots: {completed}")
    try:
        response = admin.get("/api/stats")
        response.raise_for_status()
        total = response.json()["total"]
    except (httpx.HTTPError, ValueError, KeyError) as error:
        say(f"  (live statistics unavailable: {error})")
        return
    today = total["today"]
    say(
        f"  offered today: {today['offered']}, answered: {today['answered']}, abandoned: {today['abandoned']}"
    )
    sl, asa = today.get("service_level"), today.get("asa_seconds")
    if sl is not None:
        say(f"  service level: {sl:.0%}" + (f", ASA {asa:.1f} s" if asa is not None else ""))
    say(f"  still waiting: {total['waiting']}")
    errors = [e for r in bot_reports for e in r.errors] + (sent.errors if sent is not None else [])
    if errors:
        say(f"  {len(errors)} request(s) refused, first: {errors[0]}")


def parse_time_of_day(text: str) -> float:
    """'HH:MM' as seconds since midnight."""
    hours, sep, mins = text.partition(":")
    try:
        h, m = int(hours), int(mins or "0")
    except ValueError:
        h, m = -1, -1
    if not (0 <= h < 24 and 0 <= m < 60) or (sep and not mins):
        raise DemoFailed(f"--start should be a time of day HH:MM, not {text!r}")
    return float(h * 3600 + m * 60)
