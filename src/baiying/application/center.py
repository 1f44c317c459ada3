"""The live contact center: one `Router` per tenant, driven by a clock, every change committed before it is
acknowledged, and nothing lost when the process dies.

Commands, committed before they are answered
--------------------------------------------
Every command (an agent logs in, a contact arrives, an offer is accepted, a deadline fires...) runs under
its tenant's lock: the router decides; the decisions become events through `event_for` (plus the events
that are not decisions, written in the simulator's order); the command is appended to the router journal,
the `contacts` rows are brought up to date, the events are appended to the event log; then COMMIT; then,
and only then, the events are published on the bus and the caller gets its result. Commands that arrive
while the tenant is busy are run together, in arrival order, in one transaction with one COMMIT and one
published batch (group commit, `baiying.application.driver`): each is still decided, journaled and logged
on its own, but durability is paid once per group instead of once per command. A command the router
refuses (a DomainError) writes nothing, leaves the router as it was and fails alone. If anything fails
after the router has decided (a write, the commit itself) every command of that transaction fails (none
was answered yet) and the router is rebuilt from the journal, since the memory would otherwise hold a
change the database does not. Readers (`inspect`) take the same lock, so they see only committed state.

What a command needs from the database (an agent's stored profile, a wrap-up code, a contact id never
used) is read and checked before the router decides, so that nothing the router did can fail at COMMIT for
a reason known in advance. Deadlines that are due are fired by a journaled `advance` of their own before
any other command, so a command never fires deadlines and is then refused: what a refused command leaves
behind is nothing at all. An `advance` that decides nothing (every timer it popped was stale) writes
nothing.

Restart recovery: replaying the journal
---------------------------------------
The router is deterministic, so the journal (each accepted command with the `now` it ran at) is all it
takes to rebuild it: on start, for each tenant, the newest `configure` entry gives the routing
configuration, and every later command is replayed through a fresh `Router` at its recorded time. The same
waiting contacts come back in the same order, with the same agent states and deadlines, and nothing is
written while replaying (each command's events were committed with it), so no event is lost or
duplicated. State that differs is invisible: timers that had gone stale and were popped by an `advance`
that decided nothing may still be in the rebuilt heap, so `next_due()` can be earlier; advancing to it
decides nothing. Deadlines that passed while the server was down fire at the first `advance`, at its time.

The cost is a replay that grows with the journal: some 25,000 to 35,000 commands a second with the
pure-Python router (measured: a synthetic morning of 12,000 contacts, 79,000 journaled commands, replayed
in 2.3 s), so a busy national day (~20,000 contacts, ~150,000 commands) takes about 5 s to come back. The
remedy is a checkpoint. Nothing before the newest epoch is replayed, and a new epoch can begin whenever the
router is empty (`reconfigure`, e.g. at night with no agent logged in); for a center that is never empty,
a snapshot of the router's state (agents with their idle order, waiting contacts with their bucket order
and steps, timers, the handle-time estimates) stored with the journal sequence it reflects would bound a
replay to the commands since, and let older entries be deleted. The journal then doubles as the audit of
every routing input.

Assumptions: one process owns a tenant's router (two would interleave journals); a replay runs the
routing code that decided live, so an upgrade that changes routing decisions should begin at an empty
router (a new epoch), else the rebuilt state may differ from the one the logged events describe.
"""

import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from baiying.application.bus import EventBus
from baiying.application.commands import Command, contact_data, profile_data
from baiying.application.driver import CommandResult, Payload, RouterDriver
from baiying.application.recovery import Replay
from baiying.application.store import agent_profile, check_new_contact, contact_row
from baiying.application.views import (
    AgentStatus,
    ContactStatus,
    agent_statuses,
    contact_status,
    waiting_contacts,
)
from baiying.clock import Clock
from baiying.errors import DomainError, InvalidTransition, UnknownEntity
from baiying.events import Event
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.decisions import RouteOutDestination
from baiying.routing.errors import NoSuchContact
from baiying.routing.model import Channel, Contact, SiteStatus
from baiying.routing.router import Router
from baiying.routing.state import ContactPhase
from baiying.storage.repositories import WrapUpCodeRepository
from baiying.storage.repositories.contacts import ContactCursor, ContactFilter, ContactListing, ContactScope
from baiying.storage.tables import ContactRow

T = TypeVar("T")

__all__ = ["CommandResult", "InvalidRouteOut", "LiveCenter", "NoSuchWrapUpCode"]

_DESTINATIONS = tuple(destination.value for destination in RouteOutDestination)


class NoSuchWrapUpCode(UnknownEntity):
    code = "unknown-wrap-up-code"


