"""Changing a ticket over HTTP (PATCH /api/tickets/{id}) on SQLite and PostgreSQL: the change is in the
history with the values before and after, and the SLA policy is re-matched with the clocks' business time
kept."""

from baiying.clock import ManualClock
from tests.api.conftest import T0, error_of
from tests.tickets.conftest import TestClient, Users, ok
from tests.tickets.test_api import HOUR, create


def test_raising_a_consultation_to_a_level_3_complaint_rematches_its_sla(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    lina = users["lina"]
    tid = create(client, lina, site_id="beijing")["id"]  # beijing is open around the clock
    clock.advance(HOUR)
    changed = ok(client.patch(f"/api/tickets/{tid}", json={"type": "complaint", "level": 3}, headers=lina))
    assert (changed["type"], changed["level"], changed["sla_policy"]) == ("complaint", 3, "complaint-level-3")

    sla = ok(client.get(f"/api/tickets/{tid}/sla", headers=lina))
    assert sla["policy"] == "complaint-level-3"
    first = next(c for c in sla["clocks"] if c["metric"] == "first_response")
    assert (first["elapsed_seconds"], first["target_seconds"], first["due_at"]) == (
        HOUR,
        2 * HOUR,
        T0 + 2 * HOUR,
    )

    history = ok(client.get(f"/api/tickets/{tid}/history", headers=lina))
    updated = next(e for e in history if e["kind"] == "updated")
    assert updated["actor"] == "li-na"
    assert updated["data"] == {
        "before": {"type": "consultation", "level": None},
        "after": {"type": "complaint", "level": 3},
    }
    rematched = [e for e in history if e["kind"] == "sla-rematched"]
    assert [(e["data"]["metric"], e["data"]["from_policy"], e["data"]["policy"]) for e in rematched] == [
        ("first_response", "standard", "complaint-level-3"),
        ("resolution", "standard", "complaint-level-3"),
    ]

    # The new policy's warning and breach come from the sweep, with its actions (escalation on breach).
    clock.advance(HOUR + 60)
    ok(client.post("/api/tickets/automation/sweep", json={}, headers=users["wang"]))
    ticket = ok(client.get(f"/api/tickets/{tid}", headers=lina))
    assert (ticket["priority"], ticket["queue_id"]) == ("urgent", "complaint-desk")
    kinds = [e["kind"] for e in ok(client.get(f"/api/tickets/{tid}/history", headers=lina))]
    assert kinds[7:10] == ["sla-warned", "sla-breached", "escalated"]  # then the complaint rules fire


def test_a_change_past_the_new_target_breaches_at_once(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    lina = users["lina"]
    tid = create(client, lina, site_id="beijing", type="complaint", level=1)["id"]  # 4 h to answer
    clock.advance(3 * HOUR)
    ok(client.patch(f"/api/tickets/{tid}", json={"level": 3}, headers=lina))  # 2 h: already past
    history = ok(client.get(f"/api/tickets/{tid}/history", headers=lina))
    breached = [e for e in history if e["kind"] == "sla-breached"]
    assert [(e["data"]["metric"], e["at"]) for e in breached] == [("first_response", T0 + 3 * HOUR)]
    ticket = ok(client.get(f"/api/tickets/{tid}", headers=lina))
    assert (ticket["priority"], ticket["queue_id"]) == ("urgent", "complaint-desk")


def test_a_change_that_keeps_the_policy_leaves_the_clocks_alone(client: TestClient, users: Users) -> None:
    lina = users["lina"]
    tid = create(client, lina)["id"]
    ok(
        client.patch(
            f"/api/tickets/{tid}", json={"priority": "high", "subject": "Drops at night"}, headers=lina
        )
    )
    history = ok(client.get(f"/api/tickets/{tid}/history", headers=lina))
    assert [e["kind"] for e in history if e["kind"].startswith("sla-")] == ["sla-activated", "sla-activated"]
    assert history[-1]["data"]["after"] == {"priority": "high", "subject": "Drops at night"}


def test_vip_tier_rematches_and_no_change_records_nothing(client: TestClient, users: Users) -> None:
    lina = users["lina"]
    tid = create(client, lina)["id"]
    assert ok(client.patch(f"/api/tickets/{tid}", json={"tier": "vip"}, headers=lina))["sla_policy"] == "vip"
    before = len(ok(client.get(f"/api/tickets/{tid}/history", headers=lina)))
    again = ok(client.patch(f"/api/tickets/{tid}", json={"tier": "vip"}, headers=lina))
    assert again["sla_policy"] == "vip"
    assert len(ok(client.get(f"/api/tickets/{tid}/history", headers=lina))) == before


def test_changes_are_validated(client: TestClient, users: Users) -> None:
    lina = users["lina"]
    tid = create(client, lina)["id"]
    patch = lambda body: client.patch(f"/api/tickets/{tid}", json=body, headers=lina)  # noqa: E731
    assert error_of(patch({"type": "complaint"})) == (
        422,
        "invalid-ticket",
        "a complaint needs a level (1, 2 or 3)",
    )
    assert error_of(patch({"level": 2})) == (
        422,
        "invalid-ticket",
        "only complaints have a level; a consultation ticket has none",
    )
    assert error_of(patch({"type": "lead"})) == (
        409,
        "conflict",
        f"ticket '{tid}' is in state 'recorded', which the lead workflow (workflows/lead.yaml) lacks (in "
        "category open)",
    )
    assert error_of(patch({}))[:2] == (422, "invalid-request")
    assert error_of(patch({"priority": None}))[:2] == (422, "invalid-request")
    assert error_of(patch({"priority": "sometime"}))[:2] == (422, "invalid-request")
    # A complaint turned back into a consultation drops its level.
    complaint = create(client, lina, type="complaint", level=2)["id"]
    back = ok(client.patch(f"/api/tickets/{complaint}", json={"type": "consultation"}, headers=lina))
    assert (back["type"], back["level"], back["sla_policy"]) == ("consultation", None, "standard")
