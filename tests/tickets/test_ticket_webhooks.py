"""Ticket events reach webhook subscribers (SQLite and PostgreSQL): a subscription made over HTTP to
`ticket-*` receives each change of a ticket made over HTTP as `ticket-<kind>`, signed with its secret, once,
in order, retried after a failure; contact-only subscriptions receive none of them."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from baiying.clock import ManualClock
from baiying.notifications.dispatch import Dispatcher, Senders
from baiying.notifications.retry import RetryPolicy
from baiying.notifications.senders import FileSink
from baiying.notifications.signing import SIGNATURE_HEADER, verify
from baiying.storage.engine import make_engine
from tests.notifications.receivers import http_receiver
from tests.tickets.conftest import TestClient, Users, ok
from tests.tickets.test_api import create, move

NO_JITTER = RetryPolicy(
    max_attempts=3, first_delay_seconds=60, factor=2, max_delay_seconds=600, jitter_fraction=0
)


@pytest.fixture
def sessions(world: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(world)
    yield sessionmaker(engine)
    engine.dispose()


def test_ticket_changes_reach_a_crm_signed_once_each_and_in_order(
    client: TestClient, users: Users, clock: ManualClock, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    wang, lina = users["wang"], users["lina"]
    with http_receiver() as crm:
        subscription = {"id": "crm", "url": crm.url, "event_types": ["ticket-created", "ticket-transitioned"]}
        secret = ok(client.post("/api/webhooks", json=subscription, headers=wang), 201)["secret"]
        contacts_only = {"id": "erp", "url": crm.url, "event_types": ["contact-*"]}
        ok(client.post("/api/webhooks", json=contacts_only, headers=wang), 201)
        tid = create(client, lina, site_id="beijing")["id"]
        ok(move(client, lina, tid, "resolve", resolution="Explained the bill"))

        crm.statuses = [503]  # the first call fails once, then succeeds on its retry
        dispatcher = Dispatcher(
            sessions, Senders(FileSink(tmp_path / "e"), FileSink(tmp_path / "s")), clock, NO_JITTER
        )
        first = dispatcher.run_once()
        clock.advance(60)
        again = dispatcher.run_once()
        clock.advance(600)
        assert dispatcher.run_once().sent == 0  # nothing left, nothing sent twice
    assert (first.sent, first.retrying, again.sent) == (1, 1, 1)
    bodies = [call.json() for call in crm.calls]
    assert [(b["type"], b["data"]["ticket_id"], b["data"]["actor"]) for b in bodies] == [
        ("ticket-created", tid, "li-na"),
        ("ticket-transitioned", tid, "li-na"),
        ("ticket-created", tid, "li-na"),
    ]
    assert bodies[1]["data"]["after"] == {"state": "resolved", "category": "resolved"}
    assert bodies[0]["sequence"] < bodies[1]["sequence"]
    for call in crm.calls:
        signature = call.headers[SIGNATURE_HEADER]
        signed_at = float(signature.split(",")[0].removeprefix("t="))  # each call is checked when it came
        assert verify(secret, signature, call.body, signed_at)
        assert not verify("not the secret", signature, call.body, signed_at)
        assert call.headers["Baiying-Event"] in ("ticket-created", "ticket-transitioned")
