"""The live engine as the API reads and drives it: contacts, agent sessions and real-time statistics."""

import dataclasses
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from baiying.api.schemas import KEY_PATTERN, NO_CONTROLS, Id
from baiying.application.center import CommandResult
from baiying.application.stats import LiveFigures, StatsSnapshot
from baiying.application.views import AgentStatus, ContactStatus
from baiying.routing.decisions import Decision, RouteOutDestination
from baiying.routing.model import Channel

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
"""An existing record's id (a queue, a site, an agent) named in a body."""

Text = Annotated[str, StringConstraints(pattern=NO_CONTROLS, max_length=200)]
Notes = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=4000)]  # newlines allowed
Reason = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]{1,100}$")]


def _no_nul(value: Any) -> bool:
    """Whether a JSON value holds no NUL character anywhere (PostgreSQL's JSON cannot store one)."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_no_nul(k) and _no_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_no_nul(v) for v in value)
    return True


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactCreate(_Input):
    """An inbound contact entering routing now (what every channel adapter sends)."""

    id: Id | None = Field(default=None, description="Defaults to a new random id.")
    queue: Key
    channel: Channel = Channel.VOICE
    site: Key | None = Field(default=None, description="The site the contact came in at, if any.")
    customer: Text | None = None
    language: Text | None = None
    intent: Text | None = None
    tier: Text | None = None
    region: Text | None = None
    priority: int = Field(default=0, ge=-1_000_000, le=1_000_000)
    attributes: dict[str, Any] = {}

    @model_validator(mode="after")
    def _storable(self) -> Self:
        if not _no_nul(self.attributes):
            raise ValueError("attributes may not hold NUL characters")
        return self


class TransferRequest(_Input):
    """Transfer to a queue or to an agent: give exactly one."""

    queue: Key | None = None
    agent: Key | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.queue is None) == (self.agent is None):
            raise ValueError("give exactly one of queue and agent")
        return self


class RouteOutRequest(_Input):
    """Send a waiting or ringing contact out of live routing."""

    destination: RouteOutDestination = Field(description="voicemail, ticket, callback or disconnected")
    reason: Reason | None = Field(default=None, description="Why, in words; kept with the contact.")


class CompleteRequest(_Input):
    wrap_up_code: Key | None = None
    notes: Notes | None = None


class AgentLogin(_Input):
    ready: bool = Field(default=True, description="Ready for contacts at once, else in aux 'login'.")


class AgentStateChange(_Input):
    state: Literal["ready", "aux"]
    reason: Reason | None = Field(default=None, description="Why the agent is in aux (required for aux).")

    @model_validator(mode="after")
    def _reason(self) -> Self:
        if self.state == "aux" and self.reason is None:
            raise ValueError("give a reason for aux")
        if self.state == "ready" and self.reason is not None:
            raise ValueError("a reason is for aux only")
        return self


class ForcedStateChange(_Input):
    """A supervisor's order: ready, aux with a reason, or logged out."""

    state: Literal["ready", "aux", "offline"]
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reason(self) -> Self:
        if self.state == "aux" and self.reason is None:
            raise ValueError("give a reason for aux")
        if self.state != "aux" and self.reason is not None:
            raise ValueError("a reason is for aux only")
        return self


class DecisionPublic(BaseModel):
    type: str
    contact: str | None
    agent: str | None
    explanation: str

    @classmethod
    def of(cls, decision: Decision) -> "DecisionPublic":
        contact, agent = getattr(decision, "contact_id", None), getattr(decision, "agent_id", None)
        return cls(
            type=type(decision).__name__,
            contact=str(contact) if contact is not None else None,
            agent=str(agent) if agent is not None else None,
            explanation=decision.explain(),
        )


class CommandPublic(BaseModel):
    """What a command did: when, the router's decisions and the types of the events it logged."""

    at: float
    decisions: list[DecisionPublic]
    events: list[str]

    @classmethod
    def of(cls, result: CommandResult) -> "CommandPublic":
        return cls(
            at=result.at,
            decisions=[DecisionPublic.of(d) for d in result.decisions],
            events=[type(e).__name__ for e in result.events],
        )


