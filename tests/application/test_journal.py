"""The router journal stores commands in order, exactly, per tenant, and only with the transaction."""

import json

import pytest
from sqlalchemy.orm import Session

from baiying.storage.direct import DirectWrites
from baiying.storage.journal import JournalEntry, RouterJournal
from baiying.storage.repositories import Tenants

T0 = 1_795_000_000.123456


@pytest.fixture
def tenants(session: Session) -> Session:
    Tenants(session).add("acme", "Acme", at=T0)
    Tenants(session).add("other", "Other", at=T0)
    session.commit()
    return session


def test_entries_come_back_in_order_and_exactly(tenants: Session) -> None:
    journal = RouterJournal()
    payload = {"contact": {"id": "c1", "arrived_at": T0 + 0.1, "attributes": {"vip": True, "tags": ["a"]}}}
    first = journal.append(tenants, "acme", T0, "configure", {"spec": {}})
    second = journal.append(tenants, "acme", T0 + 0.1, "arrive", payload)
    journal.append(tenants, "other", T0, "configure", {"spec": {}})
    third = journal.append(tenants, "acme", T0 + 0.2, "advance", {})
    tenants.commit()

    assert first < second < third
    assert journal.read(tenants, "acme") == [
        JournalEntry(first, T0, "configure", {"spec": {}}),
        JournalEntry(second, T0 + 0.1, "arrive", payload),
        JournalEntry(third, T0 + 0.2, "advance", {}),
    ]
    assert [e.sequence for e in journal.read(tenants, "acme", after_sequence=first, limit=1)] == [second]
    last_configure = journal.last(tenants, "acme", "configure")
    assert last_configure is not None
    assert last_configure.sequence == first
    last = journal.last(tenants, "acme")
    assert last is not None
    assert last.sequence == third
    assert journal.last(tenants, "nobody") is None


def test_an_entry_is_stored_only_with_its_transaction(tenants: Session) -> None:
    journal = RouterJournal()
    journal.append(tenants, "acme", T0, "advance", {})
    tenants.rollback()
    assert journal.read(tenants, "acme") == []


def test_entries_appended_together_keep_the_order_given(tenants: Session) -> None:
    journal = RouterJournal()
    payloads = [{"contact": {"id": f"c{n}", "attributes": {"n": n, "tags": ["a", "é"]}}} for n in range(5)]
    entries = [(T0 + n, "arrive", json.dumps(p)) for n, p in enumerate(payloads)]
    with DirectWrites.during(tenants) as direct:
        journal.append_encoded(direct, "acme", entries[:2])
        journal.append_encoded(direct, "acme", [])
        journal.append_encoded(direct, "acme", entries[2:])
        tenants.commit()

    stored = journal.read(tenants, "acme")  # in sequence order
    sequences = [entry.sequence for entry in stored]
    assert len(set(sequences)) == 5
    assert stored == [
        JournalEntry(s, T0 + n, "arrive", p) for n, (s, p) in enumerate(zip(sequences, payloads, strict=True))
    ]
