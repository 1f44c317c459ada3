"""The routing configuration file: sites, multi-site placement rules, queues and policies, in YAML.

`load_routing_config(text, source)` validates it with pydantic and cross-checks references, and every
problem names the field path and the line. Sections may be split over files: a policy file alone holds
only `policies`.
"""

import re
from dataclasses import dataclass, field
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.errors import ConfigError, ConfigProblem
from baiying.ids import PolicyId, QueueId, SiteId
from baiying.routing.expressions import ExpressionError, compile_expression
from baiying.routing.model import Channel, DailyHours, Queue, ServiceLevelObjective, Site
from baiying.routing.policy import (
    TEMPLATE,
    TEMPLATE_FIELDS,
    OnTimeout,
    Policy,
    Selection,
    SiteScope,
    make_step,
)
from baiying.yamlconfig import Path, format_path, line_of, parse_with_lines, validate

_CLOCK_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
SkillLevel = Annotated[int, Field(ge=1, le=10)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _minute_of_day(text: str) -> int:
    match = _CLOCK_TIME.match(text)
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"{text!r} is not a time of day like 08:30")
    return int(match.group(1)) * 60 + int(match.group(2))


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like Asia/Shanghai)") from None
    return name


class TargetSpec(_Spec):
    skills: dict[str, SkillLevel] = Field(default_factory=dict)
    sites: SiteScope | list[str] = SiteScope.PLACEMENT
    expression: str | None = None

    @field_validator("skills")
    @classmethod
    def _known_templates(cls, skills: dict[str, int]) -> dict[str, int]:
        for name in skills:
            for field_name in TEMPLATE.findall(name):
                if field_name not in TEMPLATE_FIELDS:
                    raise ValueError(
                        f"skill {name!r} uses unknown field ${{{field_name}}}; "
                        f"use one of {', '.join(sorted(TEMPLATE_FIELDS))}"
                    )
        return skills

    @field_validator("expression")
    @classmethod
    def _compiles(cls, source: str | None) -> str | None:
        if source is not None:
            try:
                compile_expression(source)
            except ExpressionError as exc:
                raise ValueError(f"invalid expression: {exc}") from None
        return source


class StepSpec(_Spec):
    name: str | None = None
    target: TargetSpec = Field(default_factory=TargetSpec)
    timeout_seconds: float | None = Field(default=None, gt=0)
    on_timeout: OnTimeout = OnTimeout.NEXT_STEP
    priority_add: int = 0
    priority_set: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "StepSpec":
        if self.priority_add and self.priority_set is not None:
            raise ValueError("give priority_add or priority_set, not both")
        if self.on_timeout is not OnTimeout.NEXT_STEP and self.timeout_seconds is None:
            raise ValueError(f"on_timeout {self.on_timeout.value} needs timeout_seconds")
        return self


