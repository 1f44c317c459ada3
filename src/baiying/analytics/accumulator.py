"""KPIs from the event log, computed incrementally: the live system adds events one at a time, the
simulator and the importer add a whole log; both end in the same `KpiReport`.

Attribution rules
-----------------
- Interval and day: a contact counts in the interval (and local day) of its ContactArrived time, even
  when it is answered or abandoned later. Intervals are aligned in the report's time zone.
- Queue: the ContactArrived queue, moved by a ContactTransferred that happens before the contact is
  answered, abandoned or routed out (a re-route: the contact is measured where it was finally served or
  lost). A transfer after the answer does not move the contact: its offer, answer and wait stay in the
  queue that answered it. Handle and wrap-up time go to the queue named on each ContactCompleted /
  WrapUpEnded event, so the leg worked after a post-answer transfer counts in the queue it was
  transferred to, still in the interval of the contact's arrival.
- Site: the site where the contact was answered; else the site on its ContactAbandoned; else the site
  it was last placed at (ContactQueued.site_ids[0], or the to_site_id of a later ContactOverflowed);
  else the ContactArrived site; else "-". Handle time counts at the site on the ContactCompleted event.
- Outcome: the first ContactAnswered, ContactAbandoned or ContactRoutedOut settles a contact. Contacts not
  settled when the report is made are `waiting_at_end` (offered, not abandoned), so for every row
  offered = answered + abandoned + routed_out + waiting_at_end. "Within T s" means wait <= T, both for
  the service level and for short abandons.
- AHT = (handle_seconds + wrap_up_seconds) / handled, where each ContactCompleted is one handled leg.
  A wrap-up still running at report time is not yet counted.
- Occupancy comes only from AgentStateChanged: time in busy + wrap-up over time in ready + reserved +
  busy + wrap-up; offline, aux and other states count in neither. A state lasts until the agent's next
  change, or until the latest event time seen; each stretch is split at interval boundaries and counts
  at the site named on the change that began it.
- Overflows: each ContactOverflowed counts once in its contact's row, and in `overflow_flows` by
  (from site, to site).
- An event about a contact whose ContactArrived was never seen (for instance a live log started
  mid-day) is counted in `ignored_events`; handle time and agent figures from it still count.
  ContactOffered, OfferDeclined, CallbackOffered and SiteStatusChanged do not enter any KPI.
- Memory: a settled contact is remembered for its later legs (completion, wrap-up, a transfer) until the
  reader calls `forget_settled(before)`; an event about a forgotten contact then counts as above (ignored,
  in the interval of the event). A long report forgets the contacts idle for days as it goes, so its
  memory is bounded by the contacts of those days, not of the whole period.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date

from baiying.analytics.kpis import (
    AgentKpis,
    DayKpis,
    IntervalKpis,
    KpiReport,
    OverflowFlow,
    QueueKpis,
    SiteKpis,
    Tally,
    ratio,
)
from baiying.analytics.timegrid import InvalidAnalyticsSettings, TimeGrid
from baiying.events import (
    AgentStateChanged,
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    ContactOverflowed,
    ContactQueued,
    ContactRoutedOut,
    ContactTransferred,
    Event,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId, QueueId

STAFFED_STATES = frozenset({"ready", "reserved", "busy", "wrap-up"})
WORKING_STATES = frozenset({"busy", "wrap-up"})
NO_SITE = "-"

CellKey = tuple[float, QueueId, str]  # (interval start, queue, site)
TimeKey = tuple[float, str]  # (interval start, site)


class _Contact:
    __slots__ = ("arrival_site", "interval", "last_at", "last_site", "overflows", "queue_id", "settled_key")

    def __init__(self, interval: float, queue_id: QueueId, arrival_site: str | None, at: float) -> None:
        self.last_at = at  # of the latest event about the contact
        self.interval = interval
        self.queue_id = queue_id
        self.arrival_site = arrival_site
        self.last_site: str | None = None
        self.overflows = 0
        self.settled_key: CellKey | None = None

    def waiting_site(self) -> str:
        return self.last_site or self.arrival_site or NO_SITE


@dataclass(slots=True)
class _Agent:
    site_id: str
    state: str = "offline"
    state_site: str = NO_SITE
    since: float = 0.0
    answered: int = 0
    handled: int = 0
    handle_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    staffed_seconds: float = 0.0
    working_seconds: float = 0.0


class KpiAccumulator:
    """Feed events in time order with `add`; `report()` may be called at any point and changes nothing.

    Memory grows with the contacts seen (a small record each), since a later leg of a contact must still
    find its arrival interval.
    """

    def __init__(
        self,
        interval_seconds: int = 900,
        sl_seconds: float = 20.0,
        short_abandon_seconds: float = 5.0,
        timezone: str = "Asia/Shanghai",
    ) -> None:
        if sl_seconds < 0 or short_abandon_seconds < 0:
            raise InvalidAnalyticsSettings(
                "sl_seconds and short_abandon_seconds must be >= 0, "
                f"got {sl_seconds} and {short_abandon_seconds}"
            )
        self.grid = TimeGrid(interval_seconds, timezone)
        self.sl_seconds = sl_seconds
        self.short_abandon_seconds = short_abandon_seconds
        self._contacts: dict[ContactId, _Contact] = {}
        self._open: dict[ContactId, _Contact] = {}
        self._cells: dict[CellKey, Tally] = {}
        self._time: dict[TimeKey, Tally] = {}
        self._agents: dict[AgentId, _Agent] = {}
        self._flows: dict[tuple[str, str], int] = defaultdict(int)
        self._ignored = 0
        self._first_at: float | None = None
        self._last_at: float | None = None

    def add(self, event: Event) -> None:
        at = event.at
        if self._first_at is None or at < self._first_at:
            self._first_at = at
        if self._last_at is None or at > self._last_at:
            self._last_at = at
        match event:
            case ContactArrived():
                self._arrived(event)
            case ContactQueued():
                self._queued(event)
            case ContactOverflowed():
                self._overflowed(event)
            case ContactTransferred():
                self._transferred(event)
            case ContactAnswered():
                self._answered(event)
            case ContactAbandoned():
                self._abandoned(event)
            case ContactRoutedOut():
                self._routed_out(event)
            case ContactCompleted():
                self._completed(event)
            case WrapUpEnded():
                self._wrapped_up(event)
            case AgentStateChanged():
                self._agent_state(event)
            case _:
                pass  # offers, declines, callbacks and site status do not enter any KPI
        contact_id: ContactId | None = getattr(event, "contact_id", None)
        contact = self._contacts.get(contact_id) if contact_id is not None else None
        if contact is not None and at > contact.last_at:
            contact.last_at = at

    def add_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.add(event)

    def forget_settled(self, before: float) -> int:
        """Forget the settled contacts (answered, abandoned or routed out) with no event since `before`;
        returns how many. Their figures stay; a later event about one counts as an ignored event."""
        idle = [
            contact_id
            for contact_id, contact in self._contacts.items()
            if contact.settled_key is not None and contact.last_at < before
        ]
        for contact_id in idle:
            del self._contacts[contact_id]
        return len(idle)

    @property
    def remembered_contacts(self) -> int:
        """The contacts held in memory: waiting, or settled and not yet forgotten."""
        return len(self._contacts)

    # -- contacts -------------------------------------------------------------------------------------

    def _arrived(self, event: ContactArrived) -> None:
        if event.contact_id in self._contacts:
            self._ignored += 1
            return
        contact = _Contact(self.grid.interval_start(event.at), event.queue_id, event.site_id, event.at)
        self._contacts[event.contact_id] = contact
        self._open[event.contact_id] = contact

    def _queued(self, event: ContactQueued) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            self._ignored += 1
        elif event.site_ids:
            contact.last_site = event.site_ids[0]

    def _overflowed(self, event: ContactOverflowed) -> None:
        self._flows[(event.from_site_id or NO_SITE, event.to_site_id)] += 1
        contact = self._contacts.get(event.contact_id)
        if contact is None:
            self._ignored += 1
        elif contact.settled_key is not None:
            self._cells[contact.settled_key].overflows += 1
        else:
            contact.overflows += 1
            contact.last_site = event.to_site_id

    def _transferred(self, event: ContactTransferred) -> None:
        contact = self._contacts.get(event.contact_id)
        if contact is None:
            self._ignored += 1
        elif contact.settled_key is None:
            contact.queue_id = event.to_queue_id

    def _answered(self, event: ContactAnswered) -> None:
        agent = self._agent(event.agent_id, event.site_id)
        agent.answered += 1
        contact = self._contacts.get(event.contact_id)
        if contact is None:
            self._ignored += 1
            return
        if contact.settled_key is not None:
            return  # a later leg after a post-answer transfer: the contact was already answered
        tally = self._settle(event.contact_id, contact, event.site_id)
        tally.answered += 1
        tally.answer_wait_sum += event.wait_seconds
        tally.note_wait(event.wait_seconds)
        if event.wait_seconds <= self.sl_seconds:
            tally.answered_within_sl += 1

    def _abandoned(self, event: ContactAbandoned) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            self._ignored += 1
            return
        tally = self._settle(event.contact_id, contact, event.site_id or contact.waiting_site())
        tally.abandoned += 1
        tally.abandon_wait_sum += event.wait_seconds
        tally.note_wait(event.wait_seconds)
        if event.wait_seconds <= self.short_abandon_seconds:
            tally.short_abandoned += 1

    def _routed_out(self, event: ContactRoutedOut) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            self._ignored += 1
            return
        self._settle(event.contact_id, contact, contact.waiting_site()).routed_out += 1

    def _settle(self, contact_id: ContactId, contact: _Contact, site: str) -> Tally:
        key = (contact.interval, contact.queue_id, site)
        contact.settled_key = key
        del self._open[contact_id]
        tally = self._cell(key)
        tally.offered += 1
        tally.overflows += contact.overflows
        return tally

    def _work_cell(self, contact_id: ContactId, at: float, queue_id: QueueId, site: str) -> Tally:
        contact = self._contacts.get(contact_id)
        if contact is None:
            self._ignored += 1
            return self._cell((self.grid.interval_start(at), queue_id, site))
        return self._cell((contact.interval, queue_id, site))

    def _completed(self, event: ContactCompleted) -> None:
        tally = self._work_cell(event.contact_id, event.at, event.queue_id, event.site_id)
        tally.handled += 1
        tally.handle_sum += event.handle_seconds
        agent = self._agent(event.agent_id, event.site_id)
        agent.handled += 1
        agent.handle_seconds += event.handle_seconds

    def _wrapped_up(self, event: WrapUpEnded) -> None:
        tally = self._work_cell(event.contact_id, event.at, event.queue_id, event.site_id)
        tally.wrap_sum += event.wrap_up_seconds
        self._agent(event.agent_id, event.site_id).wrap_up_seconds += event.wrap_up_seconds

    def _cell(self, key: CellKey) -> Tally:
        tally = self._cells.get(key)
        if tally is None:
            tally = self._cells[key] = Tally()
        return tally

    # -- agents ---------------------------------------------------------------------------------------

    def _agent(self, agent_id: AgentId, site_id: str) -> _Agent:
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agents[agent_id] = _Agent(site_id=site_id)
        return agent

    def _agent_state(self, event: AgentStateChanged) -> None:
        agent = self._agent(event.agent_id, event.site_id)
        _add_state_time(self.grid, self._time, agent, agent.since, event.at)
        agent.state = event.state
        agent.state_site = event.site_id
        agent.site_id = event.site_id
        agent.since = event.at

    # -- report ---------------------------------------------------------------------------------------

    def report(self, sites: Collection[str] | None = None) -> KpiReport:
        """The KPIs of everything added so far (contacts still waiting count as `waiting_at_end`).

        With `sites`, only what is attributed to those sites (see the module docstring): the contacts
        settled or waiting there, the handle and agent time worked there, the agents last seen there and
        the overflows from or to them; every row then sums these alone.
        """
        wanted = None if sites is None else frozenset(sites)

        def kept(site: str) -> bool:
            return wanted is None or site in wanted

        cells = {key: tally.copy() for key, tally in self._cells.items() if kept(key[2])}
        for contact in self._open.values():
            if not kept(contact.waiting_site()):
                continue
            key = (contact.interval, contact.queue_id, contact.waiting_site())
            tally = cells.get(key)
            if tally is None:
                tally = cells[key] = Tally()
            tally.offered += 1
            tally.waiting_at_end += 1
            tally.overflows += contact.overflows
        time = {key: tally.copy() for key, tally in self._time.items() if kept(key[1])}
        agents = {agent_id: replace(agent) for agent_id, agent in self._agents.items()}
        if self._last_at is not None:
            for agent in agents.values():
                if kept(agent.state_site):
                    _add_state_time(self.grid, time, agent, agent.since, self._last_at)
                else:  # the agent's own figures still run on (the row is dropped below, or kept)
                    _add_state_time(self.grid, {}, agent, agent.since, self._last_at)
        agents = {agent_id: agent for agent_id, agent in agents.items() if kept(agent.site_id)}
        flows = {pair: n for pair, n in self._flows.items() if kept(pair[0]) or kept(pair[1])}

        by_interval: dict[float, Tally] = defaultdict(Tally)
        by_day: dict[date, Tally] = defaultdict(Tally)
        by_queue: dict[QueueId, Tally] = defaultdict(Tally)
        by_site: dict[str, Tally] = defaultdict(Tally)
        total = Tally()
        for (interval, queue_id, site), tally in cells.items():
            by_interval[interval].merge(tally)
            by_queue[queue_id].merge(tally)
            by_site[site].merge(tally)
            total.merge(tally)
        for (interval, site), tally in time.items():
            by_interval[interval].merge(tally)
            by_site[site].merge(tally)
            total.merge(tally)
        for interval, tally in by_interval.items():
            by_day[self.grid.day(interval)].merge(tally)

        step = self.grid.interval_seconds
        return KpiReport(
            interval_seconds=step,
            sl_seconds=self.sl_seconds,
            short_abandon_seconds=self.short_abandon_seconds,
            timezone=self.grid.timezone,
            intervals=tuple(
                IntervalKpis(
                    self.grid.local(start), self.grid.local(start + step), by_interval[start].freeze()
                )
                for start in sorted(by_interval)
            ),
            days=tuple(DayKpis(day, by_day[day].freeze()) for day in sorted(by_day)),
            queues=tuple(QueueKpis(queue_id, by_queue[queue_id].freeze()) for queue_id in sorted(by_queue)),
            sites=tuple(SiteKpis(site, by_site[site].freeze()) for site in sorted(by_site)),
            agents=tuple(_agent_row(agent_id, agents[agent_id]) for agent_id in sorted(agents)),
            overflow_flows=tuple(OverflowFlow(a, b, n) for (a, b), n in sorted(flows.items())),
            total=total.freeze(),
            ignored_events=self._ignored,
            first_at=self._first_at,
            last_at=self._last_at,
        )


def compute_kpis(
    events: Iterable[Event],
    *,
    interval_seconds: int = 900,
    sl_seconds: float = 20.0,
    short_abandon_seconds: float = 5.0,
    timezone: str = "Asia/Shanghai",
) -> KpiReport:
    """The KPI report of a whole event log (in time order); see the module docstring for the rules."""
    accumulator = KpiAccumulator(interval_seconds, sl_seconds, short_abandon_seconds, timezone)
    accumulator.add_all(events)
    return accumulator.report()


def _add_state_time(
    grid: TimeGrid, time: dict[TimeKey, Tally], agent: _Agent, start: float, end: float
) -> None:
    if agent.state not in STAFFED_STATES or end <= start:
        return
    working = agent.state in WORKING_STATES
    for interval, seconds in grid.spans(start, end):
        key = (interval, agent.state_site)
        tally = time.get(key)
        if tally is None:
            tally = time[key] = Tally()
        tally.staffed_seconds += seconds
        if working:
            tally.working_seconds += seconds
    agent.staffed_seconds += end - start
    if working:
        agent.working_seconds += end - start


def _agent_row(agent_id: AgentId, agent: _Agent) -> AgentKpis:
    return AgentKpis(
        agent_id=agent_id,
        site_id=agent.site_id,
        answered=agent.answered,
        handled=agent.handled,
        handle_seconds=agent.handle_seconds,
        wrap_up_seconds=agent.wrap_up_seconds,
        aht_seconds=ratio(agent.handle_seconds + agent.wrap_up_seconds, agent.handled),
        staffed_seconds=agent.staffed_seconds,
        working_seconds=agent.working_seconds,
        occupancy=ratio(agent.working_seconds, agent.staffed_seconds),
    )
