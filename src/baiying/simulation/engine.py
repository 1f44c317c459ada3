"""The discrete-event simulator: drives the very `Router` the live system uses with simulated callers and
agents, and writes the same events the live system writes (`baiying.events`).

Equal-time events run in a fixed order (site changes and shifts, completions, answers, router timers,
abandonments, arrivals) and then by sequence, and every random draw comes from a named stream, so the
same scenario and seed give a byte-identical event log.
"""

import gc
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, cast

from baiying import events as ev
from baiying.errors import DomainError
from baiying.ids import AgentId, ContactId, QueueId, SiteId, TeamId
from baiying.routing.decisions import (
    Decision,
    OfferCallback,
    OfferToAgent,
    RouteOut,
)
from baiying.routing.model import AgentProfile, Channel, Contact, SiteStatus
from baiying.routing.recording import event_for
from baiying.routing.router import Router
from baiying.routing.state import ContactPhase
from baiying.simulation.agenda import Agenda
from baiying.simulation.sampling import Sampler
from baiying.simulation.scenario import AgentGroupSpec, Scenario, TrafficSpec, agent_name, clock_minutes
from baiying.simulation.streams import PiecewisePoisson, hour_starts, local_moment, stream

# Order of equal-time events (Final: compiled, each is a constant rather than a module-dictionary lookup).
SITE: Final = 0
SHIFT: Final = 1
COMPLETE: Final = 2
ANSWER: Final = 3
TIMER: Final = 4  # the router's own deadlines
ABANDON: Final = 5
ARRIVAL: Final = 6
# Kinds of SHIFT events.
SHIFT_LOGIN: Final = 0
SHIFT_LOGOUT: Final = 1
BREAK_START: Final = 2
BREAK_END: Final = 3
REPLAYED: Final = -1  # the arrival's `kind` for a recorded contact (otherwise, its traffic stream's index)
NO_AGENT: Final = AgentId("")
VOICE: Final = str(Channel.VOICE)  # every simulated contact is a call


@dataclass(frozen=True, slots=True)
class ScheduledContact:
    """A contact from a recorded arrival list (replay): when it came and how long it would take."""

    at: float
    queue: QueueId
    handle_seconds: float
    patience_seconds: float | None = None  # None: would never hang up
    site: SiteId | None = None
    language: str | None = None
    intent: str | None = None
    tier: str | None = None
    priority: int = 0
    customer_id: str | None = None


class Source:
    """A traffic stream, its random draws, and what its contacts carry (read once from the scenario)."""

    def __init__(
        self,
        traffic: TrafficSpec,
        arrivals: PiecewisePoisson,
        handle: Sampler,
        patience: Sampler | None,
        wrap_up: Sampler | None,
    ) -> None:
        self.traffic = traffic
        self.arrivals = arrivals
        self.handle = handle
        self.patience = patience
        self.wrap_up = wrap_up
        self.prefix = f"{traffic.name}-"
        self.queue = QueueId(traffic.queue)
        self.site = SiteId(traffic.site) if traffic.site else None
        self.language = traffic.language
        self.intent = traffic.intent
        self.tier = traffic.tier
        self.region = traffic.region
        self.priority = traffic.priority
        self.callback_acceptance = traffic.callback_acceptance


class Caller:
    def __init__(
        self,
        contact: Contact,
        handle_seconds: float,
        callback_acceptance: float,
        wrap_up_seconds: float | None = None,  # None: the queue's
    ) -> None:
        self.contact = contact
        self.handle_seconds = handle_seconds
        self.callback_acceptance = callback_acceptance
        self.wrap_up_seconds = wrap_up_seconds
        self.callback = False


def numbered(prefix: str, count: int) -> str:
    """`f"{prefix}{count:07d}"` for a count >= 0, without the general formatting machinery."""
    if 0 <= count < 10_000_000:
        return prefix + str(count + 10_000_000)[1:]
    return prefix + f"{count:07d}"


