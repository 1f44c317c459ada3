"""The ticket desk: the core's workflows, SLA clocks and rules applied to stored tickets.

Every change appends events to the ticket's history (who, when, what, before/after) and writes the
requests its actions make (notifications, callbacks, knowledge-base candidates) to the outbox, in the
caller's transaction: the caller commits once, so a change, its history and its requests are stored
together or not at all. SLA events trigger the policy's warning and breach actions; events and time
trigger the automation rules, each cause at most once (its firing is a row with the cause as key).
Effects of automation do not trigger further rules.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import uuid4

from sqlalchemy.orm import Session

from baiying.application.ticket_config import tenant_config
from baiying.care.caps import ContactCap, exceeded, longest_period
from baiying.care.offers import bundled_offer_purposes
from baiying.clock import Timestamp
from baiying.storage.repositories.care_caps import CALLBACK_PURPOSES, care_contacts, contact_caps
from baiying.storage.repositories.tickets import TicketRepository, outbox_row, tenants_due, to_ticket
from baiying.storage.ticket_attachments import AttachmentStore
from baiying.storage.ticket_tables import TicketAttachmentRow, TicketRow
from baiying.tickets.actions import (
    Assigned,
    CallbackScheduled,
    Effect,
    Escalated,
    FollowUpRequested,
    KnowledgeCandidate,
    NotificationRequested,
    effect_record,
    resolve,
)
from baiying.tickets.attachments import AttachmentPolicy
from baiying.tickets.config import TicketConfig
from baiying.tickets.errors import InvalidTicket, TicketChangeConflict
from baiying.tickets.model import (
    PRIORITY_RANK,
    Assignment,
    CommentKind,
    Priority,
    StateCategory,
    Ticket,
    TicketType,
    check_level,
)
from baiying.tickets.rules import Firing, RuleEvent, Subject
from baiying.tickets.sla import PolicySpec, SlaClocks, SlaEvent, SlaEventKind

SYSTEM: Final = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user id (or "system"), the ticket roles they act as, the agent record they work as."""

    user_id: str
    roles: frozenset[str]
    agent_id: str | None = None


SYSTEM_ACTOR: Final = Actor(SYSTEM, frozenset({SYSTEM}))


@dataclass(frozen=True, slots=True)
class NewTicket:
    type: TicketType
    subject: str
    description: str = ""
    priority: Priority = Priority.NORMAL
    level: int | None = None
    customer_id: str | None = None
    site_id: str | None = None
    tier: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None
    contact_id: str | None = None  # the contact it was recorded in


@dataclass(frozen=True, slots=True)
class TicketChanges:
    """What to change on a ticket; None leaves a value as it is, except `level`, which is changed when
    `level_given` (a complaint turned consultation drops its level)."""

    type: TicketType | None = None
    priority: Priority | None = None
    level: int | None = None
    level_given: bool = False
    tier: str | None = None
    subject: str | None = None


@dataclass
class SweepReport:
    """What a sweep did (or, dry, would do) per ticket."""

    now: Timestamp
    dry_run: bool
    tickets: int = 0
    sla_events: list[dict[str, Any]] = field(default_factory=list)
    firings: list[dict[str, Any]] = field(default_factory=list)


