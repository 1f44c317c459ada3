"""Tickets as the API reads and writes them."""

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from baiying.api.schemas import Id, Name
from baiying.application.ticket_config import ConfigFile, ConfigVersion
from baiying.storage.ticket_tables import (
    TicketAttachmentRow,
    TicketEventRow,
    TicketOutboxRow,
    TicketRow,
)
from baiying.tickets.calendar import BusinessCalendar
from baiying.tickets.model import CommentKind, Priority, TicketType
from baiying.tickets.sla import SlaClock

Text = Annotated[
    str, StringConstraints(min_length=1, max_length=20000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
"""Free text (a description, a note, a reply): tabs and line breaks allowed, no other control characters."""
Ref = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,64}$")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketCreate(_Input):
    id: Id | None = Field(default=None, description="Leave out to have one made (tk-…).")
    type: TicketType
    subject: Name
    description: Text | None = None
    priority: Priority = Priority.NORMAL
    level: int | None = Field(default=None, description="Complaints only: 1, 2 or 3 (most serious).")
    customer_id: Ref | None = None
    site_id: Ref | None = Field(default=None, description="The site whose business hours the SLA counts.")
    tier: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,32}$")] | None = None
    fields: dict[str, Any] = Field(default_factory=dict, description="Values of the workflow's fields.")
    contact_id: Ref | None = Field(
        default=None,
        description="The contact it is recorded in; customer, tier and site default to the contact's.",
    )


class TicketUpdate(_Input):
    """Only what is given changes. A change of type, priority, level or tier re-matches the SLA policy."""

    type: TicketType | None = Field(
        default=None, description="The new type's workflow must have the ticket's state."
    )
    priority: Priority | None = None
    level: int | None = Field(default=None, description="Complaints only; null clears it.")
    tier: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,32}$")] | None = None
    subject: Name | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one of type, priority, level, tier, subject")
        for name in ("type", "priority", "tier", "subject"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class TransitionRequest(_Input):
    name: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,64}$")]
    fields: dict[str, Any] = Field(default_factory=dict)


class AssignmentRequest(_Input):
    queue_id: Ref | None = None
    team_id: Ref | None = None
    agent_id: Ref | None = Field(default=None, description="A named expert (an agent id).")

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if self.queue_id is None and self.team_id is None and self.agent_id is None:
            raise ValueError("give queue_id, team_id or agent_id")
        return self


class CommentCreate(_Input):
    kind: CommentKind = Field(description="note: internal; reply: to the customer; customer: what they wrote")
    body: Text
    message_id: Text | None = Field(
        default=None,
        description="The message the comment comes from (an email's Message-ID): posting the same message "
        "again adds nothing and returns the comment it made.",
    )


class SweepRequest(_Input):
    dry_run: bool = False
    full: bool = Field(default=False, description="Look at every open ticket (after the rules changed).")


class TicketPublic(BaseModel):
    id: str
    type: TicketType
    state: str
    category: str
    priority: Priority
    level: int | None
    customer_id: str | None
    site_id: str | None
    tier: str | None
    subject: str
    description: str
    fields: dict[str, Any]
    queue_id: str | None
    team_id: str | None
    agent_id: str | None
    parent_id: str | None
    contact_id: str | None
    created_by: str
    created_at: float
    updated_at: float
    responded_at: float | None
    closed_at: float | None
    sla_policy: str | None
    version: int
    transitions: list[str] | None = Field(
        default=None, description="The transitions the caller may take now (on a single ticket)."
    )

    @classmethod
    def of(cls, row: TicketRow, transitions: list[str] | None = None) -> "TicketPublic":
        names = [name for name in cls.model_fields if name != "transitions"]
        return cls(**{name: getattr(row, name) for name in names}, transitions=transitions)


class TicketEventPublic(BaseModel):
    sequence: int
    at: float
    actor: str
    kind: str
    data: dict[str, Any]

    @classmethod
    def of(cls, row: TicketEventRow) -> "TicketEventPublic":
        return cls(sequence=row.sequence, at=row.at, actor=row.actor, kind=row.kind, data=row.data)


class EmailQueued(BaseModel):
    notification_id: int = Field(description="The email's row in the notification outbox.")
    recipient: str
    subject: str
    status: str


class CommentAddedPublic(TicketEventPublic):
    email: EmailQueued | None = Field(
        default=None, description="A reply emailed to the customer: where, and its outbox row; else null."
    )


class OutboxPublic(BaseModel):
    id: int
    ticket_id: str
    kind: str
    recipient: str | None
    channel: str | None
    template: str | None
    payload: dict[str, Any]
    due_at: float
    cause: str
    status: str

    @classmethod
    def of(cls, row: TicketOutboxRow) -> "OutboxPublic":
        return cls(**{name: getattr(row, name) for name in cls.model_fields})


