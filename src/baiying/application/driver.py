"""Runs each tenant's router for `LiveCenter`: commands in order, their writes committed before they are
acknowledged, their events published after COMMIT, and a rebuild from the journal whenever memory and
database could disagree (the design is in `baiying.application.center`).

Group commit
------------
Commands that arrive while the tenant is busy wait in its `pending` queue. One caller at a time leads:
holding the tenant's lock it runs every waiting command (its own among them), in arrival order, in one
transaction, commits once, publishes the events as one batch, and wakes each caller with its result; once
its own command is done it hands the lead to the oldest command still waiting, if any. One COMMIT (one
fsync on SQLite, one round trip on PostgreSQL) then serves as many commands as arrived during the last
one: under load the cost of durability is shared, and a lone command waits for nobody. The other callers
sleep on a signal of their own: a caller whose command another ran must not queue for the tenant's lock
just to learn that, or under load each group is followed by a convoy of such hand-offs, one thread (and
one turn of the GIL) at a time, while new commands pile up behind it (on PostgreSQL that convoy held
groups to ~3 commands with ~40 callers waiting). Each command is still decided, journaled and logged on
its own, exactly as if it had run alone: a refused one writes nothing and fails only itself; if a write
or the COMMIT fails, every command of the transaction fails with it (none was acknowledged) and the
router is rebuilt from the journal.
"""

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.application.bus import EventBus
from baiying.application.commands import Command, Engine, execute
from baiying.application.recovery import Replay, begin_epoch, configure_payload, replay, same_configuration
from baiying.application.store import write_outcome
from baiying.application.views import ContactStatus, contact_status
from baiying.clock import Clock
from baiying.errors import DomainError, InvalidTransition
from baiying.events import Event
from baiying.ids import ContactId
from baiying.routing.decisions import Decision
from baiying.routing.router import Router
from baiying.storage.direct import DirectWrites
from baiying.storage.engine import holds_request_write_lock, make_engine
from baiying.storage.event_log import EventLog
from baiying.storage.journal import RouterJournal
from baiying.storage.migrate import ensure_up_to_date
from baiying.storage.repositories import Tenants
from baiying.storage.tables import SiteRow

logger = logging.getLogger(__name__)
T = TypeVar("T")
Payload = dict[str, Any]
Prepare = Callable[[Session, float, Router], Payload]  # reads and checks before the router decides


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command did: the router's decisions and the events committed for them, with their
    event-log sequences. `contact_id` names the contact an `arrive` created."""

    at: float
    decisions: tuple[Decision, ...] = ()
    events: tuple[Event, ...] = ()
    sequences: tuple[int, ...] = ()
    contact_id: ContactId | None = None
    contact: ContactStatus | None = None  # where that contact was right after the command, if routed


MAX_GROUP = 256  # commands committed together at most


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(slots=True, eq=False)  # compared by identity: it is one caller's command
class _Request:
    """A command waiting for its turn, then its result or its error. Its caller sleeps on `wake` (held
    from the start) until the command is finished or the caller is to lead (`leads`)."""

    command: Command
    given: "Payload | Prepare"
    contact_id: ContactId | None
    result: CommandResult | None = None
    error: BaseException | None = None
    leads: bool = False
    wake: threading.Lock = field(default_factory=_held_lock)

    @property
    def finished(self) -> bool:
        return self.result is not None or self.error is not None


@dataclass(slots=True)
class _Decided:
    """A command the router has run in the open transaction, its writes made but not committed."""

    request: _Request
    now: float
    decisions: list[Decision]
    events: list[Event]
    first_event: int  # index of its first event in the transaction's list
    contact: ContactStatus | None


@dataclass(slots=True)
class _Run:
    """The command a group is running now, whether the router has been called for it (a failure after
    that leaves the router ahead of the database), and the group's journal entries so far."""

    current: _Request | None = None
    routed: bool = False
    journal: list[tuple[float, str, str]] = field(default_factory=list)  # entries (payload as JSON), in order