class ContactPublic(BaseModel):
    id: str
    queue: str
    phase: str  # waiting / offered / connected while routed; completed / abandoned / routed-out after
    arrived_at: float
    priority: int
    site: str | None  # where it waits or is handled: its first placement
    placement: list[str]
    step_index: int
    agent: str | None  # the agent it rings at or talks to
    callback: bool
    routed: bool
    channel: str
    routed_out_to: str | None = None  # routed-out: voicemail / ticket / callback / disconnected
    routed_out_reason: str | None = None  # routed-out: why ("maximum queue time 300 s", a step's timeout)

    @classmethod
    def of(cls, status: ContactStatus) -> "ContactPublic":
        return cls(**cls.fields_of(status))

    @staticmethod
    def fields_of(status: ContactStatus) -> dict[str, Any]:
        return {
            "id": status.contact_id,
            "queue": status.queue_id,
            "phase": status.state,
            "arrived_at": status.arrived_at,
            "priority": status.priority,
            "site": status.placement[0] if status.placement else None,
            "placement": list(status.placement),
            "step_index": status.step_index,
            "agent": status.agent_id,
            "callback": status.callback,
            "routed": status.routed,
            "channel": status.channel,
            "routed_out_to": status.routed_out_to,
            "routed_out_reason": status.routed_out_reason,
        }


class ContactPage(BaseModel):
    """A page of contacts, newest first; pass `next_cursor` as `cursor` for the next (null: the last)."""

    items: list[ContactPublic]
    next_cursor: str | None


class ContactCreated(ContactPublic):
    decisions: list[DecisionPublic]

    @classmethod
    def created(cls, status: ContactStatus, result: CommandResult) -> "ContactCreated":
        return cls(
            **ContactPublic.fields_of(status),  # not through a ContactPublic: the hottest route's answer
            decisions=[DecisionPublic.of(d) for d in result.decisions],
        )


class AgentPublic(BaseModel):
    id: str
    site: str
    state: str  # ready / reserved / busy / wrap-up / aux / offline
    reason: str | None
    since: float
    contacts: dict[str, str]  # contact id -> phase (reserved / active / wrap-up)

    @classmethod
    def of(cls, status: AgentStatus) -> "AgentPublic":
        return cls(
            id=status.agent_id,
            site=status.site_id,
            state=status.state,
            reason=status.reason,
            since=status.since,
            contacts=dict(status.contacts),
        )


class FiguresPublic(BaseModel):
    waiting: int
    ringing: int
    longest_wait_seconds: float | None
    agents: dict[str, int]
    today: dict[str, Any]  # the KPIs of `baiying.analytics.Kpis`
    interval: dict[str, Any]

    @classmethod
    def of(cls, figures: LiveFigures) -> "FiguresPublic":
        return cls(
            waiting=figures.waiting,
            ringing=figures.ringing,
            longest_wait_seconds=figures.longest_wait_seconds,
            agents=dict(figures.agents),
            today=dataclasses.asdict(figures.today),
            interval=dataclasses.asdict(figures.interval),
        )


class StatsPublic(BaseModel):
    """A snapshot; `total` and `queues` only for those who may read tenant-wide statistics, `sites` those
    of the caller's sites."""

    at: float
    day: str
    interval_start: float
    total: FiguresPublic | None
    queues: dict[str, FiguresPublic]
    sites: dict[str, FiguresPublic]

    @classmethod
    def of(cls, snapshot: StatsSnapshot, *, tenant_wide: bool, sites: set[str] | None) -> "StatsPublic":
        return cls(
            at=snapshot.at,
            day=snapshot.day.isoformat(),
            interval_start=snapshot.interval_start,
            total=FiguresPublic.of(snapshot.total) if tenant_wide else None,
            queues={q: FiguresPublic.of(f) for q, f in snapshot.queues.items()} if tenant_wide else {},
            sites={s: FiguresPublic.of(f) for s, f in snapshot.sites.items() if sites is None or s in sites},
        )
