"""Work handed off by a bus subscriber: the subscriber runs on the publishing thread, which holds the
tenant's lock, so anything that reads or writes the database goes to a thread of its own.

A job that fails (e.g. SQLite busy: another writer committed meanwhile) is tried again, up to `attempts`
times, then logged; the next job runs either way.
"""

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
Job = TypeVar("Job")


class BackgroundWorker(Generic[Job]):
    """Runs `work(job)` for each job put, in order, on a daemon thread named `name`."""

    def __init__(self, name: str, work: Callable[[Job], None], *, attempts: int = 3) -> None:
        self._work = work
        self._attempts = attempts
        self._jobs: queue.SimpleQueue[tuple[Job] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, job: Job) -> None:
        self._jobs.put((job,))

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            (job,) = item
            for attempt in range(1, self._attempts + 1):
                try:
                    self._work(job)
                    break
                except Exception:
                    if attempt == self._attempts:
                        log.exception("%s: %r failed %d times", self._thread.name, job, attempt)

    def close(self, timeout: float = 5.0) -> None:
        """Finish the jobs put so far (waiting up to `timeout` seconds), then stop."""
        self._jobs.put(None)
        self._thread.join(timeout)