class InvalidRouteOut(DomainError):
    code = "invalid-route-out"


class LiveCenter:
    """The live engine. Every command takes the tenant first and returns a `CommandResult` once committed
    and published; a refused one raises its DomainError and changes nothing. Thread-safe."""

    def __init__(
        self, url: str, clock: Clock, bus: EventBus | None = None, *, tenants: Iterable[str] | None = None
    ) -> None:
        """Check the database is migrated (DatabaseNotMigrated otherwise), then rebuild the router of each
        tenant given, or of every tenant that has a site (one whose configuration is invalid is logged and
        left out), from its journal."""
        self.clock = clock
        self.bus = bus if bus is not None else EventBus()
        self._driver = RouterDriver(url, clock, self.bus, tenants)
        self._command = self._driver.command

    def close(self) -> None:
        self._driver.db.dispose()

    # ---- agents -----------------------------------------------------------------------------------------

    def login(self, tenant_id: str, agent_id: AgentId, *, ready: bool = True) -> CommandResult:
        """Log the agent in with its stored profile (skills, capacity): ready, or in aux "login"."""

        def prepare(session: Session, _now: float, _router: Router) -> Payload:
            return {"profile": profile_data(agent_profile(session, tenant_id, agent_id)), "ready": ready}

        return self._command(tenant_id, Command.LOGIN, prepare)

    def logout(self, tenant_id: str, agent_id: AgentId) -> CommandResult:
        return self._command(tenant_id, Command.LOGOUT, {"agent_id": agent_id})

    def set_ready(self, tenant_id: str, agent_id: AgentId) -> CommandResult:
        return self._command(tenant_id, Command.SET_READY, {"agent_id": agent_id})

    def set_aux(self, tenant_id: str, agent_id: AgentId, reason: str) -> CommandResult:
        return self._command(tenant_id, Command.SET_AUX, {"agent_id": agent_id, "reason": reason})

    def update_profile(self, tenant_id: str, agent_id: AgentId) -> CommandResult:
        """A logged-in agent's stored skills, capacity or attributes changed: route by the new ones."""

        def prepare(session: Session, _now: float, _router: Router) -> Payload:
            return {"profile": profile_data(agent_profile(session, tenant_id, agent_id, active_only=False))}

        return self._command(tenant_id, Command.UPDATE_PROFILE, prepare)

    def end_wrap_up(self, tenant_id: str, agent_id: AgentId) -> CommandResult:
        return self._command(tenant_id, Command.END_WRAP_UP, {"agent_id": agent_id})

    # ---- contacts ---------------------------------------------------------------------------------------

    def arrive(
        self,
        tenant_id: str,
        queue_id: QueueId,
        *,
        contact_id: ContactId | None = None,
        channel: Channel = Channel.VOICE,
        site_id: SiteId | None = None,
        customer_id: str | None = None,
        language: str | None = None,
        intent: str | None = None,
        tier: str | None = None,
        region: str | None = None,
        priority: int = 0,
        attributes: Mapping[str, Any] | None = None,
        agent_id: AgentId | None = None,
    ) -> CommandResult:
        """A new contact enters routing now (the entry point of every channel); `contact_id` defaults to a
        new random id; `agent_id`: for that agent alone (a consultation), falling back to the queue if the
        agent stays busy. Raises Conflict for an id already used, InvalidContact for bad attributes."""
        chosen = contact_id or ContactId(uuid.uuid4().hex)

        def prepare(session: Session, now: float, router: Router) -> Payload:
            contact = Contact(
                chosen,
                queue_id,
                now,
                Channel(channel),
                site_id,
                customer_id,
                language,
                intent,
                tier,
                region,
                priority,
                dict(attributes or {}),
            )
            check_new_contact(session, tenant_id, contact, router)
            if agent_id is not None:
                return {"contact": contact_data(contact), "agent_id": agent_id}
            return {"contact": contact_data(contact)}

        return self._command(tenant_id, Command.ARRIVE, prepare, chosen)

    def accept(
        self, tenant_id: str, contact_id: ContactId, agent_id: AgentId | Callable[[Router], AgentId]
    ) -> CommandResult:
        """The agent takes the contact offered to them. `agent_id` may be a check that names the agent
        from the router, run as the command's first step (under the tenant's lock it takes anyway):
        its DomainError refuses the command."""
        if not callable(agent_id):
            return self._command(tenant_id, Command.ACCEPT, {"contact_id": contact_id, "agent_id": agent_id})
        choose = agent_id

        def prepare(_session: Session, _now: float, router: Router) -> Payload:
            return {"contact_id": contact_id, "agent_id": choose(router)}

        return self._command(tenant_id, Command.ACCEPT, prepare)

    def reject(self, tenant_id: str, contact_id: ContactId, agent_id: AgentId) -> CommandResult:
        return self._command(tenant_id, Command.REJECT, {"contact_id": contact_id, "agent_id": agent_id})

    def complete(
        self,
        tenant_id: str,
        contact_id: ContactId,
        *,
        agent_id: AgentId | Callable[[Router], AgentId | None] | None = None,
        wrap_up_code: str | None = None,
        notes: str | None = None,
        wrap_up_seconds: float | None = None,
    ) -> CommandResult:
        """The agent finished the contact. `agent_id`, if given, must be the agent connected to it; the
        wrap-up code must be an active one; code and notes are kept in the contact's `attributes`.
        `agent_id` may be a check that names that agent from the router, run as the command's first step
        (its DomainError refuses the command)."""

        def prepare(session: Session, now: float, router: Router) -> Payload:
            agent = agent_id
            if callable(agent):
                agent = agent(router)
            record = router.contacts.get(contact_id)
            if agent is not None and record is not None and record.agent_id != agent:
                raise InvalidTransition(f"contact {contact_id} is not connected to agent {agent}")
            if wrap_up_code is not None:
                code = WrapUpCodeRepository(session, tenant_id).find(wrap_up_code)
                if code is None or not code.active:
                    raise NoSuchWrapUpCode(f"no active wrap-up code {wrap_up_code!r}", {"code": wrap_up_code})
            return {
                "contact_id": contact_id,
                "wrap_up_seconds": wrap_up_seconds,
                "wrap_up_code": wrap_up_code,
                "notes": notes,
            }

        return self._command(tenant_id, Command.COMPLETE, prepare)

    def abandon(self, tenant_id: str, contact_id: ContactId) -> CommandResult:
        """The customer left (hung up, closed the chat) while waiting or ringing."""
        return self._command(tenant_id, Command.ABANDON, {"contact_id": contact_id})

    def transfer_to_queue(self, tenant_id: str, contact_id: ContactId, queue_id: QueueId) -> CommandResult:
        return self._command(
            tenant_id, Command.TRANSFER_TO_QUEUE, {"contact_id": contact_id, "queue_id": queue_id}
        )

    def transfer_to_agent(self, tenant_id: str, contact_id: ContactId, agent_id: AgentId) -> CommandResult:
        return self._command(
            tenant_id, Command.TRANSFER_TO_AGENT, {"contact_id": contact_id, "agent_id": agent_id}
        )

    def record_monitor(
        self,
        tenant_id: str,
        contact_id: ContactId,
        agent_id: AgentId,
        *,
        supervisor: str,
        phone: str,
        mode: str | None = None,
        stopped: str | None = None,
    ) -> CommandResult:
        """Log who monitors whom: `monitor-started` (with the `mode`), or `monitor-stopped` (the reason in
        `stopped`). The router is not involved; the event is committed and published like any other."""
        if (mode is None) == (stopped is None):
            raise ValueError("record_monitor takes a mode (started) or a stop reason (stopped)")
        payload: dict[str, Any] = {
            "stage": "started" if mode is not None else "stopped",
            "contact": contact_id,
            "agent_id": agent_id,
            "supervisor": supervisor,
            "phone": phone,
            "mode": mode,
            "reason": stopped,
        }
        return self._command(tenant_id, Command.MONITOR, payload)

    def accept_callback(self, tenant_id: str, contact_id: ContactId) -> CommandResult:
        return self._command(tenant_id, Command.ACCEPT_CALLBACK, {"contact_id": contact_id})

    def route_out(
        self, tenant_id: str, contact_id: ContactId, destination: RouteOutDestination | str, reason: str = ""
    ) -> CommandResult:
        """Send the waiting or ringing contact out of live routing to `destination` (voicemail, ticket,
        callback, disconnected), e.g. a call held for its maximum queue time: it ends `routed-out`, with
        the destination and `reason` in its event and its stored attributes; a ringing agent is freed.
        InvalidRouteOut for an unknown destination, InvalidTransition for a connected contact."""
        if destination not in _DESTINATIONS:
            raise InvalidRouteOut(
                f"unknown destination {destination!r}: one of {', '.join(_DESTINATIONS)}",
                {"field": "destination"},
            )
        payload = {"contact_id": contact_id, "destination": str(destination), "reason": reason}
        return self._command(tenant_id, Command.ROUTE_OUT, payload)

    def set_site_status(self, tenant_id: str, site_id: SiteId, status: SiteStatus) -> CommandResult:
        """Open, drain or evacuate a site; the site's row keeps the new status."""
        payload = {"site_id": site_id, "status": SiteStatus(status).value}
        return self._command(tenant_id, Command.SET_SITE_STATUS, payload)

    # ---- time -------------------------------------------------------------------------------------------

    def next_due(self, tenant_id: str | None = None) -> float | None:
        """When the tenant's router (or the earliest of all) next needs `advance()`, if ever."""
        return self._driver.next_due(tenant_id)

    def advance(self, tenant_id: str | None = None) -> list[CommandResult]:
        """Fire the deadlines due by now, for one tenant or all: what the server's timer loop calls."""
        return self._driver.advance(tenant_id)

    def reconfigure(self, tenant_id: str) -> None:
        """Route by the configuration stored now (after an admin edit). Only while the router holds no
        contact and no agent, InvalidTransition otherwise. Begins a new journal epoch (a checkpoint)."""
        self._driver.reconfigure(tenant_id)

    # ---- views ------------------------------------------------------------------------------------------

    def waiting(self, tenant_id: str, queue_id: QueueId | None = None) -> list[ContactStatus]:
        """Contacts waiting for an agent, in the order they will be served."""
        return self.inspect(tenant_id, lambda router: waiting_contacts(router, queue_id))

    def agents(self, tenant_id: str) -> list[AgentStatus]:
        return self.inspect(tenant_id, agent_statuses)

    def contact(self, tenant_id: str, contact_id: ContactId) -> ContactStatus:
        """Where a contact is now: from the router while routed, from its row once it ended."""
        live = self.inspect(tenant_id, lambda router: _routed(router, contact_id))
        if live is not None:
            return live
        with Session(self._driver.db) as session:
            row = contact_row(session, tenant_id, contact_id)
        if row is None:
            raise NoSuchContact(f"no contact {contact_id}", {"contact_id": contact_id})
        return _stored(row)

    def list_contacts(
        self,
        tenant_id: str,
        criteria: ContactFilter,
        scope: ContactScope,
        *,
        limit: int,
        after: ContactCursor | None = None,
    ) -> tuple[list[ContactStatus], ContactCursor | None]:
        """A page of the tenant's contacts matching `criteria` within `scope`, newest first, and the cursor
        of the next page (None after the last). The stored rows choose and order them; those still routed
        are shown as the router has them (with their callback flag), the others as their rows."""
        with Session(self._driver.db) as session:
            rows, cursor = ContactListing(session, tenant_id).page(criteria, scope, limit=limit, after=after)
        routed = {row.id for row in rows if row.state in _ROUTED_STATES}
        live = self.inspect(tenant_id, lambda router: _routed_many(router, routed)) if routed else {}
        return [live.get(ContactId(row.id)) or _stored(row) for row in rows], cursor

    def inspect(self, tenant_id: str, read: Callable[[Router], T]) -> T:
        """Run `read` on the tenant's router under its lock; it must not change the router."""
        return self._driver.inspect(tenant_id, read)

    def read_events(self, tenant_id: str, start: float, end: float = math.inf) -> list[tuple[int, Event]]:
        """The tenant's committed events with `start <= at < end`, with their sequences, in log order."""
        with Session(self._driver.db) as session:
            return self._driver.log.read_range(session, tenant_id, start, end)

    def tenant_ids(self) -> list[str]:
        return self._driver.tenant_ids()

    def last_replay(self, tenant_id: str) -> Replay:
        """How the tenant's router was last rebuilt: the epoch, commands replayed, seconds taken."""
        return self._driver.last_replay(tenant_id)


_ROUTED_STATES = frozenset(phase.value for phase in ContactPhase)


def _stored(row: ContactRow) -> ContactStatus:
    routed_out = (row.attributes or {}).get("routed_out") or {}
    return ContactStatus(
        ContactId(row.id),
        QueueId(row.queue_id),
        row.state,
        row.arrived_at,
        row.priority,
        tuple(SiteId(s) for s in row.placement),
        row.step_index,
        AgentId(row.agent_id) if row.agent_id else None,
        callback=False,
        routed=False,
        channel=row.channel,
        routed_out_to=routed_out.get("destination"),
        routed_out_reason=routed_out.get("reason"),
    )


def _routed_many(router: Router, contact_ids: Iterable[str]) -> dict[ContactId, ContactStatus]:
    found = (router.contacts.get(ContactId(contact_id)) for contact_id in contact_ids)
    return {record.id: contact_status(record) for record in found if record is not None}


def _routed(router: Router, contact_id: ContactId) -> ContactStatus | None:
    record = router.contacts.get(contact_id)
    return contact_status(record) if record is not None else None
