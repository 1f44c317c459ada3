"""Work handed off from the bus: run in order on a thread of its own, a failing job retried, then logged."""

import logging
import threading

import pytest

from baiying.application.background import BackgroundWorker


def test_jobs_run_in_order_off_the_caller_thread_and_a_failure_is_retried() -> None:
    done: list[tuple[str, str]] = []
    failures = {"flaky": 2}

    def work(job: str) -> None:
        if failures.get(job, 0) > 0:
            failures[job] -= 1
            raise RuntimeError("database is locked")
        done.append((job, threading.current_thread().name))

    worker = BackgroundWorker[str]("test-worker", work)
    for job in ["a", "flaky", "b"]:
        worker.put(job)
    worker.close()
    assert done == [("a", "test-worker"), ("flaky", "test-worker"), ("b", "test-worker")]


def test_a_job_that_keeps_failing_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    done: list[str] = []
    tries: list[str] = []

    def work(job: str) -> None:
        tries.append(job)
        if job == "broken":
            raise RuntimeError("no such table")
        done.append(job)

    worker = BackgroundWorker[str]("test-worker", work, attempts=3)
    with caplog.at_level(logging.ERROR, logger="baiying.application.background"):
        worker.put("broken")
        worker.put("fine")
        worker.close()
    assert (tries, done) == (["broken"] * 3 + ["fine"], ["fine"])
    [record] = caplog.records
    assert "test-worker: 'broken' failed 3 times" in record.getMessage()
