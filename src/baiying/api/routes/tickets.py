"""Tickets and work orders: create, read, list, take workflow transitions, assign, comment, history, SLA
status. `router` also carries the reports and automation (`ticket_automation`, first, so its fixed paths
win over `/{ticket_id}`), what ticket forms may offer (`ticket_forms`), the attachments
(`ticket_attachments`) and email replies (`ticket_email`); who may do what is in `ticket_access`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.accounts.errors import Forbidden
from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.routes import (
    ticket_attachments,
    ticket_automation,
    ticket_config,
    ticket_email,
    ticket_forms,
)
from baiying.api.routes.customer_timeline import SCREEN_POP_SECTIONS, PopContext
from baiying.api.routes.ticket_access import (
    ActorDep,
    DeskDep,
    may_see,
    public,
    readable_ticket,
    visible_sites,
)
from baiying.api.schemas import KeyPath
from baiying.api.schemas.tickets import (
    AssignmentRequest,
    CommentAddedPublic,
    CommentCreate,
    OutboxPublic,
    SlaClockPublic,
    SlaStatus,
    TicketCreate,
    TicketEventPublic,
    TicketPublic,
    TicketUpdate,
    TransitionRequest,
)
from baiying.application.tickets import NewTicket, TicketChanges
from baiying.notifications.model import Channel
from baiying.notifications.recipients import normalise_recipient
from baiying.storage.customer_tables import CustomerRow
from baiying.storage.repositories.tickets import TicketFilter
from baiying.storage.tables import AgentRow, ContactRow, SiteRow, TeamRow
from baiying.storage.ticket_tables import TicketRow
from baiying.tickets.errors import InvalidTicket
from baiying.tickets.model import Assignment, CommentKind, Priority, StateCategory, TicketType

_tickets = APIRouter(prefix="/api/tickets", tags=["tickets"])
CUSTOMER_VISIBLE = (CommentKind.REPLY.value, CommentKind.CUSTOMER.value)


@_tickets.post("", status_code=status.HTTP_201_CREATED)
def create_ticket(
    body: TicketCreate,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    actor: ActorDep,
    principal: CurrentUser,
) -> TicketPublic:
    """Record a ticket in its workflow's first state; its SLA clocks start and its actions run. Recorded
    in a contact (`contact_id`), it takes the contact's customer, tier and intake site unless given: an
    agent on a call records a lead for the enterprise sales team with its id alone."""
    customer_id, tier, site_id = body.customer_id, body.tier, body.site_id
    if body.contact_id is not None:
        contact = session.get(ContactRow, (principal.tenant_id, body.contact_id))
        if contact is None:
            raise InvalidTicket(f"no contact {body.contact_id!r}", {"field": "contact_id"})
        customer_id = customer_id or contact.customer_id
        tier = tier or contact.tier
        site_id = site_id or contact.intake_site_id
    if (
        site_id is not None
        and session.get(SiteRow, {"tenant_id": principal.tenant_id, "id": site_id}) is None
    ):
        raise InvalidTicket(f"no site {site_id!r}", {"field": "site_id"})
    new = NewTicket(
        type=body.type,
        subject=body.subject,
        description=body.description or "",
        priority=body.priority,
        level=body.level,
        customer_id=customer_id,
        site_id=site_id,
        tier=tier,
        fields=body.fields,
        id=body.id,
        contact_id=body.contact_id,
    )
    row = desk.create(actor, new, clock.now())
    if not may_see(principal, row):
        raise Forbidden(f"user {principal.login!r} may not create tickets at site {row.site_id!r}")
    session.commit()
    return public(desk, row, actor)


@_tickets.get("")
def list_tickets(
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
    type: TicketType | None = None,
    state: Annotated[str | None, Query(max_length=64)] = None,
    category: StateCategory | None = None,
    priority: Priority | None = None,
    level: Annotated[int | None, Query(ge=1, le=3)] = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    queue_id: Annotated[str | None, Query(max_length=64)] = None,
    team_id: Annotated[str | None, Query(max_length=64)] = None,
    agent_id: Annotated[str | None, Query(max_length=64)] = None,
    contact_id: Annotated[str | None, Query(max_length=64)] = None,
    open: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[TicketPublic]:
    """Tickets the caller may read, newest first, filtered by any of the query parameters."""
    where = TicketFilter(
        type=type.value if type else None,
        state=state,
        category=category.value if category else None,
        priority=priority.value if priority else None,
        level=level,
        customer_id=customer_id,
        site_id=site_id,
        queue_id=queue_id,
        team_id=team_id,
        agent_id=agent_id,
        contact_id=contact_id,
        open_only=open,
        sites=visible_sites(principal),  # in the query, so pages are full
    )
    return [TicketPublic.of(row) for row in desk.tickets.search(where, limit=limit, offset=offset)]


@_tickets.get("/{ticket_id}")
def get_ticket(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser, actor: ActorDep) -> TicketPublic:
    """The ticket, with the transitions the caller may take now."""
    return public(desk, readable_ticket(desk, principal, ticket_id), actor)


@_tickets.patch("/{ticket_id}")
def update_ticket(
    ticket_id: KeyPath,
    body: TicketUpdate,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
) -> TicketPublic:
    """Change type, priority, complaint level, tier or subject. When another SLA policy matches, the
    running clocks keep the business time counted and take its targets (`sla-rematched` in the history);
    409 if the new type's workflow lacks the ticket's state, 422 for a level that does not fit the type."""
    readable_ticket(desk, principal, ticket_id)
    changes = TicketChanges(
        type=body.type,
        priority=body.priority,
        level=body.level,
        level_given="level" in body.model_fields_set,
        tier=body.tier,
        subject=body.subject,
    )
    row = desk.update(actor, ticket_id, changes, clock.now())
    session.commit()
    return public(desk, row, actor)


@_tickets.post("/{ticket_id}/transitions")
def take_transition(
    ticket_id: KeyPath,
    body: TransitionRequest,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
) -> TicketPublic:
    """Take a workflow transition: 409 if not possible from the ticket's state, 403 if none of the
    caller's roles may, 422 naming missing or invalid fields."""
    readable_ticket(desk, principal, ticket_id)
    row = desk.transition(actor, ticket_id, body.name, body.fields, clock.now())
    session.commit()
    return public(desk, row, actor)


