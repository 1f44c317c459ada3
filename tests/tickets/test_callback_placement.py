"""A ticket's survey call, once due, is placed as an outbound contact in the queue of the contact the ticket
was recorded in, exactly once, and the ticket and its outbox say so (SQLite and PostgreSQL)."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from baiying.clock import ManualClock
from baiying.storage.engine import make_engine
from baiying.storage.tables import ContactRow
from baiying.storage.ticket_tables import TicketOutboxRow
from tests.tickets.conftest import TestClient, Users, ok
from tests.tickets.test_api import HOUR, create, move

GENERAL = "id: general\nsteps:\n  - name: anyone\n    target: {skills: {care: 1}, sites: any}\n"


def sweep(client: TestClient, users: Users) -> list[str]:
    swept = ok(client.post("/api/tickets/automation/sweep", json={}, headers=users["wang"]))
    return swept["callbacks_placed"]  # type: ignore[no-any-return]


def test_a_due_survey_call_is_placed_once_as_a_contact_in_the_tickets_queue(
    client: TestClient, users: Users, clock: ManualClock, world: str
) -> None:
    admin = users["wang"]
    ok(client.put("/api/policies/general", json={"yaml": GENERAL}, headers=admin))
    ok(
        client.post(
            "/api/queues", json={"id": "care", "name": "Care", "policy_id": "general"}, headers=admin
        ),
        201,
    )
    customer = {
        "id": "cus-42",
        "display_name": "Li Lei",
        "contact_points": [{"kind": "phone", "value": "138 0013 8000"}],
        "site": "beijing",
    }
    ok(client.post("/api/customers", json=customer, headers=admin), 201)
    call = {"id": "call-1", "queue": "care", "site": "beijing", "customer": "cus-42"}
    ok(client.post("/api/contacts", json=call, headers=admin), 201)

    tid = create(client, users["lina"], customer_id="cus-42", contact_id="call-1")["id"]
    ok(move(client, users["lina"], tid, "resolve", resolution="Explained the bill"))
    ok(move(client, users["lina"], tid, "close"))
    assert sweep(client, users) == []  # the survey is due a day later

    clock.advance(24 * HOUR)
    placed = sweep(client, users)
    assert len(placed) == 1
    contact = ok(client.get(f"/api/contacts/{placed[0]}", headers=admin))
    assert (contact["phase"], contact["queue"], contact["channel"]) == ("waiting", "care", "voice")
    engine = make_engine(world)
    with Session(engine) as session:
        row = session.get(ContactRow, ("acme", placed[0]))
        assert row is not None
        assert (row.customer_id, row.intent) == ("cus-42", "survey")
        # What the agent's offer shows: whom to call, the number, and why.
        assert row.attributes == {
            "direction": "outbound",
            "callback_purpose": "survey",
            "ticket_id": tid,
            "phone": "+8613800138000",
        }
    outbox = ok(client.get(f"/api/tickets/{tid}/outbox", headers=users["lina"]))
    [survey] = [o for o in outbox if o["kind"] == "callback"]
    assert survey["status"] == "done"
    assert survey["payload"] == {"purpose": "survey", "contact_id": placed[0], "queue": "care"}
    history = ok(client.get(f"/api/tickets/{tid}/history", headers=users["lina"]))
    assert [e["data"] for e in history if e["kind"] == "callback-placed"] == [
        {"purpose": "survey", "contact_id": placed[0], "queue": "care"}
    ]
    assert sweep(client, users) == []  # placed once

    # A crash after the contact was made but before its request was marked: the next pass finds the
    # contact (its id comes from the request) and only marks the request.
    with Session(engine) as session, session.begin():
        session.execute(
            update(TicketOutboxRow).where(TicketOutboxRow.id == survey["id"]).values(status="pending")
        )
    assert sweep(client, users) == placed
    assert ok(client.get(f"/api/contacts/{placed[0]}", headers=admin))["phase"] == "waiting"
    engine.dispose()


def test_a_callback_with_no_queue_to_go_to_stays_in_the_worklist(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    tid = create(client, users["lina"], customer_id="cus-42")["id"]  # recorded without a contact
    ok(move(client, users["lina"], tid, "resolve", resolution="Explained the bill"))
    ok(move(client, users["lina"], tid, "close"))
    clock.advance(24 * HOUR)
    assert sweep(client, users) == []
    outbox = ok(client.get(f"/api/tickets/{tid}/outbox", headers=users["lina"]))
    assert [o["status"] for o in outbox if o["kind"] == "callback"] == ["pending"]