class TicketDesk:
    def __init__(self, session: Session, tenant_id: str, config: TicketConfig) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.config = config
        self.tickets = TicketRepository(session, tenant_id)
        self.fired_log: list[dict[str, Any]] = []  # every rule firing carried out, for reports
        self._caps: tuple[ContactCap, ...] | None = None  # the tenant's contact caps, read when first needed

    # --- commands ------------------------------------------------------------------------------------

    def create(
        self, actor: Actor, new: NewTicket, now: Timestamp, *, parent_id: str | None = None
    ) -> TicketRow:
        """Record a new ticket in its workflow's initial state, start its SLA clocks, run its actions."""
        check_level(new.type, new.level)
        ticket_id = new.id or f"tk-{uuid4().hex[:12]}"
        if self.tickets.find(ticket_id) is not None:
            raise InvalidTicket(f"ticket {ticket_id!r} already exists", {"id": ticket_id})
        workflow = self.config.workflow(new.type)
        draft = Ticket(
            id=ticket_id,
            type=new.type,
            state="",
            priority=new.priority,
            level=new.level,
            customer_id=new.customer_id,
            site_id=new.site_id,
            tier=new.tier,
            subject=new.subject,
            fields=dict(new.fields),
            created_at=now,
        )
        outcome = workflow.create(draft, actor_agent=actor.agent_id, now=now)
        ticket = outcome.ticket
        policy = self.config.sla.policy_for(new.type, new.level, new.tier, new.priority)
        row = self.tickets.add(
            TicketRow(
                id=ticket_id,
                type=new.type.value,
                state=ticket.state,
                category=workflow.category(ticket.state).value,
                previous_state=None,
                priority=new.priority.value,
                level=new.level,
                customer_id=new.customer_id,
                site_id=new.site_id,
                tier=new.tier,
                subject=new.subject,
                description=new.description,
                fields=dict(ticket.fields),
                parent_id=parent_id,
                contact_id=new.contact_id,
                created_by=actor.user_id,
                created_at=now,
                updated_at=now,
                state_entered_at=now,
                sla_policy=policy.name if policy is not None else None,
                version=1,
            )
        )
        after = {k: v for k, v in _public(row).items() if k not in ("version",)}
        sequence = self.tickets.append(ticket_id, now, actor.user_id, "created", {"after": after})
        book = self.clocks(row)
        if book is not None:
            self._sla(row, book, book.activate(now), now)
        self._carry_out(row, outcome.effects, actor, f"event:{sequence}", now)
        self._rules_on(row, RuleEvent.CREATED, sequence, now)
        self._refresh(row, now, book)
        return row

    def transition(
        self, actor: Actor, ticket_id: str, name: str, fields: Mapping[str, Any], now: Timestamp
    ) -> TicketRow:
        row = self.tickets.get(ticket_id, for_update=True)
        workflow = self.config.workflow(TicketType(row.type))
        outcome = workflow.transition(
            to_ticket(row), name, roles=actor.roles, fields=fields, actor_agent=actor.agent_id, now=now
        )
        before_category = StateCategory(row.category)
        after_category = workflow.category(outcome.to_state)
        field_changes = {
            key: {"before": (row.fields or {}).get(key), "after": value}
            for key, value in outcome.changed_fields.items()
            if (row.fields or {}).get(key) != value
        }
        row.state, row.previous_state = outcome.to_state, outcome.from_state
        row.category = after_category.value
        row.fields = dict(outcome.ticket.fields)
        row.state_entered_at = now
        row.closed_at = now if after_category is StateCategory.CLOSED else None
        sequence = self.tickets.append(
            ticket_id,
            now,
            actor.user_id,
            "transitioned",
            {
                "transition": name,
                "before": {"state": outcome.from_state, "category": before_category.value},
                "after": {"state": outcome.to_state, "category": after_category.value},
                "fields": field_changes,
            },
        )
        book = self.clocks(row)
        if book is not None:
            # An answer that also resolves fulfils the response clocks before resolving stops them.
            events = book.responded(now) if outcome.responds else []
            events += book.state_changed(before_category, after_category, now)
            self._sla(row, book, events, now)
        if outcome.responds and row.responded_at is None:
            row.responded_at = now
        self._carry_out(row, outcome.effects, actor, f"event:{sequence}", now)
        self._rules_on(row, RuleEvent.TRANSITIONED, sequence, now, transition=name)
        self._refresh(row, now, book)
        return row

    def update(self, actor: Actor, ticket_id: str, changes: TicketChanges, now: Timestamp) -> TicketRow:
        """Change the ticket's type, priority, complaint level, tier or subject (one `updated` event with
        the values before and after). When the SLA policy that matches changes with them, the clocks are
        re-matched: they keep the business time counted and take the new policy's targets (warnings and
        breaches that follow from that are recorded and acted on at once)."""
        row = self.tickets.get(ticket_id, for_update=True)
        category = StateCategory(row.category)
        if category is StateCategory.CLOSED:
            raise InvalidTicket(f"ticket {ticket_id!r} is closed: reopen it first", {"id": ticket_id})
        new_type = changes.type or TicketType(row.type)
        level = changes.level if changes.level_given else row.level
        if changes.type is not None and changes.type.value != row.type and not changes.level_given:
            level = row.level if new_type is TicketType.COMPLAINT else None
        check_level(new_type, level)
        if new_type.value != row.type:
            workflow = self.config.workflow(new_type)
            if row.state not in workflow.spec.states or workflow.category(row.state) is not category:
                raise TicketChangeConflict(
                    f"ticket {ticket_id!r} is in state {row.state!r}, which the {new_type.value} workflow "
                    f"({workflow.source}) lacks (in category {category.value})",
                    {"field": "type", "state": row.state},
                )
        after_values = {
            "type": new_type.value,
            "priority": (changes.priority or Priority(row.priority)).value,
            "level": level,
            "tier": changes.tier if changes.tier is not None else row.tier,
            "subject": changes.subject if changes.subject is not None else row.subject,
        }
        changed = {k: v for k, v in after_values.items() if getattr(row, k) != v}
        if not changed:
            return row
        data = {"before": {k: getattr(row, k) for k in changed}, "after": changed}
        for name, value in changed.items():
            setattr(row, name, value)
        self.tickets.append(ticket_id, now, actor.user_id, "updated", data)
        policy = self.config.sla.policy_for(TicketType(row.type), row.level, row.tier, Priority(row.priority))
        if (policy.name if policy is not None else None) != row.sla_policy:
            self._rematch_sla(row, category, now, self.clocks(row))
        self._refresh(row, now, self.clocks(row))
        return row

    def rematch_all(self, previous: TicketConfig, now: Timestamp) -> list[str]:
        """After the SLA policies changed (`previous` was in force until `now`): every open ticket whose
        matching policy, or whose policy's terms or calendar, changed is re-matched as `update` does (its
        clocks keep the business time counted on the old terms). Returns the ids of those tickets."""
        old = TicketDesk(self.session, self.tenant_id, previous)
        changed = []
        for row in self.tickets.due(now, None, every_open=True):
            policy = self.config.sla.policy_for(
                TicketType(row.type), row.level, row.tier, Priority(row.priority)
            )
            before = previous.sla.by_name.get(row.sla_policy or "")
            if _same_terms(before, previous, policy, self.config):
                continue
            category = StateCategory(row.category)
            self._rematch_sla(row, category, now, old.clocks(row))
            self._refresh(row, now, self.clocks(row))
            changed.append(row.id)
        return changed

    def reindex_all(self, now: Timestamp) -> int:
        """After the automation rules changed: recompute when the sweep must next look at each open ticket
        (a time rule may now fall due sooner or later). Changes nothing else; returns how many."""
        rows = self.tickets.due(now, None, every_open=True)
        for row in rows:
            self._refresh(row, now, self.clocks(row), touch=False)
        return len(rows)

    def _rematch_sla(
        self, row: TicketRow, category: StateCategory, now: Timestamp, book: SlaClocks | None
    ) -> None:
        """Put the ticket under the policy that matches it now; `book`: its clocks under the old one."""
        policy = self.config.sla.policy_for(TicketType(row.type), row.level, row.tier, Priority(row.priority))
        if policy is None:
            if book is not None:
                self._sla(row, book, book.withdraw(now), now)
            row.sla_policy = None
            return
        calendar = self.config.sla.calendar(policy, self.tickets.site_hours(row.site_id))
        if book is None:
            book = SlaClocks(policy, calendar)
        row.sla_policy = policy.name
        responded = row.responded_at is not None
        self._sla(row, book, book.rematch(policy, calendar, now, category, responded), now)

    def assign(self, actor: Actor, ticket_id: str, assignment: Assignment, now: Timestamp) -> TicketRow:
        row = self.tickets.get(ticket_id, for_update=True)
        if StateCategory(row.category) is StateCategory.CLOSED:
            raise InvalidTicket(f"ticket {ticket_id!r} is closed: reopen it first", {"id": ticket_id})
        sequence = self._apply_assignment(row, assignment, actor.user_id, now, kind="assigned")
        self._rules_on(row, RuleEvent.ASSIGNED, sequence, now)
        self._refresh(row, now, self.clocks(row))
        return row

    def comment(
        self,
        actor: Actor,
        ticket_id: str,
        kind: CommentKind,
        body: str,
        now: Timestamp,
        *,
        message_id: str | None = None,
    ) -> int:
        """An internal note, a customer-visible reply (answers the customer: fulfils a pending first or
        next response) or the customer's own message (starts the next-response clock). A comment from a
        `message_id` already on the ticket (a redelivered email) is not added again: its sequence returns."""
        row = self.tickets.get(ticket_id, for_update=True)
        if message_id is not None:
            for earlier in self.tickets.history(ticket_id, [kind.value]):
                if earlier.data.get("message_id") == message_id:
                    return earlier.sequence
        category = StateCategory(row.category)
        if category is StateCategory.CLOSED and kind is not CommentKind.NOTE:
            raise InvalidTicket(
                f"ticket {ticket_id!r} is closed: only internal notes may be added", {"id": ticket_id}
            )
        data = {"body": body} if message_id is None else {"body": body, "message_id": message_id}
        sequence = self.tickets.append(ticket_id, now, actor.user_id, kind.value, data)
        book = self.clocks(row)
        if kind is CommentKind.REPLY:
            if book is not None:
                self._sla(row, book, book.responded(now), now)
            row.responded_at = row.responded_at or now
            self._rules_on(row, RuleEvent.REPLIED, sequence, now)
        elif kind is CommentKind.CUSTOMER:
            if book is not None:
                self._sla(row, book, book.customer_wrote(now, category), now)
            row.customer_wrote_at = now
            self._rules_on(row, RuleEvent.CUSTOMER_WROTE, sequence, now)
        self._refresh(row, now, book)
        return sequence

    def attach(
        self,
        actor: Actor,
        ticket_id: str,
        filename: str,
        content_type: str | None,
        data: bytes,
        now: Timestamp,
        *,
        store: AttachmentStore,
        policy: AttachmentPolicy,
    ) -> TicketAttachmentRow:
        """Check the file against `policy`, store its bytes, record it and an `attachment-added` event."""
        row = self.tickets.get(ticket_id, for_update=True)
        kind = policy.check(filename, content_type, data)
        attachment_id = f"at-{uuid4().hex[:12]}"
        key = f"{self.tenant_id}/{row.id}/{attachment_id}"
        attachment = TicketAttachmentRow(
            tenant_id=self.tenant_id,
            id=attachment_id,
            ticket_id=row.id,
            filename=filename,
            content_type=kind,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=key,
            uploaded_by=actor.user_id,
            uploaded_at=now,
        )
        store.put(key, data)
        self.session.add(attachment)
        details = {"id": attachment_id, "filename": filename, "content_type": kind, "size_bytes": len(data)}
        self.tickets.append(
            row.id, now, actor.user_id, "attachment-added", {**details, "sha256": attachment.sha256}
        )
        self._refresh(row, now, None if row.sla_policy is None else self.clocks(row))
        return attachment

    def sweep_ticket(self, row: TicketRow, now: Timestamp, report: SweepReport) -> None:
        """SLA warnings and breaches (with their actions and the rules they trigger), then time rules, due
        by `now` for one ticket."""
        book = self.clocks(row)
        logged = len(self.fired_log)
        events = []
        if book is not None:
            events = book.check(now)
            report.sla_events += [
                {"ticket_id": row.id, "kind": e.kind.value, "metric": e.metric.value, "at": e.at}
                for e in events
            ]
            self._sla(row, book, events, now)
        fired = self.tickets.fired(row.id)
        for firing in self.config.rules.due(self.subject(row), now, fired):
            if not firing.already_fired:
                self._fire(row, firing, now)
        self._refresh(row, now, book, touch=bool(events) or len(self.fired_log) > logged)

    def sweep(self, now: Timestamp, *, dry_run: bool = False, full: bool = False) -> SweepReport:
        """Everything due by `now` across the tenant. A dry run does the same work and rolls it back, so
        it shows exactly what a real sweep would do; the caller commits a real one. A `full` sweep looks
        at every open ticket, not only those indexed as due: run one after the rules or SLA policies
        change, and it re-indexes when each ticket is next due."""
        report = SweepReport(now, dry_run)
        logged = len(self.fired_log)
        for row in self.tickets.due(now, None if full else 1000, every_open=full):
            report.tickets += 1
            self.sweep_ticket(row, now, report)
        report.firings = self.fired_log[logged:]
        if dry_run:
            self.session.rollback()
        return report

    # --- internals -----------------------------------------------------------------------------------

    def subject(self, row: TicketRow) -> Subject:
        return Subject(
            to_ticket(row),
            StateCategory(row.category),
            row.state_entered_at,
            row.responded_at,
            row.customer_wrote_at,
        )

    def clocks(self, row: TicketRow) -> SlaClocks | None:
        policy = self.config.sla.by_name.get(row.sla_policy or "")
        if policy is None:
            return None
        calendar = self.config.sla.calendar(policy, self.tickets.site_hours(row.site_id))
        return SlaClocks.restore(policy, calendar, [c.as_record() for c in self.tickets.clocks(row.id)])

    def _sla(self, row: TicketRow, book: SlaClocks, events: Iterable[SlaEvent], now: Timestamp) -> None:
        """Record SLA events, save the clocks, and run the policy's warning and breach actions."""
        for event in events:
            data = {"metric": event.metric.value, "policy": book.policy.name, **event.data}
            sequence = self.tickets.append(row.id, event.at, SYSTEM, event.kind.value, data)
            if event.kind is SlaEventKind.WARNED:
                actions, rule_event = book.policy.on_warning, RuleEvent.SLA_WARNED
            elif event.kind is SlaEventKind.BREACHED:
                actions, rule_event = book.policy.on_breach, RuleEvent.SLA_BREACHED
            else:
                continue
            effects = resolve(actions, to_ticket(row), actor_agent=None, now=now)
            self._carry_out(row, effects, SYSTEM_ACTOR, f"event:{sequence}", now)
            self._rules_on(row, rule_event, sequence, now)
        self.tickets.save_clocks(row.id, [(c, c.due_at(book.calendar)) for c in book.clocks.values()])

    def _rules_on(
        self, row: TicketRow, event: RuleEvent, sequence: int, now: Timestamp, transition: str | None = None
    ) -> None:
        fired = self.tickets.fired(row.id)
        firings = self.config.rules.on_event(
            event, self.subject(row), event_key=str(sequence), at=now, transition=transition, fired=fired
        )
        for firing in firings:
            if not firing.already_fired:
                self._fire(row, firing, now)

    def _fire(self, row: TicketRow, firing: Firing, now: Timestamp) -> None:
        self.fired_log.append(_firing_report(row.id, firing))
        self.tickets.record_firing(row.id, firing.rule_id, firing.cause, firing.at, now)
        self.tickets.append(
            row.id, now, SYSTEM, "rule-fired", {"rule": firing.rule_id, "cause": firing.cause}
        )
        self._carry_out(row, firing.effects, SYSTEM_ACTOR, f"rule:{firing.cause}", now)

    def _carry_out(
        self, row: TicketRow, effects: Iterable[Effect], actor: Actor, cause: str, now: Timestamp
    ) -> None:
        for effect in effects:
            if isinstance(effect, Assigned):
                self._apply_assignment(
                    row, effect.assignment, actor.user_id, now, kind="assigned", cause=cause
                )
            elif isinstance(effect, Escalated):
                before = {"priority": row.priority, **_assignment(row)}
                if effect.queue_id is not None:
                    row.queue_id, row.team_id, row.agent_id = effect.queue_id, None, None
                if (
                    effect.priority is not None
                    and PRIORITY_RANK[effect.priority] > PRIORITY_RANK[Priority(row.priority)]
                ):
                    row.priority = effect.priority.value
                after = {"priority": row.priority, **_assignment(row)}
                data = {"role": effect.role, "before": before, "after": after, "cause": cause}
                self.tickets.append(row.id, now, actor.user_id, "escalated", data)
            elif isinstance(effect, CallbackScheduled) and (reason := self._capped(row, effect)) is not None:
                suppressed: dict[str, Any] = {"purpose": effect.purpose, "due_at": effect.due_at}
                suppressed["reason"] = reason
                self.tickets.append(
                    row.id, now, actor.user_id, "callback-suppressed", {**suppressed, "cause": cause}
                )
            elif isinstance(effect, NotificationRequested | CallbackScheduled | KnowledgeCandidate):
                request = self.tickets.request(outbox_row(row, effect, cause, now))
                if isinstance(effect, KnowledgeCandidate):
                    self.tickets.append(row.id, now, actor.user_id, "knowledge-candidate", request.payload)
            elif isinstance(effect, FollowUpRequested):
                child = self.create(
                    actor,
                    NewTicket(
                        type=effect.type,
                        subject=effect.subject,
                        customer_id=row.customer_id,
                        site_id=row.site_id,
                        tier=row.tier,
                        level=row.level if effect.type is TicketType.COMPLAINT else None,
                    ),
                    now,
                    parent_id=row.id,
                )
                self.tickets.append(row.id, now, actor.user_id, "follow-up-created", {"ticket_id": child.id})
            else:  # pragma: no cover - the Effect union is exhaustive
                raise AssertionError(effect_record(effect))

    def _capped(self, row: TicketRow, callback: CallbackScheduled) -> str | None:
        """Why a care callback (a survey) may not be made: the customer's voice cap for care contacts (offers
        shown by voice and other care calls included) is used up around its due moment. None: it may (owed
        callbacks are never capped)."""
        purpose = CALLBACK_PURPOSES.get(callback.purpose)
        if purpose is None or row.customer_id is None:
            return None
        if self._caps is None:
            self._caps = contact_caps(self.session, self.tenant_id)[0]
        since = callback.due_at - longest_period(self._caps)
        made = care_contacts(self.session, self.tenant_id, row.customer_id, since, bundled_offer_purposes())
        cap = exceeded(self._caps, made, "voice", purpose, callback.due_at)
        return None if cap is None else cap.reason()

    def _apply_assignment(
        self,
        row: TicketRow,
        assignment: Assignment,
        actor: str,
        now: Timestamp,
        *,
        kind: str,
        cause: str | None = None,
    ) -> int:
        before = _assignment(row)
        row.queue_id, row.team_id, row.agent_id = assignment.queue_id, assignment.team_id, assignment.agent_id
        data: dict[str, Any] = {"before": before, "after": _assignment(row)}
        if cause is not None:
            data["cause"] = cause
        return self.tickets.append(row.id, now, actor, kind, data)

    def _refresh(self, row: TicketRow, now: Timestamp, book: SlaClocks | None, *, touch: bool = True) -> None:
        """Recompute when the sweep must next look at the ticket; count the change."""
        moments = []
        if book is not None and StateCategory(row.category) is not StateCategory.CLOSED:
            due = book.next_due()
            if due is not None:
                moments.append(due)
        if StateCategory(row.category) is not StateCategory.CLOSED:
            rule_due = self.config.rules.next_due(self.subject(row), self.tickets.fired(row.id))
            if rule_due is not None:
                moments.append(rule_due)
        row.next_due_at = min(moments, default=None)
        if touch:
            row.updated_at = now
            row.version += 1
        self.session.flush()


