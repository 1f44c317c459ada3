"""Automatic actions, as configured (`ActionSpec`, part of workflow, SLA and rule files) and as carried out
(`Effect`s: frozen dataclasses an adapter acts on).

Configured forms, one key per list item, each optionally guarded by `when`:

    - assign: {queue: experts}                     # or team: / expert: <agent id> / actor: true
    - notify: {to: customer, channel: sms, template: appointment-booked}
    - escalate: {role: complaint-manager, queue: complaint-desk}
    - create_follow_up: {type: repair, subject: "On-site visit"}
    - schedule_callback: {purpose: survey, after: 24h}       # or at_field: appointment_at, offset: -1h
      # optional queue: the live queue it is placed in when due (default: the ticket's contact's queue)
    - promote_to_knowledge: {answer_field: resolution}
      when: {field: promote_to_kb, equals: true}

`notify.to` is `customer`, `assignee`, `actor` or `role:<ticket role>`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.clock import Timestamp
from baiying.tickets.durations import parse_duration
from baiying.tickets.model import Assignment, Priority, Ticket, TicketType

TICKET_ROLES = ("agent", "expert", "supervisor", "complaint-manager", "sales", "system")
"""The roles workflows name. The API maps a user's grants to them; `system` is the automation itself."""


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    INTERNAL = "internal"  # an in-app notice to staff


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_role(name: str) -> str:
    if name not in TICKET_ROLES:
        raise ValueError(f"unknown role {name!r}; use one of {', '.join(TICKET_ROLES)}")
    return name


class AssignSpec(_Spec):
    queue: str | None = None
    team: str | None = None
    expert: str | None = None
    actor: bool = False  # the person taking the transition becomes the named expert

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.queue or self.team or self.expert or self.actor):
            raise ValueError("assign needs queue, team, expert or actor: true")
        if self.expert and self.actor:
            raise ValueError("give expert or actor: true, not both")
        return self


class NotifySpec(_Spec):
    to: str
    channel: Channel = Channel.INTERNAL
    template: str = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _recipient(cls, to: str) -> str:
        if to in ("customer", "assignee", "actor"):
            return to
        if to.startswith("role:"):
            _known_role(to.removeprefix("role:"))
            return to
        raise ValueError(f"unknown recipient {to!r}; use customer, assignee, actor or role:<role>")


class EscalateSpec(_Spec):
    role: str
    queue: str | None = None
    priority: Priority | None = None  # raise the priority to this (never lowers it)

    _role = field_validator("role")(_known_role)


class FollowUpSpec(_Spec):
    type: TicketType
    subject: str = Field(min_length=1)


class CallbackSpec(_Spec):
    purpose: str = Field(min_length=1)
    queue: str | None = Field(default=None, min_length=1)  # where it is placed; else the ticket's contact's
    after: float | None = None  # seconds after the action runs
    at_field: str | None = None  # a datetime field of the ticket ...
    offset: float = 0.0  # ... shifted by this much (negative: before)

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("offset", mode="before")
    @classmethod
    def _offset(cls, value: Any) -> Any:
        return parse_duration(value, signed=True)

    @model_validator(mode="after")
    def _when(self) -> Self:
        if (self.after is None) == (self.at_field is None):
            raise ValueError("schedule_callback needs after or at_field (one of them)")
        return self


class PromoteSpec(_Spec):
    answer_field: str = "resolution"


class WhenSpec(_Spec):
    field: str
    equals: Any = True


class ActionSpec(_Spec):
    assign: AssignSpec | None = None
    notify: NotifySpec | None = None
    escalate: EscalateSpec | None = None
    create_follow_up: FollowUpSpec | None = None
    schedule_callback: CallbackSpec | None = None
    promote_to_knowledge: PromoteSpec | None = None
    when: WhenSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [name for name in _KINDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(_KINDS)} per action (got {len(given)})")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in _KINDS if getattr(self, name) is not None)

    def fields_used(self) -> Iterable[tuple[str, str]]:
        """(sub-path, field name) of each ticket field this action reads, for cross-checking."""
        if self.when is not None:
            yield "when.field", self.when.field
        if self.schedule_callback is not None and self.schedule_callback.at_field is not None:
            yield "schedule_callback.at_field", self.schedule_callback.at_field
        if self.promote_to_knowledge is not None:
            yield "promote_to_knowledge.answer_field", self.promote_to_knowledge.answer_field


_KINDS = ("assign", "notify", "escalate", "create_follow_up", "schedule_callback", "promote_to_knowledge")


# --- effects: what an adapter carries out -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assigned:
    assignment: Assignment


