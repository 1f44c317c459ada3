"""Scenario files for the digital twin: the network and its routing, the traffic, the people, the drills.

A scenario embeds the same routing sections as a routing file (`sites`, `placement`, `queues`,
`policies`), so what is simulated is what would be deployed. Times of day are in the scenario's time
zone unless a site's own zone applies (agent shifts run in their site's zone). Every problem names the
field path and the line.
"""

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.errors import ConfigError, ConfigProblem
from baiying.routing.config import RoutingConfig, RoutingSpec, compile_spec, cross_check
from baiying.routing.model import MAX_SKILL_LEVEL, MIN_SKILL_LEVEL, Channel, SiteStatus
from baiying.simulation.distributions import ConstantDistribution, Distribution
from baiying.yamlconfig import format_path, line_of, parse_with_lines, validate

HOURS_PER_DAY = 24


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def clock_minutes(text: str) -> int:
    """ "08:30" → 510; "24:00" is allowed as the end of a day."""
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text!r} is not a time of day like 08:30")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > HOURS_PER_DAY * 60:
        raise ValueError(f"{text!r} is not a time of day like 08:30")
    return value


class BreakSpec(_Spec):
    """A break in a shift. With `stagger_minutes`, a group's agents start it one after another over that
    span, as a planner would schedule lunches, so the floor is never emptied at once."""

    start: str
    minutes: float = Field(gt=0)
    reason: str = "break"
    stagger_minutes: float = Field(default=0, ge=0)

    _check_start = field_validator("start")(lambda v: (clock_minutes(v), v)[1])


class ShiftSpec(_Spec):
    """A daily shift in the site's time zone; end before start runs past midnight."""

    start: str = "00:00"
    end: str = "24:00"
    breaks: list[BreakSpec] = Field(default_factory=list)
    days: list[int] | None = Field(default=None, description="days of the scenario (1-based); all if omitted")

    _check_times = field_validator("start", "end")(lambda v: (clock_minutes(v), v)[1])


class AgentGroupSpec(_Spec):
    """`count` agents alike: same site, skills and shifts; named <group>-001, <group>-002, …"""

    group: str = Field(min_length=1)
    site: str
    count: int = Field(ge=1, le=100_000)
    skills: dict[str, Annotated[int, Field(ge=MIN_SKILL_LEVEL, le=MAX_SKILL_LEVEL)]]
    team: str | None = None
    capacity: dict[Channel, Annotated[int, Field(ge=0, le=50)]] = Field(
        default_factory=lambda: {Channel.VOICE: 1}
    )
    shifts: list[ShiftSpec] = Field(default_factory=lambda: [ShiftSpec()])
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)


def agent_name(group: AgentGroupSpec, number: int) -> str:
    """The name of the `number`-th agent (1-based) of a group: the simulator and the database agree on it."""
    return f"{group.group}-{number:03d}"


class TrafficSpec(_Spec):
    """One stream of contacts: a queue, where they come in, who they are, how many and when."""

    name: str = Field(min_length=1)
    queue: str
    site: str | None = None
    language: str | None = None
    intent: str | None = None
    tier: str | None = None
    region: str | None = None
    priority: int = 0
    daily_volume: float | None = Field(default=None, ge=0)
    profile: list[float] | None = Field(
        default=None, description="relative volume per hour of day (24 values)"
    )
    rates_per_hour: list[float] | None = Field(
        default=None, description="arrivals per hour, for each hour (24)"
    )
    patience: Distribution | None = None  # None: callers never hang up
    handle: Distribution
    wrap_up: Distribution | None = None  # None: the queue's fixed wrap-up time
    callback_acceptance: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _one_volume_model(self) -> "TrafficSpec":
        if self.rates_per_hour is not None:
            if self.daily_volume is not None or self.profile is not None:
                raise ValueError("give rates_per_hour, or daily_volume with a profile, not both")
            _check_hours(self.rates_per_hour, "rates_per_hour")
        elif self.daily_volume is None:
            raise ValueError("give daily_volume (with an optional 24-hour profile) or rates_per_hour")
        elif self.profile is not None:
            _check_hours(self.profile, "profile")
            if sum(self.profile) <= 0:
                raise ValueError("profile must have some volume")
        return self

    def hourly_rates(self) -> list[float]:
        """Arrivals per hour for each hour of the day."""
        if self.rates_per_hour is not None:
            return list(self.rates_per_hour)
        volume = self.daily_volume or 0.0
        weights = self.profile or [1.0] * HOURS_PER_DAY
        total = sum(weights)
        return [volume * w / total for w in weights]


