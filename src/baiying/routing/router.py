"""The routing engine (ACD) as a pure state machine: inputs and the current time in, decisions out.

Nothing here reads a clock or does I/O, so the same engine runs live and inside the simulator. After every
call, no waiting contact has an available agent who could take it (each side looks for the other when it
becomes ready), every waiting contact is in exactly one bucket, and no agent holds more than its capacity.
"""

from typing import Final

from baiying.errors import ConfigError, ConfigProblem, InvalidTransition
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing import queueing
from baiying.routing.availability import AvailabilityIndex, SkillPool
from baiying.routing.config import RoutingConfig
from baiying.routing.decisions import (
    AgentStateChanged,
    Decision,
    OfferToAgent,
    Overflow,
    RouteOut,
    RouteOutDestination,
    WithdrawOffer,
    WrapUpFinished,
)
from baiying.routing.errors import NoSuchAgent, NoSuchContact, NoSuchQueue, NoSuchSite
from baiying.routing.expressions import agent_view
from baiying.routing.model import ANY_SKILL, AgentProfile, AgentState, Contact, SiteStatus
from baiying.routing.placement import INFINITE_WAIT, ExpectedWait, SitePlacer
from baiying.routing.selection import best_contact
from baiying.routing.state import (
    NO_CHANNELS,
    AgentRecord,
    ContactPhase,
    ContactRecord,
    Phase,
    QueueRun,
    Staffing,
    WorkItem,
)
from baiying.routing.timers import Timer, TimerKind, Timers
from baiying.routing.waiting import WaitingIndex

AHT_SMOOTHING: Final = 0.05  # weight of each completed contact in the running handle-time estimate


