"""Automation over HTTP and the CLI, on SQLite and PostgreSQL: a level-3 complaint not answered in 2 h is
escalated to the complaint manager and the customer gets an SMS (recorded in the outbox); dry runs show it
without doing it; a rule never fires twice for the same cause."""

from datetime import UTC, datetime
from typing import Any

from typer.testing import CliRunner

from baiying.cli import app as cli
from baiying.clock import ManualClock
from tests.api.conftest import T0, DatabaseState, error_of
from tests.tickets.conftest import TestClient, Users, ok

HOUR = 3600.0
runner = CliRunner()


def complaint(client: TestClient, users: Users) -> str:
    body = {
        "type": "complaint",
        "level": 3,
        "subject": "Billed twice, threatening to go to the regulator",
        "customer_id": "cus-7",
        "site_id": "beijing",
    }
    return str(ok(client.post("/api/tickets", json=body, headers=users["lina"]), 201)["id"])


def outbox(client: TestClient, users: Users, tid: str) -> list[tuple[Any, ...]]:
    rows = ok(client.get(f"/api/tickets/{tid}/outbox", headers=users["lina"]))
    return [(o["kind"], o["recipient"], o["channel"], o["template"], o["cause"].split("|")[0]) for o in rows]


def sweep(client: TestClient, users: Users, dry_run: bool = False) -> Any:
    return ok(client.post("/api/tickets/automation/sweep", json={"dry_run": dry_run}, headers=users["zhou"]))


