"""The ticket tables on both databases: migration 0004 creates them, and their CHECK constraints hold."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from baiying.storage.engine import make_engine
from baiying.storage.tables import Base

TICKET_TABLES = {"tickets", "ticket_events", "ticket_sla_clocks", "ticket_outbox", "ticket_rule_firings"}

INSERT = (
    "INSERT INTO tickets (tenant_id, id, type, state, category, priority, level, subject, description,"
    " fields, created_by, created_at, updated_at, state_entered_at, version)"
    " VALUES ('t', :id, :type, 'recorded', 'open', 'normal', :level, 'S', '', '{}', 'u', 0, 0, 0, 1)"
)


def test_the_ticket_tables_are_part_of_the_schema() -> None:
    assert set(Base.metadata.tables) >= TICKET_TABLES


def test_only_complaints_have_a_level_and_it_is_1_to_3(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        tenant = "INSERT INTO tenants (id, name, placement, created_at) VALUES ('t', 'T', '{}', 0)"
        connection.execute(text(tenant))
        connection.execute(text(INSERT), {"id": "a", "type": "complaint", "level": 3})
        connection.execute(text(INSERT), {"id": "b", "type": "repair", "level": None})
    for ticket_id, type, level, constraint in (
        ("c", "complaint", None, "ck_tickets_complaint_level"),
        ("d", "repair", 1, "ck_tickets_complaint_level"),
        ("e", "complaint", 4, "ck_tickets_level_range"),
        ("f", "gossip", None, "ck_tickets_type"),
    ):
        with pytest.raises(IntegrityError, match=constraint), engine.begin() as connection:
            connection.execute(text(INSERT), {"id": ticket_id, "type": type, "level": level})
    engine.dispose()
