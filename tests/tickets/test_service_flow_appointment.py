"""The shipped service flow's other branch, through HTTP on SQLite and PostgreSQL with the shipped
workflows and SLA policies: record a fault -> escalate to the technicians' (expert) queue -> the expert
books a visit with the customer (the resolution clock truly pauses while the visit is pending, however long
the sweep runs) -> time-limit tracking (a warning before the first-response breach) -> the visit fixes it
-> closure -> survey callback and survey; the appointment reminder and every customer message requested."""

from datetime import UTC, datetime
from typing import Any

from baiying.clock import ManualClock
from tests.api.conftest import T0
from tests.tickets.conftest import TestClient, Users, ok

HOUR = 3600.0


def move(client: TestClient, headers: dict[str, str], ticket_id: str, name: str, **fields: Any) -> Any:
    response = client.post(
        f"/api/tickets/{ticket_id}/transitions", json={"name": name, "fields": fields}, headers=headers
    )
    return ok(response)


def clocks(client: TestClient, users: Users, tid: str) -> dict[str, dict[str, Any]]:
    sla = ok(client.get(f"/api/tickets/{tid}/sla", headers=users["lina"]))
    return {c["metric"]: c for c in sla["clocks"]}


def sweep(client: TestClient, users: Users) -> Any:
    return ok(client.post("/api/tickets/automation/sweep", json={"dry_run": False}, headers=users["zhou"]))


def test_a_repair_escalated_to_a_technician_who_books_a_visit(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    lina, expert = users["lina"], users["zhangwei"]
    body = {"type": "repair", "subject": "Router dead after a storm", "customer_id": "cus-42"}
    ticket = ok(client.post("/api/tickets", json={**body, "site_id": "beijing"}, headers=lina), 201)
    tid = ticket["id"]
    assert (ticket["state"], ticket["queue_id"], ticket["sla_policy"]) == ("recorded", "first-line", "repair")

    clock.advance(HOUR)
    dispatched = move(client, lina, tid, "escalate", escalation_reason="no sync light", product="HG8245")
    assert (dispatched["state"], dispatched["queue_id"], dispatched["agent_id"]) == (
        "dispatched",
        "technicians",
        None,
    )

    clock.advance(1.5 * HOUR)  # 2h before the 4h first-response limit: the warning
    swept = sweep(client, users)
    assert [(e["kind"], e["metric"], e["at"]) for e in swept["sla_events"]] == [
        ("sla-warned", "first_response", T0 + 2 * HOUR)
    ]

    move(client, expert, tid, "take")
    visit_at = T0 + 50 * HOUR
    visit = datetime.fromtimestamp(visit_at, UTC).isoformat()
    booked = move(client, expert, tid, "book-appointment", appointment_at=visit)
    assert (booked["state"], booked["category"], booked["responded_at"]) == (
        "visit-booked",
        "waiting",
        T0 + 2.5 * HOUR,
    )
    responded = clocks(client, users, tid)["first_response"]
    assert (responded["status"], responded["warned"], responded["met"]) == ("fulfilled", True, True)

    clock.advance(100 * HOUR)  # far past the 72h resolution limit, but the customer's visit is pending
    assert sweep(client, users)["sla_events"] == []
    paused = clocks(client, users, tid)["resolution"]
    assert (paused["status"], paused["elapsed_seconds"], paused["due_at"]) == ("paused", 2.5 * HOUR, None)

    fixed = move(client, expert, tid, "complete-visit", resolution="Replaced the power supply")
    assert fixed["state"] == "resolved"
    resolution = clocks(client, users, tid)["resolution"]
    assert (resolution["status"], resolution["elapsed_seconds"], resolution["met"]) == (
        "fulfilled",
        2.5 * HOUR,  # the 100 h the visit was pending never counted
        True,
    )
    closed = move(client, lina, tid, "close")
    assert closed["category"] == "closed"

    outbox = ok(client.get(f"/api/tickets/{tid}/outbox", headers=lina))
    assert [(o["kind"], o["recipient"], o["channel"], o["template"], o["due_at"]) for o in outbox] == [
        ("notification", "queue:technicians", "internal", "repair-dispatched", T0 + HOUR),
        ("notification", "customer:cus-42", "sms", "visit-booked", T0 + 2.5 * HOUR),
        ("callback", "customer:cus-42", None, "appointment-reminder", visit_at - HOUR),
        ("notification", "customer:cus-42", "sms", "ticket-resolved", T0 + 102.5 * HOUR),
        ("callback", "customer:cus-42", None, "survey", T0 + 126.5 * HOUR),
    ]

    clock.advance(24 * HOUR)
    surveyed = move(client, lina, tid, "record-survey", satisfaction=5)
    assert surveyed["state"] == "surveyed"
    history = ok(client.get(f"/api/tickets/{tid}/history", headers=users["zhou"]))
    assert [(e["kind"], e["actor"]) for e in history] == [
        ("created", "li-na"),
        ("sla-activated", "system"),
        ("sla-activated", "system"),
        ("assigned", "li-na"),
        ("transitioned", "li-na"),  # escalate
        ("assigned", "li-na"),
        ("sla-warned", "system"),
        ("transitioned", "zhang-wei"),  # take
        ("assigned", "zhang-wei"),
        ("transitioned", "zhang-wei"),  # book-appointment
        ("sla-fulfilled", "system"),
        ("sla-paused", "system"),
        ("transitioned", "zhang-wei"),  # complete-visit
        ("sla-fulfilled", "system"),
        ("transitioned", "li-na"),  # close
        ("transitioned", "li-na"),  # record-survey
    ]
    report = ok(client.get("/api/tickets/reports/sla-attainment", headers=users["zhou"]))
    assert {(r["policy"], r["metric"]): (r["met"], r["breached"]) for r in report["rows"]} == {
        ("repair", "first_response"): (1, 0),
        ("repair", "resolution"): (1, 0),
    }
