"""An email reply on a ticket (SQLite and PostgreSQL): recorded as the customer-visible reply that answers
the customer, queued in the notification outbox and sent by the dispatcher to the customer's address with
the `[#ticket]` tag that threads the answer back; no address or a closed ticket is a precise 422."""

import json
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from baiying.channels.email_message import TICKET_TAG
from baiying.clock import ManualClock
from baiying.notifications.dispatch import Dispatcher, Senders
from baiying.notifications.senders import FileSink
from baiying.storage.engine import make_engine
from tests.api.conftest import T0, error_of
from tests.tickets.conftest import TestClient, Users, ok


def test_an_email_reply_is_recorded_on_the_ticket_and_sent_to_the_customer(
    client: TestClient, users: Users, clock: ManualClock, world: str, tmp_path: Path
) -> None:
    customer = {
        "id": "c-7",
        "display_name": "Chen Jing",
        "contact_points": [{"kind": "email", "value": "Chen.Jing@example.com"}],
    }
    ok(client.post("/api/customers", json=customer, headers=users["wang"]), 201)
    body = {"type": "consultation", "subject": "Invoice copy", "customer_id": "c-7"}
    ticket = ok(client.post("/api/tickets", json=body, headers=users["lina"]), 201)
    tid = ticket["id"]
    clock.advance(120)

    reply = ok(
        client.post(
            f"/api/tickets/{tid}/email-replies", json={"body": "Attached, see below."}, headers=users["lina"]
        ),
        201,
    )
    assert reply["recipient"] == "chen.jing@example.com"
    assert reply["subject"] == f"Re: Invoice copy [#{tid}]"
    match = TICKET_TAG.search(reply["subject"])
    assert match is not None
    assert match.group(1) == tid
    assert reply["status"] == "pending"
    thread = ok(client.get(f"/api/tickets/{tid}/comments?customer_visible=true", headers=users["lina"]))
    assert [(c["kind"], c["data"]["body"], c["sequence"]) for c in thread] == [
        ("reply", "Attached, see below.", reply["sequence"])
    ]
    assert ok(client.get(f"/api/tickets/{tid}", headers=users["lina"]))["responded_at"] == T0 + 120

    other = {"body": "A copy for your accountant.", "to": "books@example.com", "subject": "Your invoice"}
    second = ok(client.post(f"/api/tickets/{tid}/email-replies", json=other, headers=users["lina"]), 201)
    assert (second["recipient"], second["subject"]) == ("books@example.com", f"Your invoice [#{tid}]")

    engine = make_engine(world)
    senders = Senders(FileSink(tmp_path / "email.jsonl"), FileSink(tmp_path / "sms.jsonl"))
    report = Dispatcher(sessionmaker(engine, expire_on_commit=False), senders, clock).run_once()
    engine.dispose()
    assert report.sent == 2
    sent = [json.loads(line) for line in (tmp_path / "email.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(m["to"], m["subject"], m["body"]) for m in sent] == [
        ("chen.jing@example.com", f"Re: Invoice copy [#{tid}]", "Attached, see below."),
        ("books@example.com", f"Your invoice [#{tid}]", "A copy for your accountant."),
    ]


def test_an_email_reply_needs_an_address_text_and_an_open_ticket(client: TestClient, users: Users) -> None:
    body = {"type": "consultation", "subject": "No customer yet"}
    tid = ok(client.post("/api/tickets", json=body, headers=users["lina"]), 201)["id"]
    path = f"/api/tickets/{tid}/email-replies"
    status, code, message = error_of(client.post(path, json={"body": "Hello"}, headers=users["lina"]))
    assert (status, code) == (422, "invalid-ticket")
    assert message == f"ticket {tid!r} has no customer email address: give `to`"
    blank = client.post(path, json={"body": "   ", "to": "a@example.com"}, headers=users["lina"])
    assert blank.status_code == 422
    assert "body" in error_of(blank)[2]
    bad = client.post(path, json={"body": "Hi", "to": "not an address"}, headers=users["lina"])
    assert error_of(bad)[:2] == (422, "invalid-recipient")
    assert ok(client.get(f"/api/tickets/{tid}/comments", headers=users["lina"])) == []  # nothing recorded
