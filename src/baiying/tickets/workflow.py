"""Workflows per ticket type, from YAML: states, transitions, who may take each, required fields and
automatic actions. `load_workflow(text, source)` validates one file (every problem named with its field
path and line); `Workflow.transition(...)` is the engine.

    type: consultation
    initial: recorded
    fields:
      resolution: {type: text}
      appointment_at: {type: datetime}
    states:
      recorded: {category: open}
      resolved: {category: resolved}
    on_create:
      - assign: {queue: first-line}
    transitions:
      - name: resolve
        from: [recorded]          # or "*": every state not closed
        to: resolved              # or "@previous": back to the state before the current one
        roles: [agent, expert]
        requires: [resolution]
        responds: true            # counts as an answer to the customer (fulfils first response)
        actions: [...]            # see baiying.tickets.actions
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.clock import Timestamp
from baiying.errors import ConfigError, ConfigProblem
from baiying.tickets.actions import TICKET_ROLES, ActionSpec, Assigned, Effect, Escalated, resolve
from baiying.tickets.errors import (
    InvalidTicket,
    MissingFields,
    TransitionForbidden,
    TransitionNotAvailable,
    UnknownTransition,
)
from baiying.tickets.model import PRIORITY_RANK, StateCategory, Ticket, TicketType
from baiying.yamlconfig import Path, line_of, parse_with_lines, validate

PREVIOUS = "@previous"
ANY_STATE = "*"


class FieldType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATETIME = "datetime"  # ISO 8601 with a UTC offset, e.g. 2026-11-24T10:00:00+08:00
    CHOICE = "choice"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldSpec(_Spec):
    type: FieldType = FieldType.TEXT
    label: str = ""
    options: list[str] = Field(default_factory=list)  # for choice
    min: int | None = None  # for integer
    max: int | None = None

    @model_validator(mode="after")
    def _options(self) -> Self:
        if (self.type is FieldType.CHOICE) != bool(self.options):
            raise ValueError("options are given exactly for a choice field")
        return self

    def check(self, name: str, value: Any) -> Any:
        """`value` as stored, or InvalidTicket naming the field and the expected form."""
        kind = self.type
        if kind is FieldType.TEXT and isinstance(value, str) and value.strip():
            return value
        if kind is FieldType.BOOLEAN and isinstance(value, bool):
            return value
        if kind is FieldType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                raise InvalidTicket(
                    f"field {name!r}: {value} is outside {self.min}..{self.max}", {"field": name}
                )
            return value
        if kind is FieldType.CHOICE and value in self.options:
            return value
        if kind is FieldType.DATETIME and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return moment.isoformat()
        expected = {
            FieldType.TEXT: "non-empty text",
            FieldType.BOOLEAN: "true or false",
            FieldType.INTEGER: "a whole number",
            FieldType.CHOICE: f"one of {', '.join(self.options)}",
            FieldType.DATETIME: "an ISO 8601 date-time with a UTC offset (2026-11-24T10:00:00+08:00)",
        }[kind]
        raise InvalidTicket(f"field {name!r}: {value!r} is not {expected}", {"field": name})


class StateSpec(_Spec):
    category: StateCategory
    label: str = ""


class TransitionSpec(_Spec):
    name: str = Field(min_length=1)
    from_: list[str] | str = Field(alias="from")
    to: str
    roles: list[str] = Field(min_length=1)
    requires: list[str] = Field(default_factory=list)
    responds: bool = False
    actions: list[ActionSpec] = Field(default_factory=list)

    @field_validator("roles")
    @classmethod
    def _roles(cls, roles: list[str]) -> list[str]:
        for role in roles:
            if role not in TICKET_ROLES:
                raise ValueError(f"unknown role {role!r}; use one of {', '.join(TICKET_ROLES)}")
        return roles

    @field_validator("from_")
    @classmethod
    def _star(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, str) and value != ANY_STATE:
            raise ValueError(f'give a list of states or "{ANY_STATE}" (every state not closed)')
        return value


class WorkflowSpec(_Spec):
    type: TicketType
    description: str = ""
    initial: str
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    states: dict[str, StateSpec] = Field(min_length=1)
    on_create: list[ActionSpec] = Field(default_factory=list)
    transitions: list[TransitionSpec] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A transition's result: the ticket after it, and the effects to carry out (assignments are already
    applied to `ticket`)."""

    ticket: Ticket
    transition: str | None
    from_state: str
    to_state: str
    changed_fields: Mapping[str, Any]
    responds: bool
    effects: tuple[Effect, ...]


