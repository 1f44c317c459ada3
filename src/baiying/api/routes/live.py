"""The live engine over HTTP: contacts (the entry point of every channel), agents' sessions, supervisors'
statistics and forced states. Every command goes through `LiveCenter`, which commits it and its events
before it answers; who may do what is `baiying.accounts.policy`'s call:

- contacts: an admin (or a channel adapter's admin user) creates them; an agent reads, completes,
  transfers or cancels only those assigned to them; a supervisor reads those placed at their sites;
- an agent's session (log in/out, state, offers, wrap-up): the agent's own, or an admin's or a scoped
  supervisor's on their behalf (accepting and rejecting an offer are the agent's, or an admin's);
- statistics: tenant-wide rows for an admin or an unscoped supervisor, site rows for a site's supervisor.
"""

from typing import Annotated

from fastapi import APIRouter, Body, status
from sqlalchemy.orm import Session

from baiying.accounts.errors import Forbidden
from baiying.accounts.policy import Action, Kind, Resource, can, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.blocking import off_loop
from baiying.api.deps import (
    ApiState,
    CenterDep,
    ClockDep,
    DeferredSessionDep,
    SessionDep,
    StateDep,
    StatsDep,
    allowed,
    allowed_any,
)
from baiying.api.schemas import KeyPath
from baiying.api.schemas.live import (
    AgentLogin,
    AgentPublic,
    AgentStateChange,
    CommandPublic,
    CompleteRequest,
    ContactCreate,
    ContactCreated,
    ContactPublic,
    ForcedStateChange,
    RouteOutRequest,
    StatsPublic,
    TransferRequest,
)
from baiying.application.center import LiveCenter
from baiying.application.views import AgentStatus, ContactStatus, contact_status
from baiying.errors import DomainError, InvalidTransition
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.errors import NoSuchQueue
from baiying.routing.router import Router
from baiying.storage.engine import switch_to_writing
from baiying.storage.repositories import AgentRepository
from baiying.storage.repositories.customers import CONTACT_POINT_KEYS, customer_for_contact

contacts = APIRouter(prefix="/api/contacts", tags=["contacts"])
queues = APIRouter(prefix="/api/queues", tags=["queues"])
agents = APIRouter(prefix="/api/agents", tags=["agent sessions"])
stats = APIRouter(prefix="/api/stats", tags=["statistics"])

SESSION_ACTIONS = ((Action.WORK, Kind.AGENT), (Action.FORCE_STATE, Kind.AGENT))


def _contact_resource(principal: Principal, found: ContactStatus) -> Resource:
    return resource(
        Kind.CONTACT, principal.tenant_id, found.contact_id, sites=found.placement, agent=found.agent_id
    )


def contact_checked(
    center: LiveCenter, principal: Principal, contact_id: str, action: Action
) -> ContactStatus:
    """The contact, if the principal may do `action` to it (its sites, its agent); else Forbidden."""
    found = center.contact(principal.tenant_id, ContactId(contact_id))
    require(principal, action, _contact_resource(principal, found))
    return found


def _agent_resource(session: Session, principal: Principal, agent_id: str) -> Resource:
    row = AgentRepository(session, principal.tenant_id).get(agent_id)
    session.rollback()  # end the read: the center commits in a transaction of its own
    return resource(Kind.AGENT, principal.tenant_id, agent_id, site=row.site_id, agent=agent_id)


def _session_of(session: Session, principal: Principal, agent_id: str) -> AgentId:
    """The agent whose session the caller may drive: their own, or one in an admin's or supervisor's scope."""
    target = _agent_resource(session, principal, agent_id)
    if not any(can(principal, action, target) for action, _ in SESSION_ACTIONS):
        require(principal, Action.WORK, target)  # raises, naming the refusal
    return AgentId(agent_id)


def _status_of(center: LiveCenter, tenant_id: str, agent_id: str) -> AgentStatus | None:
    return next((a for a in center.agents(tenant_id) if a.agent_id == agent_id), None)


# ---- contacts -----------------------------------------------------------------------------------------


@contacts.post("", status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: ContactCreate,
    center: CenterDep,
    state: StateDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.CONTACT)],
) -> ContactCreated:
    """A new inbound contact enters routing now; the answer says where it is and what the router decided.
    Without `customer`, a `phone`, `email` or `chat_id` attribute links it to the customer holding it."""
    # async, the blocking part off the loop: see `baiying.api.blocking` (three calls per routed contact)
    return await off_loop(_create_contact, body, center, state, principal)


