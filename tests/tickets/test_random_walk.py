"""Random walks through the ticket desk on SQLite and PostgreSQL: after any sequence of creations,
transitions, comments, assignments, time moves and sweeps, each ticket rebuilt from its history alone
equals the stored ticket, and each SLA clock's business time rebuilt from its history equals the stored
clock (paused time never counted)."""

import random
from typing import Any

import pytest
from sqlalchemy.orm import Session

from baiying.application.tickets import Actor, NewTicket, TicketDesk
from baiying.storage.engine import make_engine
from baiying.storage.ticket_tables import TicketRow
from baiying.tickets.actions import TICKET_ROLES
from baiying.tickets.bundled import default_config
from baiying.tickets.history import replay
from baiying.tickets.model import Assignment, CommentKind, Priority, StateCategory, TicketType
from baiying.tickets.sla import ClockStatus, SlaEventKind
from baiying.tickets.workflow import FieldSpec, FieldType
from tests.api.conftest import T0
from tests.tickets.conftest import seed_tickets_world

CONFIG = default_config()
EVERYONE = Actor("wang", frozenset(TICKET_ROLES), agent_id="zhang-wei")
STEPS = 60


def value_for(spec: FieldSpec, rng: random.Random) -> Any:
    if spec.type is FieldType.BOOLEAN:
        return rng.random() < 0.5
    if spec.type is FieldType.INTEGER:
        return rng.randint(spec.min or 0, spec.max or 10)
    if spec.type is FieldType.CHOICE:
        return rng.choice(spec.options)
    if spec.type is FieldType.DATETIME:
        return f"2026-12-{rng.randint(1, 28):02d}T10:00:00+08:00"
    return rng.choice(["done", "line fault", "需要上门"])


def step(desk: TicketDesk, rng: random.Random, now: float, ids: list[str]) -> None:
    open_ids = [i for i in ids if desk.tickets.get(i).category != StateCategory.CLOSED.value]
    roll = rng.random()
    if not open_ids or roll < 0.15:
        type = rng.choice(list(TicketType))
        new = NewTicket(
            type=type,
            subject="random walk",
            level=rng.randint(1, 3) if type is TicketType.COMPLAINT else None,
            site_id=rng.choice(["guangzhou", "beijing", None]),
            tier=rng.choice([None, "vip"]),
            priority=rng.choice(list(Priority)),
            customer_id="cus-1",
        )
        ids.append(desk.create(EVERYONE, new, now).id)
        return
    row = desk.tickets.get(rng.choice(open_ids))
    workflow = CONFIG.workflow(TicketType(row.type))
    if roll < 0.65:
        choices = workflow.available(row.state)
        if not choices:
            return
        transition = rng.choice(choices)
        if transition.to == "@previous" and row.previous_state is None:
            return
        fields = {
            name: value_for(workflow.spec.fields[name], rng)
            for name in transition.requires
            if (row.fields or {}).get(name) is None or rng.random() < 0.3
        }
        desk.transition(EVERYONE, row.id, transition.name, fields, now)
    elif roll < 0.85:
        desk.comment(EVERYONE, row.id, rng.choice(list(CommentKind)), "hello", now)
    else:
        desk.assign(
            EVERYONE, row.id, Assignment(queue_id=rng.choice(["experts", None]), agent_id="li-na"), now
        )


def check_ticket(desk: TicketDesk, row: TicketRow, now: float) -> None:
    history = desk.tickets.history(row.id)
    rebuilt = replay((event.kind, event.data) for event in history)
    stored = {
        "state": row.state,
        "category": row.category,
        "priority": row.priority,
        "queue_id": row.queue_id,
        "team_id": row.team_id,
        "agent_id": row.agent_id,
        "customer_id": row.customer_id,
        "fields": row.fields,
    }
    assert rebuilt == stored, row.id
    book = desk.clocks(row)
    if book is None:
        return
    for clock in book.clocks.values():
        counted, since = 0.0, None
        for event in history:
            if event.data.get("metric") != clock.metric.value:
                continue
            if event.kind in (SlaEventKind.ACTIVATED, SlaEventKind.RESUMED):
                if event.kind == SlaEventKind.ACTIVATED:
                    counted = 0.0  # a next-response clock starts afresh
                since = event.at
            elif event.kind in (SlaEventKind.PAUSED, SlaEventKind.FULFILLED, SlaEventKind.STOPPED):
                if since is not None:  # a paused clock may be fulfilled or stopped: it adds nothing
                    counted += book.calendar.measure(since, event.at)
                since = None
        assert (since is not None) == (clock.status is ClockStatus.RUNNING), (row.id, clock)
        assert clock.elapsed_seconds == pytest.approx(counted, abs=1e-3), (row.id, clock.metric)
        assert clock.elapsed(now, book.calendar) <= now - clock.started_at + 1e-6


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_history_rebuilds_every_ticket_and_clock(db_url: str, seed: int) -> None:
    seed_tickets_world(db_url)
    rng = random.Random(seed)
    engine = make_engine(db_url)
    now = T0
    ids: list[str] = []
    try:
        with Session(engine) as session:
            desk = TicketDesk(session, "acme", CONFIG)
            for _ in range(STEPS):
                now += rng.choice([0.0, 60.0, 3600.0, 5 * 3600.0, 26 * 3600.0])
                step(desk, rng, now, ids)
                if rng.random() < 0.2:
                    desk.sweep(now)
                session.commit()
            for ticket_id in ids:
                check_ticket(desk, desk.tickets.get(ticket_id), now)
    finally:
        engine.dispose()