@_tickets.put("/{ticket_id}/assignment")
def assign(
    ticket_id: KeyPath,
    body: AssignmentRequest,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
) -> TicketPublic:
    """Assign to a queue, a team and/or a named expert (an agent); fields left out are cleared."""
    readable_ticket(desk, principal, ticket_id)
    tenant = principal.tenant_id
    if body.team_id is not None and session.get(TeamRow, {"tenant_id": tenant, "id": body.team_id}) is None:
        raise InvalidTicket(f"no team {body.team_id!r}", {"field": "team_id"})
    if (
        body.agent_id is not None
        and session.get(AgentRow, {"tenant_id": tenant, "id": body.agent_id}) is None
    ):
        raise InvalidTicket(f"no agent {body.agent_id!r}", {"field": "agent_id"})
    assignment = Assignment(body.queue_id, body.team_id, body.agent_id)
    row = desk.assign(actor, ticket_id, assignment, clock.now())
    session.commit()
    return public(desk, row, actor)


@_tickets.post("/{ticket_id}/comments", status_code=status.HTTP_201_CREATED)
def add_comment(
    ticket_id: KeyPath,
    body: CommentCreate,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
) -> CommentAddedPublic:
    """An internal note, a reply to the customer, or what the customer wrote; once per `message_id`. A
    reply on a ticket with a customer email address (the one it came from, else the customer's) is also
    emailed through the outbox, as `POST .../email-replies` does; `email` says where (null: recorded only)."""
    row = readable_ticket(desk, principal, ticket_id)
    address = None
    if body.kind is CommentKind.REPLY:
        address = ticket_email.reply_address(session, principal.tenant_id, row)
        if address is not None:
            address = normalise_recipient(Channel.EMAIL, address)  # a bad address records nothing
    now = clock.now()
    sequence = desk.comment(actor, ticket_id, body.kind, body.body, now, message_id=body.message_id)
    email = None
    if address is not None:
        email = ticket_email.queue_reply_email(
            session, principal.tenant_id, row, sequence, body.body, address, None, now
        )
    session.commit()
    event = next(e for e in desk.tickets.history(ticket_id) if e.sequence == sequence)
    return CommentAddedPublic(**TicketEventPublic.of(event).model_dump(), email=email)


