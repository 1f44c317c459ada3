"""Database fixtures shared by every test package that needs a real database (storage, application,
API): each such test runs on SQLite and on a throwaway PostgreSQL cluster. Registered once for the whole
suite by `pytest_plugins` in `tests/conftest.py`, so one cluster serves every package.

The cluster (`baiying.storage.throwaway`, which the benchmarks use too) is made once per session with the
installed `initdb`/`pg_ctl` in a temporary directory, on a free 127.0.0.1 port with trust authentication,
and removed at the end. As root (CI), the server runs as the `postgres` user, since PostgreSQL refuses to
run as root. Tests of a migrated database share one,
emptied before each test; tests of migrations get a new empty database each.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import baiying.storage.journal  # noqa: F401  (puts the router_journal table in Base.metadata)
import baiying.storage.knowledge_tables as _knowledge_tables  # noqa: F401  (the knowledge tables)
import baiying.storage.ticket_tables as _ticket_tables  # noqa: F401  (puts the ticket tables in Base.metadata)
from baiying.storage import migrate
from baiying.storage.engine import make_engine
from baiying.storage.tables import Base
from baiying.storage.throwaway import ClusterUnavailable, PostgresCluster

BACKENDS = ["sqlite", "postgresql"]
PG_DATABASE = "baiying"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = PostgresCluster()
    except ClusterUnavailable as exc:
        pytest.fail(f"the storage tests need a PostgreSQL server: {exc}", pytrace=False)
    try:
        cluster.start()
        cluster.database(PG_DATABASE)
        yield cluster
    except ClusterUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        cluster.close()


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
        request.getfixturevalue("pg_migrated")
        cluster.truncate(PG_DATABASE, list(Base.metadata.tables))
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
