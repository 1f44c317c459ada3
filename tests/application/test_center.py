"""The live engine: every command is one transaction (journal, contact rows, events) published after
COMMIT; a crash loses nothing, and the restarted center carries on exactly as one that never stopped."""

import contextlib
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from baiying import events as ev
from baiying.application import driver as driver_module
from baiying.application.center import LiveCenter
from baiying.clock import ManualClock
from baiying.errors import DomainError
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.model import SiteStatus
from baiying.storage.engine import make_engine, request_writer_transactions
from baiying.storage.event_log import EventLog
from baiying.storage.journal import RouterJournal
from baiying.storage.repositories import QueueRepository
from baiying.storage.tables import ContactRow, SiteRow
from tests.application.helpers import (
    A1,
    AFTER_CRASH,
    BEFORE_CRASH,
    BILLING,
    GZ,
    T0,
    TECH1,
    TENANT,
    Run,
    arrive,
    c,
    load_national,
    play,
    until,
)


@pytest.fixture
def url(db_url: str) -> str:
    load_national(db_url)
    return db_url


@pytest.fixture
def twin_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A second database for a center that never crashes (SQLite whatever the backend under test)."""
    path = tmp_path / "twin.db"
    shutil.copyfile(sqlite_template, path)
    load_national(f"sqlite:///{path}")
    return f"sqlite:///{path}"


def stored(url: str) -> dict[str, Any]:
    """Everything the engine writes: events, journal, contact rows, site statuses."""
    engine = make_engine(url)
    with Session(engine) as session:
        contacts = {
            row.id: (
                row.state,
                row.queue_id,
                tuple(row.placement),
                row.agent_id,
                row.step_index,
                row.attributes,
            )
            for row in session.scalars(select(ContactRow).where(ContactRow.tenant_id == TENANT))
        }
        found = {
            "events": EventLog().read(session, TENANT),
            "journal": RouterJournal().read(session, TENANT),
            "contacts": contacts,
            "sites": {row.id: row.status for row in session.scalars(select(SiteRow))},
        }
    engine.dispose()
    return found


def state(center: LiveCenter) -> tuple[Any, ...]:
    return center.waiting(TENANT), center.agents(TENANT), center.next_due(TENANT)


def test_each_command_commits_its_events_and_publishes_exactly_those(url: str) -> None:
    run = Run.open(url)
    said = dict(play(run, BEFORE_CRASH + AFTER_CRASH))
    until(run, T0 + 1000)

    db = stored(url)
    log = db["events"]
    assert log == run.recorder.published  # published after commit, in log order, nothing more or less
    assert [seq for seq, _ in log] == list(range(1, len(log) + 1))
    events = [e for _, e in log]
    assert ev.ContactAnswered(T0 + 5, c(1), BILLING, A1, SiteId("beijing"), 3.0) in events
    assert ev.ContactCompleted(T0 + 20, c(1), BILLING, A1, SiteId("beijing"), 15.0) in events
    assert ev.ContactAbandoned(T0 + 15, c(6), BILLING, SiteId("beijing"), 3.0) in events
    assert ev.SiteStatusChanged(T0 + 145, GZ, "evacuated", "open") in events
    transferred = [e for e in events if isinstance(e, ev.ContactTransferred)]
    assert [(e.contact_id, e.from_queue_id, e.to_queue_id) for e in transferred] == [
        (c(7), "billing", "tech"),
        (c(7), "tech", "tech"),
    ]
    # Each leg of the transferred contact is completed once, by the agent who worked it.
    legs = [
        (e.agent_id, e.handle_seconds)
        for e in events
        if isinstance(e, ev.ContactCompleted) and e.contact_id == c(7)
    ]
    assert legs == [
        ("bj-billing-early-003", 50.0),
        ("bj-billing-early-002", 76.0),
        ("bj-billing-early-003", 70.0),
    ]
    missed = [e for e in events if isinstance(e, ev.OfferDeclined)]
    assert [(e.contact_id, e.agent_id, e.missed) for e in missed] == [
        (c(10), "bj-billing-early-003", False),
        (c(7), "bj-billing-early-003", True),
    ]
    # Refused commands left nothing: one journal entry per accepted command or deciding deadline.
    refused = [label for label, lines in said.items() if any(line.startswith("refused") for line in lines)]
    assert len(refused) == 2
    commands = [entry.command for entry in db["journal"]]
    assert commands[0] == "configure"
    assert len([cmd for cmd in commands if cmd != "advance"]) == 1 + len(BEFORE_CRASH + AFTER_CRASH) - len(
        refused
    )

    contacts = db["contacts"]
    assert contacts[c(1)][0] == "completed"
    assert contacts[c(1)][5] == {"wrap_up": {"code": "resolved", "notes": "refund issued"}}
    assert contacts[c(6)][0] == "abandoned"
    assert contacts[c(10)][0] == "abandoned"
    assert contacts[c(7)][0:2] == ("completed", "tech")
    assert {key: (row[0], row[3]) for key, row in contacts.items() if row[0] == "connected"} == {
        c(8): ("connected", TECH1),
        c(9): ("connected", A1),  # A1 logged out while talking: still with it
    }
    assert {row[0] for row in contacts.values()} == {"completed", "abandoned", "connected"}
    assert db["sites"][GZ] == "open"
    assert run.center.contact(TENANT, c(1)).state == "completed"
    run.center.close()


def test_after_a_crash_the_restarted_center_carries_on_like_its_uncrashed_twin(
    url: str, twin_url: str
) -> None:
    first, twin = Run.open(url), Run.open(twin_url)
    for (label, said), (_, twin_said) in zip(
        play(first, BEFORE_CRASH), play(twin, BEFORE_CRASH), strict=True
    ):
        assert said == twin_said, label
    before = state(first.center)
    waiting, agents, due = before
    assert [s.contact_id for s in waiting] == [c(4), c(9)]
    assert {a.agent_id: a.state for a in agents} == {
        "bj-billing-early-001": "busy",
        "bj-billing-early-002": "busy",
        "bj-billing-early-003": "busy",
        TECH1: "reserved",  # c08 is ringing
        "gz-billing-early-001": "wrap-up",
    }
    assert due is not None
    assert due > first.clock.now()

    # The process dies: the center is dropped, never closed; a new one starts on the same database.
    crashed, published = first.center, first.recorder.published
    del first
    restarted = Run.open(url, at=twin.clock.now())

    assert state(restarted.center) == before == state(twin.center)
    replay = restarted.center.last_replay(TENANT)
    assert replay.commands == len(stored(url)["journal"]) - 1  # everything after `configure`
    assert stored(url)["events"] == published  # nothing lost, nothing written twice

    for (label, said), (_, twin_said) in zip(
        play(restarted, AFTER_CRASH), play(twin, AFTER_CRASH), strict=True
    ):
        assert said == twin_said, label
    assert until(restarted, T0 + 1000) == until(twin, T0 + 1000)
    assert state(restarted.center) == state(twin.center)

    log, twin_log = stored(url)["events"], stored(twin_url)["events"]
    assert log == twin_log  # the same events with the same sequences: as if it had never stopped
    assert log == published + restarted.recorder.published
    assert stored(url)["contacts"] == stored(twin_url)["contacts"]
    for center in (crashed, restarted.center, twin.center):
        center.close()


def test_a_refused_command_changes_nothing(url: str) -> None:
    run = Run.open(url)
    list(play(run, BEFORE_CRASH))
    center = run.center
    due = center.next_due()
    assert due is not None
    assert due > run.clock.now()  # so no deadline commits on its own meanwhile
    before, views = stored(url), state(center)
    published = list(run.recorder.published)

    refusals: list[tuple[str, Any]] = [
        ("invalid-transition", lambda: center.accept(TENANT, c(8), A1)),  # rings at another agent
        ("invalid-transition", lambda: center.complete(TENANT, c(2), agent_id=A1)),  # not A1's
        ("unknown-wrap-up-code", lambda: center.complete(TENANT, c(2), wrap_up_code="nonsense")),
        ("unknown-queue", lambda: center.arrive(TENANT, QueueId("nowhere"))),
        ("unknown-site", lambda: center.arrive(TENANT, BILLING, site_id=SiteId("atlantis"))),
        ("conflict", lambda: center.arrive(TENANT, BILLING, contact_id=c(1))),  # ended, but its id stays
        ("invalid-contact", lambda: center.arrive(TENANT, BILLING, language="x" * 33)),
        ("invalid-contact", lambda: center.arrive(TENANT, BILLING, attributes={"when": object()})),
        ("unknown-agent", lambda: center.login(TENANT, AgentId("nobody"))),
        ("invalid-transition", lambda: center.login(TENANT, A1)),  # already logged in
        ("unknown-queue", lambda: center.transfer_to_queue(TENANT, c(9), QueueId("nowhere"))),
        ("unknown-site", lambda: center.set_site_status(TENANT, SiteId("atlantis"), SiteStatus.DRAINING)),
        ("unknown-contact", lambda: center.abandon(TENANT, c(1))),
        ("invalid-transition", lambda: center.reconfigure(TENANT)),  # contacts in flight
    ]
    for code, attempt in refusals:
        with pytest.raises(DomainError) as raised:
            attempt()
        assert raised.value.code == code, raised.value

    assert stored(url) == before
    assert state(center) == views
    assert run.recorder.published == published
    center.close()


def test_a_failed_commit_rebuilds_the_router_from_the_journal(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run.open(url)
    list(play(run, BEFORE_CRASH))
    before, views = stored(url), state(run.center)

    def broken(*_: Any, **__: Any) -> list[int]:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(EventLog, "append_with", broken)  # the driver's path
    with pytest.raises(RuntimeError, match="the disk is full"):
        list(play(run, [arrive(87, 20)]))  # decided by the router, then lost with the transaction
    assert stored(url) == before
    assert state(run.center) == views  # rebuilt: the contact the database never stored is not waiting
    assert run.center.last_replay(TENANT).commands == len(before["journal"]) - 1

    monkeypatch.undo()
    ((_, said),) = play(run, [arrive(88, 20)])
    assert said[0].startswith("c20 waits in billing at beijing")
    assert run.center.contact(TENANT, c(20)).state == "waiting"
    run.center.close()


def test_the_configuration_a_journal_began_with_is_kept_until_the_router_is_empty(url: str) -> None:
    run = Run.open(url)
    list(play(run, BEFORE_CRASH[:4]))  # agents in, a contact ringing
    run.center.close()
    engine = make_engine(url)
    with Session(engine) as session:
        QueueRepository(session, TENANT).update("billing", offer_timeout_seconds=5.0)
        session.commit()

    busy = Run.open(url, at=run.clock.now())
    assert busy.center.last_replay(TENANT).epoch_sequence == 1  # replayed under the journaled config
    assert busy.center.inspect(TENANT, lambda r: r.config.queues[BILLING].offer_timeout_seconds) == 20.0
    with pytest.raises(DomainError, match="can change only when it is empty"):
        busy.center.reconfigure(TENANT)
    for agent in (A1, AgentId("bj-billing-early-002"), AgentId("gz-billing-early-001")):
        busy.center.logout(TENANT, agent)
    busy.center.abandon(TENANT, c(1))
    busy.center.reconfigure(TENANT)
    assert busy.center.inspect(TENANT, lambda r: r.config.queues[BILLING].offer_timeout_seconds) == 5.0
    busy.center.close()

    again = LiveCenter(url, ManualClock(T0 + 10))
    assert again.last_replay(TENANT).epoch_sequence > 1
    assert again.last_replay(TENANT).commands == 0
    assert again.inspect(TENANT, lambda r: r.config.queues[BILLING].offer_timeout_seconds) == 5.0
    again.close()
    engine.dispose()


def test_a_contact_is_found_while_routed_and_after_it_ended(url: str) -> None:
    run = Run.open(url)
    list(play(run, BEFORE_CRASH))
    ringing = run.center.contact(TENANT, c(8))
    assert (ringing.state, ringing.agent_id, ringing.routed) == ("offered", TECH1, True)
    ended = run.center.contact(TENANT, c(6))
    assert (ended.state, ended.routed, ended.arrived_at) == ("abandoned", False, T0 + 12)
    with pytest.raises(DomainError, match="no contact c99"):
        run.center.contact(TENANT, ContactId("c99"))
    assert [s.contact_id for s in run.center.waiting(TENANT, QueueId("tech"))] == []
    run.center.close()


def test_commands_from_many_threads_are_serialized_in_journal_order(url: str) -> None:
    run = Run.open(url)
    errors: list[BaseException] = []

    def caller(worker: int) -> None:
        try:
            for n in range(8):
                run.center.arrive(TENANT, BILLING, contact_id=ContactId(f"t{worker}-{n}"), language="cmn")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    waiting = run.center.waiting(TENANT)
    assert len(waiting) == 32
    assert stored(url)["events"] == run.recorder.published  # one order, in the log and on the bus

    restarted = LiveCenter(url, ManualClock(run.clock.now()))
    assert restarted.waiting(TENANT) == waiting
    restarted.close()
    run.center.close()


def test_commands_that_wait_are_committed_together_and_each_fails_alone(url: str) -> None:
    run = Run.open(url)
    run.center.login(TENANT, A1)
    # What this test is about is inside the driver: its engine's COMMITs and the tenant's queue.
    driver = run.center._driver
    commits: list[int] = []
    event.listen(driver.db, "commit", lambda _connection: commits.append(1))
    tenant = driver._tenant(TENANT)
    results: dict[int, Any] = {}

    def caller(n: int) -> None:
        contact = c(40) if n in (0, 1) else c(40 + n)  # 0 and 1 ask for the same id: one is refused
        try:
            results[n] = run.center.arrive(TENANT, BILLING, contact_id=contact, language="cmn")
        except DomainError as exc:
            results[n] = exc

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
    with tenant.lock:  # the tenant is busy: every command waits for it
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(tenant.pending) < len(threads):
            assert time.monotonic() < deadline, "the commands did not queue"
            time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=30)

    assert len(commits) == 1  # eight commands, one transaction
    refused = [r for r in results.values() if isinstance(r, DomainError)]
    assert [r.code for r in refused] == ["conflict"]
    done = [r for r in results.values() if not isinstance(r, DomainError)]
    assert len(done) == 7
    log = stored(url)["events"]
    assert log == run.recorder.published  # one batch, in log order
    for result in done:  # each command gets its own events, with their sequences in the log
        assert [dict(log)[s] for s in result.sequences] == list(result.events)
        assert isinstance(result.events[0], ev.ContactArrived)
        assert result.events[0].contact_id == result.contact_id
    assert [r.decisions[0].explain().split()[0] for r in done if r.contact_id == c(40)] == ["c40"]
    journal = [entry.command for entry in stored(url)["journal"]]
    assert journal.count("arrive") == 7
    restarted = LiveCenter(url, ManualClock(run.clock.now()))
    assert restarted.waiting(TENANT) == run.center.waiting(TENANT)
    restarted.close()
    run.center.close()


def test_the_center_refuses_a_call_from_inside_a_request_writer_transaction(url: str) -> None:
    """Such a call could wait for the tenant's lock held by a command that waits for the write lock this
    request holds: a deadlock until the busy timeout. It fails at once instead (SQLite only)."""
    run = Run.open(url)
    engine = make_engine(url)
    try:
        with Session(request_writer_transactions(engine)) as session:
            session.execute(text("SELECT 1"))
            if engine.dialect.name != "sqlite":
                assert run.center.waiting(TENANT, QueueId("tech")) == []
                return
            with pytest.raises(RuntimeError, match="inside a request's writer transaction"):
                run.center.waiting(TENANT, QueueId("tech"))
            session.rollback()
            assert run.center.waiting(TENANT, QueueId("tech")) == []
    finally:
        engine.dispose()
        run.center.close()


class _CountingLock:
    """The tenant's lock, counting who takes it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.taken = 0

    def __enter__(self) -> bool:
        entered = self._lock.__enter__()
        self.taken += 1
        return entered

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(*exc)


