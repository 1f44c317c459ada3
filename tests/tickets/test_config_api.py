"""Each tenant's ticket configuration through HTTP on SQLite and PostgreSQL: the shipped files until the
tenant stores its own; a change is a new version (kept, audited) that the ticket desk uses at once, for
that tenant only; invalid files are refused with 422 naming file, field and line."""

from baiying.clock import ManualClock
from baiying.tickets.bundled import default_files
from tests.api.conftest import error_of
from tests.tickets.conftest import TestClient, Users, ok
from tests.tickets.test_api import HOUR, create, move

SLA = default_files()["sla.yaml"]
FAST_STANDARD = SLA.replace(
    "  - name: standard\n    calendar: site\n    first_response: 8h",
    "  - name: standard\n    calendar: site\n    first_response: 1h",
)


def first_response_target(client: TestClient, headers: dict[str, str], tid: str) -> float:
    clocks = ok(client.get(f"/api/tickets/{tid}/sla", headers=headers))["clocks"]
    return next(c["target_seconds"] for c in clocks if c["metric"] == "first_response")  # type: ignore[no-any-return]


def test_a_tenants_sla_file_is_versioned_used_at_once_and_audited(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    wang, chen = users["wang"], users["chen"]
    listed = ok(client.get("/api/ticket-config", headers=chen))
    assert [(f["name"], f["source"], f["version"]) for f in listed] == [
        ("workflows/complaint.yaml", "default", 0),
        ("workflows/consultation.yaml", "default", 0),
        ("workflows/lead.yaml", "default", 0),
        ("workflows/repair.yaml", "default", 0),
        ("sla.yaml", "default", 0),
        ("rules.yaml", "default", 0),
    ]
    assert ok(client.get("/api/ticket-config/sla.yaml", headers=chen))["text"] == SLA
    assert FAST_STANDARD != SLA

    clock.advance(60)
    saved = ok(client.put("/api/ticket-config/sla.yaml", json={"text": FAST_STANDARD}, headers=wang))
    assert (saved["source"], saved["version"], saved["updated_by"], saved["updated_at"]) == (
        "tenant",
        1,
        "wang",
        clock.now(),
    )
    tid = create(client, users["lina"])["id"]
    assert first_response_target(client, users["lina"], tid) == HOUR

    again = ok(client.put("/api/ticket-config/sla.yaml", json={"text": FAST_STANDARD}, headers=wang))
    assert again["version"] == 1  # the same text stores nothing
    ok(
        client.put("/api/ticket-config/sla.yaml", json={"text": SLA}, headers=wang)
    )  # back to the shipped terms
    versions = ok(client.get("/api/ticket-config/sla.yaml/versions", headers=chen))
    assert [(v["version"], v["text"] == SLA, v["created_by"]) for v in versions] == [
        (2, True, "wang"),
        (1, False, "wang"),
    ]
    # Each version's diff is against the one before; the first's against the shipped file.
    line = 1 + SLA.splitlines().index("    first_response: 8h", SLA.splitlines().index("  - name: standard"))
    assert versions[1]["diff"] == [
        f"@@ -{line - 1},3 +{line - 1},3 @@",
        "     calendar: site",
        "-    first_response: 8h",
        "+    first_response: 1h",
        f" {SLA.splitlines()[line]}",
    ]
    assert versions[0]["diff"][1:4] == [
        "     calendar: site",
        "-    first_response: 1h",
        "+    first_response: 8h",
    ]
    assert first_response_target(client, users["lina"], create(client, users["lina"])["id"]) == 8 * HOUR

    audit = ok(client.get("/api/audit", params={"entity": "ticket-config"}, headers=wang))
    assert sorted((e["entity_id"], e["before"]["version"], e["after"]["version"]) for e in audit) == [
        ("sla.yaml", 0, 1),
        ("sla.yaml", 1, 2),
    ]


def test_other_tenants_keep_their_own_configuration(client: TestClient, users: Users) -> None:
    ok(client.put("/api/ticket-config/sla.yaml", json={"text": FAST_STANDARD}, headers=users["wang"]))
    response = client.post("/api/auth/login", json={"login": "smith", "password": "smith's password"})
    client.cookies.clear()
    smith = {"Authorization": f"Bearer {response.json()['token']}"}
    assert ok(client.get("/api/ticket-config/sla.yaml", headers=smith))["version"] == 0
    tid = create(client, smith, site_id="shenzhen")["id"]
    assert first_response_target(client, smith, tid) == 8 * HOUR


def test_invalid_files_are_refused_naming_file_field_and_line(client: TestClient, users: Users) -> None:
    wang = users["wang"]
    broken = SLA.replace("calendar: office", "calendar: night-shift")
    response = client.put("/api/ticket-config/sla.yaml", json={"text": broken}, headers=wang)
    status, code, message = error_of(response)
    line = SLA.splitlines().index("    calendar: office") + 1
    assert (status, code) == (422, "invalid-config")
    assert message == (
        f"sla.yaml:{line}: policies[0].calendar: unknown calendar 'night-shift' "
        "(calendars: always, site, office)"
    )
    assert response.json()["error"]["details"]["problems"][0]["line"] == line

    # A rule naming a transition no workflow has: the cross-file check names the rules file.
    odd_rule = (
        "\n  - id: odd\n    order: 50\n    trigger: {event: transitioned, transition: fly}\n"
        "    actions:\n      - notify: {to: assignee, template: x}\n"
    )
    rules = default_files()["rules.yaml"] + odd_rule
    status, code, message = error_of(
        client.put("/api/ticket-config/rules.yaml", json={"text": rules}, headers=wang)
    )
    assert (status, code) == (422, "invalid-config")
    assert message.startswith("rules.yaml:"), message
    assert "fly" in message

    # A workflow may not drop a state open tickets are in.
    create(client, users["lina"])  # a consultation, "recorded"
    renamed = default_files()["workflows/consultation.yaml"].replace("recorded", "logged")
    response = client.put(
        "/api/ticket-config/workflows/consultation.yaml", json={"text": renamed}, headers=wang
    )
    assert error_of(response) == (
        422,
        "invalid-config",
        "workflows/consultation.yaml: states: 1 open ticket(s) are in state 'recorded', which this file "
        "drops",
    )
    assert error_of(client.put("/api/ticket-config/sla.yaml", json={"text": "policies: ["}, headers=wang))[
        :2
    ] == (
        422,
        "invalid-config",
    )
    assert error_of(client.get("/api/ticket-config/workflows/refund.yaml", headers=wang))[:2] == (
        404,
        "not-found",
    )
    assert error_of(client.get("/api/ticket-config/passwd", headers=wang))[:2] == (422, "invalid-request")
    assert ok(client.get("/api/ticket-config/sla.yaml/versions", headers=wang)) == []


def test_a_renamed_workflow_state_is_used_for_new_tickets(client: TestClient, users: Users) -> None:
    renamed = default_files()["workflows/consultation.yaml"].replace("recorded", "logged")
    ok(
        client.put(
            "/api/ticket-config/workflows/consultation.yaml", json={"text": renamed}, headers=users["wang"]
        )
    )
    ticket = create(client, users["lina"])
    assert ticket["state"] == "logged"
    resolved = ok(move(client, users["lina"], ticket["id"], "resolve", resolution="Done"))
    assert resolved["state"] == "resolved"


def test_new_sla_terms_rematch_the_open_tickets_they_change(
    client: TestClient, users: Users, clock: ManualClock
) -> None:
    lina = users["lina"]
    standard = create(client, lina, site_id="beijing")["id"]  # open around the clock
    complaint = create(client, lina, site_id="beijing", type="complaint", level=1)["id"]
    clock.advance(30 * 60)
    saved = ok(client.put("/api/ticket-config/sla.yaml", json={"text": FAST_STANDARD}, headers=users["wang"]))
    assert saved["rematched_tickets"] == [standard]  # the complaint's terms did not change
    sla = ok(client.get(f"/api/tickets/{standard}/sla", headers=lina))
    first = next(c for c in sla["clocks"] if c["metric"] == "first_response")
    assert (first["target_seconds"], first["elapsed_seconds"], first["due_at"]) == (
        HOUR,
        30 * 60,
        clock.now() + 30 * 60,
    )
    history = ok(client.get(f"/api/tickets/{standard}/history", headers=lina))
    rematched = [e["data"] for e in history if e["kind"] == "sla-rematched"]
    assert [(d["metric"], d["from_policy"], d["target_before"], d["target_after"]) for d in rematched] == [
        ("first_response", "standard", 8 * HOUR, HOUR),
        ("resolution", "standard", 40 * HOUR, 40 * HOUR),
    ]
    assert [e["kind"] for e in ok(client.get(f"/api/tickets/{complaint}/history", headers=lina))].count(
        "sla-rematched"
    ) == 0
    again = ok(client.put("/api/ticket-config/sla.yaml", json={"text": FAST_STANDARD}, headers=users["wang"]))
    assert again["rematched_tickets"] == []  # nothing changed


def test_new_rules_are_due_at_their_new_moments(client: TestClient, users: Users, clock: ManualClock) -> None:
    lina, wang = users["lina"], users["wang"]
    tid = create(client, lina)["id"]
    ok(move(client, lina, tid, "wait", waiting_reason="customer"))
    rules = default_files()["rules.yaml"]
    sooner = rules.replace(
        "trigger: {after: 72h, since: state_entered}", "trigger: {after: 24h, since: state_entered}"
    )
    assert sooner != rules
    ok(client.put("/api/ticket-config/rules.yaml", json={"text": sooner}, headers=wang))
    clock.advance(25 * HOUR)
    swept = ok(client.post("/api/tickets/automation/sweep", json={}, headers=wang))
    assert [(f["ticket_id"], f["rule"]) for f in swept["firings"]] == [(tid, "waiting-customer-reminder")]
