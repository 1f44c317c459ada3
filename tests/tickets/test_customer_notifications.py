"""A ticket's customer notifications leave through the notification outbox: a new complaint's SMS
acknowledgement is rendered in the customer's language with the ticket's id and sent; a customer without
a phone gets a failed row that says why (SQLite and PostgreSQL)."""

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from baiying.clock import ManualClock
from baiying.notifications.dispatch import Dispatcher, Senders
from baiying.notifications.senders import FileSink
from baiying.storage.engine import make_engine
from baiying.storage.notification_tables import OutboxRow
from tests.tickets.conftest import TestClient, Users, ok


def test_a_complaint_acknowledgement_reaches_the_customer_by_sms(
    client: TestClient, users: Users, clock: ManualClock, world: str, tmp_path: Path
) -> None:
    admin = users["wang"]
    for customer in (
        {"id": "c-1", "display_name": "王芳", "contact_points": [{"kind": "phone", "value": "13800138000"}]},
        {"id": "c-2", "display_name": "Tom", "language": "en", "contact_points": []},
    ):
        ok(client.post("/api/customers", json=customer, headers=admin), 201)
    for customer_id in ("c-1", "c-2"):
        body = {"type": "complaint", "level": 1, "subject": "宽带断线", "customer_id": customer_id}
        ticket = ok(client.post("/api/tickets", json=body, headers=users["lina"]), 201)
    engine = make_engine(world)
    sessions = sessionmaker(engine, expire_on_commit=False)
    senders = Senders(FileSink(tmp_path / "email.jsonl"), FileSink(tmp_path / "sms.jsonl"))
    report = Dispatcher(sessions, senders, clock).run_once()
    again = Dispatcher(sessions, senders, clock).run_once()  # nothing twice
    with Session(engine) as session:
        rows = list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    engine.dispose()
    assert (report.sent, again.sent) == (1, 0)
    [line] = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    sms = json.loads(line)
    assert sms["to"] == "+8613800138000"
    assert sms["body"].startswith("王芳您好，您的投诉“宽带断线”已受理（工单 ")
    assert [(r.customer_id, r.status, r.template) for r in rows] == [
        ("c-1", "sent", "complaint-received"),
        ("c-2", "failed", "complaint-received"),
    ]
    assert rows[1].last_error == "customer 'c-2' has no phone for sms"
    assert ticket["customer_id"] == "c-2"


def test_the_screen_pop_lists_the_customers_open_tickets(client: TestClient, users: Users) -> None:
    customer = {
        "id": "c-1",
        "display_name": "王芳",
        "contact_points": [{"kind": "phone", "value": "13800138000"}],
    }
    ok(client.post("/api/customers", json=customer, headers=users["wang"]), 201)
    body = {"type": "repair", "subject": "空调不制冷", "customer_id": "c-1"}
    ticket = ok(client.post("/api/tickets", json=body, headers=users["lina"]), 201)
    pop = ok(client.get("/api/screen-pop", params={"phone": "13800138000"}, headers=users["lina"]))
    [shown] = pop["sections"]["open_tickets"]
    assert (shown["id"], shown["type"], shown["subject"], shown["state"]) == (
        ticket["id"],
        "repair",
        "空调不制冷",
        ticket["state"],
    )