def _queue_callers(tenant: Any, calls: list[Any]) -> list[threading.Thread]:
    """Start a thread per call while the tenant is busy, each once the one before waits: they queue in
    the order given."""
    threads = []
    with tenant.lock:
        for call in calls:
            thread = threading.Thread(target=call)
            thread.start()
            threads.append(thread)
            deadline = time.monotonic() + 30
            while len(tenant.pending) < len(threads):
                assert time.monotonic() < deadline, "the command did not queue"
                time.sleep(0.005)
    return threads


def _fail_writing(monkeypatch: pytest.MonkeyPatch, arrivals: set[ContactId]) -> None:
    """The driver's writes fail for these contacts' arrivals ("the disk is full")."""
    real = driver_module.write_outcome

    def failing(session: Session, direct: Any, tenant_id: str, now: float, outcome: Any, *a: Any) -> None:
        if outcome.arrived is not None and outcome.arrived.id in arrivals:
            raise RuntimeError("the disk is full")
        real(session, direct, tenant_id, now, outcome, *a)

    monkeypatch.setattr(driver_module, "write_outcome", failing)


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a caller was left waiting"


def test_callers_whose_commands_another_ran_are_woken_without_taking_the_tenants_lock(url: str) -> None:
    """Under load, each caller queueing for the lock just to learn its command was run made a convoy of
    hand-offs that held groups to a few commands."""
    run = Run.open(url)
    tenant = run.center._driver._tenant(TENANT)
    tenant.lock = _CountingLock()
    results: dict[int, Any] = {}

    def caller(n: int) -> Any:
        return lambda: results.__setitem__(
            n, run.center.arrive(TENANT, BILLING, contact_id=c(50 + n), language="cmn")
        )

    _join(_queue_callers(tenant, [caller(n) for n in range(8)]))
    assert sorted(r.contact_id for r in results.values()) == [c(50 + n) for n in range(8)]
    assert tenant.lock.taken == 2  # this test, then the one caller that ran all eight
    assert not tenant.led
    assert not tenant.pending
    run.center.close()