def test_an_unanswered_level_3_complaint_is_escalated_after_2_hours_once(
    client: TestClient, users: Users, clock: ManualClock, world: str
) -> None:
    tid = complaint(client, users)
    assert outbox(client, users, tid) == [
        ("notification", "customer:cus-7", "sms", "complaint-received", "rule:complaint-acknowledged")
    ]

    clock.advance(HOUR)
    assert sweep(client, users) == {
        "now": T0 + HOUR,
        "dry_run": False,
        "tickets": 0,
        "sla_events": [],
        "firings": [],
        "callbacks_placed": [],
    }

    clock.advance(HOUR)
    state = DatabaseState(world)
    before = state()
    dry = sweep(client, users, dry_run=True)
    assert state() == before  # a dry run changes nothing
    state.engine.dispose()
    assert dry["tickets"] == 1
    assert [(e["kind"], e["metric"], e["at"]) for e in dry["sla_events"]] == [
        ("sla-warned", "first_response", T0 + 1.5 * HOUR),
        ("sla-breached", "first_response", T0 + 2 * HOUR),
    ]
    assert [f["rule"] for f in dry["firings"]] == ["sla-breach-to-supervisor", "complaint-l3-unanswered"]
    assert dry["firings"][1]["effects"] == [
        {
            "kind": "escalated",
            "role": "complaint-manager",
            "queue_id": "complaint-desk",
            "priority": "urgent",
        },
        {
            "kind": "notification",
            "recipient": "role:complaint-manager",
            "channel": "internal",
            "template": "complaint-escalated",
        },
        {"kind": "notification", "recipient": "customer", "channel": "sms", "template": "complaint-in-hand"},
    ]

    real = sweep(client, users)

    def without_causes(firings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # An event rule's cause names the event's sequence, which PostgreSQL does not give back on rollback.
        return [{k: v for k, v in f.items() if k != "cause"} for f in firings]

    assert without_causes(real["firings"]) == without_causes(dry["firings"])
    assert real["sla_events"] == dry["sla_events"]
    ticket = ok(client.get(f"/api/tickets/{tid}", headers=users["lina"]))
    assert (ticket["priority"], ticket["queue_id"], ticket["agent_id"]) == ("urgent", "complaint-desk", None)
    history = ok(client.get(f"/api/tickets/{tid}/history", headers=users["lina"]))
    warned, breached = (
        f"event:{e['sequence']}" for e in history if e["kind"] in ("sla-warned", "sla-breached")
    )
    assert outbox(client, users, tid)[1:] == [
        ("notification", "agent:li-na", "internal", "sla-warning", warned),
        ("notification", "role:complaint-manager", "internal", "sla-breached", breached),
        ("notification", "role:supervisor", "internal", "sla-breach-report", "rule:sla-breach-to-supervisor"),
        (
            "notification",
            "role:complaint-manager",
            "internal",
            "complaint-escalated",
            "rule:complaint-l3-unanswered",
        ),
        ("notification", "customer:cus-7", "sms", "complaint-in-hand", "rule:complaint-l3-unanswered"),
    ]
    fired = [e["data"]["rule"] for e in history if e["kind"] == "rule-fired"]
    assert fired == ["complaint-acknowledged", "sla-breach-to-supervisor", "complaint-l3-unanswered"]
    escalations = [e["data"] for e in history if e["kind"] == "escalated"]
    assert [(e["role"], e["cause"].split("|")[0]) for e in escalations] == [
        ("complaint-manager", breached),  # the SLA policy's breach action
        ("complaint-manager", "rule:complaint-l3-unanswered"),
    ]
    assert (escalations[0]["before"]["priority"], escalations[0]["after"]["priority"]) == ("normal", "urgent")
    assert escalations[0]["after"] == {
        "priority": "urgent",
        "queue_id": "complaint-desk",
        "team_id": None,
        "agent_id": None,
    }

    # Never twice for the same cause, however often the sweep runs.
    clock.advance(5 * HOUR)
    assert sweep(client, users)["firings"] == []
    assert len(outbox(client, users, tid)) == 6

    preview = ok(
        client.post(
            f"/api/tickets/{tid}/automation/preview",
            json={"rule_id": "complaint-l3-unanswered"},
            headers=users["zhou"],
        )
    )
    assert (preview["matches"], preview["due"], preview["already_fired"]) == (True, True, True)
    assert preview["due_at"] == T0 + 2 * HOUR


def test_an_answered_complaint_is_not_escalated(client: TestClient, users: Users, clock: ManualClock) -> None:
    tid = complaint(client, users)
    clock.advance(HOUR)
    ok(
        client.post(
            f"/api/tickets/{tid}/comments",
            json={"kind": "reply", "body": "Refund on its way"},
            headers=users["lina"],
        ),
        201,
    )
    clock.advance(3 * HOUR)
    preview = ok(
        client.post(
            f"/api/tickets/{tid}/automation/preview",
            json={"rule_id": "complaint-l3-unanswered"},
            headers=users["zhou"],
        )
    )
    assert (preview["matches"], preview["effects"]) == (False, [])
    assert [f["rule"] for f in sweep(client, users)["firings"]] == []


def test_rules_are_listed_in_order_and_previews_are_checked(client: TestClient, users: Users) -> None:
    rules = ok(client.get("/api/tickets/automation/rules", headers=users["wang"]))
    assert [(r["id"], r["order"]) for r in rules] == [
        ("complaint-l3-unanswered", 10),
        ("complaint-acknowledged", 20),
        ("sla-breach-to-supervisor", 30),
        ("waiting-customer-reminder", 40),
    ]
    assert rules[0]["trigger"] == {"after": 7200.0, "since": "created"}
    tid = complaint(client, users)
    assert error_of(
        client.post(f"/api/tickets/{tid}/automation/preview", json={"rule_id": "nope"}, headers=users["zhou"])
    )[:2] == (422, "unknown-rule")
    assert error_of(client.post("/api/tickets/automation/sweep", json={}, headers=users["lina"])) == (
        403,
        "forbidden",
        "user 'lina' may not run ticket reports or automation",
    )


def test_the_cli_sweep_is_the_same_sweep(client: TestClient, users: Users, world: str) -> None:
    tid = complaint(client, users)
    at = datetime.fromtimestamp(T0 + 2 * HOUR, tz=UTC).isoformat()
    dry = runner.invoke(cli, ["tickets", "sweep", "--url", world, "--at", at, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines() == [
        f"{tid}: sla-warned first_response",
        f"{tid}: sla-breached first_response",
        f"{tid}: rule sla-breach-to-supervisor would fire (notification)",
        f"{tid}: rule complaint-l3-unanswered would fire (escalated, notification, notification)",
        "1 ticket(s) due: 2 SLA event(s), 2 rule firing(s) (dry run: nothing changed).",
    ]
    done = runner.invoke(cli, ["tickets", "sweep", "--url", world, "--at", at])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == "1 ticket(s) due: 2 SLA event(s), 2 rule firing(s)."
    again = runner.invoke(cli, ["tickets", "sweep", "--url", world, "--at", at])
    assert again.output == "0 ticket(s) due: 0 SLA event(s), 0 rule firing(s).\n"
    bad = runner.invoke(cli, ["tickets", "sweep", "--url", world, "--at", "tomorrow"])
    assert bad.exit_code == 2
    assert "--at 'tomorrow' is not an ISO 8601 date-time" in bad.output
