"""A real `baiying serve` process for end-to-end tests: a migrated SQLite database seeded from a scenario
(plus users), the server on a free 127.0.0.1 port, started and killed with bounded waits."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.simulation.scenario import Scenario, load_scenario
from baiying.storage.tables import Role
from baiying.traffic.seed import seed_center

REPO = Path(__file__).resolve().parents[2]
SECRET = "an-e2e-test-secret-key-that-is-long-enough-0123456789"
START_TIMEOUT_SECONDS = 60.0  # a loaded 2-core CI machine starts it in seconds, rarely in more than 30
STOP_TIMEOUT_SECONDS = 10.0
ADMIN = "boss"


def password(login: str) -> str:
    return f"{login}'s password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(url: str, tenant: str, scenario_yaml: str, agent_ids: Iterable[str]) -> Scenario:
    """Migrate the database, import the scenario's network into `tenant`, and add the admin `boss` and
    one agent user per agent id (login = agent id); every password is `password(login)`."""
    scenario = load_scenario(scenario_yaml, "test scenario")
    users = [(ADMIN, password(ADMIN), Grant(Role.ADMIN))]
    users += [(a, password(a), Grant(Role.AGENT, agent_id=a)) for a in agent_ids]
    # The server's own hashing parameters: a cheaper hash would be rehashed (a write) at each first login.
    seed_center(url, tenant, scenario, users, passwords=Passwords())
    return scenario


@dataclass
class ServerProcess:
    """`baiying serve --url URL` in a child process; `start()` waits for /healthz, `kill()` is kill -9."""

    url: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    starts: int = 0
    # The source tree (pure Python) unless False: then the installed package, compiled, as `baiying serve`
    # runs after `make` (the server benchmark).
    from_source: bool = True

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        self.log = self.workdir / f"server-{self.starts}.log"
        env = {**os.environ, "BAIYING_SECRET_KEY": SECRET}
        if self.from_source:
            env["PYTHONPATH"] = str(REPO / "src")
        command = [sys.executable, "-m", "baiying", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--url", self.url]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            self._wait_until_healthy(self.process)
        except BaseException:
            self.stop()  # a server that failed to start must not outlive the test
            raise

    def _wait_until_healthy(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the server exited at start:\n{self.output()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer within {START_TIMEOUT_SECONDS} s:\n{self.output()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no shutdown hook runs, whatever was not committed is lost."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        self.process = None

    def stop(self) -> None:
        """A clean stop (SIGTERM), else kill -9 after a bounded wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log is not None and self.log.exists() else ""


def log_in(client: httpx.Client, login: str) -> dict[str, str]:
    """Bearer headers for the user (the client's cookie jar is left empty)."""
    response = client.post("/api/auth/login", json={"login": login, "password": password(login)})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def one_queue_scenario(queue: str) -> str:
    """A one-site, one-queue network with one agent skilled for it: enough for a channel's end-to-end test."""
    return f"""
name: {queue}
seed: 1
sites: [{{id: hq}}]
queues: [{{id: {queue}, policy: anyone}}]
policies: [{{id: anyone, steps: [{{target: {{skills: {{{queue}: 1}}}}}}]}}]
traffic: [{{name: calls, queue: {queue}, site: hq, daily_volume: 10, handle: {{kind: constant, value: 60}}}}]
agents: [{{group: agent, site: hq, count: 1, skills: {{{queue}: 5}}}}]
"""


@contextmanager
def one_queue_server(workdir: Path, tenant: str, queue: str) -> Iterator[ServerProcess]:
    """A running server over a fresh SQLite database seeded with `one_queue_scenario(queue)`."""
    url = f"sqlite:///{workdir / 'baiying.db'}"
    seed(url, tenant, one_queue_scenario(queue), [])
    process = ServerProcess(url, workdir)
    process.start()
    try:
        yield process
    finally:
        process.stop()
