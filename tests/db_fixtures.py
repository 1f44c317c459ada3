"""Database fixtures shared by every test package that needs a real database (storage, application,
API): each such test runs on SQLite and on a throwaway PostgreSQL cluster. Registered once for the whole
suite by `pytest_plugins` in `tests/conftest.py`, so one cluster serves every package.

The cluster is made once per session with the installed `initdb`/`pg_ctl` in a temporary directory, on a
free 127.0.0.1 port with trust authentication, and removed at the end. As root (CI), the server runs as
the `postgres` user, since PostgreSQL refuses to run as root. Tests of a migrated database share one,
emptied before each test; tests of migrations get a new empty database each.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.orm import Session

import baiying.storage.journal  # noqa: F401  (puts the router_journal table in Base.metadata)
import baiying.storage.knowledge_tables as _knowledge_tables  # noqa: F401  (the knowledge tables)
import baiying.storage.ticket_tables as _ticket_tables  # noqa: F401  (puts the ticket tables in Base.metadata)
from baiying.storage import migrate
from baiying.storage.engine import make_engine
from baiying.storage.tables import Base

BACKENDS = ["sqlite", "postgresql"]
PG_USER = "postgres"
PG_DATABASE = "baiying"
START_TIMEOUT_SECONDS = 60
# No fsync anywhere: the cluster is thrown away, and the tests need its speed, not its durability.
INITDB_FLAGS = ("-U", PG_USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")


def _server_bindir() -> Path:
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
    pytest.fail(
        "the storage tests need the PostgreSQL server binaries (initdb, pg_ctl), found neither through "
        "`pg_config --bindir` nor in /usr/lib/postgresql/*/bin: install PostgreSQL "
        "(e.g. `apt-get install postgresql`)",
        pytrace=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """A running throwaway server; `database()` makes a new database and returns its URL."""

    def __init__(self, root: Path, bindir: Path) -> None:
        self.root = root
        self.bindir = bindir
        self.data = root / "data"
        self.port = _free_port()
        self._names = count(1)
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", PG_USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.root, PG_USER)
        made = self._run("initdb", "-D", str(self.data), *INITDB_FLAGS)
        if made.returncode != 0:
            pytest.fail(f"initdb failed:\n{made.stdout}\n{made.stderr}", pytrace=False)
        # autovacuum=off: its workers connect to the template database, and CREATE DATABASE waits for them.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off"
        )
        log = self.root / "server.log"
        wait = ("-w", "-t", str(START_TIMEOUT_SECONDS))
        started = self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, *wait, "start")
        if started.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"pg_ctl start failed:\n{started.stderr}\n{server_log}", pytrace=False)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(sql.encode())

    def database(self) -> str:
        name = f"test_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return name

    def truncate(self, url: str, tables: list[str]) -> None:
        database = url.rpartition("/")[2]
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname=database, autocommit=True
        ) as connection:
            connection.execute(
                b"SET lock_timeout = '10s'"
            )  # a test that leaked a connection fails, not hangs
            connection.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE".encode())

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    bindir = _server_bindir()
    root = Path(tempfile.mkdtemp(prefix="baiying-pg-"))
    cluster = PostgresCluster(root, bindir)
    try:
        cluster.start()
        cluster.execute(f'CREATE DATABASE "{PG_DATABASE}"')
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_cluster: PostgresCluster) -> str:
    """postgresql+psycopg://postgres@127.0.0.1:PORT/baiying on the throwaway cluster (trust auth)."""
    return pg_cluster.url(PG_DATABASE)


@pytest.fixture(scope="session")
def pg_migrated(pg_url: str) -> str:
    """The `baiying` database migrated to head; `db_url` empties its tables before each test."""
    migrate.upgrade(pg_url)
    return pg_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, to copy for each test (its WAL is checkpointed on close)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "baiying.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _database(request: pytest.FixtureRequest, backend: str, tmp_path: Path, migrated: bool) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "baiying.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    if migrated:
        # Emptying the tables takes milliseconds where copying a database takes a tenth of a second.
        cluster.truncate(request.getfixturevalue("pg_migrated"), list(Base.metadata.tables))
        yield request.getfixturevalue("pg_migrated")
        return
    name = cluster.database()
    yield cluster.url(name)
    cluster.drop(name)


@pytest.fixture
def empty_db_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables, on each backend."""
    yield from _database(request, backend, tmp_path, migrated=False)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A database migrated to head, on each backend."""
    yield from _database(request, backend, tmp_path, migrated=True)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with Session(engine) as opened:
        yield opened
    engine.dispose()
