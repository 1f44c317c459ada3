"""From the event bus to WebSocket connections: `StreamHub` and the per-connection `Feed`.

The bus publishes committed batches on the thread that ran the command (a worker thread), while that
thread still holds the tenant's lock. The hub's one subscriber does only quick work there: it finds the
connections a batch concerns (the agents it names, the tenant's wallboards), turns the events into
messages (reading the screen-pop data from the router, whose lock it already holds), serialises each
message once, and hands each connection its messages with `loop.call_soon_threadsafe`. Each connection
owns a bounded `Feed` on its event loop; a feed that overflows (a client that cannot keep up) is marked
and its connection closed (code 1013, "try again later": reconnecting restores the view from the `hello`
message).

Attaching a connection runs under the tenant's lock (`LiveCenter.inspect`), so the `hello` snapshot and
the stream of batches after it neither overlap nor leave a gap.

Agent messages (every one also has `at`, the event's time):

- `offer`: `{"contact": {...screen pop...}, "expires_at"}` when a contact rings at the agent;
- `offer-withdrawn`: `{"contact_id", "queue", "reason"}`, reason `rejected`, `missed`, `abandoned`,
  `transferred`, `routed-out` or `withdrawn` (the agent went aux or logged out, the site was evacuated);
- `answered`: `{"contact_id", "queue", "wait_seconds"}`; `completed`: `{"contact_id", "queue",
  "handle_seconds"}`; `wrap-up-ended`: `{"contact_id", "queue", "wrap_up_seconds"}`;
- `state`: `{"state", "previous", "reason"}`.
"""

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_json

