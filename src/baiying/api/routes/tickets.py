"""Tickets and work orders: create, read, list, take workflow transitions, assign, comment, history, SLA
status, the SLA attainment report and the automation sweep.

Who may do what: admins, supervisors (tickets of their site, or of no site; a supervisor of every site
sees all) and agents (every ticket of the tenant: they serve any customer) read and work on tickets;
which workflow transitions each may take is the workflow's business. The ticket roles a user acts as:
admin, every role but `system`; supervisor, `supervisor`; agent, `agent` plus the roles listed in the
agent record's `attributes.ticket_roles` (e.g. `["expert"]`, `["complaint-manager"]`, `["sales"]`). The
SLA report and the sweep are for admins and supervisors.
"""

from collections import defaultdict
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from baiying.accounts.errors import Forbidden
from baiying.accounts.principal import Principal
from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.schemas import KeyPath
from baiying.api.schemas.tickets import (
    AssignmentRequest,
    AttachmentPublic,
    AttainmentReport,
    AttainmentRow,
    CommentCreate,
    OutboxPublic,
    PreviewRequest,
    RulePreviewPublic,
    RulePublic,
    SlaClockPublic,
    SlaStatus,
    SweepPublic,
    SweepRequest,
    TicketCreate,
    TicketEventPublic,
    TicketPublic,
    TransitionRequest,
)
from baiying.application.tickets import Actor, NewTicket, TicketDesk
from baiying.storage.repositories.tickets import TicketFilter
from baiying.storage.tables import AgentRow, Role, SiteRow, TeamRow
from baiying.storage.ticket_attachments import AttachmentStore, LocalAttachmentStore
from baiying.storage.ticket_tables import TicketRow
from baiying.tickets.actions import TICKET_ROLES, effect_record
from baiying.tickets.attachments import AttachmentPolicy
from baiying.tickets.bundled import default_config
from baiying.tickets.errors import InvalidTicket, UnknownRule
from baiying.tickets.model import Assignment, CommentKind, Priority, StateCategory, TicketType
from baiying.tickets.sla import SlaEventKind

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
OutboxKind = Literal["notification", "callback", "knowledge-candidate"]
OutboxStatus = Literal["pending", "done"]
CUSTOMER_VISIBLE = (CommentKind.REPLY.value, CommentKind.CUSTOMER.value)


def _actor(session: SessionDep, principal: CurrentUser) -> Actor:
    roles: set[str] = set()
    agent_id = None
    for grant in principal.grants:
        if grant.role is Role.ADMIN:
            roles |= {role for role in TICKET_ROLES if role != "system"}
        elif grant.role is Role.SUPERVISOR:
            roles.add("supervisor")
        elif grant.role is Role.AGENT and grant.agent_id is not None:
            roles.add("agent")
            agent_id = grant.agent_id
            agent = session.get(AgentRow, {"tenant_id": principal.tenant_id, "id": grant.agent_id})
            extra = (agent.attributes or {}).get("ticket_roles", []) if agent is not None else []
            roles |= {role for role in extra if role in TICKET_ROLES and role != "system"}
    if not roles:
        raise Forbidden(f"user {principal.login!r} may not work on tickets", {"kind": "ticket"})
    return Actor(principal.user_id, frozenset(roles), agent_id)


ActorDep = Annotated[Actor, Depends(_actor)]


def _may_see(principal: Principal, row: TicketRow) -> bool:
    for grant in principal.grants:
        if grant.role in (Role.ADMIN, Role.AGENT):
            return True
        if grant.role is Role.SUPERVISOR and (
            grant.site_id is None or row.site_id is None or grant.site_id == row.site_id
        ):
            return True
    return False


def _desk(session: SessionDep, principal: CurrentUser) -> TicketDesk:
    return TicketDesk(session, principal.tenant_id, default_config())


DeskDep = Annotated[TicketDesk, Depends(_desk)]


