"""The ticket vocabulary: types, priorities, complaint levels, assignment, and the ticket's core state."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

from baiying.clock import Timestamp
from baiying.tickets.errors import InvalidTicket


class TicketType(StrEnum):
    CONSULTATION = "consultation"
    COMPLAINT = "complaint"
    REPAIR = "repair"
    LEAD = "lead"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_RANK: Final[Mapping[Priority, int]] = {p: rank for rank, p in enumerate(Priority)}
COMPLAINT_LEVELS: Final = (1, 2, 3)  # 3 is the most serious (e.g. threatened regulator complaint)


class StateCategory(StrEnum):
    """What a workflow state means to the SLA clocks and to reports."""

    OPEN = "open"  # someone on our side must act; clocks run
    WAITING = "waiting"  # waiting on the customer or a third party; clocks pause
    RESOLVED = "resolved"  # solved; the resolution clock is fulfilled
    CLOSED = "closed"  # done; nothing more may run


class CommentKind(StrEnum):
    NOTE = "note"  # internal, never shown to the customer
    REPLY = "reply"  # customer-visible answer from our side
    CUSTOMER = "customer"  # what the customer wrote or said (starts the next-response clock)


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who works on a ticket: a queue, a team and/or a named expert (an agent id). All None: nobody."""

    queue_id: str | None = None
    team_id: str | None = None
    agent_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"queue_id": self.queue_id, "team_id": self.team_id, "agent_id": self.agent_id}


def check_level(ticket_type: TicketType, level: int | None) -> None:
    """Complaints carry a level 1-3; other types none. Raises InvalidTicket."""
    if ticket_type is TicketType.COMPLAINT:
        if level is None:
            raise InvalidTicket("a complaint needs a level (1, 2 or 3)", {"field": "level"})
        if level not in COMPLAINT_LEVELS:
            raise InvalidTicket(f"complaint level {level} is not 1, 2 or 3", {"field": "level"})
    elif level is not None:
        raise InvalidTicket(
            f"only complaints have a level; a {ticket_type.value} ticket has none", {"field": "level"}
        )


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the workflow engine needs of a ticket. `fields` holds the workflow's declared fields
    (resolution, appointment time, ...); `previous_state` is where a `@previous` transition returns to."""

    id: str
    type: TicketType
    state: str
    priority: Priority = Priority.NORMAL
    level: int | None = None
    customer_id: str | None = None
    site_id: str | None = None
    tier: str | None = None
    subject: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    assignment: Assignment = field(default_factory=Assignment)
    previous_state: str | None = None
    created_at: Timestamp = 0.0

    def with_changes(self, **changes: Any) -> "Ticket":
        return replace(self, **changes)