def _create_contact(
    body: ContactCreate, center: LiveCenter, state: ApiState, principal: Principal
) -> ContactCreated:
    tenant = principal.tenant_id
    require(principal, Action.CREATE, resource(Kind.CONTACT, tenant, body.id, site=body.site))
    customer = body.customer
    if customer is None and CONTACT_POINT_KEYS & body.attributes.keys():  # the caller's phone, email, chat id
        # A session only when there is something to look up: as a dependency (a generator) it would cost
        # two more hops to the thread pool on every contact, the hottest route of the server.
        assert state.sessions is not None  # the center is set: the app has started
        with state.sessions() as session:
            customer = customer_for_contact(session, tenant, body.attributes)
    result = center.arrive(
        tenant,
        QueueId(body.queue),
        contact_id=ContactId(body.id) if body.id is not None else None,
        channel=body.channel,
        site_id=SiteId(body.site) if body.site is not None else None,
        customer_id=customer,
        language=body.language,
        intent=body.intent,
        tier=body.tier,
        region=body.region,
        priority=body.priority,
        attributes=body.attributes,
    )
    assert result.contact_id is not None
    status = result.contact if result.contact is not None else center.contact(tenant, result.contact_id)
    return ContactCreated.created(status, result)


@contacts.get("/{contact_id}")
def get_contact(
    contact_id: KeyPath,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.CONTACT)],
) -> ContactPublic:
    """Where the contact is now: waiting, offered or connected (to which agent, at which site), or how
    it ended."""
    return ContactPublic.of(contact_checked(center, principal, contact_id, Action.READ))


@contacts.post("/{contact_id}/cancel")
def cancel_contact(
    contact_id: KeyPath,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CONTACT)],
) -> CommandPublic:
    """The customer left (hung up, closed the chat) while waiting or ringing: the contact is abandoned."""
    contact_checked(center, principal, contact_id, Action.UPDATE)
    return CommandPublic.of(center.abandon(principal.tenant_id, ContactId(contact_id)))


@contacts.post("/{contact_id}/transfer")
def transfer_contact(
    contact_id: KeyPath,
    body: TransferRequest,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CONTACT)],
) -> CommandPublic:
    """Transfer the contact to another queue, or to a named agent."""
    contact_checked(center, principal, contact_id, Action.UPDATE)
    tenant, contact = principal.tenant_id, ContactId(contact_id)
    if body.queue is not None:
        return CommandPublic.of(center.transfer_to_queue(tenant, contact, QueueId(body.queue)))
    assert body.agent is not None
    return CommandPublic.of(center.transfer_to_agent(tenant, contact, AgentId(body.agent)))


@contacts.post("/{contact_id}/callback")
def request_callback(
    contact_id: KeyPath,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CONTACT)],
) -> CommandPublic:
    """The waiting customer accepts to be called back: they leave the line and keep their place."""
    contact_checked(center, principal, contact_id, Action.UPDATE)
    return CommandPublic.of(center.accept_callback(principal.tenant_id, ContactId(contact_id)))


@contacts.post("/{contact_id}/route-out")
def route_out_contact(
    contact_id: KeyPath,
    body: RouteOutRequest,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CONTACT)],
) -> CommandPublic:
    """The waiting or ringing contact leaves live routing for voicemail, a ticket, a callback, or nowhere
    (disconnected): it ends `routed-out`, with the destination and reason; a ringing agent is freed. A
    connected contact is refused (409): transfer or complete it."""
    contact_checked(center, principal, contact_id, Action.UPDATE)
    tenant, contact = principal.tenant_id, ContactId(contact_id)
    return CommandPublic.of(center.route_out(tenant, contact, body.destination, body.reason or ""))


def _offered_agent(center: LiveCenter, principal: Principal, contact_id: str) -> AgentId:
    """The agent the contact rings at, if the caller may work as them. Read from the router alone: an
    agent with an offer is logged in, so the router knows their site."""
    tenant = principal.tenant_id
    found, site = center.inspect(tenant, lambda router: _offer_in(router, ContactId(contact_id)))
    if found is None:
        found = center.contact(tenant, ContactId(contact_id))  # no longer routed: its row, or unknown
    return _offered_agent_of(principal, contact_id, found, site)