def _ticket(desk: TicketDesk, principal: Principal, ticket_id: str) -> TicketRow:
    row = desk.tickets.get(ticket_id)
    if not _may_see(principal, row):
        raise Forbidden(
            f"user {principal.login!r} may not read ticket {ticket_id!r}", {"kind": "ticket", "id": ticket_id}
        )
    return row


def _overseer(principal: CurrentUser) -> Principal:
    if not principal.roles & {Role.ADMIN, Role.SUPERVISOR}:
        raise Forbidden(
            f"user {principal.login!r} may not run ticket reports or automation", {"kind": "ticket"}
        )
    return principal


def _public(desk: TicketDesk, row: TicketRow, actor: Actor) -> TicketPublic:
    workflow = desk.config.workflow(TicketType(row.type))
    return TicketPublic.of(row, [t.name for t in workflow.available(row.state, actor.roles)])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_ticket(
    body: TicketCreate,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    actor: ActorDep,
    principal: CurrentUser,
) -> TicketPublic:
    """Record a ticket in its workflow's first state; its SLA clocks start and its actions run."""
    if (
        body.site_id is not None
        and session.get(SiteRow, {"tenant_id": principal.tenant_id, "id": body.site_id}) is None
    ):
        raise InvalidTicket(f"no site {body.site_id!r}", {"field": "site_id"})
    new = NewTicket(
        type=body.type,
        subject=body.subject,
        description=body.description or "",
        priority=body.priority,
        level=body.level,
        customer_id=body.customer_id,
        site_id=body.site_id,
        tier=body.tier,
        fields=body.fields,
        id=body.id,
    )
    row = desk.create(actor, new, clock.now())
    if not _may_see(principal, row):
        raise Forbidden(f"user {principal.login!r} may not create tickets at site {row.site_id!r}")
    session.commit()
    return _public(desk, row, actor)


@router.get("")
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
        open_only=open,
    )
    rows = desk.tickets.search(where, limit=limit, offset=offset)
    return [TicketPublic.of(row) for row in rows if _may_see(principal, row)]


@router.get("/reports/sla-attainment")
def sla_attainment(
    desk: DeskDep,
    clock: ClockDep,
    _principal: Annotated[Principal, Depends(_overseer)],
    since: float | None = None,
    until: float | None = None,
) -> AttainmentReport:
    """Per SLA policy and metric: clocks fulfilled in [since, until), how many within target, and the
    breaches that fell due in the period. Defaults: the 30 days up to and including now."""
    end = until if until is not None else clock.now()
    start = since if since is not None else end - 30 * 86400
    if start >= end:
        raise InvalidTicket(f"since ({start}) must be before until ({end})", {"field": "since"})
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    kinds = [SlaEventKind.FULFILLED.value, SlaEventKind.BREACHED.value]
    for event in desk.tickets.events_between(kinds, start, until):
        key = (str(event.data.get("policy")), str(event.data.get("metric")))
        if event.kind == SlaEventKind.FULFILLED.value:
            counts[key][0] += 1
            counts[key][1] += 1 if event.data.get("met") else 0
        else:
            counts[key][2] += 1
    rows = [
        AttainmentRow(
            policy=policy,
            metric=metric,
            fulfilled=fulfilled,
            met=met,
            breached=breached,
            attainment=met / fulfilled if fulfilled else None,
        )
        for (policy, metric), (fulfilled, met, breached) in sorted(counts.items())
    ]
    return AttainmentReport(since=start, until=end, rows=rows)


@router.post("/automation/sweep")
def sweep(
    body: SweepRequest,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    _principal: Annotated[Principal, Depends(_overseer)],
) -> SweepPublic:
    """Run (or with `dry_run`, show without doing) every SLA warning, breach and time rule due now."""
    report = desk.sweep(clock.now(), dry_run=body.dry_run)
    if not body.dry_run:
        session.commit()
    return SweepPublic(
        now=report.now,
        dry_run=report.dry_run,
        tickets=report.tickets,
        sla_events=report.sla_events,
        firings=report.firings,
    )


