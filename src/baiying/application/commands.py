"""The live router's commands: their journal payloads, and how each one drives the `Router`.

`execute` is the single path from a command to the router, used both live and when the journal is
replayed, so a replay goes through exactly the calls the live run made. Live, it also returns what the
command left in the log (the decisions' events from `event_for`, in the simulator's order, plus the events
that are not decisions: ContactArrived, ContactAnswered, ContactCompleted, ContactAbandoned,
SiteStatusChanged, ContactTransferred) and the changes to the `contacts` rows; a replay skips that work.

Payloads are plain JSON holding everything the call needs (the whole agent profile, the whole contact),
so a replay never reads tables that may have changed since.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from baiying import events as ev
from baiying.ids import AgentId, ContactId, QueueId, SiteId, TeamId
from baiying.routing.decisions import Decision, RouteOut, RouteOutDestination
from baiying.routing.model import AgentProfile, Channel, Contact, SiteStatus
from baiying.routing.recording import event_for
from baiying.routing.router import Router
from baiying.routing.state import ContactPhase


class Command(StrEnum):
    CONFIGURE = "configure"  # a new router: handled by the center, not by `execute`
    LOGIN = "login"
    LOGOUT = "logout"
    SET_READY = "set-ready"
    SET_AUX = "set-aux"
    UPDATE_PROFILE = "update-profile"
    ARRIVE = "arrive"
    ACCEPT = "accept"
    REJECT = "reject"
    COMPLETE = "complete"
    END_WRAP_UP = "end-wrap-up"
    ABANDON = "abandon"
    TRANSFER_TO_QUEUE = "transfer-to-queue"
    TRANSFER_TO_AGENT = "transfer-to-agent"
    ACCEPT_CALLBACK = "accept-callback"
    ROUTE_OUT = "route-out"
    SET_SITE_STATUS = "set-site-status"
    ADVANCE = "advance"
    MONITOR = "monitor"  # a supervisor's monitor of a call began or ended: an event, the router untouched


# `contacts.state` of a contact no longer routed (while routed it is its ContactPhase value).
COMPLETED = "completed"
ABANDONED = "abandoned"
ROUTED_OUT = "routed-out"


class Engine:
    """One tenant's router and the little the driver remembers beside it (rebuilt by a replay too)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.answered_at: dict[ContactId, float] = {}  # when each connected contact's current leg began


@dataclass
class Outcome:
    decisions: list[Decision] = field(default_factory=list)
    events: list[ev.Event] = field(default_factory=list)
    arrived: Contact | None = None
    contacts: dict[ContactId, dict[str, Any]] = field(default_factory=dict)  # new column values by contact
    # Keys added to a contact's stored attributes: where a routed-out contact went and why.
    attributes: dict[ContactId, dict[str, Any]] = field(default_factory=dict)
    site_status: tuple[SiteId, SiteStatus] | None = None  # to store on the site's row


# ---- payloads -------------------------------------------------------------------------------------------


def profile_data(profile: AgentProfile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "site_id": profile.site_id,
        "skills": dict(profile.skills),
        "team_id": profile.team_id,
        "capacity": {str(channel): slots for channel, slots in profile.capacity.items()},
        "attributes": dict(profile.attributes),
    }


def profile_from(data: Mapping[str, Any]) -> AgentProfile:
    team = data.get("team_id")
    return AgentProfile(
        id=AgentId(data["id"]),
        site_id=SiteId(data["site_id"]),
        skills=dict(data["skills"]),
        team_id=TeamId(team) if team is not None else None,
        capacity={Channel(channel): int(slots) for channel, slots in data["capacity"].items()},
        attributes=dict(data.get("attributes") or {}),
    )


def contact_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "queue_id": contact.queue_id,
        "arrived_at": contact.arrived_at,
        "channel": str(contact.channel),
        "site_id": contact.site_id,
        "customer_id": contact.customer_id,
        "language": contact.language,
        "intent": contact.intent,
        "tier": contact.tier,
        "region": contact.region,
        "priority": contact.priority,
        "attributes": dict(contact.attributes),
    }


def contact_from(data: Mapping[str, Any]) -> Contact:
    site = data.get("site_id")
    return Contact(
        ContactId(data["id"]),
        QueueId(data["queue_id"]),
        float(data["arrived_at"]),
        Channel(data["channel"]),
        site_id=SiteId(site) if site is not None else None,
        customer_id=data.get("customer_id"),
        language=data.get("language"),
        intent=data.get("intent"),
        tier=data.get("tier"),
        region=data.get("region"),
        priority=int(data.get("priority", 0)),
        attributes=dict(data.get("attributes") or {}),
    )


# ---- execution --------------------------------------------------------------------------------------------