class PolicySpec(_Spec):
    id: str = Field(min_length=1)
    description: str = ""
    selection: Selection = Selection.LONGEST_IDLE
    steps: list[StepSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _last_step_goes_somewhere(self) -> "PolicySpec":
        last = self.steps[-1]
        if last.timeout_seconds is not None and last.on_timeout is OnTimeout.NEXT_STEP:
            raise ValueError(
                "the last step has a timeout but no next step: remove timeout_seconds (wait there) "
                "or set on_timeout to offer-callback, voicemail or ticket"
            )
        return self


class SiteSpec(_Spec):
    id: str = Field(min_length=1)
    name: str | None = None
    timezone: str = "Asia/Shanghai"
    languages: list[str] = Field(default_factory=list)
    hq: bool = False
    hours: str | None = Field(default=None, description="opening hours like 08:00-20:00; omit for 24x7")

    _check_tz = field_validator("timezone")(_check_timezone)

    @field_validator("hours")
    @classmethod
    def _hours(cls, hours: str | None) -> str | None:
        if hours is not None:
            start, sep, end = hours.partition("-")
            if not sep:
                raise ValueError(f"hours {hours!r} must look like 08:00-20:00")
            _minute_of_day(start.strip())
            _minute_of_day(end.strip())
        return hours


class TimeRuleSpec(_Spec):
    """Between start and end (in `timezone`), send `share` of new contacts to `to_site`."""

    name: str = "night consolidation"
    start: str
    end: str
    timezone: str = "Asia/Shanghai"
    to_site: str
    share: float = Field(gt=0, le=1)
    queues: list[str] | None = None  # None: every queue

    _check_tz = field_validator("timezone")(_check_timezone)

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        _minute_of_day(value)
        return value


class PlacementSpec(_Spec):
    language_affinity: bool = True
    local_preference: bool = True
    spill_when_wait_exceeds_seconds: float | None = Field(default=None, gt=0)  # default: each queue's SL T
    time_rules: list[TimeRuleSpec] = Field(default_factory=list)


class ServiceLevelSpec(_Spec):
    seconds: float = Field(default=20, gt=0)
    target: float = Field(default=0.8, gt=0, le=1)


class QueueSpec(_Spec):
    id: str = Field(min_length=1)
    name: str | None = None
    policy: str
    channel: Channel = Channel.VOICE
    wrap_up_seconds: float = Field(default=0, ge=0)
    offer_timeout_seconds: float = Field(default=20, gt=0)
    expected_handle_seconds: float = Field(default=180, gt=0)
    service_level: ServiceLevelSpec = Field(default_factory=ServiceLevelSpec)


class RoutingSpec(_Spec):
    sites: list[SiteSpec] = Field(default_factory=list)
    placement: PlacementSpec = Field(default_factory=PlacementSpec)
    queues: list[QueueSpec] = Field(default_factory=list)
    policies: list[PolicySpec] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimeRule:
    name: str
    hours: DailyHours
    timezone: str
    to_site: SiteId
    share: float
    queues: frozenset[QueueId] | None


@dataclass(frozen=True, slots=True)
class PlacementRules:
    language_affinity: bool = True
    local_preference: bool = True
    spill_when_wait_exceeds_seconds: float | None = None
    time_rules: tuple[TimeRule, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Everything the router needs to know that does not change while it runs."""

    sites: dict[SiteId, Site]
    queues: dict[QueueId, Queue]
    policies: dict[PolicyId, Policy]
    placement: PlacementRules = field(default_factory=PlacementRules)


def load_routing_config(text: str, source: str) -> RoutingConfig:
    """Parse, validate, cross-check and compile a routing file. Raises ConfigError naming fields and lines."""
    data, lines = parse_with_lines(text, source)
    spec = validate(data, lines, RoutingSpec, source)
    problems = [
        ConfigProblem(format_path(path), reason, line_of(path, lines)) for path, reason in cross_check(spec)
    ]
    if problems:
        raise ConfigError(source, problems)
    return compile_spec(spec)


def cross_check(spec: RoutingSpec) -> list[tuple[Path, str]]:
    """References between sections: unknown sites, queues, policies, and duplicates."""
    problems: list[tuple[Path, str]] = []
    sections: dict[str, list[str]] = {
        "sites": [s.id for s in spec.sites],
        "queues": [q.id for q in spec.queues],
        "policies": [p.id for p in spec.policies],
    }
    for section, ids in sections.items():
        seen: set[str] = set()
        for index, item_id in enumerate(ids):
            if item_id in seen:
                problems.append(((section, index, "id"), f"duplicate id {item_id!r}"))
            seen.add(item_id)
    site_ids = {s.id for s in spec.sites}
    policy_ids = {p.id for p in spec.policies}
    for index, queue in enumerate(spec.queues):
        if queue.policy not in policy_ids:
            problems.append((("queues", index, "policy"), f"unknown policy {queue.policy!r}"))
    if site_ids:
        for index, rule in enumerate(spec.placement.time_rules):
            if rule.to_site not in site_ids:
                problems.append(
                    (("placement", "time_rules", index, "to_site"), f"unknown site {rule.to_site!r}")
                )
        for p_index, policy in enumerate(spec.policies):
            for s_index, step in enumerate(policy.steps):
                if isinstance(step.target.sites, list):
                    for site in step.target.sites:
                        if site not in site_ids:
                            path: Path = ("policies", p_index, "steps", s_index, "target", "sites")
                            problems.append((path, f"unknown site {site!r}"))
    return problems


def compile_spec(spec: RoutingSpec) -> RoutingConfig:
    sites = {SiteId(s.id): _site(s) for s in spec.sites}
    policies = {PolicyId(p.id): _policy(p) for p in spec.policies}
    queues = {
        QueueId(q.id): Queue(
            id=QueueId(q.id),
            name=q.name or q.id,
            policy_id=PolicyId(q.policy),
            channel=q.channel,
            wrap_up_seconds=q.wrap_up_seconds,
            offer_timeout_seconds=q.offer_timeout_seconds,
            expected_handle_seconds=q.expected_handle_seconds,
            service_level=ServiceLevelObjective(q.service_level.seconds, q.service_level.target),
        )
        for q in spec.queues
    }
    rules = PlacementRules(
        language_affinity=spec.placement.language_affinity,
        local_preference=spec.placement.local_preference,
        spill_when_wait_exceeds_seconds=spec.placement.spill_when_wait_exceeds_seconds,
        time_rules=tuple(
            TimeRule(
                name=r.name,
                hours=DailyHours(_minute_of_day(r.start), _minute_of_day(r.end)),
                timezone=r.timezone,
                to_site=SiteId(r.to_site),
                share=r.share,
                queues=frozenset(QueueId(q) for q in r.queues) if r.queues is not None else None,
            )
            for r in spec.placement.time_rules
        ),
    )
    return RoutingConfig(sites=sites, queues=queues, policies=policies, placement=rules)


def _site(spec: SiteSpec) -> Site:
    hours = None
    if spec.hours is not None:
        start, _, end = spec.hours.partition("-")
        hours = DailyHours(_minute_of_day(start.strip()), _minute_of_day(end.strip()))
    return Site(
        id=SiteId(spec.id),
        name=spec.name or spec.id,
        timezone=spec.timezone,
        languages=frozenset(spec.languages),
        hq=spec.hq,
        hours=hours,
    )


def _policy(spec: PolicySpec) -> Policy:
    steps = tuple(
        make_step(
            name=step.name or f"step {index + 1}",
            skills=dict(step.target.skills),
            sites=step.target.sites if isinstance(step.target.sites, SiteScope) else list(step.target.sites),
            expression=step.target.expression,
            timeout_seconds=step.timeout_seconds,
            on_timeout=step.on_timeout,
            priority_add=step.priority_add,
            priority_set=step.priority_set,
        )
        for index, step in enumerate(spec.steps)
    )
    return Policy(PolicyId(spec.id), steps, spec.selection, spec.description)