class Router:
    """`on(input, now)` or the named methods; each returns the decisions taken, in order."""

    def __init__(self, config: RoutingConfig) -> None:
        if not config.sites:
            raise ConfigError("routing", [ConfigProblem("sites", "configure at least one site")])
        self.config = config
        self.placer = SitePlacer(config.sites, config.placement)
        self.available = AvailabilityIndex()
        self.waiting = WaitingIndex()
        self.timers = Timers()
        self.agents: dict[AgentId, AgentRecord] = {}
        self.contacts: dict[ContactId, ContactRecord] = {}
        self.staffed: dict[tuple[SiteId, str], Staffing] = {}  # ready-or-working agents per site and skill
        # Sites by index: per-site counts are lists, not dicts keyed by (queue, site).
        self.site_index = {site: index for index, site in enumerate(config.sites)}
        self._offers = 0
        self._checked_version = -1  # the timers' version when `next_due` last looked, and its answer
        self._checked_due: float | None = None
        self._undelivered: list[Decision] = []
        self._queues = {
            q.id: QueueRun(q, config.policies[q.policy_id], len(config.sites)) for q in config.queues.values()
        }
        self.wait_estimate = ContactWait(self)  # placement asks it, for one contact at a time

    # ---- time -------------------------------------------------------------------------------------------

    def next_due(self) -> float | None:
        """When the router next needs `advance()` (a step, offer or wrap-up deadline), if ever.

        Deadlines that can no longer do anything (an offer answered, a contact gone) are dropped from the
        front first, so a driver is not woken for nothing; what is left fires exactly as before. The
        answer is kept until a timer is set or popped."""
        timers = self.timers
        if timers.version == self._checked_version:
            return self._checked_due
        while (first := timers.first()) is not None and not self._can_fire(first):
            timers.drop_first()
        due = timers.next_due()
        self._checked_version, self._checked_due = timers.version, due
        return due

    def _can_fire(self, timer: Timer) -> bool:
        """Would this timer still do something? (Tokens only grow and records do not come back, so once
        it cannot, it never can.)"""
        if timer.kind is TimerKind.WRAP_UP:
            agent, item = timer.owner
            return agent.items.get(item.contact_id) is item and item.phase is Phase.WRAP_UP
        record: ContactRecord = timer.owner
        return record.timer_token == timer.token and self.contacts.get(record.id) is record

    def advance(self, now: float) -> list[Decision]:
        out = self._begin(now)
        return self._deliver(out)

    def _begin(self, now: float) -> list[Decision]:
        """Start a call: fire the deadlines due by `now` into the list of decisions to return.

        Deadlines are facts of time, so they fire even when the call itself is then refused; their
        decisions stay in `_undelivered` and come out with the next call that succeeds, never lost.
        """
        out = self._undelivered
        self._fire_due(now, out)
        return out

    def _deliver(self, out: list[Decision]) -> list[Decision]:
        self._undelivered = []
        return out

    def _fire_due(self, now: float, out: list[Decision]) -> None:
        timers = self.timers
        if not timers.due_by(now):
            return
        while (timer := timers.pop_due(now)) is not None:
            due = timer.due
            kind = timer.kind
            if kind is TimerKind.WRAP_UP:
                agent, item = timer.owner
                if agent.items.get(item.contact_id) is item and item.phase is Phase.WRAP_UP:
                    self._finish_wrap_up(agent, item, due, out)
                continue
            record: ContactRecord = timer.owner
            if record.timer_token != timer.token or self.contacts.get(record.id) is not record:
                continue
            if kind is TimerKind.OFFER and record.phase is ContactPhase.OFFERED:
                self._offer_missed(record, due, out)
            elif kind is TimerKind.STEP and record.phase is ContactPhase.WAITING:
                queueing.step_timed_out(self, record, due, out)

    # ---- agents -----------------------------------------------------------------------------------------

    def login(self, profile: AgentProfile, now: float, *, ready: bool = True) -> list[Decision]:
        out = self._begin(now)
        existing = self.agents.get(profile.id)
        if existing is not None:
            if existing.presence is not AgentState.OFFLINE or existing.profile != profile:
                raise InvalidTransition(f"agent {profile.id} is already logged in")
            if self.placer.status.get(profile.site_id) is SiteStatus.EVACUATED:
                raise InvalidTransition(f"site {profile.site_id} is evacuated: agents cannot log in there")
            # Logged out while finishing a contact, and back before it ended: the logout is cancelled.
            self._set_presence(
                existing, AgentState.READY if ready else AgentState.AUX, None if ready else "login"
            )
            self._report(existing, now, out)
            self._agent_changed(existing, now, out)
            return self._deliver(out)
        if self.config.sites and profile.site_id not in self.config.sites:
            raise NoSuchSite(f"agent {profile.id} belongs to unknown site {profile.site_id}")
        if self.placer.status.get(profile.site_id) is SiteStatus.EVACUATED:
            raise InvalidTransition(f"site {profile.site_id} is evacuated: agents cannot log in there")
        agent = AgentRecord(profile, agent_view(profile), now)
        agent.lookup_slots = self.waiting.slots(agent.lookup_keys)
        agent.staffing = self._staffing_of(agent)
        self.agents[profile.id] = agent
        self._set_presence(agent, AgentState.READY if ready else AgentState.AUX, None if ready else "login")
        self._report(agent, now, out)
        self._agent_changed(agent, now, out)
        return self._deliver(out)

    def logout(self, agent_id: AgentId, now: float) -> list[Decision]:
        """Log out now, or as soon as the work in hand is done; a ringing offer goes back to its queue."""
        out = self._begin(now)
        agent = self._agent(agent_id)
        self._withdraw_ringing(agent, "agent-logged-out", now, out)
        self._set_presence(agent, AgentState.OFFLINE, None)
        self._sync_available(agent)
        self._report(agent, now, out)
        self._forget_if_gone(agent)
        return self._deliver(out)

    def set_ready(self, agent_id: AgentId, now: float) -> list[Decision]:
        out = self._begin(now)
        agent = self._agent(agent_id)
        if agent.presence is AgentState.OFFLINE:
            raise InvalidTransition(f"agent {agent_id} is logging out; log in again instead")
        self._set_presence(agent, AgentState.READY, None)
        self._report(agent, now, out)
        self._agent_changed(agent, now, out)
        return self._deliver(out)

    def set_aux(self, agent_id: AgentId, reason: str, now: float) -> list[Decision]:
        """Not ready (break, lunch, training…); takes effect after the work in hand."""
        out = self._begin(now)
        agent = self._agent(agent_id)
        if agent.presence is AgentState.OFFLINE:
            raise InvalidTransition(f"agent {agent_id} is logging out; log in again instead")
        self._withdraw_ringing(agent, "agent-went-aux", now, out)
        self._set_presence(agent, AgentState.AUX, reason)
        self._sync_available(agent)
        self._report(agent, now, out)
        return self._deliver(out)

    def update_profile(self, profile: AgentProfile, now: float) -> list[Decision]:
        """Skills, capacity or attributes changed (an admin edit) while the agent is logged in."""
        out = self._begin(now)
        agent = self._agent(profile.id)
        if profile.site_id != agent.profile.site_id:
            raise InvalidTransition(f"agent {profile.id} must log out to move to site {profile.site_id}")
        filed = agent.available_in
        for channel in filed:
            self.available.remove(agent, channel)
        agent.available_in = NO_CHANNELS
        counted = agent.presence is AgentState.READY
        if counted:
            self._count_staffed(agent, -1)
        agent.change_profile(profile, agent_view(profile))
        agent.lookup_slots = self.waiting.slots(agent.lookup_keys)
        agent.staffing = self._staffing_of(agent)
        # An admin edit does not cost an idle agent its place in line: file it again where it was.
        open_now = agent.channels_open()
        for channel in filed & open_now:
            self.available.add(agent, channel, keep_place=True)
        agent.available_in = filed & open_now
        if counted:
            self._count_staffed(agent, +1)
        self._agent_changed(agent, now, out)
        return self._deliver(out)

    # ---- contacts ---------------------------------------------------------------------------------------

    def arrive(self, contact: Contact, now: float, *, agent_id: AgentId | None = None) -> list[Decision]:
        """A new contact enters its queue; with `agent_id`, for that agent alone (`arrive_for_agent`)."""
        if agent_id is not None:
            return queueing.arrive_for_agent(self, contact, agent_id, now)
        out = self._begin(now)
        if contact.id in self.contacts:
            raise InvalidTransition(f"contact {contact.id} is already being routed")
        run = self._queues.get(contact.queue_id)
        if run is None:
            raise NoSuchQueue(f"unknown queue {contact.queue_id}")
        record = ContactRecord(contact, run)
        self.contacts[contact.id] = record
        queueing.place(self, record, now, out)
        queueing.enter_step(self, record, 0, now, out, "arrived")
        return self._deliver(out)

    def accept(self, contact_id: ContactId, agent_id: AgentId, now: float) -> list[Decision]:
        out = self._begin(now)
        record = self._offered_to(contact_id, agent_id)
        agent = self._handler(record)
        item = agent.items[contact_id]
        item.phase, item.since = Phase.ACTIVE, now
        record.phase = ContactPhase.CONNECTED
        record.timer_token += 1
        self._report(agent, now, out)
        return self._deliver(out)

    def reject(self, contact_id: ContactId, agent_id: AgentId, now: float) -> list[Decision]:
        """The agent declined: the contact goes back to its place and is not offered to this agent again."""
        out = self._begin(now)
        record = self._offered_to(contact_id, agent_id)
        agent = self._handler(record)
        self._take_back(record, agent, "rejected", now, out)
        self._agent_changed(agent, now, out)
        return self._deliver(out)

    def complete(
        self, contact_id: ContactId, now: float, *, wrap_up_seconds: float | None = None
    ) -> list[Decision]:
        """The agent finished handling the contact; wrap-up follows: the queue's time, or this one's."""
        out = self._begin(now)
        record = self._contact(contact_id)
        if record.phase is not ContactPhase.CONNECTED:
            raise InvalidTransition(
                f"contact {contact_id} is {record.phase.value}, not connected to an agent"
            )
        queue = record.queue
        wrap = queue.wrap_up_seconds if wrap_up_seconds is None else wrap_up_seconds
        lane = wrap if wrap_up_seconds is None else None  # the queue's own wrap-up time: a timer lane
        if wrap < 0:
            raise InvalidTransition(f"wrap-up time cannot be negative ({wrap} s)")
        agent = self._handler(record)
        item = agent.items[contact_id]
        handled = now - item.since
        agent.worked_seconds += handled
        run = record.run
        run.handle_estimate += AHT_SMOOTHING * (handled + wrap - run.handle_estimate)
        del self.contacts[contact_id]
        item.phase, item.since = Phase.WRAP_UP, now
        if wrap > 0:
            self.timers.set(now + wrap, TimerKind.WRAP_UP, (agent, item), 0, lane)
            self._report(agent, now, out)
        else:
            self._finish_wrap_up(agent, item, now, out)
        return self._deliver(out)

    def end_wrap_up(self, agent_id: AgentId, now: float) -> list[Decision]:
        """The agent ends after-contact work early."""
        out = self._begin(now)
        agent = self._agent(agent_id)
        wrapping = [item for item in agent.items.values() if item.phase is Phase.WRAP_UP]
        if not wrapping:
            raise InvalidTransition(f"agent {agent_id} is not in wrap-up")
        for item in wrapping:
            self._finish_wrap_up(agent, item, now, out)
        return self._deliver(out)

    def abandon(self, contact_id: ContactId, now: float) -> list[Decision]:
        """The customer left while waiting or while the offer was ringing."""
        out = self._begin(now)
        record = self._contact(contact_id)
        if record.phase is ContactPhase.CONNECTED:
            raise InvalidTransition(f"contact {contact_id} is connected: complete it instead")
        if record.phase is ContactPhase.OFFERED:
            agent = self._handler(record)
            del agent.items[contact_id]
            out.append(WithdrawOffer(contact_id, record.queue.id, agent.profile.id, "abandoned"))
            self._report(agent, now, out)
            self._agent_changed(agent, now, out)
        else:
            queueing.unwait(self, record)
        del self.contacts[contact_id]
        return self._deliver(out)

    def route_out(
        self, contact_id: ContactId, destination: RouteOutDestination, reason: str, now: float
    ) -> list[Decision]:
        """An adapter sends the waiting or ringing contact out of live routing (a call held for its
        maximum queue time, the caller choosing voicemail): a ringing offer is withdrawn ("routed-out")
        and the agent freed, and `RouteOut` ends the contact. A connected contact is refused
        (InvalidTransition): it is transferred or completed instead."""
        out = self._begin(now)
        record = self._contact(contact_id)
        if record.phase is ContactPhase.CONNECTED:
            raise InvalidTransition(f"contact {contact_id} is connected: transfer or complete it instead")
        agent = None
        if record.phase is ContactPhase.OFFERED:
            agent = self._handler(record)
            del agent.items[contact_id]
            out.append(WithdrawOffer(contact_id, record.queue.id, agent.profile.id, "routed-out"))
        else:
            queueing.unwait(self, record)
        del self.contacts[contact_id]
        site = record.placement[0] if record.placement else None
        waited = now - record.contact.arrived_at
        out.append(RouteOut(contact_id, record.queue.id, destination.value, site, waited, reason))
        if agent is not None:
            self._report(agent, now, out)
            self._agent_changed(agent, now, out)
        return self._deliver(out)

    def transfer_to_queue(self, contact_id: ContactId, queue_id: QueueId, now: float) -> list[Decision]:
        """Move a waiting or connected contact to another queue; it keeps its age (true age ordering)."""
        return queueing.transfer_to_queue(self, contact_id, queue_id, now)

    def transfer_to_agent(self, contact_id: ContactId, agent_id: AgentId, now: float) -> list[Decision]:
        """Send a contact to one named agent; if that agent stays busy, it falls back to its queue."""
        return queueing.transfer_to_agent(self, contact_id, agent_id, now)

    def accept_callback(self, contact_id: ContactId, now: float) -> list[Decision]:
        """The caller took the callback offer and hung up; the contact keeps its place and age."""
        return queueing.accept_callback(self, contact_id, now)

    def set_site_status(self, site_id: SiteId, status: SiteStatus, now: float) -> list[Decision]:
        """Open, drain or evacuate a site (evacuation moves its waiting contacts, in order, elsewhere)."""
        return queueing.set_site_status(self, site_id, status, now)

    # ---- internals: agents ------------------------------------------------------------------------------

    def _agent(self, agent_id: AgentId) -> AgentRecord:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise NoSuchAgent(f"agent {agent_id} is not logged in")
        return agent

    def _contact(self, contact_id: ContactId) -> ContactRecord:
        record = self.contacts.get(contact_id)
        if record is None:
            raise NoSuchContact(f"contact {contact_id} is not being routed")
        return record

    def _handler(self, record: ContactRecord) -> AgentRecord:
        """The agent a contact is ringing at or connected to."""
        handler = record.handler
        if handler is None:
            raise InvalidTransition(f"contact {record.id} is not with an agent")
        return handler

    def _offered_to(self, contact_id: ContactId, agent_id: AgentId) -> ContactRecord:
        record = self._contact(contact_id)
        if record.phase is not ContactPhase.OFFERED or record.agent_id != agent_id:
            raise InvalidTransition(f"contact {contact_id} is not being offered to agent {agent_id}")
        return record

    def _set_presence(self, agent: AgentRecord, presence: AgentState, reason: str | None) -> None:
        was_ready = agent.presence is AgentState.READY
        agent.presence, agent.aux_reason = presence, reason
        if was_ready != (presence is AgentState.READY):
            self._count_staffed(agent, +1 if presence is AgentState.READY else -1)

    def _count_staffed(self, agent: AgentRecord, delta: int) -> None:
        for staffing in agent.staffing:
            staffing.count += delta

    def _staffing(self, site: SiteId, skill: str) -> Staffing:
        found = self.staffed.get((site, skill))
        if found is None:
            found = self.staffed[(site, skill)] = Staffing()
        return found

    def _staffing_of(self, agent: AgentRecord) -> list[Staffing]:
        site = agent.profile.site_id
        return [self._staffing(site, skill) for skill in (*agent.skills, ANY_SKILL)]

    def _wait_inputs(
        self, record: ContactRecord, skills: tuple[tuple[str, int], ...], site: SiteId, site_index: int
    ) -> list[tuple[SkillPool, Staffing]]:
        """The pool and staffing of each skill at `site`; kept per queue for its first step's skills."""
        channel = record.contact.channel
        run = record.run
        cached = skills is run.step_skills[0]
        by_site: list[list[tuple[SkillPool, Staffing]] | None] | None = None
        if cached:
            by_site = run.wait_inputs.get(channel)
            if by_site is None:
                by_site = run.wait_inputs[channel] = [None] * len(self.site_index)
            found = by_site[site_index]
            if found is not None:
                return found
        inputs = [
            (self.available.pool(channel, site, skill), self._staffing(site, skill)) for skill, _ in skills
        ]
        if by_site is not None:
            by_site[site_index] = inputs
        return inputs

    def _report(self, agent: AgentRecord, now: float, out: list[Decision]) -> None:
        state, reason = agent.state()
        if state is agent.reported_state and reason == agent.reported_reason:
            return
        out.append(
            AgentStateChanged(agent.profile.id, agent.profile.site_id, state, agent.reported_state, reason)
        )
        agent.reported_state, agent.reported_reason, agent.state_since = state, reason, now

    def _sync_available(self, agent: AgentRecord, *, refile: bool = False) -> None:
        """File the agent under the channels it can take work on now. An agent who just took work is
        re-filed at the back (`refile`); otherwise an unchanged agent keeps its place in line."""
        open_now = agent.channels_open()
        if not refile and open_now == agent.available_in:  # (comparing frozensets is a generic call)
            return
        available = self.available
        if agent.available_in:  # (iterating an empty frozenset is not free when compiled)
            available.remove_all(agent)  # filed on exactly the channels of `available_in`
        agent.available_in = open_now
        if open_now:
            for channel in open_now:
                available.add(agent, channel)

    def _agent_changed(self, agent: AgentRecord, now: float, out: list[Decision]) -> None:
        """The agent may take more work: give it the best waiting contacts, then file it as available."""
        while channels := agent.channels_open():
            record = best_contact(agent, channels, self.waiting)
            if record is None or record.bucket is None:
                break
            self._offer(record, agent, record.bucket.skills, now, out)
        self._sync_available(agent)

    def _finish_wrap_up(self, agent: AgentRecord, item: WorkItem, now: float, out: list[Decision]) -> None:
        del agent.items[item.contact_id]
        agent.worked_seconds += now - item.since
        out.append(
            WrapUpFinished(agent.profile.id, item.contact_id, item.queue_id, agent.site_id, now - item.since)
        )
        self._report(agent, now, out)
        if not self._forget_if_gone(agent):
            self._agent_changed(agent, now, out)

    def _forget_if_gone(self, agent: AgentRecord) -> bool:
        if agent.presence is AgentState.OFFLINE and not agent.items:
            for channel in agent.available_in:
                self.available.remove(agent, channel)
            del self.agents[agent.profile.id]
            return True
        return False

    def _withdraw_ringing(
        self, agent: AgentRecord, reason: str, now: float, out: list[Decision], *, requeue: bool = True
    ) -> None:
        for item in [i for i in agent.items.values() if i.phase is Phase.RESERVED]:
            self._take_back(self.contacts[item.contact_id], agent, reason, now, out, requeue=requeue)

    def _take_back(
        self,
        record: ContactRecord,
        agent: AgentRecord,
        reason: str,
        now: float,
        out: list[Decision],
        *,
        requeue: bool = True,
    ) -> None:
        """An offer did not become a conversation: the contact returns to its place (its age is kept)."""
        del agent.items[record.id]
        out.append(WithdrawOffer(record.id, record.queue.id, agent.profile.id, reason))
        if record.declined_by is None:
            record.declined_by = set()
        record.declined_by.add(agent.profile.id)
        record.agent_id = None
        record.handler = None
        record.phase = ContactPhase.WAITING
        self._report(agent, now, out)
        if requeue:
            queueing.refile(self, record, now, out, f"back to its place ({reason})")

    def _offer_missed(self, record: ContactRecord, now: float, out: list[Decision]) -> None:
        agent = self._handler(record)
        self._set_presence(agent, AgentState.AUX, "missed")
        self._take_back(record, agent, "missed", now, out)
        # An agent who let one offer ring out is not there: its other ringing offers go back too.
        self._withdraw_ringing(agent, "agent-went-aux", now, out)
        self._sync_available(agent)
        self._report(agent, now, out)

    # ---- internals: offers ------------------------------------------------------------------------------

    def _offer(
        self,
        record: ContactRecord,
        agent: AgentRecord,
        skills: tuple[tuple[str, int], ...],
        now: float,
        out: list[Decision],
    ) -> None:
        queueing.unwait(self, record)
        contact = record.contact
        profile = agent.profile
        channel = contact.channel
        agent.items[contact.id] = WorkItem(contact.id, record.queue.id, channel, Phase.RESERVED, now)
        self._offers += 1
        agent.last_offer_seq = self._offers
        record.phase = ContactPhase.OFFERED
        record.agent_id = profile.id
        record.handler = agent
        record.timer_token += 1
        timeout = record.queue.offer_timeout_seconds
        expires = now + timeout
        self.timers.set(expires, TimerKind.OFFER, record, record.timer_token, timeout)
        idle = now - agent.state_since if agent.available_in else 0.0
        if agent.available_in:
            self._sync_available(agent, refile=True)
        if agent.offered_skills is skills:
            levels = agent.offered_levels
        elif len(skills) == 1 and (own := agent.own_levels.get(skills[0][0])) is not None:
            levels = own
        else:
            has = agent.skills
            levels = tuple([(skill, has.get(skill, 0)) for skill, _ in skills])
            agent.offered_skills, agent.offered_levels = skills, levels
        if record.placement and profile.site_id not in record.placement:
            out.append(
                Overflow(
                    contact.id,
                    record.queue.id,
                    record.placement[0],
                    profile.site_id,
                    record.run.widened_notes[record.step_index],
                )
            )
            record.placement = (profile.site_id,)
        out.append(
            OfferToAgent(
                contact.id,
                record.queue.id,
                profile.id,
                profile.site_id,
                expires,
                record.callback,
                record.policy.selection,  # a StrEnum is already the string; .value is a slow descriptor
                levels,
                idle,
                record.placement_note,
            )
        )
        self._report(agent, now, out)

    def _expected_wait(
        self, record: ContactRecord, skills: tuple[tuple[str, int], ...], site: SiteId
    ) -> float:
        """Expected wait at `site`: zero with an agent free, else the work ahead shared by staffed agents."""
        channel = record.contact.channel
        site_index = self.site_index[site]
        if skills:
            free = True
            staffed = 1 << 30
            for pool, staffing in self._wait_inputs(record, skills, site, site_index):
                if free:
                    free = pool.count > 0
                staffed = min(staffed, staffing.count)
            if free:
                return 0.0
        else:
            if self.available.count_at_site(channel, site):
                return 0.0
            staffed = self._staffing(site, ANY_SKILL).count
        if staffed <= 0:
            return INFINITE_WAIT
        run = record.run
        ahead = run.waiting_at[site_index]
        return (ahead + 1) * run.handle_estimate / staffed


class ContactWait(ExpectedWait):
    """The expected wait at a site for `record` and the first step's `skills` (set before each placement:
    one object reused, not a closure per contact)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.record: ContactRecord | None = None
        self.skills: tuple[tuple[str, int], ...] = ()

    def at(self, site: SiteId) -> float:
        record = self.record
        assert record is not None
        return self.router._expected_wait(record, self.skills, site)
