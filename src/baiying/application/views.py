"""Read models of the live router for the API, the wallboard and the tests: frozen snapshots, taken under
the tenant's lock by `LiveCenter`, so a caller can hold one while the router moves on."""

from dataclasses import dataclass

from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.router import Router
from baiying.routing.state import ContactRecord


@dataclass(frozen=True, slots=True)
class ContactStatus:
    """Where a contact is. `state` is its routing phase (waiting / offered / connected) while routed, then
    how it ended (completed / abandoned / routed-out)."""

    contact_id: ContactId
    queue_id: QueueId
    state: str
    arrived_at: float
    priority: int
    placement: tuple[SiteId, ...]  # the sites it waits at, in order of preference
    step_index: int
    agent_id: AgentId | None  # the agent it rings at or talks to
    callback: bool  # waiting for a call back rather than on the line
    routed: bool  # still in the live router
    channel: str  # voice, chat, email...
    routed_out_to: str | None = None  # a routed-out contact's destination (voicemail, ticket, ...)
    routed_out_reason: str | None = None  # and why it was routed out


@dataclass(frozen=True, slots=True)
class AgentStatus:
    agent_id: AgentId
    site_id: SiteId
    state: str  # ready / reserved / busy / wrap-up / aux / offline (offline while finishing work)
    reason: str | None  # the aux reason
    since: float  # when `state` began
    contacts: tuple[tuple[ContactId, str], ...]  # contacts in hand and their phase (reserved/active/wrap-up)


def contact_status(record: ContactRecord) -> ContactStatus:
    return ContactStatus(
        contact_id=record.id,
        queue_id=record.queue.id,
        state=record.phase.value,
        arrived_at=record.contact.arrived_at,
        priority=record.priority,
        placement=tuple(record.placement),
        step_index=record.step_index,
        agent_id=record.agent_id,
        callback=record.callback,
        routed=True,
        channel=str(record.contact.channel),
    )


def waiting_contacts(router: Router, queue_id: QueueId | None = None) -> list[ContactStatus]:
    """Contacts waiting for an agent (not those ringing), in the order agents will get them: priority,
    then true age, then the order they were filed in."""
    found = router.waiting.all_waiting()
    return [contact_status(r) for r in found if queue_id is None or r.queue.id == queue_id]


def agent_statuses(router: Router) -> list[AgentStatus]:
    """Logged-in agents (and those logged out who are finishing a contact), by id, in the state the event
    log last recorded for them."""
    statuses = []
    for agent_id in sorted(router.agents):
        agent = router.agents[agent_id]
        statuses.append(
            AgentStatus(
                agent_id=agent_id,
                site_id=agent.site_id,
                state=str(agent.reported_state),
                reason=agent.reported_reason,
                since=agent.state_since,
                contacts=tuple((item.contact_id, item.phase.value) for item in agent.items.values()),
            )
        )
    return statuses