def _check_hours(values: list[float], name: str) -> None:
    if len(values) != HOURS_PER_DAY:
        raise ValueError(f"{name} needs {HOURS_PER_DAY} values, one per hour, got {len(values)}")
    if any(v < 0 for v in values):
        raise ValueError(f"{name} values cannot be negative")


class SiteEventSpec(_Spec):
    """A drill or incident: at `at` on `day`, the site's status changes (e.g. evacuated, then open)."""

    day: int = Field(default=1, ge=1)
    at: str
    site: str
    status: SiteStatus

    _check_at = field_validator("at")(lambda v: (clock_minutes(v), v)[1])


class RecordedArrivalsSpec(_Spec):
    """Contacts replayed as they were recorded: a CSV file (path relative to the scenario file) with the
    columns at (ISO 8601 with offset, or epoch seconds), queue, handle_seconds, and optionally
    patience_seconds, site, language, intent, tier, priority, customer_id."""

    file: str = Field(min_length=1)


class ScenarioSpec(RoutingSpec):
    name: str = "scenario"
    description: str = ""
    start_date: date = date(2026, 11, 23)
    timezone: str = "Asia/Shanghai"
    days: int = Field(default=1, ge=1, le=366)
    seed: int = 1
    interval_minutes: int = Field(default=30, description="15, 30 or 60")
    service_level_seconds: float = Field(default=20, gt=0)
    short_abandon_seconds: float = Field(default=5, ge=0)
    answer_seconds: Distribution = Field(default_factory=lambda: ConstantDistribution(value=3))
    warm_up_minutes: float = Field(default=0, ge=0)
    traffic: list[TrafficSpec] = Field(default_factory=list)
    recorded_arrivals: RecordedArrivalsSpec | None = None
    agents: list[AgentGroupSpec] = Field(min_length=1)
    events: list[SiteEventSpec] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (use an IANA name like Asia/Shanghai)") from None
        return name

    @field_validator("interval_minutes")
    @classmethod
    def _interval(cls, minutes: int) -> int:
        if minutes not in (15, 30, 60):
            raise ValueError("interval_minutes must be 15, 30 or 60")
        return minutes


class Scenario:
    """A validated scenario: the spec plus its compiled routing configuration."""

    def __init__(self, spec: ScenarioSpec, routing: RoutingConfig, source: str) -> None:
        self.spec = spec
        self.routing = routing
        self.source = source


def load_scenario(text: str, source: str) -> Scenario:
    data, lines = parse_with_lines(text, source)
    spec = validate(data, lines, ScenarioSpec, source)
    found = cross_check(spec) + _scenario_references(spec)
    if found:
        raise ConfigError(source, [ConfigProblem(format_path(p), r, line_of(p, lines)) for p, r in found])
    return Scenario(spec, compile_spec(spec), source)


def _scenario_references(spec: ScenarioSpec) -> list[tuple[tuple[str | int, ...], str]]:
    sites = {s.id for s in spec.sites}
    queues = {q.id for q in spec.queues}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if not sites:
        problems.append((("sites",), "a scenario needs at least one site"))
    if not spec.traffic and spec.recorded_arrivals is None:
        problems.append((("traffic",), "a scenario needs traffic streams or recorded_arrivals"))
    for index, stream in enumerate(spec.traffic):
        if stream.queue not in queues:
            problems.append((("traffic", index, "queue"), f"unknown queue {stream.queue!r}"))
        if stream.site is not None and stream.site not in sites:
            problems.append((("traffic", index, "site"), f"unknown site {stream.site!r}"))
    groups: set[str] = set()
    for index, group in enumerate(spec.agents):
        if group.site not in sites:
            problems.append((("agents", index, "site"), f"unknown site {group.site!r}"))
        if group.group in groups:
            problems.append((("agents", index, "group"), f"duplicate group {group.group!r}"))
        groups.add(group.group)
        for s_index, shift in enumerate(group.shifts):
            for day in shift.days or []:
                if not 1 <= day <= spec.days:
                    problems.append(
                        (("agents", index, "shifts", s_index, "days"), f"day {day} is outside 1..{spec.days}")
                    )
    for index, event in enumerate(spec.events):
        if event.site not in sites:
            problems.append((("events", index, "site"), f"unknown site {event.site!r}"))
        if event.day > spec.days:
            problems.append(
                (("events", index, "day"), f"day {event.day} is after the last day ({spec.days})")
            )
    return problems
