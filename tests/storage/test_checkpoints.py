"""SQLite checkpoints off the commit path: the engine's commits leave the WAL alone, the checkpointer
copies it into the database file from its own thread, and it does nothing for other databases."""

import time
from pathlib import Path

from sqlalchemy import Engine, text

from baiying.storage.checkpoints import WalCheckpointer
from baiying.storage.engine import make_engine


def _fill(engine: Engine, commits: int, rows_per_commit: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)"))
    for _ in range(commits):
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO filler (body) VALUES (:body)"), [{"body": "x" * 1000}] * rows_per_commit
            )


def test_commits_leave_the_wal_to_the_checkpointer(tmp_path: Path) -> None:
    database = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{database}")
    checkpoints = WalCheckpointer(engine, every_seconds=3600.0)  # no pass unless asked
    try:
        assert checkpoints.active
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        _fill(engine, commits=60, rows_per_commit=100)  # ~6 MB: past the default 1,000-page checkpoint
        before = database.stat().st_size
        assert before < 1_000_000  # everything is still in the WAL
        checkpoints.checkpoint()
        assert database.stat().st_size > 5_000_000
        assert checkpoints.passes == 1
    finally:
        checkpoints.stop()
        engine.dispose()


def test_the_default_engine_checkpoints_at_commit(tmp_path: Path) -> None:
    database = tmp_path / "plain.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        _fill(engine, commits=60, rows_per_commit=100)
        assert database.stat().st_size > 1_000_000  # what the checkpointer's engine does not do
    finally:
        engine.dispose()


def test_the_checkpointer_runs_on_its_own_until_stopped(tmp_path: Path) -> None:
    database = tmp_path / "timed.db"
    engine = make_engine(f"sqlite:///{database}")
    checkpoints = WalCheckpointer(engine, every_seconds=0.02)
    try:
        _fill(engine, commits=3, rows_per_commit=100)
        deadline = time.monotonic() + 10
        while checkpoints.passes < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpoints.passes >= 2
        assert database.stat().st_size > 250_000
    finally:
        checkpoints.stop()
        engine.dispose()
    stopped_at = checkpoints.passes
    time.sleep(0.1)
    assert checkpoints.passes == stopped_at


def test_nothing_to_do_for_a_memory_database() -> None:
    engine = make_engine("sqlite://")
    checkpoints = WalCheckpointer(engine, every_seconds=0.01)
    assert not checkpoints.active
    checkpoints.stop()
    engine.dispose()