@router.get("/automation/rules")
def list_rules(desk: DeskDep, _principal: Annotated[Principal, Depends(_overseer)]) -> list[RulePublic]:
    """The automation rules in the order they run (disabled ones included, marked)."""
    rules = sorted(desk.config.rules.by_id.values(), key=lambda rule: rule.order)
    return [
        RulePublic(
            id=rule.id,
            order=rule.order,
            enabled=rule.enabled,
            description=rule.description,
            trigger=rule.trigger.model_dump(mode="json", exclude_none=True),
            stop=rule.stop,
        )
        for rule in rules
    ]


@router.get("/outbox")
def list_outbox(
    desk: DeskDep,
    clock: ClockDep,
    _principal: Annotated[Principal, Depends(_overseer)],
    kind: Annotated[OutboxKind | None, Query()] = None,
    status: Annotated[OutboxStatus | None, Query()] = "pending",
    due: Annotated[bool, Query(description="Only entries due by now.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OutboxPublic]:
    """Requests waiting for an adapter: notifications to send, callbacks to make, answers offered to the
    knowledge base (`kind=knowledge-candidate`). Oldest first."""
    rows = desk.tickets.outbox(kind=kind, status=status, due_by=clock.now() if due else None, limit=limit)
    return [OutboxPublic.of(row) for row in rows]


@router.post("/outbox/{entry_id}/done")
def outbox_done(
    entry_id: int,
    session: SessionDep,
    desk: DeskDep,
    _principal: Annotated[Principal, Depends(_overseer)],
) -> OutboxPublic:
    """Mark a request as carried out (idempotent)."""
    row = desk.tickets.outbox_entry(entry_id)
    row.status = "done"
    session.commit()
    return OutboxPublic.of(row)


@router.post("/{ticket_id}/automation/preview")
def preview_rule(
    ticket_id: KeyPath,
    body: PreviewRequest,
    desk: DeskDep,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(_overseer)],
) -> RulePreviewPublic:
    """Dry-run one rule on one ticket: whether it matches, when it is due, what it would do."""
    row = _ticket(desk, principal, ticket_id)
    if body.rule_id not in desk.config.rules.by_id:
        known = ", ".join(desk.config.rules.by_id)
        raise UnknownRule(f"no automation rule {body.rule_id!r} (rules: {known})", {"field": "rule_id"})
    now = clock.now()
    preview = desk.config.rules.preview(body.rule_id, desk.subject(row), now, desk.tickets.fired(ticket_id))
    return RulePreviewPublic(
        rule_id=preview.rule_id,
        ticket_id=ticket_id,
        matches=preview.matches,
        due_at=preview.due_at,
        due=preview.matches and preview.due_at is not None and preview.due_at <= now,
        already_fired=preview.already_fired,
        effects=[effect_record(effect) for effect in preview.effects],
    )


@router.get("/{ticket_id}")
def get_ticket(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser, actor: ActorDep) -> TicketPublic:
    """The ticket, with the transitions the caller may take now."""
    return _public(desk, _ticket(desk, principal, ticket_id), actor)


@router.post("/{ticket_id}/transitions")
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
    _ticket(desk, principal, ticket_id)
    row = desk.transition(actor, ticket_id, body.name, body.fields, clock.now())
    session.commit()
    return _public(desk, row, actor)


@router.put("/{ticket_id}/assignment")
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
    _ticket(desk, principal, ticket_id)
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
    return _public(desk, row, actor)


@router.post("/{ticket_id}/comments", status_code=status.HTTP_201_CREATED)
def add_comment(
    ticket_id: KeyPath,
    body: CommentCreate,
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
) -> TicketEventPublic:
    """An internal note, a reply to the customer, or what the customer wrote."""
    _ticket(desk, principal, ticket_id)
    sequence = desk.comment(actor, ticket_id, body.kind, body.body, clock.now())
    session.commit()
    event = next(e for e in desk.tickets.history(ticket_id) if e.sequence == sequence)
    return TicketEventPublic.of(event)


@router.get("/{ticket_id}/comments")
def list_comments(
    ticket_id: KeyPath,
    desk: DeskDep,
    principal: CurrentUser,
    customer_visible: bool = False,
) -> list[TicketEventPublic]:
    """Notes, replies and customer messages in order; `customer_visible` leaves out internal notes."""
    _ticket(desk, principal, ticket_id)
    kinds = list(CUSTOMER_VISIBLE) if customer_visible else [kind.value for kind in CommentKind]
    return [TicketEventPublic.of(e) for e in desk.tickets.history(ticket_id, kinds)]


@router.get("/{ticket_id}/history")
def history(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser) -> list[TicketEventPublic]:
    """Every change, in order: who, when, what, with the values before and after."""
    _ticket(desk, principal, ticket_id)
    return [TicketEventPublic.of(e) for e in desk.tickets.history(ticket_id)]


@router.get("/{ticket_id}/outbox")
def outbox(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser) -> list[OutboxPublic]:
    """Notifications, callbacks and knowledge-base candidates the ticket's actions requested."""
    _ticket(desk, principal, ticket_id)
    return [OutboxPublic.of(row) for row in desk.tickets.outbox(ticket_id)]


@router.get("/{ticket_id}/sla")
def sla_status(ticket_id: KeyPath, desk: DeskDep, clock: ClockDep, principal: CurrentUser) -> SlaStatus:
    """Each SLA clock: status, business time elapsed and remaining, due moment, breach."""
    row = _ticket(desk, principal, ticket_id)
    book = desk.clocks(row)
    if book is None:
        return SlaStatus(ticket_id=ticket_id, policy=None, clocks=[])
    now = clock.now()
    return SlaStatus(
        ticket_id=ticket_id,
        policy=book.policy.name,
        clocks=[SlaClockPublic.of(c, book.calendar, now) for c in book.clocks.values()],
    )


def _attachment_store(request: Request) -> AttachmentStore:
    """The app's store (`app.state.ticket_attachments`), else files under $BAIYING_ATTACHMENTS_DIR or
    var/attachments."""
    store: AttachmentStore | None = getattr(request.app.state, "ticket_attachments", None)
    return store if store is not None else LocalAttachmentStore.from_environment()


def _attachment_policy(request: Request) -> AttachmentPolicy:
    policy: AttachmentPolicy | None = getattr(request.app.state, "ticket_attachment_policy", None)
    return policy if policy is not None else AttachmentPolicy()


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/{ticket_id}/attachments", status_code=status.HTTP_201_CREATED)
def add_attachment(
    ticket_id: KeyPath,
    filename: Annotated[str, Query(min_length=1, max_length=200, description="The file's name.")],
    data: Annotated[bytes, Depends(_raw_body)],
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
    store: Annotated[AttachmentStore, Depends(_attachment_store)],
    policy: Annotated[AttachmentPolicy, Depends(_attachment_policy)],
    content_type: Annotated[str | None, Header()] = None,
) -> AttachmentPublic:
    """Attach a file: the request body is the file, `Content-Type` its type. 413 over the size cap, 415
    for a type not accepted or content that is not of the declared type."""
    _ticket(desk, principal, ticket_id)
    row = desk.attach(actor, ticket_id, filename, content_type, data, clock.now(), store=store, policy=policy)
    session.commit()
    return AttachmentPublic.of(row)


@router.get("/{ticket_id}/attachments")
def list_attachments(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser) -> list[AttachmentPublic]:
    _ticket(desk, principal, ticket_id)
    return [AttachmentPublic.of(row) for row in desk.tickets.attachments(ticket_id)]


@router.get("/{ticket_id}/attachments/{attachment_id}", response_class=Response)
def download_attachment(
    ticket_id: KeyPath,
    attachment_id: KeyPath,
    desk: DeskDep,
    principal: CurrentUser,
    store: Annotated[AttachmentStore, Depends(_attachment_store)],
) -> Response:
    """The file's bytes, with its content type, as a download."""
    _ticket(desk, principal, ticket_id)
    row = desk.tickets.attachment(ticket_id, attachment_id)
    disposition = f"attachment; filename*=UTF-8''{quote(row.filename)}"
    return Response(
        store.get(row.storage_key),
        media_type=row.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
