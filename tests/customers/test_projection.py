"""The timeline projection on its own, on SQLite and PostgreSQL: contact events in, interactions out;
applying the log again changes nothing; unknown callers are skipped; merged customers are followed."""

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from baiying.customers.contacts import contact_point
from baiying.events import ContactAbandoned, ContactAnswered, ContactArrived, ContactCompleted, Event
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.storage.customer_tables import InteractionRow, ProjectionCursorRow
from baiying.storage.event_log import EventLog
from baiying.storage.repositories import Tenants
from baiying.storage.repositories.customer_merge import merge_customers
from baiying.storage.repositories.customer_timeline import InteractionProjector, category_totals, timeline
from baiying.storage.repositories.customers import CustomerStore

T0 = 1_795_000_000.0
Q, S, A = QueueId("billing"), SiteId("beijing"), AgentId("li-na")


def arrived(contact: str, at: float, customer: str | None, intent: str | None = "billing") -> ContactArrived:
    return ContactArrived(at, ContactId(contact), Q, "voice", S, intent=intent, customer_id=customer)


@pytest.fixture
def store(session: Session) -> CustomerStore:
    Tenants(session).add("acme", "Acme", at=T0)
    found = CustomerStore(session, "acme")
    found.create(
        "li-na", {"display_name": "Li Na"}, [contact_point("phone", "13800138000")], at=T0, actor="t"
    )
    found.create("lina-2", {"display_name": "Li Na"}, [], at=T0, actor="t")
    session.commit()
    return found


def log(session: Session, *events: Event) -> None:
    EventLog().append(session, "acme", list(events))
    session.commit()


def rows(session: Session) -> list[tuple[object, ...]]:
    return [
        (r.source_id, r.customer_id, r.outcome, r.resolution, r.topic, r.category, r.agent_id)
        for r in session.scalars(select(InteractionRow).order_by(InteractionRow.source_id))
    ]


def test_events_become_interactions_once(store: CustomerStore) -> None:
    session = store.session
    log(
        session,
        arrived("k1", T0, "li-na"),
        ContactAnswered(T0 + 5, ContactId("k1"), Q, A, S, 5.0),
        ContactCompleted(T0 + 65, ContactId("k1"), Q, A, S, 60.0),
        arrived("k2", T0 + 100, "li-na", intent="complaint"),
        ContactAbandoned(T0 + 130, ContactId("k2"), Q, S, 30.0),
        arrived("k3", T0 + 200, None),  # nobody we know: no contact row with a phone either
        ContactAnswered(T0 + 205, ContactId("k3"), Q, A, S, 5.0),
    )
    projector = InteractionProjector(session, "acme")
    assert projector.catch_up(T0 + 300) == 7
    session.commit()
    expected = [
        ("k1", "li-na", "completed", "resolved", "billing", "other", "li-na"),
        ("k2", "li-na", "abandoned", "unresolved", "complaint", "complaint", None),
    ]
    assert rows(session) == expected
    assert projector.cursor() == 7  # the log's sequences start at 1 in a fresh database
    assert projector.catch_up(T0 + 300) == 0  # nothing new: one query, nothing applied
    # Replaying the whole log (a lost cursor) changes nothing.
    session.execute(update(ProjectionCursorRow).values(last_sequence=0))
    assert projector.catch_up(T0 + 400) == 7
    session.commit()
    assert rows(session) == expected
    assert [i.source_id for i in timeline(session, "acme", "li-na", limit=1)] == ["k2"]
    assert [i.source_id for i in timeline(session, "acme", "li-na", since=T0 + 50)] == ["k2"]
    assert [i.source_id for i in timeline(session, "acme", "li-na", since=T0, limit=5)] == ["k2", "k1"]
    assert category_totals(session, "acme", "li-na") == {
        "complaint": 1,
        "consultation": 0,
        "service": 0,
        "other": 1,
    }


def test_a_merged_customers_later_contacts_land_on_the_survivor(store: CustomerStore) -> None:
    session = store.session
    log(session, arrived("k1", T0, "lina-2"))
    InteractionProjector(session, "acme").catch_up(T0 + 1)
    merge_customers(store, "li-na", "lina-2", at=T0 + 2, actor="t")
    session.commit()
    log(session, arrived("k2", T0 + 10, "lina-2"), ContactAbandoned(T0 + 20, ContactId("k1"), Q, S, 20.0))
    InteractionProjector(session, "acme").catch_up(T0 + 30)
    session.commit()
    assert [(r[0], r[1], r[2]) for r in rows(session)] == [
        ("k1", "li-na", "abandoned"),
        ("k2", "li-na", "open"),
    ]