class Simulation:
    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | None = None,
        replication: int = 0,
        arrivals: Sequence[ScheduledContact] | None = None,
    ) -> None:
        spec = scenario.spec
        self.scenario = scenario
        self.seed = spec.seed if seed is None else seed
        self.replication = replication
        self.router = Router(scenario.routing)
        self.log: list[ev.Event] = []
        self._agenda = Agenda()
        self._callers: dict[ContactId, Caller] = {}
        self._profiles: dict[AgentId, AgentProfile] = {}
        self._on_shift: set[AgentId] = set()
        self._rng_answer = self._stream("answer")
        self._rng_callback = self._stream("callback")
        self._answer = spec.answer_seconds.sampler(self._rng_answer)
        boundaries = hour_starts(spec.start_date, spec.days, spec.timezone)
        self.start, self.end = boundaries[0], boundaries[-1]
        self._sources: list[Source] = []
        for index, traffic in enumerate(spec.traffic):
            stream_arrivals = PiecewisePoisson(
                boundaries, traffic.hourly_rates(), self._stream("arrivals", traffic.name)
            )
            handle = traffic.handle.sampler(self._stream("handle", traffic.name))
            patience = (
                traffic.patience.sampler(self._stream("patience", traffic.name)) if traffic.patience else None
            )
            wrap_up = (
                traffic.wrap_up.sampler(self._stream("wrap-up", traffic.name)) if traffic.wrap_up else None
            )
            self._sources.append(Source(traffic, stream_arrivals, handle, patience, wrap_up))
            self._next_arrival(index)
        for scheduled in arrivals or ():
            self._push(scheduled.at, ARRIVAL, REPLAYED, scheduled)
        for group in spec.agents:
            self._schedule_group(group)
        for event in spec.events:
            day = spec.start_date + timedelta(days=event.day - 1)
            at = local_moment(day, clock_minutes(event.at), spec.timezone)
            self._push(at, SITE, 0, (SiteId(event.site), event.status))
        self._count = 0

    def _stream(self, *names: object) -> random.Random:
        return stream(self.seed, self.replication, *names)

    # ---- scheduling -------------------------------------------------------------------------------------

    def _push(
        self, at: float, order: int, kind: int, payload: object, agent: AgentId = NO_AGENT, since: float = 0.0
    ) -> None:
        self._agenda.push(at, order, kind, payload, agent, since)

    def _next_arrival(self, source: int) -> None:
        at = self._sources[source].arrivals.next()
        if at is not None:
            self._push(at, ARRIVAL, source, None)

    def _schedule_group(self, group: AgentGroupSpec) -> None:
        spec = self.scenario.spec
        timezone = self.scenario.routing.sites[SiteId(group.site)].timezone
        intervals: list[tuple[float, float]] = []
        breaks: list[tuple[float, float, float, str]] = []  # start, minutes, stagger minutes, reason
        # Day 0 is the eve of the first day: its overnight shifts are still running when the scenario starts.
        for day_index in range(-1, spec.days):
            day = spec.start_date + timedelta(days=day_index)
            for shift in group.shifts:
                if shift.days is not None and day_index + 1 not in shift.days:
                    continue
                start, end = clock_minutes(shift.start), clock_minutes(shift.end)
                if end <= start:
                    end += 24 * 60
                elif day_index == -1:
                    continue
                on, off = local_moment(day, start, timezone), local_moment(day, end, timezone)
                if off <= self.start:
                    continue
                intervals.append((max(on, self.start), off))
                for pause in shift.breaks:
                    offset = clock_minutes(pause.start)
                    offset += 24 * 60 if offset < start else 0
                    moment = local_moment(day, offset, timezone)
                    if moment >= self.start:
                        breaks.append((moment, pause.minutes, pause.stagger_minutes, pause.reason))
        merged = _merge(intervals)
        for number in range(1, group.count + 1):
            profile = AgentProfile(
                AgentId(agent_name(group, number)),
                SiteId(group.site),
                dict(group.skills),
                team_id=TeamId(group.team) if group.team else None,
                capacity=dict(group.capacity),
                attributes=dict(group.attributes),
            )
            self._profiles[profile.id] = profile
            for on, off in merged:
                self._push(on, SHIFT, SHIFT_LOGIN, profile.id)
                if off < self.end:
                    self._push(off, SHIFT, SHIFT_LOGOUT, profile.id)
            for pause_start, minutes, stagger, reason in breaks:
                begin = pause_start + stagger * 60 * (number - 1) / group.count
                self._push(begin, SHIFT, BREAK_START, (profile.id, reason))
                self._push(begin + minutes * 60, SHIFT, BREAK_END, (profile.id, reason))

    # ---- running ----------------------------------------------------------------------------------------

    def run(self, progress: Callable[[float], None] | None = None) -> list[ev.Event]:
        """Run to the end of the last day; returns the event log. `progress` gets the share done (0..1)."""
        # The log only grows and holds no reference cycles: the cyclic collector would re-scan it again and
        # again for nothing (it is the largest single cost of a long run).
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._run(progress)
        finally:
            if collecting:
                gc.enable()
        if progress is not None:
            progress(1.0)
        return self.log

    def _run(self, progress: Callable[[float], None] | None) -> None:
        agenda, router, end = self._agenda, self.router, self.end
        span = end - self.start
        next_report = self.start
        while True:
            # The router keeps its own deadlines; they run between the agenda's events in the fixed
            # equal-time order (after answers, before abandonments), without being copied into the agenda.
            due = router.next_due()
            if due is not None and agenda.before_first(due, TIMER):
                if due > end:
                    break
                self._apply(router.advance(due), due)
                continue
            entry = agenda.pop()
            if entry is None:
                break
            at = entry.at
            if at > end:
                break
            order = entry.order
            if order == ARRIVAL:
                if entry.kind == REPLAYED:
                    self._replay(cast(ScheduledContact, entry.payload), at)
                else:
                    self._arrive(entry.kind, at)
            elif order == ANSWER:
                self._answered(cast(ContactId, entry.payload), entry.agent, at)
            elif order == COMPLETE:
                self._completed(cast(ContactId, entry.payload), entry.agent, entry.since, at)
            elif order == ABANDON:
                self._abandoned(cast(ContactId, entry.payload), at)
            elif order == SHIFT:
                self._shift(entry.kind, entry.payload, at)
            else:
                self._site(cast(tuple[SiteId, SiteStatus], entry.payload), at)
            if progress is not None and at >= next_report:
                progress((at - self.start) / span)
                next_report = at + span / 100

    def _arrive(self, index: int, at: float) -> None:
        source = self._sources[index]
        self._next_arrival(index)
        self._count += 1
        contact = Contact(
            ContactId(numbered(source.prefix, self._count)),
            source.queue,
            at,
            site_id=source.site,
            language=source.language,
            intent=source.intent,
            tier=source.tier,
            region=source.region,
            priority=source.priority,
        )
        patience = source.patience.draw() if source.patience is not None else None
        wrap_up = source.wrap_up.draw() if source.wrap_up is not None else None
        self._enter(contact, source.handle.draw(), patience, source.callback_acceptance, wrap_up)

    def _replay(self, scheduled: ScheduledContact, at: float) -> None:
        self._count += 1
        contact = Contact(
            ContactId(numbered("replay-", self._count)),
            scheduled.queue,
            at,
            site_id=scheduled.site,
            customer_id=scheduled.customer_id,
            language=scheduled.language,
            intent=scheduled.intent,
            tier=scheduled.tier,
            priority=scheduled.priority,
        )
        self._enter(contact, scheduled.handle_seconds, scheduled.patience_seconds, 0.0)

    def _enter(
        self,
        contact: Contact,
        handle: float,
        patience: float | None,
        callback_acceptance: float,
        wrap_up: float | None = None,
    ) -> None:
        at = contact.arrived_at
        self._callers[contact.id] = Caller(contact, handle, callback_acceptance, wrap_up)
        self.log.append(
            ev.ContactArrived(
                at,
                contact.id,
                contact.queue_id,
                VOICE if contact.channel is Channel.VOICE else str(contact.channel),
                contact.site_id,
                contact.language,
                contact.intent,
                contact.tier,
                contact.region,
                contact.priority,
                contact.customer_id,
            )
        )
        if patience is not None and patience > 0:
            self._push(at + patience, ABANDON, 0, contact.id)
        self._apply(self.router.arrive(contact, at), at)
        if patience is not None and patience <= 0:
            self._abandoned(contact.id, at)  # a recorded caller who hung up the moment they arrived

    def _answered(self, contact_id: ContactId, agent_id: AgentId, at: float) -> None:
        record = self.router.contacts.get(contact_id)
        if record is None or record.phase is not ContactPhase.OFFERED or record.agent_id != agent_id:
            return  # the offer was withdrawn (caller left, site evacuated) before it was answered
        caller = self._callers[contact_id]
        self._apply(self.router.accept(contact_id, agent_id, at), at)
        site = self.router.agents[agent_id].site_id
        wait = at - caller.contact.arrived_at
        self.log.append(ev.ContactAnswered(at, contact_id, record.queue.id, agent_id, site, wait))
        self._push(at + caller.handle_seconds, COMPLETE, 0, contact_id, agent_id, at)

    def _completed(self, contact_id: ContactId, agent_id: AgentId, answered_at: float, at: float) -> None:
        record = self.router.contacts[contact_id]
        site = self.router.agents[agent_id].site_id
        self.log.append(
            ev.ContactCompleted(at, contact_id, record.queue.id, agent_id, site, at - answered_at)
        )
        caller = self._callers[contact_id]
        del self._callers[contact_id]
        self._apply(self.router.complete(contact_id, at, wrap_up_seconds=caller.wrap_up_seconds), at)

    def _abandoned(self, contact_id: ContactId, at: float) -> None:
        record = self.router.contacts.get(contact_id)
        caller = self._callers.get(contact_id)
        if record is None or caller is None or caller.callback or record.phase is ContactPhase.CONNECTED:
            return
        site = record.placement[0] if record.placement else None
        queue = record.queue.id
        self._apply(self.router.abandon(contact_id, at), at)
        del self._callers[contact_id]
        self.log.append(ev.ContactAbandoned(at, contact_id, queue, site, at - caller.contact.arrived_at))

    def _shift(self, kind: int, payload: object, at: float) -> None:
        router = self.router
        if kind == SHIFT_LOGIN:
            agent_id: AgentId = payload  # type: ignore[assignment]
            self._on_shift.add(agent_id)
            self._login(agent_id, at)
        elif kind == SHIFT_LOGOUT:
            agent_id = payload  # type: ignore[assignment]
            self._on_shift.discard(agent_id)
            if agent_id in router.agents:
                self._apply(router.logout(agent_id, at), at)
        else:
            agent_id, why = cast(tuple[AgentId, str], payload)
            if agent_id not in router.agents:
                return
            try:
                change = (
                    router.set_aux(agent_id, why, at)
                    if kind == BREAK_START
                    else router.set_ready(agent_id, at)
                )
            except DomainError:
                return  # logging out, or on a break of another kind: the schedule yields to the person
            self._apply(change, at)

    def _login(self, agent_id: AgentId, at: float) -> None:
        profile = self._profiles[agent_id]
        if self.router.placer.status.get(profile.site_id) is SiteStatus.EVACUATED:
            return  # logged in when the site reopens
        self._apply(self.router.login(profile, at), at)

    def _site(self, change: tuple[SiteId, SiteStatus], at: float) -> None:
        site_id, status = change
        previous = self.router.placer.status[site_id]
        self.log.append(ev.SiteStatusChanged(at, site_id, status.value, previous.value))
        self._apply(self.router.set_site_status(site_id, status, at), at)
        if previous is SiteStatus.EVACUATED and status is not SiteStatus.EVACUATED:
            for agent_id in sorted(self._on_shift):
                if self._profiles[agent_id].site_id == site_id and agent_id not in self.router.agents:
                    self._login(agent_id, at)

    # ---- carrying out decisions -------------------------------------------------------------------------

    def _apply(self, decisions: list[Decision], at: float) -> None:
        log = self.log
        for decision in decisions:
            event = event_for(decision, at)
            if event is not None:
                log.append(event)
            kind = type(decision)
            if kind is OfferToAgent:
                o: OfferToAgent = decision  # type: ignore[assignment]
                self._push(at + self._answer.draw(), ANSWER, 0, o.contact_id, o.agent_id)
            elif kind is RouteOut:
                r: RouteOut = decision  # type: ignore[assignment]
                self._callers.pop(r.contact_id, None)
            elif kind is OfferCallback:
                c: OfferCallback = decision  # type: ignore[assignment]
                caller = self._callers[c.contact_id]
                if self._rng_callback.random() < caller.callback_acceptance:
                    caller.callback = True
                    self.router.accept_callback(c.contact_id, at)


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Join overlapping or touching shifts, so a 24x7 agent is not logged out at midnight."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