def sweep_due(
    session: Session,
    config: TicketConfig | None,
    now: Timestamp,
    *,
    dry_run: bool = False,
    full: bool = False,
) -> list[SweepReport]:
    """Sweep every tenant with something due by `now`, committing each tenant's sweep (a dry run commits
    nothing), each under `config` or, None, under its own configuration (`ticket_config`). The live server
    calls this periodically with its clock's time; `baiying tickets sweep` and
    `POST /api/tickets/automation/sweep` call it on demand."""
    reports = []
    for tenant_id in tenants_due(session, now, every_open=full):
        used = config if config is not None else tenant_config(session, tenant_id)
        report = TicketDesk(session, tenant_id, used).sweep(now, dry_run=dry_run, full=full)
        if not dry_run:
            session.commit()
        reports.append(report)
    return reports


def _same_terms(
    before: PolicySpec | None, previous: TicketConfig, after: PolicySpec | None, config: TicketConfig
) -> bool:
    """Whether a ticket under `before` (of `previous`) would be under the same terms with `after`."""
    if before is None or after is None:
        return before is None and after is None
    return (
        before == after
        and previous.sla.spec.calendars[before.calendar] == config.sla.spec.calendars[after.calendar]
    )


def _assignment(row: TicketRow) -> dict[str, str | None]:
    return {"queue_id": row.queue_id, "team_id": row.team_id, "agent_id": row.agent_id}


def _public(row: TicketRow) -> dict[str, Any]:
    names = (
        "type",
        "state",
        "category",
        "priority",
        "level",
        "customer_id",
        "site_id",
        "tier",
        "subject",
        "fields",
        "sla_policy",
    )
    public = {**{name: getattr(row, name) for name in names}, **_assignment(row)}
    if row.contact_id is not None:  # only then, so histories of tickets not from a contact stay as they were
        public["contact_id"] = row.contact_id
    return public


def _firing_report(ticket_id: str, firing: Firing) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "rule": firing.rule_id,
        "cause": firing.cause,
        "due_at": firing.at,
        "effects": [effect_record(e) for e in firing.effects],
    }
