"""Automation rules, from YAML: on an event or after a time, for the tickets they match, run actions.

    rules:
      - id: complaint-l3-unanswered
        order: 10                         # rules run in ascending order; orders are unique
        trigger: {after: 2h, since: created}   # time-driven: 2 h after creation (or state_entered,
                                          # customer_wrote) ...
        match: {type: complaint, level: 3, responded: false, category: [open, waiting]}
        actions:
          - escalate: {role: complaint-manager, queue: complaint-desk, priority: urgent}
          - notify: {to: customer, channel: sms, template: complaint-acknowledged}
      - id: vip-escalated
        order: 20
        trigger: {event: transitioned, transition: escalate}   # event-driven
        match: {tier: [vip]}
        stop: true                        # later rules skip this cause once this one fired

A rule fires at most once per cause: the cause of a time rule is the rule, the ticket and the moment its
clock started (re-entering a state is a new cause); of an event rule, the rule and the event. The engine
returns `Firing`s and skips causes the caller says have fired; the caller records them (in the same
transaction as the effects), so a rule never fires twice, and a dry run is the same call, not recorded.
"""

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.clock import Timestamp
from baiying.errors import ConfigError, ConfigProblem
from baiying.tickets.actions import ActionSpec, Effect, resolve
from baiying.tickets.durations import parse_duration
from baiying.tickets.model import Priority, StateCategory, Ticket, TicketType
from baiying.yamlconfig import line_of, parse_with_lines, validate


class RuleEvent(StrEnum):
    CREATED = "created"
    TRANSITIONED = "transitioned"
    REPLIED = "replied"
    CUSTOMER_WROTE = "customer-wrote"
    ASSIGNED = "assigned"
    SLA_WARNED = "sla-warned"
    SLA_BREACHED = "sla-breached"


class Since(StrEnum):
    CREATED = "created"
    STATE_ENTERED = "state_entered"
    CUSTOMER_WROTE = "customer_wrote"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _listify(value: Any) -> Any:
    return value if value is None or isinstance(value, list) else [value]


class TriggerSpec(_Spec):
    event: RuleEvent | None = None
    transition: str | None = None
    after: float | None = None
    since: Since = Since.CREATED

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.event is None) == (self.after is None):
            raise ValueError("give event (event-driven) or after (time-driven), one of them")
        if self.transition is not None and self.event is not RuleEvent.TRANSITIONED:
            raise ValueError("transition filters only event: transitioned")
        return self


class RuleMatch(_Spec):
    type: list[TicketType] | None = None
    level: list[int] | None = None
    tier: list[str] | None = None
    priority: list[Priority] | None = None
    state: list[str] | None = None
    category: list[StateCategory] | None = None
    responded: bool | None = None  # whether the customer has had a first answer

    _lists = field_validator("type", "level", "tier", "priority", "state", "category", mode="before")(
        _listify
    )


class RuleSpec(_Spec):
    id: str = Field(min_length=1)
    order: int
    description: str = ""
    enabled: bool = True
    trigger: TriggerSpec
    match: RuleMatch = Field(default_factory=RuleMatch)
    stop: bool = False
    actions: list[ActionSpec] = Field(min_length=1)


class RulesSpec(_Spec):
    rules: list[RuleSpec] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Subject:
    """What rules see of a ticket."""

    ticket: Ticket
    category: StateCategory
    state_entered_at: Timestamp
    responded_at: Timestamp | None = None
    customer_wrote_at: Timestamp | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    """What one rule would do to one ticket now: whether it matches, when a time rule falls due (None
    for an event rule), whether that cause has fired, and the effects it would have."""

    rule_id: str
    matches: bool
    due_at: Timestamp | None
    already_fired: bool
    effects: tuple[Effect, ...]


@dataclass(frozen=True, slots=True)
class Firing:
    rule_id: str
    cause: str
    at: Timestamp  # when it fell due (the event's time, or the time rule's moment)
    effects: tuple[Effect, ...]
    already_fired: bool = False