def test_a_write_failing_mid_group_fails_the_commands_run_with_it_and_the_rest_run_next(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run.open(url)
    tenant = run.center._driver._tenant(TENANT)
    _fail_writing(monkeypatch, {c(63)})
    results: dict[int, Any] = {}

    def caller(n: int) -> Any:
        def call() -> None:
            try:
                results[n] = run.center.arrive(TENANT, BILLING, contact_id=c(60 + n), language="cmn")
            except RuntimeError as exc:
                results[n] = exc

        return call

    _join(_queue_callers(tenant, [caller(n) for n in range(8)]))
    failed = sorted(n for n, r in results.items() if isinstance(r, RuntimeError))
    assert failed == [0, 1, 2, 3]  # in the transaction that failed; 4-7 waited for the next group
    assert sorted(r.contact_id for r in results.values() if not isinstance(r, RuntimeError)) == [
        c(64),
        c(65),
        c(66),
        c(67),
    ]
    waiting = {s.contact_id for s in run.center.waiting(TENANT)}
    assert {c(60 + n) for n in range(8)} & waiting == {c(64), c(65), c(66), c(67)}
    assert not tenant.led
    assert not tenant.pending
    run.center.close()


def test_commands_from_many_threads_with_the_timer_and_failing_writes_all_end_and_agree_with_the_log(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No caller is left waiting, whoever runs its command (another caller, the timer's `advance`) and
    whatever fails; what is stored rebuilds to the router the center has."""
    run = Run.open(url)
    unlucky = {c(100 + 7 * n) for n in range(6)}
    _fail_writing(monkeypatch, unlucky)
    outcomes: list[str] = []
    stop = threading.Event()

    def caller(worker: int) -> None:
        for n in range(10):
            try:
                run.center.arrive(TENANT, BILLING, contact_id=c(100 + 10 * worker + n), language="cmn")
                outcomes.append("ok")
            except RuntimeError:
                outcomes.append("failed")

    def timer() -> None:
        while not stop.is_set():
            run.clock.advance(0.5)
            with contextlib.suppress(RuntimeError):
                run.center.advance(TENANT)

    ticking = threading.Thread(target=timer)
    ticking.start()
    threads = [threading.Thread(target=caller, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stop.set()
    ticking.join(timeout=30)
    assert not any(thread.is_alive() for thread in [*threads, ticking])
    assert len(outcomes) == 60
    assert outcomes.count("failed") >= len(unlucky)
    monkeypatch.undo()
    restarted = LiveCenter(url, ManualClock(run.clock.now()))
    assert restarted.waiting(TENANT) == run.center.waiting(TENANT)
    assert restarted.agents(TENANT) == run.center.agents(TENANT)
    restarted.close()
    run.center.close()


def _in_a_thread(call: Any) -> None:
    """Run `call` in a daemon thread, failing (not hanging) if it does not end: a deadlock's symptom."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the call did not end: a command waits for its own thread"
    assert failures == []


def test_a_subscriber_may_command_the_center_from_the_events_of_a_command_or_of_the_timer(url: str) -> None:
    """Call control does: an offer's event makes it ring a phone, whose failure rejects the offer, all on
    the thread that ran the group whose events it is handed."""
    run = Run.open(url)
    nested: list[str] = []

    def on_batch(batch: Any) -> None:
        for published in batch.events:
            if isinstance(published, ev.ContactArrived) and published.contact_id == c(70):
                nested.append(run.center.arrive(TENANT, BILLING, contact_id=c(71), language="cmn").contact_id)
            timed_out = isinstance(published, ev.ContactOverflowed | ev.ContactQueued) and timer
            if timed_out and published.contact_id == c(72) and c(73) not in nested:
                nested.append(run.center.arrive(TENANT, BILLING, contact_id=c(73), language="cmn").contact_id)

    timer = False
    run.center.bus.subscribe(on_batch)
    _in_a_thread(lambda: run.center.arrive(TENANT, BILLING, contact_id=c(70), language="cmn"))
    assert nested == [c(71)]
    run.center.arrive(TENANT, BILLING, contact_id=c(72), language="cmn")
    run.clock.advance(600)  # past the policy's first step
    timer = True
    _in_a_thread(lambda: run.center.advance(TENANT))
    assert nested == [c(71), c(73)]
    run.center.close()