class SlaClockPublic(BaseModel):
    metric: str
    status: str
    target_seconds: float
    elapsed_seconds: float
    remaining_seconds: float
    due_at: float | None
    warned: bool
    breached: bool
    breached_at: float | None
    fulfilled_at: float | None
    met: bool | None

    @classmethod
    def of(cls, clock: SlaClock, calendar: BusinessCalendar, now: float) -> "SlaClockPublic":
        elapsed = clock.elapsed(now, calendar)
        due = clock.due_at(calendar)
        return cls(
            metric=clock.metric.value,
            status=clock.status.value,
            target_seconds=clock.target_seconds,
            elapsed_seconds=elapsed,
            remaining_seconds=clock.target_seconds - elapsed,
            due_at=due,
            warned=clock.warned,
            breached=clock.breached_at is not None or elapsed > clock.target_seconds,
            breached_at=clock.breached_at,
            fulfilled_at=clock.fulfilled_at,
            met=clock.met,
        )


class SlaStatus(BaseModel):
    ticket_id: str
    policy: str | None
    clocks: list[SlaClockPublic]


class AttainmentRow(BaseModel):
    policy: str
    metric: str
    fulfilled: int = Field(description="Clocks fulfilled in the period.")
    met: int = Field(description="Of those, within target.")
    breached: int = Field(description="Breaches that fell due in the period (answered or not).")
    attainment: float | None = Field(description="met / fulfilled; null when nothing was fulfilled.")


class AttainmentReport(BaseModel):
    since: float
    until: float
    rows: list[AttainmentRow]


class SweepPublic(BaseModel):
    now: float
    dry_run: bool
    tickets: int
    sla_events: list[dict[str, Any]]
    firings: list[dict[str, Any]]
    callbacks_placed: list[str] = Field(
        default_factory=list, description="Contacts made for the tenant's ticket callbacks now due"
    )


class PreviewRequest(_Input):
    rule_id: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,64}$")]


class RulePreviewPublic(BaseModel):
    """What the rule would do to the ticket now; nothing is changed or recorded."""

    rule_id: str
    ticket_id: str
    matches: bool
    due_at: float | None = Field(description="For a time rule: when it falls due for this ticket.")
    due: bool = Field(description="For a time rule: due by now; an event rule is never due by itself.")
    already_fired: bool
    effects: list[dict[str, Any]]


class RulePublic(BaseModel):
    id: str
    order: int
    enabled: bool
    description: str
    trigger: dict[str, Any]
    stop: bool


class AttachmentPublic(BaseModel):
    id: str
    ticket_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    uploaded_at: float

    @classmethod
    def of(cls, row: TicketAttachmentRow) -> "AttachmentPublic":
        return cls(**{name: getattr(row, name) for name in cls.model_fields})


class ConfigFileIn(_Input):
    text: Annotated[str, StringConstraints(min_length=1, max_length=200_000)] = Field(
        description="The whole YAML file."
    )


class ConfigFileSummary(BaseModel):
    name: str
    source: Literal["tenant", "default"]
    version: int = Field(description="0: the shipped file.")
    updated_by: str | None
    updated_at: float | None

    @classmethod
    def of(cls, file: ConfigFile) -> Self:
        return cls(
            name=file.name,
            source="default" if file.version == 0 else "tenant",
            version=file.version,
            updated_by=file.updated_by,
            updated_at=file.updated_at,
        )


class ConfigFilePublic(ConfigFileSummary):
    text: str
    rematched_tickets: list[str] = Field(
        default_factory=list, description="After a change of sla.yaml: open tickets put under new terms."
    )

    @classmethod
    def of(cls, file: ConfigFile, rematched: list[str] | None = None) -> Self:
        summary = ConfigFileSummary.of(file).model_dump()
        return cls(**summary, text=file.text, rematched_tickets=rematched or [])


class ConfigVersionPublic(BaseModel):
    name: str
    version: int
    text: str
    created_by: str
    created_at: float
    diff: list[str] = Field(
        description="The lines changed from the version before (the shipped file for version 1), as a "
        'unified diff without file headers: "@@ -12 +12 @@" hunks, "-" lines taken out, "+" put in.'
    )

    @classmethod
    def of(cls, version: ConfigVersion) -> "ConfigVersionPublic":
        row = version.row
        return cls(
            name=row.name,
            version=row.version,
            text=row.text,
            created_by=row.created_by,
            created_at=row.created_at,
            diff=list(version.diff),
        )
