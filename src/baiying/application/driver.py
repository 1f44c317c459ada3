"""Runs each tenant's router for `LiveCenter`: one database transaction per command, published after
COMMIT, and a rebuild from the journal whenever memory and database could disagree (the design is in
`baiying.application.center`)."""

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.application.bus import EventBus
from baiying.application.commands import Command, Engine, execute
from baiying.application.recovery import Replay, begin_epoch, configure_payload, replay, same_configuration
from baiying.application.store import write_outcome
from baiying.clock import Clock
from baiying.errors import DomainError, InvalidTransition
from baiying.events import Event
from baiying.ids import ContactId
from baiying.routing.decisions import Decision
from baiying.routing.router import Router
from baiying.storage.engine import make_engine
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


@dataclass(slots=True)
class _Tenant:
    tenant_id: str
    engine: Engine | None  # None: diverged from the database; rebuilt before the next use
    last_at: float  # the newest command's time: the router never sees the clock go back before it
    replay: Replay
    lock: threading.RLock = field(default_factory=threading.RLock)


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
        with state.lock:
            now = self._now(state)
            self._due(state, now)  # deadlines first, in a transaction of their own
            return self._run(state, command, payload, now, contact_id)

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
            with state.lock:
                result = self._due(state, self._now(state))
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

    # ---- one command, one transaction -------------------------------------------------------------------

    def _due(self, state: _Tenant, now: float) -> CommandResult | None:
        due = self._engine(state).router.next_due()
        if due is None or due > now:
            return None
        return self._run(state, Command.ADVANCE, {}, now, None)

    def _run(
        self,
        state: _Tenant,
        command: Command,
        given: Payload | Prepare,
        now: float,
        contact_id: ContactId | None,
    ) -> CommandResult:
        engine = self._engine(state)
        tenant_id = state.tenant_id
        with self.bus.outbox() as outbox, Session(self.db, expire_on_commit=False) as session:
            # Before the router decides, a failure (a refused command included) leaves nothing to undo.
            payload = given(session, now, engine.router) if callable(given) else given
            json.dumps(payload)  # an unstorable payload must fail here, not at the commit
            try:
                outcome = execute(engine, command, payload, now, record=True)
            except DomainError:
                raise  # refused: the router is as it was
            except BaseException as exc:
                self._diverged(state, exc)
                raise
            if command is Command.ADVANCE and not outcome.decisions:
                return CommandResult(now)  # only stale timers: nothing to store
            # Once it decided, the database must follow, or the router be rebuilt from the journal.
            try:
                self.journal.append(session, tenant_id, now, command, payload)
                write_outcome(session, tenant_id, now, outcome, _wrap_up(command, payload))
                sequences = self.log.append(session, tenant_id, outcome.events)
                session.commit()
            except BaseException as exc:
                session.rollback()
                self._diverged(state, exc)
                raise
            outbox.add(tenant_id, outcome.events, sequences)  # published as the `with` exits
        state.last_at = now
        return CommandResult(
            now, tuple(outcome.decisions), tuple(outcome.events), tuple(sequences), contact_id
        )

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