from baiying.application.bus import EventBatch
from baiying.application.center import LiveCenter
from baiying.events import (
    AgentStateChanged,
    ContactAbandoned,
    ContactAnswered,
    ContactCompleted,
    ContactOffered,
    ContactRoutedOut,
    ContactTransferred,
    Event,
    OfferDeclined,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId
from baiying.routing.router import Router
from baiying.routing.state import ContactRecord, Phase

Message = dict[str, Any]
Outgoing = Message | str  # a message, or its JSON text already


def as_text(message: Outgoing) -> str:
    """A message's JSON text (pydantic-core's serialiser: some 5 times cheaper than `json.dumps`)."""
    return message if isinstance(message, str) else to_json(message).decode()


FEED_LIMIT = 256  # messages a connection may have waiting before it is dropped as too slow
CLOSE_TOO_SLOW = 1013  # "try again later"


class Feed:
    """One connection's mailbox on its event loop. `post` may be called from any thread; the rest only on
    the loop. Bounded: past `limit` waiting messages it is `overflowed` and holds nothing more."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = FEED_LIMIT) -> None:
        self._loop = loop
        self._limit = limit
        self._items: deque[Outgoing] = deque()
        self._wake = asyncio.Event()
        self.overflowed = False
        self.closed = False

    def post(self, messages: Sequence[Outgoing]) -> None:
        """Hand messages to the loop (an empty list just wakes the reader); thread-safe, never blocks."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the connection is gone
            self._loop.call_soon_threadsafe(self._deliver, messages)

    def _deliver(self, messages: Sequence[Outgoing]) -> None:
        if self.closed or self.overflowed:
            return
        if len(self._items) + len(messages) > self._limit:
            self.overflowed = True
            self._items.clear()
        else:
            self._items.extend(messages)
        self._wake.set()

    def close_threadsafe(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self.close)

    def close(self) -> None:
        """No more messages: the reader wakes and stops (loop thread only)."""
        self.closed = True
        self._wake.set()

    async def wait(self, timeout: float | None = None) -> bool:
        """Until something was posted or the feed closed (True), or `timeout` passed (False)."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def take(self) -> list[Outgoing]:
        taken = list(self._items)
        self._items.clear()
        self._wake.clear()
        return taken


@dataclass(eq=False)
class AgentFeed:
    feed: Feed
    tenant_id: str
    agent_id: str


@dataclass(eq=False)
class BoardFeed:
    feed: Feed
    tenant_id: str


@dataclass
class _Tenant:
    agents: dict[str, set[AgentFeed]] = field(default_factory=dict)
    boards: set[BoardFeed] = field(default_factory=set)
    # contacts ringing at each watched agent, as last told to its connections, and the reverse index (so a
    # batch finds the agents its contacts ring at without looking at every watched agent)
    ringing: dict[str, set[str]] = field(default_factory=dict)
    ringers: dict[str, set[str]] = field(default_factory=dict)

    def set_ringing(self, agent: str, contacts: set[str]) -> None:
        self.drop_ringing(agent)
        self.ringing[agent] = contacts
        for contact in contacts:
            self.ringers.setdefault(contact, set()).add(agent)

    def drop_ringing(self, agent: str) -> None:
        for contact in self.ringing.pop(agent, set()):
            self.unring(agent, contact, keep=True)

    def ring(self, agent: str, contact: str) -> None:
        self.ringing.setdefault(agent, set()).add(contact)
        self.ringers.setdefault(contact, set()).add(agent)

    def unring(self, agent: str, contact: str, *, keep: bool = False) -> None:
        if not keep:
            self.ringing.get(agent, set()).discard(contact)
        agents = self.ringers.get(contact)
        if agents is not None:
            agents.discard(agent)
            if not agents:
                del self.ringers[contact]


def screen_pop(record: ContactRecord) -> Message:
    """What an agent's desktop shows of a contact."""
    contact = record.contact
    return {
        "id": contact.id,
        "queue": record.queue.id,
        "channel": str(contact.channel),
        "customer_id": contact.customer_id,
        "language": contact.language,
        "intent": contact.intent,
        "tier": contact.tier,
        "region": contact.region,
        "priority": record.priority,
        "attributes": dict(contact.attributes),
        "arrived_at": contact.arrived_at,
        "site": contact.site_id,
    }


def _ringing_at(router: Router, agent_id: str) -> set[str]:
    agent = router.agents.get(AgentId(agent_id))
    if agent is None:
        return set()
    return {str(item.contact_id) for item in agent.items.values() if item.phase is Phase.RESERVED}


def _hello(router: Router, agent_id: str, at: float) -> Message:
    agent = router.agents.get(AgentId(agent_id))
    contacts = []
    if agent is not None:
        for item in agent.items.values():
            record = router.contacts.get(item.contact_id)
            if record is not None:
                contacts.append({"phase": item.phase.value, "contact": screen_pop(record)})
    return {
        "type": "hello",
        "agent": agent_id,
        "state": str(agent.reported_state) if agent is not None else "offline",
        "reason": agent.reported_reason if agent is not None else None,
        "since": agent.state_since if agent is not None else None,
        "contacts": contacts,
        "at": at,
    }


_ENDED_BY = {
    ContactAbandoned: "abandoned",
    ContactTransferred: "transferred",
    ContactRoutedOut: "routed-out",
}


class StreamHub:
    """Routes the center's committed events to the connected agents and wallboards. Subscribes on
    creation; `close()` unsubscribes and closes every feed. Thread-safe."""

    def __init__(self, center: LiveCenter) -> None:
        self.center = center
        self._lock = threading.Lock()
        self._tenants: dict[str, _Tenant] = {}
        self._unsubscribe = center.bus.subscribe(self._on_batch)

    def close(self) -> None:
        self._unsubscribe()
        with self._lock:
            feeds = [f.feed for t in self._tenants.values() for fs in t.agents.values() for f in fs]
            feeds += [b.feed for t in self._tenants.values() for b in t.boards]
            self._tenants.clear()
        for feed in feeds:
            feed.close_threadsafe()

    # ---- attaching connections (blocking: call from a worker thread) ---------------------------------

    def attach_agent(self, subscriber: AgentFeed) -> Message:
        """Start streaming to an agent's connection; returns its `hello` message. Runs under the tenant's
        lock, so no batch falls between the snapshot and the stream."""

        def attach(router: Router) -> Message:
            with self._lock:
                tenant = self._tenants.setdefault(subscriber.tenant_id, _Tenant())
                feeds = tenant.agents.setdefault(subscriber.agent_id, set())
                if not feeds:
                    tenant.set_ringing(subscriber.agent_id, _ringing_at(router, subscriber.agent_id))
                feeds.add(subscriber)
            return _hello(router, subscriber.agent_id, self.center.clock.now())

        return self.center.inspect(subscriber.tenant_id, attach)

    def attach_board(self, subscriber: BoardFeed) -> None:
        with self._lock:
            self._tenants.setdefault(subscriber.tenant_id, _Tenant()).boards.add(subscriber)

    def detach(self, subscriber: AgentFeed | BoardFeed) -> None:
        with self._lock:
            tenant = self._tenants.get(subscriber.tenant_id)
            if tenant is None:
                return
            if isinstance(subscriber, BoardFeed):
                tenant.boards.discard(subscriber)
            else:
                feeds = tenant.agents.get(subscriber.agent_id, set())
                feeds.discard(subscriber)
                if not feeds:
                    tenant.agents.pop(subscriber.agent_id, None)
                    tenant.drop_ringing(subscriber.agent_id)
            if not tenant.agents and not tenant.boards:
                del self._tenants[subscriber.tenant_id]

    def connections(self) -> int:
        with self._lock:
            return sum(
                len(t.boards) + sum(len(fs) for fs in t.agents.values()) for t in self._tenants.values()
            )

    # ---- the bus subscriber (the publishing thread, holding the tenant's lock) -----------------------

    def _on_batch(self, batch: EventBatch) -> None:
        with self._lock:
            tenant = self._tenants.get(batch.tenant_id)
            if tenant is None:
                return
            boards = [b.feed for b in tenant.boards]
            concerned = _agents_concerned(batch.events, tenant)
        for board in boards:
            board.post([])
        if not concerned:
            return
        outgoing = self.center.inspect(
            batch.tenant_id, lambda router: self._messages(router, tenant, batch.events, concerned)
        )
        # Serialised here, once per message, whatever number of connections an agent has open.
        texts = {agent_id: [as_text(m) for m in messages] for agent_id, messages in outgoing.items()}
        with self._lock:
            for agent_id, serialised in texts.items():
                for subscriber in tenant.agents.get(agent_id, ()):
                    subscriber.feed.post(serialised)

    def _messages(
        self, router: Router, tenant: _Tenant, events: Iterable[Event], concerned: set[str]
    ) -> dict[str, list[Message]]:
        out: dict[str, list[Message]] = {agent: [] for agent in concerned}
        ended: dict[str, str] = {}  # contact -> why it left routing or its queue
        for event in events:
            reason = _ENDED_BY.get(type(event))
            if reason is not None:
                ended[event.contact_id] = reason  # type: ignore[attr-defined]
            agent = getattr(event, "agent_id", None)
            if agent not in out:
                continue
            message = _agent_message(router, event)
            if message is None:
                continue
            if message["type"] == "offer":
                tenant.ring(agent, message["contact"]["id"])
            elif message["type"] in ("offer-withdrawn", "answered"):
                tenant.unring(agent, message["contact_id"])
            out[agent].append(message)
        at = self.center.clock.now()
        for agent, messages in out.items():
            ringing = tenant.ringing.get(agent, set())
            now_ringing = _ringing_at(router, agent)
            for contact_id in sorted(ringing - now_ringing):
                record = router.contacts.get(ContactId(contact_id))
                queue = record.queue.id if record is not None else None
                why = ended.get(contact_id, "withdrawn")
                messages.append(_withdrawn(contact_id, queue, why, at))
            if now_ringing != ringing:
                tenant.set_ringing(agent, now_ringing)
        return {agent: messages for agent, messages in out.items() if messages}


def _agents_concerned(events: Iterable[Event], tenant: _Tenant) -> set[str]:
    """The watched agents a batch names, or whose ringing contacts it names: a few dict lookups per
    event, however many agents are watched."""
    watched = tenant.agents
    if not watched:
        return set()
    found: set[str] = set()
    for event in events:
        agent = getattr(event, "agent_id", None)
        if agent is not None and agent in watched:
            found.add(agent)
        contact = getattr(event, "contact_id", None)
        if contact is not None:
            found.update(tenant.ringers.get(contact, ()))
    return found


def _withdrawn(contact_id: str, queue: str | None, reason: str, at: float) -> Message:
    return {"type": "offer-withdrawn", "contact_id": contact_id, "queue": queue, "reason": reason, "at": at}


def _agent_message(router: Router, event: Event) -> Message | None:
    if isinstance(event, ContactOffered):
        record = router.contacts.get(event.contact_id)
        if record is None:  # gone again within the same command
            contact: Message = {"id": event.contact_id, "queue": event.queue_id}
            expires = None
        else:
            contact = screen_pop(record)
            expires = event.at + record.queue.offer_timeout_seconds
        contact["site"] = event.site_id
        return {"type": "offer", "contact": contact, "expires_at": expires, "at": event.at}
    if isinstance(event, OfferDeclined):
        return _withdrawn(
            event.contact_id, event.queue_id, "missed" if event.missed else "rejected", event.at
        )
    if isinstance(event, ContactAnswered):
        return {
            "type": "answered",
            "contact_id": event.contact_id,
            "queue": event.queue_id,
            "wait_seconds": event.wait_seconds,
            "at": event.at,
        }
    if isinstance(event, ContactCompleted):
        return {
            "type": "completed",
            "contact_id": event.contact_id,
            "queue": event.queue_id,
            "handle_seconds": event.handle_seconds,
            "at": event.at,
        }
    if isinstance(event, WrapUpEnded):
        return {
            "type": "wrap-up-ended",
            "contact_id": event.contact_id,
            "queue": event.queue_id,
            "wrap_up_seconds": event.wrap_up_seconds,
            "at": event.at,
        }
    if isinstance(event, AgentStateChanged):
        return {
            "type": "state",
            "state": event.state,
            "previous": event.previous,
            "reason": event.reason,
            "at": event.at,
        }
    return None
