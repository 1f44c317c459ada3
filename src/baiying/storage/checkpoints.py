"""SQLite WAL checkpoints off the live engine's commit path.

By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages (`wal_autocheckpoint`):
that commit copies the WAL into the database file and fsyncs both (the only fsyncs `synchronous=NORMAL`
makes), while the live engine holds its tenant's lock, so every command waits behind it. About one commit
in a hundred paid it under the live benchmark, tens of milliseconds each on a busy disk. `WalCheckpointer`
turns that off for one engine's connections and checkpoints from a thread of its own instead (PASSIVE: it
never waits for, nor blocks, a writer; frames still in use by a reader are copied by a later pass).
Other engines on the same file keep the default, so the WAL never goes unchecked for long either way.
"""

import logging
import threading
import weakref
from typing import Any

from sqlalchemy import Engine, event

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY_SECONDS = 1.0


class WalCheckpointer:
    """Checkpoints a file SQLite database every `every_seconds` on its own thread, and disables the
    automatic checkpoint of `engine`'s connections: create it before the engine's first connection.
    Does nothing for other databases. `stop()` ends it."""

    def __init__(self, engine: Engine, every_seconds: float = CHECKPOINT_EVERY_SECONDS) -> None:
        self.engine = engine
        self.every_seconds = every_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0  # checkpoints run so far
        database = engine.url.database or ""
        if engine.dialect.name != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
            return
        event.listen(engine, "connect", _no_autocheckpoint)
        # The thread holds only a weak reference: a checkpointer nobody stopped ends with its owner.
        self._thread = threading.Thread(
            target=_run, args=(weakref.ref(self), self._stopping, every_seconds), name="sqlite-checkpoints"
        )
        self._thread.daemon = True
        self._thread.start()

    @property
    def active(self) -> bool:
        return self._thread is not None

    def checkpoint(self) -> None:
        """One PASSIVE checkpoint; a failure is logged (the next pass, or another engine, retries)."""
        try:
            # The DBAPI connection (autocommit, see `make_engine`): no BEGIN, so no lock is taken.
            connection = self.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.close()
            finally:
                connection.close()
            self.passes += 1
        except Exception as exc:
            logger.warning("SQLite checkpoint failed (retried in %.1f s): %s", self.every_seconds, exc)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None


def _run(owner: "weakref.ref[WalCheckpointer]", stopping: threading.Event, every_seconds: float) -> None:
    while not stopping.wait(every_seconds):
        checkpointer = owner()
        if checkpointer is None:
            return
        checkpointer.checkpoint()
        del checkpointer


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    finally:
        cursor.close()