class Rules:
    def __init__(self, spec: RulesSpec, source: str) -> None:
        self.source = source
        self.ordered = sorted((r for r in spec.rules if r.enabled), key=lambda r: r.order)
        self.by_id = {r.id: r for r in spec.rules}

    @staticmethod
    def _matches(rule: RuleSpec, s: Subject) -> bool:
        m, t = rule.match, s.ticket
        return (
            (m.type is None or t.type in m.type)
            and (m.level is None or t.level in m.level)
            and (m.tier is None or t.tier in m.tier)
            and (m.priority is None or t.priority in m.priority)
            and (m.state is None or t.state in m.state)
            and (m.category is None or s.category in m.category)
            and (m.responded is None or (s.responded_at is not None) == m.responded)
        )

    def _fire(
        self,
        candidates: Iterable[tuple[RuleSpec, str, Timestamp]],
        s: Subject,
        fired: Container[str],
        now: Timestamp,
    ) -> list[Firing]:
        out: list[Firing] = []
        ticket = s.ticket
        for rule, cause, at in candidates:
            done = cause in fired
            effects = tuple(resolve(rule.actions, ticket, actor_agent=None, now=now))
            out.append(Firing(rule.id, cause, at, effects, already_fired=done))
            if rule.stop and not done:
                break
        return out

    def on_event(
        self,
        event: RuleEvent,
        subject: Subject,
        *,
        event_key: str,
        at: Timestamp,
        transition: str | None = None,
        fired: Container[str] = (),
    ) -> list[Firing]:
        """The firings an event causes, in rule order. `event_key` identifies the event (e.g. its
        sequence in the ticket's history). Firings already recorded come back with `already_fired`."""
        candidates = [
            (rule, f"{rule.id}|{subject.ticket.id}|{event_key}", at)
            for rule in self.ordered
            if rule.trigger.event is event
            and (rule.trigger.transition is None or rule.trigger.transition == transition)
            and self._matches(rule, subject)
        ]
        return self._fire(candidates, subject, fired, at)

    def due(self, subject: Subject, now: Timestamp, fired: Container[str] = ()) -> list[Firing]:
        """Time rules due by `now` for the ticket, in rule order."""
        candidates = []
        for rule in self.ordered:
            if rule.trigger.after is None or not self._matches(rule, subject):
                continue
            start = self._since(rule.trigger.since, subject)
            if start is None or start + rule.trigger.after > now:
                continue
            candidates.append(
                (rule, self.time_cause(rule.id, subject.ticket.id, start), start + rule.trigger.after)
            )
        return self._fire(candidates, subject, fired, now)

    def preview(self, rule_id: str, subject: Subject, now: Timestamp, fired: Container[str] = ()) -> Preview:
        """A dry run of one rule on one ticket (KeyError for an unknown rule id)."""
        rule = self.by_id[rule_id]
        matches = rule.enabled and self._matches(rule, subject)
        due_at, done = None, False
        if rule.trigger.after is not None:
            start = self._since(rule.trigger.since, subject)
            if start is None:
                matches = False
            else:
                due_at = start + rule.trigger.after
                done = self.time_cause(rule.id, subject.ticket.id, start) in fired
        effects = tuple(resolve(rule.actions, subject.ticket, actor_agent=None, now=now)) if matches else ()
        return Preview(rule.id, matches, due_at, done, effects)

    @staticmethod
    def time_cause(rule_id: str, ticket_id: str, start: Timestamp) -> str:
        return f"{rule_id}|{ticket_id}|{start!r}"

    def next_due(self, subject: Subject, fired: Container[str] = ()) -> Timestamp | None:
        """The earliest moment a time rule not yet fired would fall due for the ticket as it is now."""
        moments = []
        for rule in self.ordered:
            if rule.trigger.after is None or not self._matches(rule, subject):
                continue
            start = self._since(rule.trigger.since, subject)
            if start is not None and self.time_cause(rule.id, subject.ticket.id, start) not in fired:
                moments.append(start + rule.trigger.after)
        return min(moments, default=None)

    @staticmethod
    def _since(since: Since, s: Subject) -> Timestamp | None:
        if since is Since.CREATED:
            return s.ticket.created_at
        if since is Since.STATE_ENTERED:
            return s.state_entered_at
        return s.customer_wrote_at


def load_rules(text: str, source: str, workflows: Mapping[TicketType, Any] | None = None) -> Rules:
    """Parse and validate a rules file. With `workflows` (type -> Workflow), a rule's `transition` and
    `state` filters must name transitions and states of the types it matches."""
    data, lines = parse_with_lines(text, source)
    spec = validate(data if data is not None else {}, lines, RulesSpec, source)
    problems: list[ConfigProblem] = []
    ids: set[str] = set()
    orders: dict[int, str] = {}

    def add(path: tuple[str | int, ...], field: str, reason: str) -> None:
        problems.append(ConfigProblem(field, reason, line_of(path, lines)))

    for i, rule in enumerate(spec.rules):
        if rule.id in ids:
            add(("rules", i, "id"), f"rules[{i}].id", f"rule {rule.id!r} is defined twice")
        ids.add(rule.id)
        if rule.order in orders:
            add(
                ("rules", i, "order"),
                f"rules[{i}].order",
                f"order {rule.order} is already rule {orders[rule.order]!r}'s: give each rule its own",
            )
        orders.setdefault(rule.order, rule.id)
        if workflows:
            types = rule.match.type or list(workflows)
            flows = [workflows[t] for t in types if t in workflows]
            if rule.trigger.transition is not None and not any(
                rule.trigger.transition in w.transitions for w in flows
            ):
                add(
                    ("rules", i, "trigger", "transition"),
                    f"rules[{i}].trigger.transition",
                    f"no workflow of {', '.join(t.value for t in types)} "
                    f"has transition {rule.trigger.transition!r}",
                )
            for j, state in enumerate(rule.match.state or []):
                if not any(state in w.spec.states for w in flows):
                    add(
                        ("rules", i, "match", "state", j),
                        f"rules[{i}].match.state[{j}]",
                        f"no workflow of {', '.join(t.value for t in types)} has state {state!r}",
                    )
    if problems:
        raise ConfigError(source, problems)
    return Rules(spec, source)