def _offered_agent_of(
    principal: Principal, contact_id: str, found: ContactStatus, site: str | None
) -> AgentId:
    if found.agent_id is None or found.state != "offered" or site is None:
        if not can(principal, Action.READ, _contact_resource(principal, found)):
            raise Forbidden(
                f"user {principal.login!r} may not work contact {contact_id!r}",
                {"action": Action.WORK.value, "kind": Kind.CONTACT.value, "id": contact_id},
            )
        raise InvalidTransition(f"contact {contact_id} is not offered to anyone", {"contact_id": contact_id})
    agent = found.agent_id
    require(principal, Action.WORK, resource(Kind.AGENT, principal.tenant_id, agent, site=site, agent=agent))
    return agent


class _NotRouted(DomainError):
    """A check made inside a command found the contact out of the router: the route looks it up in full
    (its row, or unknown) outside the command, as it did before checks ran inside (one lock round trip
    for the usual case, the same answers for the others)."""

    code = "not-routed"


def _offer_in(router: Router, contact_id: ContactId) -> tuple[ContactStatus | None, str | None]:
    """The routed contact's status and the site of the agent it is with, if any."""
    record = router.contacts.get(contact_id)
    if record is None:
        return None, None
    agent = router.agents.get(record.agent_id) if record.agent_id is not None else None
    return contact_status(record), agent.site_id if agent is not None else None


@contacts.post("/{contact_id}/accept")
async def accept_offer(
    contact_id: KeyPath,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.WORK, Kind.AGENT)],
) -> CommandPublic:
    """The agent the contact is offered to takes it."""
    return await off_loop(_accept_offer, center, principal, contact_id)  # see `create_contact`


def _accept_offer(center: LiveCenter, principal: Principal, contact_id: str) -> CommandPublic:
    tenant, contact = principal.tenant_id, ContactId(contact_id)

    def offered_agent(router: Router) -> AgentId:
        found, site = _offer_in(router, contact)
        if found is None:
            raise _NotRouted(f"contact {contact_id} is not routed")
        return _offered_agent_of(principal, contact_id, found, site)

    try:
        return CommandPublic.of(center.accept(tenant, contact, offered_agent))
    except _NotRouted:
        agent = _offered_agent(center, principal, contact_id)
        return CommandPublic.of(center.accept(tenant, contact, agent))


@contacts.post("/{contact_id}/reject")
def reject_offer(
    contact_id: KeyPath,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.WORK, Kind.AGENT)],
) -> CommandPublic:
    """The agent the contact is offered to declines it; it goes back to waiting."""
    agent = _offered_agent(center, principal, contact_id)
    return CommandPublic.of(center.reject(principal.tenant_id, ContactId(contact_id), agent))


@contacts.post("/{contact_id}/complete")
async def complete_contact(
    contact_id: KeyPath,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CONTACT)],
    body: Annotated[CompleteRequest | None, Body()] = None,
) -> CommandPublic:
    """The agent finished the contact, with an active wrap-up code and notes if given."""
    given = body if body is not None else CompleteRequest()
    return await off_loop(_complete_contact, center, principal, contact_id, given)  # see `create_contact`


def _complete_contact(
    center: LiveCenter, principal: Principal, contact_id: str, given: CompleteRequest
) -> CommandPublic:
    tenant, contact = principal.tenant_id, ContactId(contact_id)

    def connected_agent(router: Router) -> AgentId | None:
        record = router.contacts.get(contact)
        if record is None:
            raise _NotRouted(f"contact {contact_id} is not routed")
        found = contact_status(record)
        require(principal, Action.UPDATE, _contact_resource(principal, found))
        return found.agent_id

    try:
        result = center.complete(
            tenant, contact, agent_id=connected_agent, wrap_up_code=given.wrap_up_code, notes=given.notes
        )
    except _NotRouted:
        found = contact_checked(center, principal, contact_id, Action.UPDATE)
        result = center.complete(
            tenant, contact, agent_id=found.agent_id, wrap_up_code=given.wrap_up_code, notes=given.notes
        )
    return CommandPublic.of(result)


# ---- queues -------------------------------------------------------------------------------------------


@queues.get("/{queue_id}/waiting")
def waiting_in_queue(
    queue_id: KeyPath,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.QUEUE)],
) -> list[ContactPublic]:
    """The queue's contacts waiting for an agent, in the order they will be served (those the caller
    may read)."""
    tenant = principal.tenant_id
    require(principal, Action.READ, resource(Kind.QUEUE, tenant, queue_id))
    if not center.inspect(tenant, lambda router: queue_id in router.config.queues):
        raise NoSuchQueue(f"no queue {queue_id!r}", {"queue_id": queue_id})
    found = center.waiting(tenant, QueueId(queue_id))
    return [
        ContactPublic.of(c) for c in found if can(principal, Action.READ, _contact_resource(principal, c))
    ]