def execute(engine: Engine, command: str, payload: Mapping[str, Any], now: float, *, record: bool) -> Outcome:
    """Run one command through the router at `now`. Raises what the router raises (a DomainError for a
    refused call, leaving the router as it was). With `record` false (a replay), only the router and the
    engine's own memory change, and the outcome holds just the decisions."""
    handler = _HANDLERS.get(command)
    if handler is None:
        raise ValueError(f"unknown router command {command!r}")
    out = Outcome()
    handler(_Run(engine, payload, now, record, out))
    if record:
        _contact_rows(engine.router, out, payload.get("contact_id"))
    return out


@dataclass(slots=True)
class _Run:
    engine: Engine
    payload: Mapping[str, Any]
    now: float
    record: bool
    out: Outcome

    @property
    def router(self) -> Router:
        return self.engine.router

    def contact_id(self) -> ContactId:
        return ContactId(self.payload["contact_id"])

    def agent_id(self) -> AgentId:
        return AgentId(self.payload["agent_id"])

    def decided(self, decisions: list[Decision]) -> None:
        out = self.out
        out.decisions.extend(decisions)
        if self.record:
            now = self.now
            for decision in decisions:
                event = event_for(decision, now)
                if event is not None:
                    out.events.append(event)
                if type(decision) is RouteOut:
                    routed_out: RouteOut = decision
                    out.contacts[routed_out.contact_id] = {"state": ROUTED_OUT, "agent_id": None}
                    out.attributes[routed_out.contact_id] = {
                        "routed_out": {
                            "destination": routed_out.destination,
                            "reason": routed_out.reason,
                            "wait_seconds": routed_out.waited_seconds,
                        }
                    }

    def log(self, event: ev.Event) -> None:
        if self.record:
            self.out.events.append(event)

    def ended(self, contact_id: ContactId, state: str, **columns: Any) -> None:
        if self.record:
            self.out.contacts[contact_id] = {"state": state, **columns}


def _login(run: _Run) -> None:
    run.decided(run.router.login(profile_from(run.payload["profile"]), run.now, ready=run.payload["ready"]))


def _logout(run: _Run) -> None:
    run.decided(run.router.logout(run.agent_id(), run.now))


def _set_ready(run: _Run) -> None:
    run.decided(run.router.set_ready(run.agent_id(), run.now))


def _set_aux(run: _Run) -> None:
    run.decided(run.router.set_aux(run.agent_id(), run.payload["reason"], run.now))


def _update_profile(run: _Run) -> None:
    run.decided(run.router.update_profile(profile_from(run.payload["profile"]), run.now))


def _arrive(run: _Run) -> None:
    contact = contact_from(run.payload["contact"])
    named = run.payload.get("agent_id")
    decisions = run.router.arrive(contact, run.now, agent_id=AgentId(named) if named else None)
    run.out.arrived = contact
    run.log(
        ev.ContactArrived(
            run.now,
            contact.id,
            contact.queue_id,
            str(contact.channel),
            contact.site_id,
            contact.language,
            contact.intent,
            contact.tier,
            contact.region,
            contact.priority,
            contact.customer_id,
        )
    )
    run.decided(decisions)


def _accept(run: _Run) -> None:
    contact_id, agent_id = run.contact_id(), run.agent_id()
    decisions = run.router.accept(contact_id, agent_id, run.now)
    record = run.router.contacts[contact_id]
    run.engine.answered_at[contact_id] = run.now
    run.decided(decisions)
    site = run.router.agents[agent_id].site_id
    wait = run.now - record.contact.arrived_at
    run.log(ev.ContactAnswered(run.now, contact_id, record.queue.id, agent_id, site, wait))


def _reject(run: _Run) -> None:
    run.decided(run.router.reject(run.contact_id(), run.agent_id(), run.now))


def _leg_completed(run: _Run, contact_id: ContactId) -> ev.ContactCompleted | None:
    """The ContactCompleted of the leg a connected contact is in, or None if it is not connected."""
    router = run.router
    record = router.contacts.get(contact_id)
    if record is None or record.phase is not ContactPhase.CONNECTED or record.agent_id is None:
        return None
    agent = router.agents.get(record.agent_id)
    if agent is None:
        return None
    began = run.engine.answered_at.get(contact_id, run.now)
    return ev.ContactCompleted(
        run.now, contact_id, record.queue.id, record.agent_id, agent.site_id, run.now - began
    )


def _complete(run: _Run) -> None:
    contact_id = run.contact_id()
    completed = _leg_completed(run, contact_id)
    wrap = run.payload.get("wrap_up_seconds")
    decisions = run.router.complete(contact_id, run.now, wrap_up_seconds=wrap)
    run.engine.answered_at.pop(contact_id, None)
    if completed is not None:
        run.log(completed)
    run.ended(contact_id, COMPLETED)
    run.decided(decisions)


def _end_wrap_up(run: _Run) -> None:
    run.decided(run.router.end_wrap_up(run.agent_id(), run.now))


