"""A customer-visible reply on a ticket made from any channel (SQLite and PostgreSQL): when the ticket began
as an email, the reply is emailed to its sender; when its customer has an email address, to that address;
through the notification outbox, in the reply's transaction, and sent by the dispatcher; a note or a
ticket with no address is recorded only."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from baiying.clock import ManualClock
from baiying.notifications.dispatch import Dispatcher, Senders
from baiying.notifications.senders import FileSink
from baiying.storage.engine import make_engine
from tests.api.conftest import TestClient
from tests.api.test_live import arrive, login, ok
from tests.customers.conftest import live, live_clock, live_world

__all__ = ["live", "live_clock", "live_world"]


def test_a_reply_made_on_a_call_reaches_the_customer_by_email(
    live: TestClient, live_clock: ManualClock, live_world: str, tmp_path: Path
) -> None:
    boss = login(live, "boss")
    email = {"email": "han.mei@example.com", "subject": "Invoice copy please", "text": "For October."}
    arrive(live, boss, "email-1", channel="email", attributes=email)
    born_by_email = {"type": "consultation", "subject": "Invoice copy", "contact_id": "email-1"}
    by_email = ok(live.post("/api/tickets", json=born_by_email, headers=boss), 201)["id"]
    customer = {
        "id": "li-lei",
        "display_name": "Li Lei",
        "contact_points": [{"kind": "email", "value": "Li.Lei@Example.com"}],
    }
    ok(live.post("/api/customers", json=customer, headers=boss), 201)
    arrive(live, boss, "call-1", customer="li-lei")  # she calls about it: a voice contact
    on_a_call = {"type": "consultation", "subject": "Roaming charges", "contact_id": "call-1"}
    of_customer = ok(live.post("/api/tickets", json=on_a_call, headers=boss), 201)["id"]
    nobody = {"type": "consultation", "subject": "Walk-in question"}
    unknown = ok(live.post("/api/tickets", json=nobody, headers=boss), 201)["id"]
    live_clock.advance(60)

    def comment(ticket: str, kind: str, text: str) -> Any:
        path = f"/api/tickets/{ticket}/comments"
        return ok(live.post(path, json={"kind": kind, "body": text}, headers=boss), 201)

    first = comment(by_email, "reply", "A copy is on its way.")
    assert first["kind"] == "reply"
    assert first["email"] == {
        "notification_id": first["email"]["notification_id"],
        "recipient": "han.mei@example.com",
        "subject": f"Re: Invoice copy [#{by_email}]",
        "status": "pending",
    }
    second = comment(of_customer, "reply", "The charges are refunded.")
    assert second["email"]["recipient"] == "li.lei@example.com"
    assert comment(of_customer, "note", "Refund approved by finance.")["email"] is None
    assert comment(unknown, "reply", "Answered at the counter.")["email"] is None
    thread = ok(live.get(f"/api/tickets/{unknown}/comments", headers=boss))
    assert [(c["kind"], c["data"]["body"]) for c in thread] == [("reply", "Answered at the counter.")]

    engine = make_engine(live_world)
    senders = Senders(FileSink(tmp_path / "email.jsonl"), FileSink(tmp_path / "sms.jsonl"))
    report = Dispatcher(sessionmaker(engine, expire_on_commit=False), senders, live_clock).run_once()
    engine.dispose()
    assert report.sent == 2
    sent = [json.loads(line) for line in (tmp_path / "email.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((m["to"], m["subject"], m["body"]) for m in sent) == [
        ("han.mei@example.com", f"Re: Invoice copy [#{by_email}]", "A copy is on its way."),
        ("li.lei@example.com", f"Re: Roaming charges [#{of_customer}]", "The charges are refunded."),
    ]