# ---- agents' sessions ---------------------------------------------------------------------------------


@agents.get("/{agent_id}/session")
def get_session(
    agent_id: KeyPath,
    session: SessionDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.AGENT)],
) -> AgentPublic | None:
    """The agent's live state and contacts in hand; null while logged out."""
    require(principal, Action.READ, _agent_resource(session, principal, agent_id))
    found = _status_of(center, principal.tenant_id, agent_id)
    return AgentPublic.of(found) if found is not None else None


@agents.post("/{agent_id}/login")
def log_agent_in(
    agent_id: KeyPath,
    session: DeferredSessionDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed_any(*SESSION_ACTIONS)],
    body: Annotated[AgentLogin | None, Body()] = None,
) -> CommandPublic:
    """Log the agent in with their stored skills: ready (by default), or in aux "login"."""
    agent = _session_of(session, principal, agent_id)
    ready = body.ready if body is not None else True
    return CommandPublic.of(center.login(principal.tenant_id, agent, ready=ready))


@agents.post("/{agent_id}/logout")
def log_agent_out(
    agent_id: KeyPath,
    session: DeferredSessionDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed_any(*SESSION_ACTIONS)],
) -> CommandPublic:
    agent = _session_of(session, principal, agent_id)
    return CommandPublic.of(center.logout(principal.tenant_id, agent))


@agents.put("/{agent_id}/state")
def set_agent_state(
    agent_id: KeyPath,
    body: AgentStateChange,
    session: DeferredSessionDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed_any(*SESSION_ACTIONS)],
) -> CommandPublic:
    """Ready for contacts, or aux with a reason."""
    agent = _session_of(session, principal, agent_id)
    if body.state == "ready":
        return CommandPublic.of(center.set_ready(principal.tenant_id, agent))
    assert body.reason is not None
    return CommandPublic.of(center.set_aux(principal.tenant_id, agent, body.reason))


@agents.post("/{agent_id}/wrap-up/end")
def end_wrap_up(
    agent_id: KeyPath,
    session: DeferredSessionDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed_any(*SESSION_ACTIONS)],
) -> CommandPublic:
    """The agent is done with after-contact work before the wrap-up time ran out."""
    agent = _session_of(session, principal, agent_id)
    return CommandPublic.of(center.end_wrap_up(principal.tenant_id, agent))


@agents.put("/{agent_id}/forced-state")
def force_agent_state(
    agent_id: KeyPath,
    body: ForcedStateChange,
    session: DeferredSessionDep,
    center: CenterDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.FORCE_STATE, Kind.AGENT)],
) -> CommandPublic:
    """A supervisor sets an agent ready, in aux or logs them out; audited as "forced-state"."""
    tenant = principal.tenant_id
    require(principal, Action.FORCE_STATE, _agent_resource(session, principal, agent_id))
    agent = AgentId(agent_id)
    before = _audit_state(_status_of(center, tenant, agent_id))
    if body.state == "ready":
        result = center.set_ready(tenant, agent)
    elif body.state == "aux":
        assert body.reason is not None
        result = center.set_aux(tenant, agent, body.reason)
    else:
        result = center.logout(tenant, agent)
    after = _audit_state(_status_of(center, tenant, agent_id))
    switch_to_writing(session)  # its read began before the center committed the change
    audited.record(session, principal, clock, "forced-state", "agent", agent_id, before=before, after=after)
    session.commit()
    return CommandPublic.of(result)


def _audit_state(found: AgentStatus | None) -> dict[str, str | None]:
    if found is None:
        return {"state": "offline", "reason": None}
    return {"state": found.state, "reason": found.reason}


# ---- statistics ---------------------------------------------------------------------------------------


@stats.get("")
def live_stats(
    live: StatsDep, principal: Annotated[Principal, allowed(Action.READ, Kind.STATS)]
) -> StatsPublic:
    """Now (waiting, ringing, longest wait, agents by state) and so far today and in the current
    interval (SL, ASA, abandoned, AHT, ...), per queue, site and for the tenant."""
    tenant = principal.tenant_id
    snapshot = live.snapshot(tenant)
    tenant_wide = can(principal, Action.READ, resource(Kind.STATS, tenant))
    sites = None
    if not tenant_wide:
        sites = {
            s for s in snapshot.sites if can(principal, Action.READ, resource(Kind.STATS, tenant, s, site=s))
        }
    return StatsPublic.of(snapshot, tenant_wide=tenant_wide, sites=sites)
