"""SLA policies and event-based SLA clocks.

A policy (from `sla.yaml`) gives, for the tickets it matches by type, complaint level, customer tier and
priority (the first matching policy wins), the targets for the first response, each next response and the
resolution, the calendar they are counted on, a warning lead and the actions on warning and on breach.

A clock counts business time while it runs. `SlaClocks` moves a ticket's clocks on what happens to it:

- created: first response and resolution start (activated);
- entering a waiting state: every running clock pauses; leaving it: they resume. Paused time never counts;
- a customer-visible answer: first response and next response are fulfilled;
- a customer message: a next-response clock starts (if none runs);
- entering a resolved or closed state: resolution is fulfilled, the others stop; reopening resumes it;
- `check(now)`: a warning when the remaining business time falls to `warn_before`, a breach at the due
  moment (each once per clock run), with the policy's actions;
- `rematch`: the ticket's type, level, tier or priority changed and another policy matches: the pending
  clocks keep the business time they counted and take the new policy's targets (see its contract).

Every change comes back as `SlaEvent`s, which the adapter appends to the ticket's history.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.clock import Timestamp
from baiying.errors import ConfigError, ConfigProblem
from baiying.tickets.actions import ActionSpec
from baiying.tickets.calendar import BusinessCalendar
from baiying.tickets.durations import parse_duration
from baiying.tickets.model import Priority, StateCategory, TicketType
from baiying.yamlconfig import line_of, parse_with_lines, validate


class Metric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    FULFILLED = "fulfilled"
    STOPPED = "stopped"  # no longer relevant (the ticket was resolved before it was answered again)


class SlaEventKind(StrEnum):
    ACTIVATED = "sla-activated"
    PAUSED = "sla-paused"
    RESUMED = "sla-resumed"
    FULFILLED = "sla-fulfilled"
    STOPPED = "sla-stopped"
    WARNED = "sla-warned"
    BREACHED = "sla-breached"
    REMATCHED = "sla-rematched"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> Any:
    return None if value is None else parse_duration(value)


class CalendarSpec(_Spec):
    """`always`: open 24x7 whatever the site. Otherwise the ticket's site's time zone, hours and holidays,
    on `days` only."""

    always: bool = False
    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS))

    @field_validator("days")
    @classmethod
    def _days(cls, days: list[str]) -> list[str]:
        for day in days:
            if day not in WEEKDAYS:
                raise ValueError(f"unknown day {day!r}; use {', '.join(WEEKDAYS)}")
        if not days:
            raise ValueError("give at least one working day")
        return days


class MatchSpec(_Spec):
    type: list[TicketType] | None = None
    level: list[int] | None = None
    tier: list[str] | None = None
    priority: list[Priority] | None = None

    @field_validator("type", "level", "tier", "priority", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, list) else [value]

    def matches(self, type: TicketType, level: int | None, tier: str | None, priority: Priority) -> bool:
        return (
            (self.type is None or type in self.type)
            and (self.level is None or level in self.level)
            and (self.tier is None or tier in self.tier)
            and (self.priority is None or priority in self.priority)
        )


class PolicySpec(_Spec):
    name: str = Field(min_length=1)
    match: MatchSpec = Field(default_factory=MatchSpec)
    calendar: str
    first_response: float | None = None
    next_response: float | None = None
    resolution: float | None = None
    warn_before: float = 0.0
    on_warning: list[ActionSpec] = Field(default_factory=list)
    on_breach: list[ActionSpec] = Field(default_factory=list)

    _durations = field_validator(
        "first_response", "next_response", "resolution", "warn_before", mode="before"
    )(_duration)

    @model_validator(mode="after")
    def _targets(self) -> Self:
        targets = [t for t in (self.first_response, self.next_response, self.resolution) if t is not None]
        if not targets:
            raise ValueError("give at least one of first_response, next_response, resolution")
        if any(t <= 0 for t in targets):
            raise ValueError("targets must be longer than zero")
        return self

    def target(self, metric: Metric) -> float | None:
        value: float | None = getattr(self, metric.value)
        return value


class SlaSpec(_Spec):
    calendars: dict[str, CalendarSpec] = Field(min_length=1)
    policies: list[PolicySpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class SiteHours:
    """What a site's calendar is built from (a site row's time zone, hours and holidays)."""

    timezone: str
    opens_minute: int | None
    closes_minute: int | None
    holidays: frozenset[Any] = frozenset()


class SlaPolicies:
    def __init__(self, spec: SlaSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        self.by_name = {p.name: p for p in spec.policies}

    def policy_for(
        self, type: TicketType, level: int | None, tier: str | None, priority: Priority
    ) -> PolicySpec | None:
        """The first policy matching the ticket; None: the ticket has no SLA."""
        for policy in self.spec.policies:
            if policy.match.matches(type, level, tier, priority):
                return policy
        return None

    def calendar(self, policy: PolicySpec, site: SiteHours | None) -> BusinessCalendar:
        """The calendar of `policy` for a ticket of `site` (no site: wall-clock time)."""
        spec = self.spec.calendars[policy.calendar]
        if spec.always or site is None:
            return BusinessCalendar.always()
        return BusinessCalendar(
            timezone=site.timezone,
            opens_minute=site.opens_minute,
            closes_minute=site.closes_minute,
            holidays=frozenset(site.holidays),
            weekdays=frozenset(WEEKDAYS.index(day) for day in spec.days),
        )


def load_sla(text: str, source: str) -> SlaPolicies:
    """Parse and validate an SLA file; every problem names its field and line."""
    data, lines = parse_with_lines(text, source)
    spec = validate(data, lines, SlaSpec, source)
    problems: list[ConfigProblem] = []
    names: set[str] = set()
    for i, policy in enumerate(spec.policies):
        if policy.calendar not in spec.calendars:
            problems.append(
                ConfigProblem(
                    f"policies[{i}].calendar",
                    f"unknown calendar {policy.calendar!r} (calendars: {', '.join(spec.calendars)})",
                    line_of(("policies", i, "calendar"), lines),
                )
            )
        if policy.name in names:
            problems.append(
                ConfigProblem(
                    f"policies[{i}].name",
                    f"policy {policy.name!r} is defined twice",
                    line_of(("policies", i, "name"), lines),
                )
            )
        names.add(policy.name)
    if problems:
        raise ConfigError(source, problems)
    return SlaPolicies(spec, source)


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One metric's clock. `elapsed_seconds` is the business time counted before `running_since`."""

    metric: Metric
    target_seconds: float
    warn_before_seconds: float
    status: ClockStatus
    started_at: Timestamp
    elapsed_seconds: float = 0.0
    running_since: Timestamp | None = None
    fulfilled_at: Timestamp | None = None
    warned: bool = False
    breached_at: Timestamp | None = None  # the due moment it passed, once noticed

    def elapsed(self, now: Timestamp, calendar: BusinessCalendar) -> float:
        if self.running_since is None:
            return self.elapsed_seconds
        return self.elapsed_seconds + calendar.measure(self.running_since, now)

    def due_at(self, calendar: BusinessCalendar) -> Timestamp | None:
        """When it breaches if it keeps running; None unless running."""
        if self.status is not ClockStatus.RUNNING or self.running_since is None:
            return None
        return calendar.add(self.running_since, max(0.0, self.target_seconds - self.elapsed_seconds))

    def warn_at(self, calendar: BusinessCalendar) -> Timestamp | None:
        if (
            self.status is not ClockStatus.RUNNING
            or self.running_since is None
            or self.warn_before_seconds <= 0
        ):
            return None
        lead = self.target_seconds - self.warn_before_seconds - self.elapsed_seconds
        return calendar.add(self.running_since, max(0.0, lead))

    @property
    def met(self) -> bool | None:
        """For a fulfilled clock: whether it was within target (never breached)."""
        if self.status is not ClockStatus.FULFILLED:
            return None
        return self.breached_at is None and self.elapsed_seconds <= self.target_seconds

    def as_record(self) -> dict[str, Any]:
        return {
            "metric": self.metric.value,
            "target_seconds": self.target_seconds,
            "warn_before_seconds": self.warn_before_seconds,
            "status": self.status.value,
            "started_at": self.started_at,
            "elapsed_seconds": self.elapsed_seconds,
            "running_since": self.running_since,
            "fulfilled_at": self.fulfilled_at,
            "warned": self.warned,
            "breached_at": self.breached_at,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> "SlaClock":
        return cls(
            metric=Metric(data["metric"]),
            target_seconds=float(data["target_seconds"]),
            warn_before_seconds=float(data["warn_before_seconds"]),
            status=ClockStatus(data["status"]),
            started_at=float(data["started_at"]),
            elapsed_seconds=float(data["elapsed_seconds"]),
            running_since=data["running_since"],
            fulfilled_at=data["fulfilled_at"],
            warned=bool(data["warned"]),
            breached_at=data["breached_at"],
        )


@dataclass(frozen=True, slots=True)
class SlaEvent:
    kind: SlaEventKind
    metric: Metric
    at: Timestamp
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class SlaClocks:
    """A ticket's clocks under one policy and calendar; every method returns the events it caused."""

    policy: PolicySpec
    calendar: BusinessCalendar
    clocks: dict[Metric, SlaClock] = field(default_factory=dict)

    def _start(self, metric: Metric, now: Timestamp) -> list[SlaEvent]:
        target = self.policy.target(metric)
        if target is None:
            return []
        clock = SlaClock(metric, target, self.policy.warn_before, ClockStatus.RUNNING, now, 0.0, now)
        self.clocks[metric] = clock
        return [SlaEvent(SlaEventKind.ACTIVATED, metric, now, {"due_at": clock.due_at(self.calendar)})]

    def activate(self, now: Timestamp) -> list[SlaEvent]:
        """A new ticket: first response and resolution start."""
        return self._start(Metric.FIRST_RESPONSE, now) + self._start(Metric.RESOLUTION, now)

    def _pause(self, clock: SlaClock, now: Timestamp) -> list[SlaEvent]:
        elapsed = clock.elapsed(now, self.calendar)
        self.clocks[clock.metric] = replace(
            clock, status=ClockStatus.PAUSED, elapsed_seconds=elapsed, running_since=None
        )
        return [SlaEvent(SlaEventKind.PAUSED, clock.metric, now, {"elapsed_seconds": elapsed})]

    def _resume(self, clock: SlaClock, now: Timestamp) -> list[SlaEvent]:
        resumed = replace(clock, status=ClockStatus.RUNNING, running_since=now, fulfilled_at=None)
        self.clocks[clock.metric] = resumed
        return [SlaEvent(SlaEventKind.RESUMED, clock.metric, now, {"due_at": resumed.due_at(self.calendar)})]

    def _end(self, clock: SlaClock, now: Timestamp, status: ClockStatus) -> list[SlaEvent]:
        elapsed = clock.elapsed(now, self.calendar)
        ended = replace(
            clock,
            status=status,
            elapsed_seconds=elapsed,
            running_since=None,
            fulfilled_at=now if status is ClockStatus.FULFILLED else None,
        )
        self.clocks[clock.metric] = ended
        kind = SlaEventKind.FULFILLED if status is ClockStatus.FULFILLED else SlaEventKind.STOPPED
        data = {"elapsed_seconds": elapsed, "target_seconds": clock.target_seconds, "met": ended.met}
        return [SlaEvent(kind, clock.metric, now, data)]

    def _live(self, *statuses: ClockStatus) -> list[SlaClock]:
        return [c for c in self.clocks.values() if c.status in statuses]

    def state_changed(self, before: StateCategory, after: StateCategory, now: Timestamp) -> list[SlaEvent]:
        events = self.check(now)  # what fell due before this change is reported first
        done = (StateCategory.RESOLVED, StateCategory.CLOSED)
        if after in done and before not in done:
            for clock in self._live(ClockStatus.RUNNING, ClockStatus.PAUSED):
                status = ClockStatus.FULFILLED if clock.metric is Metric.RESOLUTION else ClockStatus.STOPPED
                events += self._end(clock, now, status)
        elif before in done and after not in done:  # reopened: resolution counts on from where it was
            resolution = self.clocks.get(Metric.RESOLUTION)
            if resolution is not None and resolution.status is ClockStatus.FULFILLED:
                events += self._resume(resolution, now)
                if after is StateCategory.WAITING:
                    events += self._pause(self.clocks[Metric.RESOLUTION], now)
        elif after is StateCategory.WAITING and before is not StateCategory.WAITING:
            for clock in self._live(ClockStatus.RUNNING):
                events += self._pause(clock, now)
        elif before is StateCategory.WAITING and after is StateCategory.OPEN:
            for clock in self._live(ClockStatus.PAUSED):
                events += self._resume(clock, now)
        return events

    def responded(self, now: Timestamp) -> list[SlaEvent]:
        """A customer-visible answer: fulfils a waiting first or next response."""
        events = self.check(now)
        for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
            clock = self.clocks.get(metric)
            if clock is not None and clock.status in (ClockStatus.RUNNING, ClockStatus.PAUSED):
                events += self._end(clock, now, ClockStatus.FULFILLED)
        return events

    def customer_wrote(self, now: Timestamp, category: StateCategory) -> list[SlaEvent]:
        """The customer wrote: a next-response clock starts unless one is pending (or the first response
        still is, or the ticket is closed)."""
        events = self.check(now)
        if category is StateCategory.CLOSED:
            return events
        pending = (ClockStatus.RUNNING, ClockStatus.PAUSED)
        for metric in (Metric.FIRST_RESPONSE, Metric.NEXT_RESPONSE):
            clock = self.clocks.get(metric)
            if clock is not None and clock.status in pending:
                return events
        started = self._start(Metric.NEXT_RESPONSE, now)
        events += started
        if started and category is StateCategory.WAITING:
            events += self._pause(self.clocks[Metric.NEXT_RESPONSE], now)
        return events

    def check(self, now: Timestamp) -> list[SlaEvent]:
        """Warnings and breaches due by `now`, each stamped with the moment it fell due."""
        events: list[SlaEvent] = []
        for live in self._live(ClockStatus.RUNNING):
            clock = live
            warn_at = clock.warn_at(self.calendar)
            due_at = clock.due_at(self.calendar)
            if (
                not clock.warned
                and warn_at is not None
                and warn_at <= now
                and (due_at is None or warn_at < due_at)
            ):
                clock = replace(clock, warned=True)
                self.clocks[clock.metric] = clock
                events.append(SlaEvent(SlaEventKind.WARNED, clock.metric, warn_at, {"due_at": due_at}))
            if clock.breached_at is None and due_at is not None and due_at <= now:
                self.clocks[clock.metric] = replace(clock, breached_at=due_at, warned=True)
                events.append(
                    SlaEvent(
                        SlaEventKind.BREACHED, clock.metric, due_at, {"target_seconds": clock.target_seconds}
                    )
                )
        return events

    def next_due(self) -> Timestamp | None:
        """The earliest moment `check` would report something; None: nothing pending."""
        moments: list[Timestamp] = []
        for clock in self._live(ClockStatus.RUNNING):
            warn_at, due_at = clock.warn_at(self.calendar), clock.due_at(self.calendar)
            if not clock.warned and warn_at is not None:
                moments.append(warn_at)
            if clock.breached_at is None and due_at is not None:
                moments.append(due_at)
        return min(moments, default=None)

    def rematch(
        self,
        policy: PolicySpec,
        calendar: BusinessCalendar,
        now: Timestamp,
        category: StateCategory,
        responded: bool,
    ) -> list[SlaEvent]:
        """Put the ticket under `policy` (counted on `calendar`) from `now`.

        What fell due under the old policy is reported first. Then each pending (running or paused) clock
        keeps the business time it counted so far and its status, and takes the new targets: one
        `sla-rematched` event per clock, with the targets before and after. A pending clock whose metric the
        new policy has no target for stops. A metric the new policy adds starts, with the business time the
        ticket's other pending clocks counted since creation (first response only if nobody answered yet;
        nothing starts on a resolved or closed ticket). A warning already given stays given only if the clock
        is still inside the new policy's warning window; a breach already recorded stays recorded (it
        happened), and a clock already past its new target breaches at `now` - both through `check`.
        """
        events = self.check(now)
        before = self.policy.name if self.clocks else None  # None: the ticket had no SLA until now
        pending = (ClockStatus.RUNNING, ClockStatus.PAUSED)
        # Freeze what each pending clock counted on the old calendar; from `now` on the new one counts.
        for metric, clock in list(self.clocks.items()):
            if clock.status in pending:
                running_since = now if clock.status is ClockStatus.RUNNING else None
                elapsed = clock.elapsed(now, self.calendar)
                self.clocks[metric] = replace(clock, elapsed_seconds=elapsed, running_since=running_since)
        self.policy, self.calendar = policy, calendar
        counted = max(
            (c.elapsed_seconds for c in self._live(*pending) if c.metric is not Metric.NEXT_RESPONSE),
            default=0.0,
        )
        for clock in self._live(*pending):
            target = policy.target(clock.metric)
            if target is None:
                events += self._end(clock, now, ClockStatus.STOPPED)
                continue
            inside_warning = clock.elapsed_seconds >= target - policy.warn_before
            retargeted = replace(
                clock,
                target_seconds=target,
                warn_before_seconds=policy.warn_before,
                warned=clock.breached_at is not None or (clock.warned and inside_warning),
            )
            self.clocks[clock.metric] = retargeted
            data = {
                "from_policy": before,
                "elapsed_seconds": clock.elapsed_seconds,
                "target_before": clock.target_seconds,
                "target_after": target,
                "due_at": retargeted.due_at(calendar),
            }
            events.append(SlaEvent(SlaEventKind.REMATCHED, clock.metric, now, data))
        done = category in (StateCategory.RESOLVED, StateCategory.CLOSED)
        added = [] if done else ([] if responded else [Metric.FIRST_RESPONSE]) + [Metric.RESOLUTION]
        for metric in added:
            if metric in self.clocks or policy.target(metric) is None:
                continue
            self._start(metric, now)
            started = replace(self.clocks[metric], elapsed_seconds=counted)
            self.clocks[metric] = started
            data = {"from_policy": before, "elapsed_seconds": counted, "due_at": started.due_at(calendar)}
            events.append(SlaEvent(SlaEventKind.ACTIVATED, metric, now, data))
            if category is StateCategory.WAITING:
                events += self._pause(started, now)
        return events + self.check(now)

    def withdraw(self, now: Timestamp) -> list[SlaEvent]:
        """No policy matches the ticket any more: every pending clock stops (after what fell due)."""
        events = self.check(now)
        for clock in self._live(ClockStatus.RUNNING, ClockStatus.PAUSED):
            events += self._end(clock, now, ClockStatus.STOPPED)
        return events

    def records(self) -> list[dict[str, Any]]:
        return [c.as_record() for c in self.clocks.values()]

    @classmethod
    def restore(
        cls, policy: PolicySpec, calendar: BusinessCalendar, records: Iterable[Mapping[str, Any]]
    ) -> "SlaClocks":
        clocks = {Metric(r["metric"]): SlaClock.from_record(r) for r in records}
        return cls(policy, calendar, clocks)
