"""The ticket API through HTTP on SQLite and PostgreSQL: the shipped service flow end to end, role and
field checks with precise errors, assignment, comments, history, SLA status and the attainment report."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from baiying.clock import ManualClock
from tests.api.conftest import T0, error_of
from tests.tickets.conftest import TestClient, Users, ok

HOUR = 3600.0


def create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {
        "type": "consultation",
        "subject": "Broadband drops every evening",
        "customer_id": "cus-42",
        **body,
    }
    return ok(client.post("/api/tickets", json=payload, headers=headers), 201)  # type: ignore[no-any-return]


def move(client: TestClient, headers: dict[str, str], ticket_id: str, name: str, **fields: Any) -> Any:
    return client.post(
        f"/api/tickets/{ticket_id}/transitions", json={"name": name, "fields": fields}, headers=headers
    )


def test_the_service_flow_as_shipped(client: TestClient, users: Users, clock: ManualClock) -> None:
    """Record -> escalate to the expert queue -> the expert solves it and offers the answer to the KB ->
    closure -> survey callback; every step in the history, every request in the outbox."""
    ticket = create(client, users["lina"], site_id="guangzhou")
    tid = ticket["id"]
    assert ticket["state"] == "recorded"
    assert (ticket["queue_id"], ticket["agent_id"]) == ("first-line", "li-na")
    assert ticket["transitions"] == ["resolve", "escalate", "wait"]
    assert ticket["sla_policy"] == "standard"

    clock.advance(600)
    escalated = ok(move(client, users["lina"], tid, "escalate", escalation_reason="line noise, needs a test"))
    assert (escalated["state"], escalated["queue_id"], escalated["agent_id"]) == (
        "escalated",
        "experts",
        None,
    )
    assert escalated["transitions"] == []  # li-na is no expert

    taken = ok(move(client, users["zhangwei"], tid, "take"))
    assert taken["agent_id"] == "zhang-wei"
    clock.advance(1800)
    solved = ok(
        move(
            client, users["zhangwei"], tid, "solve", resolution="Replaced the line filter", promote_to_kb=True
        )
    )
    assert solved["state"] == "resolved"
    assert solved["responded_at"] == T0 + 2400
    closed = ok(move(client, users["lina"], tid, "close"))
    assert closed["category"] == "closed"
    assert closed["closed_at"] == T0 + 2400

    outbox = ok(client.get(f"/api/tickets/{tid}/outbox", headers=users["lina"]))
    requests = [(o["kind"], o["recipient"], o["channel"], o["template"], o["due_at"]) for o in outbox]
    assert requests == [
        ("notification", "queue:experts", "internal", "ticket-escalated", T0 + 600),
        ("knowledge-candidate", None, None, None, T0 + 2400),
        ("notification", "customer:cus-42", "sms", "ticket-resolved", T0 + 2400),
        ("callback", "customer:cus-42", None, "survey", T0 + 2400 + 24 * HOUR),
    ]
    assert outbox[1]["payload"] == {
        "question": "Broadband drops every evening",
        "answer": "Replaced the line filter",
        "ticket_type": "consultation",
    }

    clock.advance(24 * HOUR)
    surveyed = ok(move(client, users["lina"], tid, "record-survey", satisfaction=4))
    assert surveyed["state"] == "surveyed"

    history = ok(client.get(f"/api/tickets/{tid}/history", headers=users["chen"]))
    kinds = [(e["kind"], e["actor"]) for e in history]
    assert kinds == [
        ("created", "li-na"),
        ("sla-activated", "system"),
        ("sla-activated", "system"),
        ("assigned", "li-na"),
        ("transitioned", "li-na"),
        ("assigned", "li-na"),
        ("transitioned", "zhang-wei"),
        ("assigned", "zhang-wei"),
        ("transitioned", "zhang-wei"),
        ("sla-fulfilled", "system"),
        ("sla-fulfilled", "system"),
        ("knowledge-candidate", "zhang-wei"),
        ("transitioned", "li-na"),
        ("transitioned", "li-na"),
    ]
    solve = history[8]
    assert solve["data"]["before"] == {"state": "expert-working", "category": "open"}
    assert solve["data"]["after"] == {"state": "resolved", "category": "resolved"}
    assert solve["data"]["fields"] == {
        "resolution": {"before": None, "after": "Replaced the line filter"},
        "promote_to_kb": {"before": None, "after": True},
    }
    assert history[5]["data"] == {
        "before": {"queue_id": "first-line", "team_id": None, "agent_id": "li-na"},
        "after": {"queue_id": "experts", "team_id": None, "agent_id": None},
        "cause": "event:5",
    }


def test_transition_errors_are_precise(client: TestClient, users: Users) -> None:
    tid = create(client, users["lina"])["id"]
    assert error_of(move(client, users["lina"], tid, "escalate")) == (
        422,
        "missing-fields",
        "transition 'escalate' requires escalation_reason",
    )
    assert error_of(move(client, users["zhou"], tid, "wait", waiting_reason="customer")) == (
        403,
        "transition-forbidden",
        "transition 'wait' is for agent, expert; you act as supervisor",
    )
    assert error_of(move(client, users["lina"], tid, "close")) == (
        409,
        "transition-not-available",
        "ticket '"
        + tid
        + "' is 'recorded': 'close' is not possible from there (possible: resolve, escalate, wait)",
    )
    assert error_of(move(client, users["lina"], tid, "teleport"))[:2] == (422, "unknown-transition")
    assert error_of(move(client, users["lina"], tid, "resolve", resolution="")) == (
        422,
        "invalid-ticket",
        "field 'resolution': '' is not non-empty text",
    )
    assert error_of(
        client.post("/api/tickets/nope/transitions", json={"name": "x"}, headers=users["lina"])
    ) == (
        404,
        "unknown-ticket",
        "no ticket 'nope'",
    )


def test_supervisors_cannot_resolve_but_can_escalate(client: TestClient, users: Users) -> None:
    tid = create(client, users["lina"], site_id="guangzhou")["id"]
    status, code, message = error_of(move(client, users["chen"], tid, "resolve", resolution="x"))
    assert (status, code, message) == (
        403,
        "transition-forbidden",
        "transition 'resolve' is for agent; you act as supervisor",
    )
    assert ok(move(client, users["chen"], tid, "escalate", escalation_reason="VIP"))["state"] == "escalated"


def test_creation_is_validated(client: TestClient, users: Users) -> None:
    lina = users["lina"]
    assert error_of(
        client.post("/api/tickets", json={"type": "complaint", "subject": "x"}, headers=lina)
    ) == (
        422,
        "invalid-ticket",
        "a complaint needs a level (1, 2 or 3)",
    )
    assert error_of(
        client.post("/api/tickets", json={"type": "repair", "subject": "x", "level": 2}, headers=lina)
    )[2] == ("only complaints have a level; a repair ticket has none")
    assert error_of(
        client.post("/api/tickets", json={"type": "repair", "subject": "x", "site_id": "mars"}, headers=lina)
    ) == (422, "invalid-ticket", "no site 'mars'")
    status, code, _ = error_of(
        client.post("/api/tickets", json={"type": "gossip", "subject": "x"}, headers=lina)
    )
    assert (status, code) == (422, "invalid-request")
    assert error_of(
        client.post(
            "/api/tickets", json={"type": "repair", "subject": "x", "fields": {"serial": 7}}, headers=lina
        )
    ) == (422, "invalid-ticket", "field 'serial': 7 is not non-empty text")
    create(client, lina, id="tk-fixed")
    assert error_of(
        client.post("/api/tickets", json={"type": "lead", "subject": "x", "id": "tk-fixed"}, headers=lina)
    ) == (422, "invalid-ticket", "ticket 'tk-fixed' already exists")


def test_reading_needs_a_login_and_supervisors_see_their_site(client: TestClient, users: Users) -> None:
    assert error_of(client.get("/api/tickets"))[:2] == (401, "unauthenticated")
    at_beijing = create(client, users["lina"], site_id="beijing")["id"]
    at_guangzhou = create(client, users["lina"], site_id="guangzhou")["id"]
    chen_sees = [t["id"] for t in ok(client.get("/api/tickets", headers=users["chen"]))]
    assert chen_sees == [at_guangzhou]
    assert error_of(client.get(f"/api/tickets/{at_beijing}", headers=users["chen"])) == (
        403,
        "forbidden",
        f"user 'chen' may not read ticket '{at_beijing}'",
    )
    assert {t["id"] for t in ok(client.get("/api/tickets", headers=users["zhou"]))} == {
        at_beijing,
        at_guangzhou,
    }
    assert error_of(client.get(f"/api/tickets/{at_beijing}", headers=users["smith"]))[:2] == (
        404,
        "unknown-ticket",
    )


def test_list_filters(client: TestClient, users: Users, clock: ManualClock) -> None:
    lina = users["lina"]
    a = create(client, lina, customer_id="cus-1")["id"]
    clock.advance(1)
    b = create(client, lina, type="complaint", level=3, customer_id="cus-1")["id"]
    clock.advance(1)
    c = create(client, lina, type="repair", customer_id="cus-2")["id"]
    ok(move(client, lina, a, "resolve", resolution="done"))

    def ids(**params: Any) -> list[str]:
        return [t["id"] for t in ok(client.get("/api/tickets", params=params, headers=lina))]

    assert ids() == [c, b, a]
    assert ids(customer_id="cus-1") == [b, a]
    assert ids(type="complaint", level=3) == [b]
    assert ids(category="resolved") == [a]
    assert ids(state="recorded", limit=1) == [c]
    assert ids(state="recorded", limit=1, offset=1) == [b]
    assert error_of(client.get("/api/tickets", params={"level": 4}, headers=lina))[:2] == (
        422,
        "invalid-request",
    )


def test_assignment_to_queue_team_or_named_expert(client: TestClient, users: Users) -> None:
    tid = create(client, users["lina"])["id"]
    assigned = ok(
        client.put(f"/api/tickets/{tid}/assignment", json={"agent_id": "zhang-wei"}, headers=users["zhou"])
    )
    assert (assigned["queue_id"], assigned["agent_id"]) == (None, "zhang-wei")
    assert error_of(
        client.put(f"/api/tickets/{tid}/assignment", json={"agent_id": "ghost"}, headers=users["zhou"])
    ) == (
        422,
        "invalid-ticket",
        "no agent 'ghost'",
    )
    assert error_of(client.put(f"/api/tickets/{tid}/assignment", json={}, headers=users["zhou"]))[:2] == (
        422,
        "invalid-request",
    )
    history = ok(client.get(f"/api/tickets/{tid}/history", headers=users["lina"]))
    assert history[-1]["kind"] == "assigned"
    assert history[-1]["actor"] == "zhou"
    assert history[-1]["data"]["after"] == {"queue_id": None, "team_id": None, "agent_id": "zhang-wei"}


def test_notes_replies_and_customer_messages(client: TestClient, users: Users, clock: ManualClock) -> None:
    lina = users["lina"]
    tid = create(client, lina, site_id="beijing")["id"]
    ok(
        client.post(
            f"/api/tickets/{tid}/comments",
            json={"kind": "note", "body": "Customer sounded upset"},
            headers=lina,
        ),
        201,
    )
    clock.advance(HOUR)
    reply = ok(
        client.post(
            f"/api/tickets/{tid}/comments", json={"kind": "reply", "body": "We are on it"}, headers=lina
        ),
        201,
    )
    assert (reply["kind"], reply["actor"], reply["at"]) == ("reply", "li-na", T0 + HOUR)
    clock.advance(HOUR)
    ok(
        client.post(
            f"/api/tickets/{tid}/comments", json={"kind": "customer", "body": "Still down"}, headers=lina
        ),
        201,
    )

    visible = ok(client.get(f"/api/tickets/{tid}/comments", params={"customer_visible": True}, headers=lina))
    assert [(c["kind"], c["data"]["body"]) for c in visible] == [
        ("reply", "We are on it"),
        ("customer", "Still down"),
    ]
    assert len(ok(client.get(f"/api/tickets/{tid}/comments", headers=lina))) == 3

    sla = ok(client.get(f"/api/tickets/{tid}/sla", headers=lina))
    clocks = {c["metric"]: c for c in sla["clocks"]}
    assert clocks["first_response"]["status"] == "fulfilled"
    assert clocks["first_response"]["met"] is True
    assert clocks["next_response"]["status"] == "running"
    assert clocks["next_response"]["due_at"] == T0 + 2 * HOUR + 8 * HOUR  # beijing is open 24x7
    assert error_of(
        client.post(f"/api/tickets/{tid}/comments", json={"kind": "shout", "body": "x"}, headers=lina)
    )[:2] == (422, "invalid-request")


def test_a_customer_message_is_recorded_once_per_message_id(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    lina = users["lina"]
    tid = create(client, lina, site_id="beijing")["id"]
    message = {"kind": "customer", "body": "Still down", "message_id": "<r-1@example.cn>"}
    first = ok(client.post(f"/api/tickets/{tid}/comments", json=message, headers=lina), 201)
    clock.advance(HOUR)
    again = ok(client.post(f"/api/tickets/{tid}/comments", json=message, headers=lina), 201)
    assert again == first
    other = {**message, "message_id": "<r-2@example.cn>"}
    ok(client.post(f"/api/tickets/{tid}/comments", json=other, headers=lina), 201)
    comments = ok(client.get(f"/api/tickets/{tid}/comments", headers=lina))
    assert [(c["data"]["message_id"], c["at"]) for c in comments] == [
        ("<r-1@example.cn>", T0),
        ("<r-2@example.cn>", T0 + HOUR),
    ]


def test_waiting_pauses_the_sla_over_http(client: TestClient, users: Users, clock: ManualClock) -> None:
    lina = users["lina"]
    tid = create(client, lina, site_id="beijing")["id"]
    clock.advance(HOUR)
    ok(move(client, lina, tid, "wait", waiting_reason="customer"))
    clock.advance(10 * HOUR)
    paused = {c["metric"]: c for c in ok(client.get(f"/api/tickets/{tid}/sla", headers=lina))["clocks"]}
    assert paused["resolution"]["status"] == "paused"
    assert paused["resolution"]["elapsed_seconds"] == HOUR
    assert paused["resolution"]["due_at"] is None
    ok(move(client, lina, tid, "resume"))
    running = {c["metric"]: c for c in ok(client.get(f"/api/tickets/{tid}/sla", headers=lina))["clocks"]}
    assert running["resolution"]["due_at"] == T0 + 11 * HOUR + 39 * HOUR


def test_the_sla_clock_skips_the_sites_holidays_set_over_http(client: TestClient, users: Users) -> None:
    """T0 is Wednesday 2026-11-18 19:06:40 in Guangzhou (open 07:00-22:00): 8 business hours of first
    response end Thursday 12:06:40, or Friday's when Thursday is the site's holiday."""
    holiday = {"holidays": [{"day": "2026-11-19", "name": "Staff day"}]}
    ok(client.put("/api/sites/guangzhou/holidays", json=holiday, headers=users["wang"]))
    lina = users["lina"]
    guangzhou = create(client, lina, site_id="guangzhou")["id"]
    beijing = create(client, lina, site_id="beijing")["id"]

    def first_response_due(tid: str) -> float:
        sla = ok(client.get(f"/api/tickets/{tid}/sla", headers=lina))
        return next(c["due_at"] for c in sla["clocks"] if c["metric"] == "first_response")  # type: ignore[no-any-return]

    friday = datetime(2026, 11, 20, 12, 6, 40, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    assert first_response_due(guangzhou) == friday
    assert first_response_due(beijing) == T0 + 8 * HOUR  # beijing is open 24x7, without holidays


def test_sla_attainment_report(client: TestClient, users: Users, clock: ManualClock) -> None:
    lina = users["lina"]
    fast = create(client, lina, site_id="beijing")["id"]
    slow = create(client, lina, site_id="beijing")["id"]
    clock.advance(HOUR)
    ok(move(client, lina, fast, "resolve", resolution="quick"))
    clock.advance(9 * HOUR)
    ok(move(client, lina, slow, "resolve", resolution="late"))
    report = ok(client.get("/api/tickets/reports/sla-attainment", headers=users["zhou"]))
    rows = {(r["policy"], r["metric"]): r for r in report["rows"]}
    assert rows[("standard", "first_response")] == {
        "policy": "standard",
        "metric": "first_response",
        "fulfilled": 2,
        "met": 1,
        "breached": 1,
        "attainment": 0.5,
    }
    assert rows[("standard", "resolution")]["attainment"] == 1.0
    assert error_of(client.get("/api/tickets/reports/sla-attainment", headers=lina))[:2] == (403, "forbidden")
    assert error_of(
        client.get(
            "/api/tickets/reports/sla-attainment", params={"since": T0, "until": T0}, headers=users["zhou"]
        )
    )[:2] == (422, "invalid-ticket")


def test_sla_attainment_over_months_by_site(client: TestClient, users: Users, clock: ManualClock) -> None:
    lina = users["lina"]
    fast = create(client, lina, site_id="beijing")["id"]
    slow = create(client, lina, site_id="guangzhou")["id"]
    clock.advance(HOUR)
    ok(move(client, lina, fast, "resolve", resolution="quick"))
    clock.advance(30 * HOUR)  # past 8 hours even of Guangzhou's opening hours
    ok(move(client, lina, slow, "resolve", resolution="late"))
    clock.advance(200 * 24 * HOUR)
    users = Users(client)  # the sessions of 200 days ago have ended
    lina = users["lina"]
    later = create(client, lina, site_id="guangzhou")["id"]
    clock.advance(HOUR)
    ok(move(client, lina, later, "resolve", resolution="quick"))
    shanghai = ZoneInfo("Asia/Shanghai")
    period = {
        "start_date": datetime.fromtimestamp(T0, shanghai).date().isoformat(),
        "end_date": datetime.fromtimestamp(clock.now(), shanghai).date().isoformat(),
    }

    def first_response(login: str, **params: Any) -> tuple[int, int, int]:
        path = "/api/reports/sla-attainment"
        report = ok(client.get(path, params={**period, **params}, headers=users[login]))
        [row] = [r for r in report["rows"] if (r["policy"], r["metric"]) == ("standard", "first_response")]
        return row["fulfilled"], row["met"], row["breached"]

    assert first_response("wang") == (3, 2, 1)
    whole = ok(client.get("/api/reports/sla-attainment", params=period, headers=users["wang"]))
    by_time = {"since": T0 - 1, "until": clock.now() + 1}
    resource = ok(client.get("/api/tickets/reports/sla-attainment", params=by_time, headers=users["wang"]))
    assert whole["rows"] == resource["rows"]  # the same counts as the ticket report of the same span
    assert first_response("chen") == (2, 1, 1)  # a supervisor of Guangzhou: its two tickets
    theirs = ok(client.get("/api/tickets/reports/sla-attainment", params=by_time, headers=users["chen"]))
    assert (
        theirs["rows"]
        == ok(client.get("/api/reports/sla-attainment", params=period, headers=users["chen"]))["rows"]
    )
    assert first_response("wang", site="beijing") == (1, 1, 0)
    refused = client.get(
        "/api/reports/sla-attainment", params={**period, "site": "beijing"}, headers=users["chen"]
    )
    assert error_of(refused) == (
        403,
        "forbidden",
        "user 'chen' may not read the statistics of site 'beijing': their reports cover 'guangzhou'",
    )


def test_a_won_lead_opens_the_installation_work_order(client: TestClient, users: Users) -> None:
    wang = users["wang"]  # an admin acts in every ticket role, sales included
    lead = create(client, wang, type="lead", subject="50 seats for Acme Logistics", customer_id="cus-9")
    assert (lead["state"], lead["queue_id"]) == ("new", "enterprise-sales")
    ok(move(client, wang, lead["id"], "qualify", interest="call-center seats"))
    won = ok(move(client, wang, lead["id"], "win", outcome_note="signed for two years"))
    assert (won["state"], won["category"]) == ("won", "closed")

    history = ok(client.get(f"/api/tickets/{lead['id']}/history", headers=wang))
    (follow_up,) = [e["data"]["ticket_id"] for e in history if e["kind"] == "follow-up-created"]
    child = ok(client.get(f"/api/tickets/{follow_up}", headers=wang))
    assert (child["type"], child["subject"], child["parent_id"], child["customer_id"]) == (
        "repair",
        "Install the service sold",
        lead["id"],
        "cus-9",
    )
    assert child["state"] == "recorded"


def test_the_outbox_is_read_and_acknowledged_by_adapters(client: TestClient, users: Users) -> None:
    lina, zhou = users["lina"], users["zhou"]
    tid = create(client, lina)["id"]
    ok(move(client, lina, tid, "escalate", escalation_reason="hard"))
    ok(move(client, users["zhangwei"], tid, "take"))
    ok(move(client, users["zhangwei"], tid, "solve", resolution="Reset the ONT", promote_to_kb=True))
    candidates = ok(client.get("/api/tickets/outbox", params={"kind": "knowledge-candidate"}, headers=zhou))
    assert [(c["ticket_id"], c["payload"]["answer"]) for c in candidates] == [(tid, "Reset the ONT")]
    done = ok(client.post(f"/api/tickets/outbox/{candidates[0]['id']}/done", headers=zhou))
    assert done["status"] == "done"
    assert ok(client.get("/api/tickets/outbox", params={"kind": "knowledge-candidate"}, headers=zhou)) == []
    assert len(ok(client.get("/api/tickets/outbox", params={"status": "done"}, headers=zhou))) == 1
    assert error_of(client.post("/api/tickets/outbox/999999/done", headers=zhou)) == (
        404,
        "unknown-ticket",
        "no outbox entry 999999",
    )
    assert error_of(client.get("/api/tickets/outbox", headers=lina))[:2] == (403, "forbidden")


def test_a_supervisors_pages_hold_only_their_sites_tickets(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    at_guangzhou = create(client, users["lina"], site_id="guangzhou")["id"]
    clock.advance(1)
    nowhere = create(client, users["lina"])["id"]
    clock.advance(1)
    for _ in range(3):
        create(client, users["lina"], site_id="beijing")
        clock.advance(1)
    page = ok(client.get("/api/tickets", params={"limit": 2}, headers=users["chen"]))
    assert [t["id"] for t in page] == [nowhere, at_guangzhou]
