"""A throwaway PostgreSQL cluster: the test suite's second database and the benchmarks'.

It is made with the installed `initdb`/`pg_ctl` in a new temporary directory, listens on a free
127.0.0.1 port with trust authentication, runs without fsync (it is thrown away), and is removed by
`remove()`. As root (CI), the server runs as the `postgres` user, since PostgreSQL refuses to run as
root; the directory is then given to that user, and is made directly under the system's temporary
directory so that user can reach it.

A cluster records the process that made it (`owner.pid`); one whose owner died without removing it (a
test run killed with SIGKILL) is stopped and removed when the next cluster is made.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from itertools import count
from pathlib import Path

import psycopg

PG_USER = "postgres"
START_TIMEOUT_SECONDS = 60
COMMAND_TIMEOUT_SECONDS = 120
INITDB_FLAGS = ("-U", PG_USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
OWNER_FILE = "owner.pid"


class ClusterUnavailable(RuntimeError):
    """No cluster could be made or started; the message says why (and what to install)."""


def server_bindir() -> Path:
    """The directory holding `initdb` and `pg_ctl`: `pg_config --bindir`, else the newest
    /usr/lib/postgresql/*/bin. Raises ClusterUnavailable when neither has them."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(found.stdout.strip()))
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        versions, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True
    )
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise ClusterUnavailable(
        "the PostgreSQL server binaries (initdb, pg_ctl) were found neither through `pg_config --bindir` "
        "nor in /usr/lib/postgresql/*/bin: install PostgreSQL (e.g. `apt-get install postgresql`)"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's process
        return True
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """A running throwaway server once `start()` returned; `database()` makes a new database and returns
    its name, `url(name)` its SQLAlchemy URL. `stop()` then `remove()` (or `close()`, both)."""

    def __init__(
        self,
        bindir: Path | None = None,
        *,
        prefix: str = "baiying-pg-",
        settings: Mapping[str, str] | None = None,
    ) -> None:
        """`settings`: server parameters over the defaults below (e.g. autovacuum for a benchmark)."""
        self.bindir = bindir if bindir is not None else server_bindir()
        self.settings = dict(settings or {})
        self._as_postgres = os.geteuid() == 0
        self._remove_orphans(prefix)
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        (self.root / OWNER_FILE).write_text(str(os.getpid()))
        self.data = self.root / "data"
        self.port = free_port()
        self._names = count(1)

    def _remove_orphans(self, prefix: str) -> None:
        """Stop and remove the clusters of processes that died without removing them."""
        for root in Path(tempfile.gettempdir()).glob(prefix + "*"):
            try:
                owner = int((root / OWNER_FILE).read_text())
            except (OSError, ValueError):
                continue  # not ours to judge: made before owners were recorded, or being made now
            if _alive(owner):
                continue
            if (root / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(root / "data"), "-m", "immediate", "-w", "stop")
            shutil.rmtree(root, ignore_errors=True)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", PG_USER, "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_SECONDS
        )

    def start(self) -> None:
        """initdb and start the server; ClusterUnavailable (with their output) if either fails."""
        if self._as_postgres:
            shutil.chown(self.root, PG_USER)
        made = self._run("initdb", "-D", str(self.data), *INITDB_FLAGS)
        if made.returncode != 0:
            raise ClusterUnavailable(f"initdb failed:\n{made.stdout}\n{made.stderr}")
        # autovacuum=off: its workers connect to the template database, and CREATE DATABASE waits for them.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off"
        )
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        log = self.root / "server.log"
        wait = ("-w", "-t", str(START_TIMEOUT_SECONDS))
        started = self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, *wait, "start")
        if started.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise ClusterUnavailable(f"pg_ctl start failed:\n{started.stderr}\n{server_log}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def close(self) -> None:
        self.stop()
        self.remove()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname=database, autocommit=True
        ) as connection:
            connection.execute(sql.encode())

    def database(self, name: str | None = None) -> str:
        """Create a database (`name`, else a new `test_N`) and return its name."""
        chosen = name if name is not None else f"test_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{chosen}"')
        return chosen

    def truncate(self, database: str, tables: list[str]) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname=database, autocommit=True
        ) as connection:
            connection.execute(
                b"SET lock_timeout = '10s'"
            )  # a test that leaked a connection fails, not hangs
            connection.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE".encode())

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