@_tickets.get("/{ticket_id}/comments")
def list_comments(
    ticket_id: KeyPath,
    desk: DeskDep,
    principal: CurrentUser,
    customer_visible: bool = False,
) -> list[TicketEventPublic]:
    """Notes, replies and customer messages in order; `customer_visible` leaves out internal notes."""
    readable_ticket(desk, principal, ticket_id)
    kinds = list(CUSTOMER_VISIBLE) if customer_visible else [kind.value for kind in CommentKind]
    return [TicketEventPublic.of(e) for e in desk.tickets.history(ticket_id, kinds)]


@_tickets.get("/{ticket_id}/history")
def history(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser) -> list[TicketEventPublic]:
    """Every change, in order: who, when, what, with the values before and after."""
    readable_ticket(desk, principal, ticket_id)
    return [TicketEventPublic.of(e) for e in desk.tickets.history(ticket_id)]


@_tickets.get("/{ticket_id}/outbox")
def outbox(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser) -> list[OutboxPublic]:
    """Notifications, callbacks and knowledge-base candidates the ticket's actions requested."""
    readable_ticket(desk, principal, ticket_id)
    return [OutboxPublic.of(row) for row in desk.tickets.outbox(ticket_id)]


@_tickets.get("/{ticket_id}/sla")
def sla_status(ticket_id: KeyPath, desk: DeskDep, clock: ClockDep, principal: CurrentUser) -> SlaStatus:
    """Each SLA clock: status, business time elapsed and remaining, due moment, breach."""
    row = readable_ticket(desk, principal, ticket_id)
    book = desk.clocks(row)
    if book is None:
        return SlaStatus(ticket_id=ticket_id, policy=None, clocks=[])
    now = clock.now()
    return SlaStatus(
        ticket_id=ticket_id,
        policy=book.policy.name,
        clocks=[SlaClockPublic.of(c, book.calendar, now) for c in book.clocks.values()],
    )


router = APIRouter()
router.include_router(ticket_automation.router)
router.include_router(ticket_forms.router)  # before `/{ticket_id}`, as `/types` is a fixed path
router.include_router(_tickets)
router.include_router(ticket_attachments.router)
router.include_router(ticket_email.router)
router.include_router(ticket_config.router)


OPEN_TICKETS_IN_POP = 5


def open_tickets_section(
    session: Session, tenant_id: str, customer: CustomerRow, pop: PopContext
) -> list[dict[str, Any]]:
    """The screen pop's "open_tickets": the customer's tickets not closed, most recently changed first."""
    rows = session.scalars(
        select(TicketRow)
        .where(
            TicketRow.tenant_id == tenant_id,
            TicketRow.customer_id == customer.id,
            TicketRow.category != "closed",
        )
        .order_by(TicketRow.updated_at.desc(), TicketRow.id)
        .limit(OPEN_TICKETS_IN_POP)
    )
    return [
        {
            "id": row.id,
            "type": row.type,
            "subject": row.subject,
            "state": row.state,
            "priority": row.priority,
            "level": row.level,
            "created_at": row.created_at,
            "next_due_at": row.next_due_at,
        }
        for row in rows
    ]


SCREEN_POP_SECTIONS["open_tickets"] = open_tickets_section
