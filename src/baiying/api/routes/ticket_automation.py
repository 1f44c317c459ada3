"""Ticket reports and automation: the SLA attainment report, the sweep of what is due, the rules and a
per-ticket rule preview (dry run), and the outbox the notification, callback and knowledge-base adapters
read."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from baiying.accounts.policy import Action, Kind, visibility
from baiying.api.deps import CenterDep, ClockDep, SessionDep, StateDep
from baiying.api.routes.ticket_access import DeskDep, OverseerDep, readable_ticket
from baiying.api.schemas import KeyPath
from baiying.api.schemas.tickets import (
    AttainmentReport,
    AttainmentRow,
    OutboxPublic,
    PreviewRequest,
    RulePreviewPublic,
    RulePublic,
    SweepPublic,
    SweepRequest,
)
from baiying.application.callbacks import place_due_callbacks
from baiying.storage.repositories.tickets import TicketRepository
from baiying.tickets.actions import effect_record
from baiying.tickets.errors import InvalidTicket, UnknownRule

router = APIRouter(prefix="/api/tickets", tags=["tickets"])
OutboxKind = Literal["notification", "callback", "knowledge-candidate"]
OutboxStatus = Literal["pending", "done"]


@router.get("/reports/sla-attainment")
def sla_attainment(
    desk: DeskDep,
    clock: ClockDep,
    principal: OverseerDep,
    since: float | None = None,
    until: float | None = None,
) -> AttainmentReport:
    """Per SLA policy and metric: clocks fulfilled in [since, until), how many within target, and the
    breaches that fell due in the period; of the tickets of a supervisor's sites. Defaults: the 30 days
    up to and including now."""
    end = until if until is not None else clock.now()
    start = since if since is not None else end - 30 * 86400
    if start >= end:
        raise InvalidTicket(f"since ({start}) must be before until ({end})", {"field": "since"})
    scope = visibility(principal, Action.READ, Kind.STATS)
    return attainment_report(desk.tickets, start, end, until, None if scope.everything else scope.sites)


def attainment_report(
    tickets: TicketRepository,
    start: float,
    end: float,
    until: float | None,
    sites: frozenset[str] | None = None,
) -> AttainmentReport:
    """The attainment rows of [start, until) (None: no end), reported as [start, end); of the tickets
    at `sites` when given."""
    counts = tickets.sla_counts(start, until, sites)
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
    state: StateDep,
    center: CenterDep,
    principal: OverseerDep,
) -> SweepPublic:
    """Run (or with `dry_run`, show without doing) every SLA warning, breach and time rule due now, then
    place the ticket callbacks due as contacts (what the server does periodically)."""
    report = desk.sweep(clock.now(), dry_run=body.dry_run, full=body.full)
    placed: list[str] = []
    if not body.dry_run:
        session.commit()  # before the center is called: its commands take the write lock
        assert state.sessions is not None  # the center is set: the app has started
        placed = place_due_callbacks(state.sessions, center, clock.now(), tenant_id=principal.tenant_id)
    return SweepPublic(
        callbacks_placed=placed,
        now=report.now,
        dry_run=report.dry_run,
        tickets=report.tickets,
        sla_events=report.sla_events,
        firings=report.firings,
    )


@router.get("/automation/rules")
def list_rules(desk: DeskDep, _principal: OverseerDep) -> list[RulePublic]:
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
    _principal: OverseerDep,
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
    _principal: OverseerDep,
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
    principal: OverseerDep,
) -> RulePreviewPublic:
    """Dry-run one rule on one ticket: whether it matches, when it is due, what it would do."""
    row = readable_ticket(desk, principal, ticket_id)
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