class Workflow:
    """One ticket type's workflow, validated. Immutable; shared by every ticket of the type."""

    def __init__(self, spec: WorkflowSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        self.type = spec.type
        self.transitions = {t.name: t for t in spec.transitions}

    def category(self, state: str) -> StateCategory:
        return self.spec.states[state].category

    def available(self, state: str, roles: Iterable[str] | None = None) -> list[TransitionSpec]:
        """Transitions from `state`, in file order; only those one of `roles` may take when given."""
        allowed = None if roles is None else set(roles)
        return [
            t
            for t in self.spec.transitions
            if self._leaves(t, state) and (allowed is None or allowed & set(t.roles))
        ]

    def _leaves(self, transition: TransitionSpec, state: str) -> bool:
        if transition.from_ == ANY_STATE:
            return self.category(state) is not StateCategory.CLOSED
        return state in transition.from_

    def check_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validate values for declared fields; raises InvalidTicket for an unknown field or bad value."""
        checked: dict[str, Any] = {}
        for name, value in values.items():
            spec = self.spec.fields.get(name)
            if spec is None:
                known = ", ".join(sorted(self.spec.fields)) or "none"
                raise InvalidTicket(
                    f"field {name!r} is not a field of {self.type.value} tickets (known: {known})",
                    {"field": name},
                )
            checked[name] = None if value is None else spec.check(name, value)
        return checked

    def create(self, ticket: Ticket, *, actor_agent: str | None, now: Timestamp) -> Outcome:
        """A new ticket in the initial state with the `on_create` actions' effects."""
        fields = self.check_fields(ticket.fields)
        fresh = ticket.with_changes(state=self.spec.initial, previous_state=None, fields=fields)
        effects = resolve(self.spec.on_create, fresh, actor_agent=actor_agent, now=now)
        fresh = _apply(fresh, effects)
        return Outcome(fresh, None, "", fresh.state, fields, False, tuple(effects))

    def transition(
        self,
        ticket: Ticket,
        name: str,
        *,
        roles: Iterable[str],
        fields: Mapping[str, Any] | None = None,
        actor_agent: str | None = None,
        now: Timestamp,
    ) -> Outcome:
        """Take transition `name`. Raises UnknownTransition, TransitionNotAvailable (with the ones that
        are), TransitionForbidden (naming the roles that may), MissingFields (naming each) or
        InvalidTicket (a bad field value). Nothing changes when it raises."""
        spec = self.transitions.get(name)
        if spec is None:
            raise UnknownTransition(
                f"{self.type.value} tickets have no transition {name!r} "
                f"(known: {', '.join(self.transitions)})",
                {"transition": name},
            )
        if not self._leaves(spec, ticket.state):
            possible = [t.name for t in self.available(ticket.state)]
            raise TransitionNotAvailable(
                f"ticket {ticket.id!r} is {ticket.state!r}: {name!r} is not possible from there "
                f"(possible: {', '.join(possible) or 'none'})",
                {"transition": name, "state": ticket.state, "available": possible},
            )
        given_roles = set(roles)
        if not given_roles & set(spec.roles):
            raise TransitionForbidden(
                f"transition {name!r} is for {', '.join(spec.roles)}; "
                f"you act as {', '.join(sorted(given_roles)) or 'no ticket role'}",
                {"transition": name, "roles": list(spec.roles)},
            )
        changed = self.check_fields(fields or {})
        merged = {**ticket.fields, **changed}
        missing = [f for f in spec.requires if merged.get(f) is None]
        if missing:
            raise MissingFields(
                f"transition {name!r} requires {', '.join(missing)}",
                {"transition": name, "missing": missing},
            )
        target = spec.to
        if target == PREVIOUS:
            if ticket.previous_state is None:
                raise TransitionNotAvailable(
                    f"ticket {ticket.id!r} has no previous state to return to", {"transition": name}
                )
            target = ticket.previous_state
        moved = ticket.with_changes(state=target, previous_state=ticket.state, fields=merged)
        effects = resolve(spec.actions, moved, actor_agent=actor_agent, now=now)
        moved = _apply(moved, effects)
        return Outcome(moved, name, ticket.state, target, changed, spec.responds, tuple(effects))


def _apply(ticket: Ticket, effects: Iterable[Effect]) -> Ticket:
    """Apply assignments and escalations (queue, priority raise) to the ticket itself."""
    for effect in effects:
        if isinstance(effect, Assigned):
            ticket = ticket.with_changes(assignment=effect.assignment)
        elif isinstance(effect, Escalated):
            if effect.queue_id is not None:
                ticket = ticket.with_changes(assignment=ticket.assignment.__class__(queue_id=effect.queue_id))
            if (
                effect.priority is not None
                and PRIORITY_RANK[effect.priority] > PRIORITY_RANK[ticket.priority]
            ):
                ticket = ticket.with_changes(priority=effect.priority)
    return ticket


def load_workflow(text: str, source: str) -> Workflow:
    """Parse and validate one workflow file; ConfigError lists every problem with its line."""
    data, lines = parse_with_lines(text, source)
    spec = validate(data, lines, WorkflowSpec, source)
    problems = list(_cross_check(spec, lines))
    if problems:
        raise ConfigError(source, problems)
    return Workflow(spec, source)


def _cross_check(spec: WorkflowSpec, lines: dict[Path, int]) -> Iterable[ConfigProblem]:
    problems_so_far = list(_references(spec, lines))
    yield from problems_so_far
    if spec.initial in spec.states and not problems_so_far:
        yield from _check_paths(spec, lambda path, reason: _problem(lines, path, reason))


def _problem(lines: dict[Path, int], path: Path, reason: str) -> ConfigProblem:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return ConfigProblem(text, reason, line_of(path, lines))


def _next_states(spec: WorkflowSpec) -> dict[str, set[str]]:
    """Where each state can go; `@previous` goes back to any state that leads into it."""
    closed = {name for name, state in spec.states.items() if state.category is StateCategory.CLOSED}
    leaving: dict[str, set[str]] = {name: set() for name in spec.states}
    for t in spec.transitions:
        sources = [s for s in spec.states if s not in closed] if t.from_ == ANY_STATE else list(t.from_)
        for source in sources:
            if t.to != PREVIOUS:
                leaving[source].add(t.to)
    for t in spec.transitions:
        if t.to == PREVIOUS:
            sources = [s for s in spec.states if s not in closed] if t.from_ == ANY_STATE else list(t.from_)
            for source in sources:
                leaving[source] |= {before for before, after in leaving.items() if source in after}
    return leaving


def _check_paths(spec: WorkflowSpec, problem: Any) -> Iterable[ConfigProblem]:
    """Every state reachable from the initial one; from every state not closed, a way to a closed one."""
    leaving = _next_states(spec)
    reached, frontier = {spec.initial}, [spec.initial]
    while frontier:
        for target in leaving[frontier.pop()] - reached:
            reached.add(target)
            frontier.append(target)
    closed = {name for name, state in spec.states.items() if state.category is StateCategory.CLOSED}
    ends, changed = set(closed), True
    while changed:
        changed = False
        for source, targets in leaving.items():
            if source not in ends and targets & ends:
                ends.add(source)
                changed = True
    for name in spec.states:
        if name not in reached:
            yield problem(("states", name), f"state {name!r} cannot be reached from {spec.initial!r}")
        elif name not in ends:
            yield problem(("states", name), f"no transitions lead from state {name!r} to a closed state")


def _references(spec: WorkflowSpec, lines: dict[Path, int]) -> Iterable[ConfigProblem]:
    states = spec.states

    def problem(path: Path, reason: str) -> ConfigProblem:
        text = ""
        for part in path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return ConfigProblem(text, reason, line_of(path, lines))

    def unknown_state(name: str) -> str:
        return f"unknown state {name!r} (states: {', '.join(states)})"

    if spec.initial not in states:
        yield problem(("initial",), unknown_state(spec.initial))
    elif states[spec.initial].category is not StateCategory.OPEN:
        yield problem(("initial",), f"the initial state {spec.initial!r} must be an open state")
    if not any(s.category is StateCategory.CLOSED for s in states.values()):
        yield problem(("states",), "no state has category closed: tickets could never be closed")
    seen: set[str] = set()
    for i, t in enumerate(spec.transitions):
        here: Path = ("transitions", i)
        if t.name in seen:
            yield problem((*here, "name"), f"transition {t.name!r} is defined twice")
        seen.add(t.name)
        if isinstance(t.from_, list):
            for j, name in enumerate(t.from_):
                if name not in states:
                    yield problem((*here, "from", j), unknown_state(name))
        if t.to != PREVIOUS and t.to not in states:
            yield problem((*here, "to"), unknown_state(t.to))
        for j, name in enumerate(t.requires):
            if name not in spec.fields:
                yield problem((*here, "requires", j), f"unknown field {name!r} (declare it under fields)")
        yield from _check_actions(spec, t.actions, (*here, "actions"), problem)
    yield from _check_actions(spec, spec.on_create, ("on_create",), problem)


def _check_actions(
    spec: WorkflowSpec, actions: list[ActionSpec], at: Path, problem: Any
) -> Iterable[ConfigProblem]:
    for k, action in enumerate(actions):
        for sub, name in action.fields_used():
            if name not in spec.fields and name != "subject":
                parts = tuple(sub.split("."))
                yield problem((*at, k, *parts), f"unknown field {name!r} (declare it under fields)")
            elif sub == "schedule_callback.at_field" and spec.fields[name].type is not FieldType.DATETIME:
                yield problem((*at, k, "schedule_callback", "at_field"), f"field {name!r} is not a datetime")
