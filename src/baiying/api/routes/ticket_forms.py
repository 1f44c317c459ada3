"""What a ticket form may offer, read from the ticket types' workflows: the types with their fields and
levels (to create a ticket), and the transitions the caller may take on a ticket now with the fields
each requires (to update one). A client shows exactly these; the server still checks every request.
"""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from baiying.api.deps import CurrentUser
from baiying.api.routes.ticket_access import ActorDep, DeskDep, readable_ticket
from baiying.api.schemas import KeyPath
from baiying.tickets.model import COMPLAINT_LEVELS, Priority, TicketType
from baiying.tickets.workflow import PREVIOUS, FieldSpec, Workflow

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


class FieldPublic(BaseModel):
    name: str
    type: str = Field(description="text, integer, boolean, datetime (ISO 8601 with offset) or choice")
    label: str
    options: list[str]
    min: int | None
    max: int | None

    @classmethod
    def of(cls, name: str, spec: FieldSpec) -> "FieldPublic":
        return cls(
            name=name,
            type=spec.type.value,
            label=spec.label,
            options=spec.options,
            min=spec.min,
            max=spec.max,
        )


class TicketTypePublic(BaseModel):
    type: TicketType
    description: str
    initial_state: str
    levels: list[int] = Field(description="The levels a ticket of the type must have one of; none: no level.")
    priorities: list[Priority]
    fields: list[FieldPublic] = Field(description="The workflow's fields, which a new ticket may set.")


class TransitionPublic(BaseModel):
    name: str
    to: str = Field(description="The state it leads to (the state before, for a transition back).")
    to_label: str
    requires: list[FieldPublic] = Field(
        description="The fields it requires that the ticket has no value for yet: the form asks for these."
    )
    responds: bool = Field(description="Taking it answers the customer (fulfils the response clocks).")


def _fields(workflow: Workflow, names: list[str]) -> list[FieldPublic]:
    return [FieldPublic.of(name, workflow.spec.fields[name]) for name in names]


@router.get("/types")
def ticket_types(desk: DeskDep, actor: ActorDep) -> list[TicketTypePublic]:
    """Every ticket type, with what a new ticket of it takes."""
    types = []
    for ticket_type in TicketType:
        workflow = desk.config.workflow(ticket_type)
        spec = workflow.spec
        types.append(
            TicketTypePublic(
                type=ticket_type,
                description=spec.description,
                initial_state=spec.initial,
                levels=list(COMPLAINT_LEVELS) if ticket_type is TicketType.COMPLAINT else [],
                priorities=list(Priority),
                fields=_fields(workflow, list(spec.fields)),
            )
        )
    return types


@router.get("/{ticket_id}/transitions")
def allowed_transitions(
    ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser, actor: ActorDep
) -> list[TransitionPublic]:
    """The transitions the caller's ticket roles may take from the ticket's state, in workflow order."""
    row = readable_ticket(desk, principal, ticket_id)
    workflow = desk.config.workflow(TicketType(row.type))
    found = []
    for transition in workflow.available(row.state, actor.roles):
        target = row.previous_state or row.state if transition.to == PREVIOUS else transition.to
        state = workflow.spec.states.get(target)
        values: dict[str, Any] = row.fields or {}
        found.append(
            TransitionPublic(
                name=transition.name,
                to=target,
                to_label=state.label if state is not None and state.label else target,
                requires=_fields(
                    workflow, [name for name in transition.requires if values.get(name) is None]
                ),
                responds=transition.responds,
            )
        )
    return found
