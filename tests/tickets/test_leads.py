"""Leads through HTTP on SQLite and PostgreSQL, in the live world (tenant national): an agent on a call
records a lead from the contact alone; it goes to the enterprise sales team's queue under the lead SLA
(whatever the caller's tier), a salesperson qualifies it, nurtures it (the clocks pause), wins it (the
installation work order follows) or loses it - followed to closure, every step in the history."""

from sqlalchemy.orm import Session

from baiying.clock import ManualClock
from baiying.storage.engine import make_engine
from baiying.storage.repositories import AgentRepository
from tests.api.conftest import TestClient, error_of
from tests.api.test_live import arrive, login, ok
from tests.application.helpers import A1, GZ1, TENANT
from tests.customers.conftest import live, live_clock, live_world

__all__ = ["live", "live_clock", "live_world"]  # the live world's fixtures, used here

HOUR = 3600.0


def make_salesperson(url: str, agent_id: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        AgentRepository(session, TENANT).update(agent_id, attributes={"ticket_roles": ["sales"]})
        session.commit()
    engine.dispose()


def move(client: TestClient, headers: dict[str, str], tid: str, name: str, **fields: object) -> object:
    return client.post(
        f"/api/tickets/{tid}/transitions", json={"name": name, "fields": fields}, headers=headers
    )


def test_a_lead_from_a_call_is_won_by_the_sales_team(
    live: TestClient, live_world: str, live_clock: ManualClock
) -> None:
    make_salesperson(live_world, GZ1)
    boss, agent, sales = login(live, "boss"), login(live, "agent-bj"), login(live, "agent-gz")
    ok(live.post(f"/api/agents/{A1}/login", headers=agent))
    arrive(live, boss, "c-lead", customer="lin-logistics", tier="vip")
    ok(live.post("/api/contacts/c-lead/accept", headers=agent))

    body = {"type": "lead", "subject": "40 seats for the new depot", "contact_id": "c-lead"}
    lead = ok(
        live.post("/api/tickets", json={**body, "fields": {"company": "Lin Logistics"}}, headers=agent), 201
    )
    assert (lead["customer_id"], lead["tier"], lead["site_id"], lead["contact_id"]) == (
        "lin-logistics",
        "vip",
        "beijing",
        "c-lead",
    )
    assert (lead["state"], lead["queue_id"], lead["sla_policy"]) == ("new", "enterprise-sales", "lead")
    assert lead["transitions"] == []  # the agent who took the call is no salesperson
    tid = lead["id"]
    assert [
        t["id"] for t in ok(live.get("/api/tickets", params={"contact_id": "c-lead"}, headers=agent))
    ] == [tid]
    outbox = ok(live.get(f"/api/tickets/{tid}/outbox", headers=agent))
    assert [(o["recipient"], o["template"]) for o in outbox] == [("queue:enterprise-sales", "lead-created")]
    assert error_of(move(live, agent, tid, "qualify", interest="seats"))[:2] == (403, "transition-forbidden")

    live_clock.advance(HOUR)
    qualified = ok(move(live, sales, tid, "qualify", interest="40 seats, call recording"))
    assert (qualified["state"], qualified["agent_id"], qualified["responded_at"]) == (
        "qualified",
        GZ1,
        live_clock.now(),
    )
    ok(move(live, sales, tid, "nurture", waiting_reason="customer"))
    live_clock.advance(48 * HOUR)  # waiting on the prospect: the resolution clock stands still
    sales = login(live, "agent-gz")
    resumed = ok(move(live, sales, tid, "resume"))
    assert resumed["state"] == "qualified"
    sla = ok(live.get(f"/api/tickets/{tid}/sla", headers=sales))
    resolution = next(c for c in sla["clocks"] if c["metric"] == "resolution")
    assert (resolution["status"], resolution["target_seconds"]) == ("running", 80 * HOUR)
    assert resolution["elapsed_seconds"] == HOUR  # the hour before nurturing; the 48 h waiting never count

    won = ok(move(live, sales, tid, "win", outcome_note="two-year contract signed"))
    assert (won["state"], won["category"]) == ("won", "closed")
    history = ok(live.get(f"/api/tickets/{tid}/history", headers=sales))
    kinds = [e["kind"] for e in history]
    assert history[0]["data"]["after"]["contact_id"] == "c-lead"
    assert {"sla-paused", "sla-resumed", "follow-up-created"} <= set(kinds)
    fulfilled = [e["data"]["metric"] for e in history if e["kind"] == "sla-fulfilled"]
    assert fulfilled == ["first_response", "resolution"]
    follow_up = next(e for e in history if e["kind"] == "follow-up-created")["data"]["ticket_id"]
    work_order = ok(live.get(f"/api/tickets/{follow_up}", headers=sales))
    assert (work_order["type"], work_order["customer_id"], work_order["parent_id"]) == (
        "repair",
        "lin-logistics",
        tid,
    )


def test_a_lead_can_be_lost_and_a_contact_must_exist(live: TestClient, live_world: str) -> None:
    make_salesperson(live_world, GZ1)
    boss, sales = login(live, "boss"), login(live, "agent-gz")
    arrive(live, boss, "c-2", customer="cust-2")
    tid = ok(
        live.post(
            "/api/tickets", json={"type": "lead", "subject": "Fibre", "contact_id": "c-2"}, headers=boss
        ),
        201,
    )["id"]
    assert error_of(move(live, sales, tid, "lose"))[:2] == (422, "missing-fields")
    lost = ok(move(live, sales, tid, "lose", lost_reason="price"))
    assert (lost["state"], lost["category"]) == ("lost", "closed")
    missing = live.post(
        "/api/tickets", json={"type": "lead", "subject": "x", "contact_id": "c-none"}, headers=boss
    )
    assert error_of(missing) == (422, "invalid-ticket", "no contact 'c-none'")
    assert missing.json()["error"]["details"] == {"field": "contact_id"}
