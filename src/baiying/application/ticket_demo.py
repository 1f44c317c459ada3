"""Demo tickets: a handful of tickets in the states the service flow goes through, so a demo shows them
(`seed_demo_tickets`, for the demo's data set to call). Times go back from `now`; every ticket goes
through the real desk, so its history, SLA clocks and outbox are the ones real work would leave."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from baiying.application.tickets import Actor, NewTicket, TicketDesk
from baiying.clock import Timestamp
from baiying.tickets.actions import TICKET_ROLES
from baiying.tickets.bundled import default_config
from baiying.tickets.config import TicketConfig
from baiying.tickets.model import CommentKind, Priority, TicketType

HOUR = 3600.0


def seed_demo_tickets(
    session: Session,
    tenant_id: str,
    now: Timestamp,
    *,
    site_id: str | None = None,
    agent_id: str | None = None,
    expert_id: str | None = None,
    customer_ids: Sequence[str] = (),
    config: TicketConfig | None = None,
) -> list[str]:
    """Create the demo tickets (ids `demo-1`…) as if worked over the last two days; returns their ids.
    `agent_id` / `expert_id` name the agents shown as first line and expert; the tickets belong to
    `customer_ids` in turn (by default to `demo-customer-<n>`, customers not on record). The caller
    commits."""
    desk = TicketDesk(session, tenant_id, config or default_config())
    agent = Actor(agent_id or "demo-agent", frozenset({"agent"}), agent_id)
    expert = Actor(expert_id or "demo-expert", frozenset({"agent", "expert"}), expert_id)
    boss = Actor("demo-manager", frozenset(TICKET_ROLES) - {"system"})
    start = now - 48 * HOUR

    def new(
        number: int,
        type: TicketType,
        subject: str,
        at: Timestamp,
        *,
        level: int | None = None,
        priority: Priority = Priority.NORMAL,
        fields: dict[str, str] | None = None,
    ) -> str:
        ticket = NewTicket(
            id=f"demo-{number}",
            type=type,
            subject=subject,
            customer_id=customer_ids[(number - 1) % len(customer_ids)]
            if customer_ids
            else f"demo-customer-{number}",
            site_id=site_id,
            level=level,
            priority=priority,
            fields=fields or {},
        )
        return desk.create(agent, ticket, at).id

    one = new(1, TicketType.CONSULTATION, "How do I read my bill's roaming charges?", start)
    desk.transition(agent, one, "resolve", {"resolution": "Explained the roaming section"}, start + 600)
    desk.transition(agent, one, "close", {}, start + 700)
    desk.transition(agent, one, "record-survey", {"satisfaction": 5}, start + 26 * HOUR)

    two = new(2, TicketType.CONSULTATION, "Broadband drops every evening", start + HOUR)
    desk.transition(
        agent, two, "escalate", {"escalation_reason": "Line noise; needs a line test"}, start + 2 * HOUR
    )
    desk.transition(expert, two, "take", {}, start + 3 * HOUR)
    desk.transition(
        expert,
        two,
        "solve",
        {"resolution": "Replace the DSL filter behind the phone socket", "promote_to_kb": True},
        start + 5 * HOUR,
    )

    three = new(
        3, TicketType.REPAIR, "Washing machine does not drain", start + 6 * HOUR, fields={"product": "WM-800"}
    )
    desk.transition(agent, three, "escalate", {"escalation_reason": "Pump fault"}, start + 6.5 * HOUR)
    desk.transition(expert, three, "take", {}, start + 7 * HOUR)
    desk.transition(
        expert, three, "book-appointment", {"appointment_at": _iso(now + 24 * HOUR)}, start + 8 * HOUR
    )

    four = new(4, TicketType.COMPLAINT, "Charged twice for the same month", now - 3 * HOUR, level=3)
    desk.comment(agent, four, CommentKind.NOTE, "Customer mentions the regulator", now - 3 * HOUR + 60)

    five = new(5, TicketType.COMPLAINT, "Technician came late", start + 10 * HOUR, level=1)
    desk.transition(agent, five, "wait", {"waiting_reason": "customer"}, start + 11 * HOUR)

    six = new(6, TicketType.LEAD, "40 contact-center seats for a logistics firm", start + 12 * HOUR)
    desk.transition(boss, six, "qualify", {"interest": "Cloud contact center, 40 seats"}, start + 13 * HOUR)

    seven = new(
        7, TicketType.CONSULTATION, "Change of billing address", now - 2 * HOUR, priority=Priority.LOW
    )
    return [one, two, three, four, five, six, seven]


def _iso(at: Timestamp) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat()