def _abandon(run: _Run) -> None:
    contact_id = run.contact_id()
    record = run.router.contacts.get(contact_id)
    decisions = run.router.abandon(contact_id, run.now)
    assert record is not None  # the router refuses an unknown contact
    run.engine.answered_at.pop(contact_id, None)
    run.decided(decisions)
    site = record.placement[0] if record.placement else None
    wait = run.now - record.contact.arrived_at
    run.log(ev.ContactAbandoned(run.now, contact_id, record.queue.id, site, wait))
    run.ended(contact_id, ABANDONED, agent_id=None)


def _transfer(run: _Run, to_queue: QueueId | None, to_agent: AgentId | None) -> None:
    contact_id = run.contact_id()
    router = run.router
    before = router.contacts.get(contact_id)
    leg = _leg_completed(run, contact_id)
    if to_agent is not None:
        decisions = router.transfer_to_agent(contact_id, to_agent, run.now)
    else:
        assert to_queue is not None
        decisions = router.transfer_to_queue(contact_id, to_queue, run.now)
    assert before is not None  # the router refuses an unknown contact
    run.engine.answered_at.pop(contact_id, None)
    if leg is not None:
        run.log(leg)  # the first agent's part ends here; the next leg is answered and completed anew
    from_queue = before.queue.id
    run.log(ev.ContactTransferred(run.now, contact_id, from_queue, to_queue or from_queue, to_agent))
    run.decided(decisions)


def _transfer_to_queue(run: _Run) -> None:
    _transfer(run, QueueId(run.payload["queue_id"]), None)


def _transfer_to_agent(run: _Run) -> None:
    _transfer(run, None, run.agent_id())


def _accept_callback(run: _Run) -> None:
    run.decided(run.router.accept_callback(run.contact_id(), run.now))


def _route_out(run: _Run) -> None:
    destination = RouteOutDestination(run.payload["destination"])
    contact_id = run.contact_id()
    run.decided(run.router.route_out(contact_id, destination, run.payload["reason"], run.now))


def _set_site_status(run: _Run) -> None:
    site_id, status = SiteId(run.payload["site_id"]), SiteStatus(run.payload["status"])
    previous = run.router.placer.status.get(site_id)
    decisions = run.router.set_site_status(site_id, status, run.now)
    if previous is not None and previous is not status:
        run.log(ev.SiteStatusChanged(run.now, site_id, status.value, previous.value))
        run.out.site_status = (site_id, status)
    run.decided(decisions)


def _advance(run: _Run) -> None:
    run.decided(run.router.advance(run.now))


def _monitor(run: _Run) -> None:
    p = run.payload
    who = (ContactId(p["contact"]), AgentId(p["agent_id"]), str(p["supervisor"]), str(p["phone"]))
    if p["stage"] == "started":
        run.log(ev.MonitorStarted(run.now, *who, str(p["mode"])))
    else:
        run.log(ev.MonitorStopped(run.now, *who, str(p["reason"])))


_HANDLERS: dict[str, Callable[[_Run], None]] = {
    Command.LOGIN: _login,
    Command.LOGOUT: _logout,
    Command.SET_READY: _set_ready,
    Command.SET_AUX: _set_aux,
    Command.UPDATE_PROFILE: _update_profile,
    Command.ARRIVE: _arrive,
    Command.ACCEPT: _accept,
    Command.REJECT: _reject,
    Command.COMPLETE: _complete,
    Command.END_WRAP_UP: _end_wrap_up,
    Command.ABANDON: _abandon,
    Command.TRANSFER_TO_QUEUE: _transfer_to_queue,
    Command.TRANSFER_TO_AGENT: _transfer_to_agent,
    Command.ACCEPT_CALLBACK: _accept_callback,
    Command.ROUTE_OUT: _route_out,
    Command.SET_SITE_STATUS: _set_site_status,
    Command.ADVANCE: _advance,
    Command.MONITOR: _monitor,
}


def _contact_rows(router: Router, out: Outcome, commanded: ContactId | None) -> None:
    """Where every contact the command or its decisions touched is now: its phase, queue, step, placement
    and agent while routed; the terminal states were filled in by the handlers."""
    touched: dict[ContactId, None] = dict.fromkeys(out.contacts)
    if commanded is not None:
        touched[commanded] = None
    for decision in out.decisions:
        contact_id = getattr(decision, "contact_id", None)
        if contact_id is not None:
            touched[contact_id] = None
    if out.arrived is not None:
        touched[out.arrived.id] = None
    for contact_id in touched:
        record = router.contacts.get(contact_id)
        if record is None:
            continue  # ended (filled in above), or an ended contact's wrap-up: nothing to change
        out.contacts[contact_id] = {
            "state": record.phase.value,
            "queue_id": record.queue.id,
            "step_index": record.step_index,
            "placement": list(record.placement),
            "agent_id": record.agent_id,
        }