@dataclass(frozen=True, slots=True)
class NotificationRequested:
    """A message to send. `recipient` is "customer", "agent:<id>", "queue:<id>", "team:<id>" or
    "role:<role>"; the adapter records it in the outbox (SMS/email adapters deliver later)."""

    recipient: str
    channel: Channel
    template: str


@dataclass(frozen=True, slots=True)
class Escalated:
    role: str
    queue_id: str | None
    priority: Priority | None


@dataclass(frozen=True, slots=True)
class FollowUpRequested:
    type: TicketType
    subject: str


@dataclass(frozen=True, slots=True)
class CallbackScheduled:
    purpose: str
    due_at: Timestamp
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class KnowledgeCandidate:
    """The ticket's answer offered to the knowledge base: `question` is the ticket's subject."""

    question: str
    answer: str


Effect = (
    Assigned | NotificationRequested | Escalated | FollowUpRequested | CallbackScheduled | KnowledgeCandidate
)


def field_time(value: Any) -> Timestamp | None:
    """A datetime field's value (ISO 8601 with a zone, as stored) as a timestamp."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def resolve(
    specs: Iterable[ActionSpec], ticket: Ticket, *, actor_agent: str | None, now: Timestamp
) -> list[Effect]:
    """The effects of `specs` on `ticket` (already in its new state) at `now`, in order.

    An action whose `when` does not hold, a callback whose time field is empty, or a promotion with no
    answer yields nothing. Assignments apply cumulatively: a later effect sees the earlier one.
    """
    effects: list[Effect] = []
    assignment = ticket.assignment
    for spec in specs:
        if spec.when is not None and ticket.fields.get(spec.when.field) != spec.when.equals:
            continue
        if spec.assign is not None:
            a = spec.assign
            expert = actor_agent if a.actor else a.expert
            assignment = Assignment(
                queue_id=a.queue if a.queue is not None else assignment.queue_id,
                team_id=a.team if a.team is not None else assignment.team_id,
                agent_id=expert if (expert is not None or a.queue or a.team) else assignment.agent_id,
            )
            effects.append(Assigned(assignment))
        elif spec.notify is not None:
            recipient = _recipient(spec.notify.to, assignment, actor_agent)
            if recipient is not None:
                effects.append(NotificationRequested(recipient, spec.notify.channel, spec.notify.template))
        elif spec.escalate is not None:
            e = spec.escalate
            if e.queue is not None:
                assignment = Assignment(queue_id=e.queue, team_id=None, agent_id=None)
            effects.append(Escalated(e.role, e.queue, e.priority))
        elif spec.create_follow_up is not None:
            effects.append(FollowUpRequested(spec.create_follow_up.type, spec.create_follow_up.subject))
        elif spec.schedule_callback is not None:
            c = spec.schedule_callback
            if c.after is not None:
                effects.append(CallbackScheduled(c.purpose, now + c.after, c.queue))
            else:
                at = field_time(ticket.fields.get(c.at_field or ""))
                if at is not None:
                    effects.append(CallbackScheduled(c.purpose, at + c.offset, c.queue))
        elif spec.promote_to_knowledge is not None:
            answer = ticket.fields.get(spec.promote_to_knowledge.answer_field)
            if isinstance(answer, str) and answer.strip():
                effects.append(KnowledgeCandidate(ticket.subject, answer))
    return effects


def _recipient(to: str, assignment: Assignment, actor_agent: str | None) -> str | None:
    if to == "customer":
        return "customer"
    if to == "actor":
        return f"agent:{actor_agent}" if actor_agent else None
    if to == "assignee":
        if assignment.agent_id:
            return f"agent:{assignment.agent_id}"
        if assignment.team_id:
            return f"team:{assignment.team_id}"
        return f"queue:{assignment.queue_id}" if assignment.queue_id else None
    return to


def effect_record(effect: Effect) -> dict[str, Any]:
    """An effect as plain JSON data: {"kind": ..., ...fields}."""
    data: Mapping[str, Any]
    if isinstance(effect, Assigned):
        data = {"kind": "assigned", **effect.assignment.as_dict()}
    elif isinstance(effect, NotificationRequested):
        data = {
            "kind": "notification",
            "recipient": effect.recipient,
            "channel": effect.channel.value,
            "template": effect.template,
        }
    elif isinstance(effect, Escalated):
        data = {
            "kind": "escalated",
            "role": effect.role,
            "queue_id": effect.queue_id,
            "priority": effect.priority.value if effect.priority else None,
        }
    elif isinstance(effect, FollowUpRequested):
        data = {"kind": "follow-up", "type": effect.type.value, "subject": effect.subject}
    elif isinstance(effect, CallbackScheduled):
        data = {"kind": "callback", "purpose": effect.purpose, "due_at": effect.due_at}
    else:
        data = {"kind": "knowledge-candidate", "question": effect.question, "answer": effect.answer}
    return dict(data)
