"""The live center's statements on the DBAPI cursor store what SQLAlchemy would, and fail as it would."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from baiying.storage.direct import DirectWrites
from baiying.storage.engine import make_engine
from baiying.storage.event_log import EventLog, _plain, event_data, event_row
from baiying.storage.repositories import PolicyRepository, QueueRepository, Tenants
from baiying.storage.tables import ContactRow, QueueRow
from tests.storage.test_event_log import ONE_OF_EACH, T0
from tests.storage.test_repositories import BILLING_POLICY


def test_event_documents_are_to_record_with_plain_values() -> None:
    for event in ONE_OF_EACH:
        expected = {key: _plain(value) for key, value in event.to_record().items()}
        assert event_data(event) == expected
        assert list(event_data(event)) == list(expected)  # the same key order, so the same JSON text


def _contact(contact_id: str, queue_id: str) -> dict[str, object]:
    return {
        "tenant_id": "acme",
        "id": contact_id,
        "queue_id": queue_id,
        "channel": "voice",
        "intake_site_id": None,
        "customer_id": None,
        "language": "yue",
        "intent": None,
        "tier": None,
        "region": None,
        "priority": 0,
        "arrived_at": T0,
        "attributes": {"vip": True, "tags": ["a", "é"]},
        "state": "waiting",
        "step_index": 0,
        "placement": [],
        "agent_id": None,
        "updated_at": T0,
    }


def test_a_refused_row_is_sqlalchemys_integrity_error_at_the_commit_it_waited_for(session: Session) -> None:
    Tenants(session).add("acme", "Acme", at=T0)
    session.commit()
    with DirectWrites.during(session) as direct:
        direct.insert_contact(_contact("c1", "no-such-queue"))  # the queue's foreign key: queued
        with pytest.raises(IntegrityError, match="queue"):
            session.commit()
    session.rollback()
    assert session.scalars(select(ContactRow)).all() == []


def _acme_with_queue(session: Session) -> None:
    Tenants(session).add("acme", "Acme", at=T0)
    PolicyRepository(session, "acme").put("billing", BILLING_POLICY, at=T0)
    QueueRepository(session, "acme").add(QueueRow(id="q", name="Q", policy_id="billing"))
    session.commit()


def test_queued_writes_go_before_a_read_through_the_session_and_before_the_commit(session: Session) -> None:
    _acme_with_queue(session)
    with DirectWrites.during(session) as direct:
        direct.insert_contact(_contact("c1", "q"))
        direct.update_contacts(
            "acme", ("state", "updated_at"), [{"id": "c1", "state": "ended", "updated_at": T0}]
        )
        assert session.scalar(select(ContactRow.state).where(ContactRow.id == "c1")) == "ended"
        direct.insert_contact(_contact("c2", "q"))
        session.commit()
    assert sorted(session.scalars(select(ContactRow.id))) == ["c1", "c2"]


def test_whether_contacts_are_stored_is_read_ahead_in_one_statement_and_counts_queued_ones(
    session: Session,
) -> None:
    _acme_with_queue(session)
    with DirectWrites.during(session) as direct:
        direct.insert_contact(_contact("c1", "q"))
        session.commit()
    with DirectWrites.during(session) as direct:
        direct.insert_contact(_contact("c2", "q"))
        direct.read_ahead("acme", ["c1", "c2", "c3"])
        sent = direct._send
        direct._send = lambda _statement: pytest.fail("asked the database again")  # type: ignore[method-assign]
        assert [direct.contact_exists("acme", c) for c in ("c1", "c2", "c3")] == [True, True, False]
        direct._send = sent  # type: ignore[method-assign]
        session.commit()
    assert sorted(session.scalars(select(ContactRow.id))) == ["c1", "c2"]


def test_only_the_tables_columns_can_be_updated(session: Session) -> None:
    with DirectWrites.during(session) as direct:
        with pytest.raises(ValueError, match="not an updatable column of contacts: id, colour"):
            direct.update_contacts("acme", ("id", "colour"), [{"id": "c1", "colour": "red"}])
        assert not session.in_transaction()  # nothing ran: the cursor is opened by the first statement


def test_a_begin_sqlite_refuses_is_sqlalchemys_operational_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'begin.db'}")
    try:
        with engine.connect() as connection:
            connection.connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]
            with pytest.raises(OperationalError, match="within a transaction"):
                connection.begin()  # BEGIN again, on sqlite3's own connection
    finally:
        engine.dispose()


def test_a_rollback_forgets_the_queued_writes(session: Session) -> None:
    _acme_with_queue(session)
    with DirectWrites.during(session) as direct:
        direct.insert_contact(_contact("c1", "q"))
        session.rollback()
        direct.insert_contact(_contact("c2", "q"))
        session.commit()
    assert list(session.scalars(select(ContactRow.id))) == ["c2"]


def test_events_logged_in_one_go_get_sequences_in_the_order_given_across_statements(session: Session) -> None:
    Tenants(session).add("acme", "Acme", at=T0)
    session.commit()
    many = [ONE_OF_EACH[n % len(ONE_OF_EACH)] for n in range(2_345)]  # three statements' worth
    with DirectWrites.during(session) as direct:
        sequences = direct.append_events([event_row("acme", e) for e in many])
        session.commit()
    assert sequences == sorted(set(sequences))
    assert EventLog().read(session, "acme") == list(zip(sequences, many, strict=True))