@dataclass(slots=True)
class _Tenant:
    tenant_id: str
    engine: Engine | None  # None: diverged from the database; rebuilt before the next use
    last_at: float  # the newest command's time: the router never sees the clock go back before it
    replay: Replay
    lock: threading.RLock = field(default_factory=threading.RLock)
    pending: deque[_Request] = field(default_factory=deque)  # appended under `gate`, run under `lock`
    gate: threading.Lock = field(default_factory=threading.Lock)  # guards `led` and the lead's hand-over
    led: bool = False  # a caller leads (runs or is about to run the pending commands)
    holder: int | None = None  # the thread running groups under `lock` (`_holding`), if any


class RouterDriver:
    """Thread-safe: a tenant's commands and reads are serialized by its lock."""

    def __init__(self, url: str, clock: Clock, bus: EventBus, tenants: Iterable[str] | None) -> None:
        ensure_up_to_date(url)
        self.clock = clock
        self.bus = bus
        self.db = make_engine(url, immediate=True)  # every command writes: take the lock at BEGIN
        self.journal = RouterJournal()
        self.log = EventLog()
        self._tenants: dict[str, _Tenant] = {}
        self._lock = threading.Lock()
        if tenants is not None:
            for tenant_id in tenants:
                self._tenant(tenant_id)
            return
        with Session(self.db) as session:
            discovered = list(
                session.scalars(select(SiteRow.tenant_id).distinct().order_by(SiteRow.tenant_id))
            )
        for tenant_id in discovered:
            try:
                self._tenant(tenant_id)
            except DomainError as exc:  # one tenant's broken configuration must not stop the others
                logger.error("tenant %s not started (retried when it is used): %s", tenant_id, exc)

    def command(
        self,
        tenant_id: str,
        command: Command,
        payload: Payload | Prepare,
        contact_id: ContactId | None = None,
    ) -> CommandResult:
        state = self._tenant(tenant_id)
        request = _Request(command, payload, contact_id)
        # Called back by a subscriber of the events of a group this thread is running (it holds the lock):
        # run it here and now, as the lock's re-entry always did; who leads does not change.
        nested = state.holder == threading.get_ident()
        with state.gate:
            state.pending.append(request)
            request.leads = nested or not state.led
            state.led = state.led or not nested
        if not request.leads:
            request.wake.acquire()  # until another caller ran our command, or passed us the lead
        if request.leads:
            try:
                with self._holding(state):
                    while not request.finished:  # run what waits, ours included, until ours is done
                        self._run_group(state)
            except BaseException as exc:
                self._withdraw(state, request, exc)
                raise
            finally:
                if not nested:
                    self._hand_over(state)
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def next_due(self, tenant_id: str | None) -> float | None:
        dues = []
        for state in self._states(tenant_id):
            with state.lock:
                due = state.engine.router.next_due() if state.engine is not None else None
            if due is not None:
                dues.append(due)
        return min(dues, default=None)

    def advance(self, tenant_id: str | None) -> list[CommandResult]:
        results = []
        for state in self._states(tenant_id):
            with self._holding(state):
                result = self._run_group(state, advance=True)
            if result is not None:
                results.append(result)
        return results

    def reconfigure(self, tenant_id: str) -> None:
        state = self._tenant(tenant_id)
        with state.lock:
            router = self._engine(state).router
            if router.contacts or router.agents:
                raise InvalidTransition(
                    f"tenant {tenant_id}: {len(router.contacts)} contacts and {len(router.agents)} agents "
                    "are in the router; the routing configuration can change only when it is empty"
                )
            now = self._now(state)
            with Session(self.db) as session, session.begin():
                engine, done = begin_epoch(session, self.journal, tenant_id, now)
            state.engine, state.replay, state.last_at = engine, done, now

    def inspect(self, tenant_id: str, read: Callable[[Router], T]) -> T:
        state = self._tenant(tenant_id)
        with state.lock:
            return read(self._engine(state).router)

    def tenant_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._tenants)

    def last_replay(self, tenant_id: str) -> Replay:
        return self._tenant(tenant_id).replay

    # ---- who runs the waiting commands --------------------------------------------------------------------
    # `gate` orders these against each other: a waiting command (in `pending`) is never finished, so it was
    # never woken; a finished one is woken once, unless its caller leads (and so is awake already). A
    # nested command (run by the thread holding the lock) also leads, but never hands the lead on: it is
    # never chosen to lead the others.

    @staticmethod
    @contextmanager
    def _holding(state: _Tenant) -> Iterator[None]:
        """The tenant's lock, to run groups: `holder` names this thread meanwhile."""
        with state.lock:
            outer, state.holder = state.holder, threading.get_ident()
            try:
                yield
            finally:
                state.holder = outer

    @staticmethod
    def _hand_over(state: _Tenant) -> None:
        """The leader is done: the oldest command still waiting leads next, or nobody does."""
        with state.gate:
            state.led = False
            RouterDriver._lead_if_waiting(state)

    @staticmethod
    def _lead_if_waiting(state: _Tenant) -> None:
        """The oldest command waiting to be run by another leads, if any (caller holds `gate`)."""
        successor = next((request for request in state.pending if not request.leads), None)
        if successor is not None:
            state.led = successor.leads = True
            successor.wake.release()

    @staticmethod
    def _take(state: _Tenant) -> list[_Request]:
        with state.gate:
            return [state.pending.popleft() for _ in range(min(len(state.pending), MAX_GROUP))]

    @staticmethod
    def _requeue(state: _Tenant, requests: list[_Request]) -> None:
        """Commands a failed group did not reach wait again, first in line; if nobody leads (the group was
        an `advance` of the timer's), the oldest waiting command does."""
        if not requests:
            return
        with state.gate:
            state.pending.extendleft(reversed(requests))
            if not state.led:
                RouterDriver._lead_if_waiting(state)

    @staticmethod
    def _wake(state: _Tenant, group: list[_Request]) -> None:
        with state.gate:
            for request in group:
                if request.finished and not request.leads:
                    request.wake.release()

    @staticmethod
    def _withdraw(state: _Tenant, request: _Request, error: BaseException) -> None:
        """The leader failed outside any transaction: its command fails with it, and no longer waits."""
        with state.gate:
            if request in state.pending:
                state.pending.remove(request)
            if not request.finished:
                request.error = error

    # ---- commands, one transaction per group ----------------------------------------------------------

    def _run_group(self, state: _Tenant, *, advance: bool = False) -> CommandResult | None:
        """Run the waiting commands (up to MAX_GROUP) in one transaction. With `advance`, fire the due
        deadlines even if no command waits, return what that did (None if nothing was due) and raise
        what failed. Caller holds the tenant's lock."""
        group = self._take(state)
        if not group and not advance:
            return None
        try:
            return self._run_taken(state, group, advance)
        except BaseException as exc:
            # Outside the transaction (the router could not be rebuilt, no connection): the group's commands
            # fail with it, but for those sent back to wait.
            with state.gate:
                waiting = [r for r in group if r in state.pending]
            for request in group:
                if not request.finished and request not in waiting:
                    request.error = exc
            raise
        finally:
            self._wake(state, group)

    def _run_taken(self, state: _Tenant, group: list[_Request], advance: bool) -> CommandResult | None:
        engine = self._engine(state)
        tenant_id = state.tenant_id
        decided: list[_Decided] = []
        events: list[Event] = []
        fired: _Request | None = None
        run = _Run()
        with (
            self.bus.outbox() as outbox,
            Session(self.db, expire_on_commit=False) as session,
            DirectWrites.during(session) as direct,
        ):
            try:
                arriving = [r.contact_id for r in group if r.command is Command.ARRIVE and r.contact_id]
                direct.read_ahead(tenant_id, arriving)  # one statement for the arrivals' conflict checks
                # Deadlines that are due fire first, in a journaled `advance` of their own.
                fired = self._due(state, session, direct, engine, self._now(state), events, decided, run)
                for request in group:
                    now = self._now(state)
                    self._due(state, session, direct, engine, now, events, decided, run)
                    self._decide(state, session, direct, engine, request, now, events, decided, run)
                run.current = None
                self.journal.append_encoded(direct, tenant_id, run.journal)
                sequences = self.log.append_with(direct, tenant_id, events)
                direct.flush()  # the journal's entries, if no event carried them
                direct.close()
                if decided:
                    session.commit()
            except BaseException as exc:
                session.rollback()
                self._failed(state, group, decided, run, exc)
                if advance:
                    raise
                return None
            outbox.add(tenant_id, events, sequences)  # published as the `with` exits, in log order
        for done in decided:
            first, count = done.first_event, len(done.events)
            done.request.result = CommandResult(
                done.now,
                tuple(done.decisions),
                tuple(done.events),
                tuple(sequences[first : first + count]),
                done.request.contact_id,
                done.contact,
            )
        return fired.result if fired is not None else None

    def _failed(
        self, state: _Tenant, group: list[_Request], decided: list[_Decided], run: "_Run", exc: BaseException
    ) -> None:
        """A write, a read or the COMMIT failed: the commands decided in the transaction and the one being
        run fail with it (none was acknowledged); those not reached yet wait for the next group. If the
        router had decided anything, it is rebuilt from the journal."""
        self._requeue(
            state,
            [
                request
                for request in group
                if not request.finished
                and request is not run.current
                and all(d.request is not request for d in decided)
            ],
        )
        for done in decided:
            done.request.error = exc
        if run.current is not None:
            run.current.error = exc
        if decided or run.routed:
            self._diverged(state, exc)

    def _due(
        self,
        state: _Tenant,
        session: Session,
        direct: DirectWrites,
        engine: Engine,
        now: float,
        events: list[Event],
        decided: list[_Decided],
        run: "_Run",
    ) -> _Request | None:
        """Fire the deadlines due by `now`, if any, as an `advance` command; returns it."""
        due = engine.router.next_due()
        if due is None or due > now:
            return None
        request = _Request(Command.ADVANCE, {}, None)
        self._decide(state, session, direct, engine, request, now, events, decided, run)
        return request

    def _decide(
        self,
        state: _Tenant,
        session: Session,
        direct: DirectWrites,
        engine: Engine,
        request: _Request,
        now: float,
        events: list[Event],
        decided: list[_Decided],
        run: "_Run",
    ) -> None:
        """Run one command through the router and make its writes (journal, contact rows) in the open
        transaction; its events join `events`, logged with the group's. A refused command (a DomainError,
        before or by the router) fails alone and writes nothing; anything else is raised."""
        run.current, run.routed = request, False
        given = request.given
        try:
            # Before the router decides, a refusal leaves nothing to undo.
            payload = given(session, now, engine.router) if callable(given) else given
            encoded = json.dumps(payload)  # an unstorable payload must fail here, not at the commit
        except (DomainError, TypeError, ValueError) as exc:
            request.error = exc
            return
        try:
            run.routed = True
            outcome = execute(engine, request.command, payload, now, record=True)
        except DomainError as exc:
            request.error = exc  # refused: the router is as it was
            run.routed = False
            return
        state.last_at = now
        if request.command is Command.ADVANCE and not outcome.decisions:
            request.result = CommandResult(now)  # only stale timers: nothing to store
            return
        run.journal.append((now, request.command, encoded))
        added = {**outcome.attributes, **_wrap_up(request.command, payload)}
        write_outcome(session, direct, state.tenant_id, now, outcome, added)
        record = engine.router.contacts.get(request.contact_id) if request.contact_id is not None else None
        status = contact_status(record) if record is not None else None
        decided.append(_Decided(request, now, outcome.decisions, outcome.events, len(events), status))
        events.extend(outcome.events)
        run.routed = False

    def _diverged(self, state: _Tenant, error: BaseException) -> None:
        logger.warning(
            "tenant %s: %r after the router decided; rebuilding it from the journal", state.tenant_id, error
        )
        state.engine = None
        try:
            self._rebuild(state)
        except Exception:
            logger.exception(
                "tenant %s: rebuilding from the journal failed; retried on next use", state.tenant_id
            )

    # ---- routers from the journal -----------------------------------------------------------------------

    def _rebuild(self, state: _Tenant) -> Engine:
        with Session(self.db) as session:
            found = replay(session, self.journal, state.tenant_id)
        if found is None:
            raise RuntimeError(f"tenant {state.tenant_id} has no router journal to rebuild from")
        engine, done, _ = found
        state.engine, state.replay = engine, done
        state.last_at = max(state.last_at, done.last_at)
        return engine

    def _engine(self, state: _Tenant) -> Engine:
        return state.engine if state.engine is not None else self._rebuild(state)

    def _now(self, state: _Tenant) -> float:
        now = self.clock.now()
        return now if now > state.last_at else state.last_at

    def _states(self, tenant_id: str | None) -> list[_Tenant]:
        if tenant_id is not None:
            return [self._tenant(tenant_id)]
        with self._lock:
            return list(self._tenants.values())

    def _tenant(self, tenant_id: str) -> _Tenant:
        if holds_request_write_lock():
            # The tenant's lock may be held by a command waiting for the database's write lock, which
            # this thread holds: both would wait until the busy timeout. Failing at once shows the bug.
            raise RuntimeError(
                "the live center was called inside a request's writer transaction: commit or roll back "
                "first (or use a deferred session)"
            )
        with self._lock:
            found = self._tenants.get(tenant_id)
            if found is None:
                found = self._tenants[tenant_id] = self._open(tenant_id)
            return found

    def _open(self, tenant_id: str) -> _Tenant:
        """Rebuild the tenant's router from its journal, or begin the journal from the stored configuration;
        begin a new epoch if the stored configuration changed and the rebuilt router is empty."""
        with Session(self.db) as session, session.begin():
            Tenants(session).get(tenant_id)
            found = replay(session, self.journal, tenant_id)
            if found is None:
                engine, done = begin_epoch(session, self.journal, tenant_id, self.clock.now())
                return _Tenant(tenant_id, engine, done.last_at, done)
            engine, done, epoch = found
            if not self._stored_config_is(session, tenant_id, dict(epoch.payload)):
                router = engine.router
                if router.contacts or router.agents:
                    logger.warning(
                        "tenant %s: the stored routing configuration changed; it takes effect when the "
                        "router is empty (LiveCenter.reconfigure)",
                        tenant_id,
                    )
                else:
                    at = max(self.clock.now(), done.last_at)
                    engine, done = begin_epoch(session, self.journal, tenant_id, at)
            return _Tenant(tenant_id, engine, done.last_at, done)

    @staticmethod
    def _stored_config_is(session: Session, tenant_id: str, payload: dict[str, Any]) -> bool:
        try:
            return same_configuration(payload, configure_payload(session, tenant_id))
        except DomainError as exc:  # an invalid edit: keep routing by the journaled configuration
            logger.error("tenant %s: the stored routing configuration is invalid: %s", tenant_id, exc)
            return True


def _wrap_up(command: Command, payload: Payload) -> dict[ContactId, dict[str, Any]]:
    """The wrap-up code and notes a `complete` adds to the contact's stored attributes."""
    if command is not Command.COMPLETE or not (payload.get("wrap_up_code") or payload.get("notes")):
        return {}
    wrap_up = {"code": payload.get("wrap_up_code"), "notes": payload.get("notes")}
    return {ContactId(payload["contact_id"]): {"wrap_up": wrap_up}}
