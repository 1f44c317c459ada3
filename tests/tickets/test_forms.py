"""What ticket forms may offer, through HTTP on SQLite and PostgreSQL: the types with their levels and
fields, and the transitions a user's ticket roles allow from a ticket's state with the fields still
missing, following the shipped workflows."""

from typing import Any

from tests.api.conftest import error_of
from tests.tickets.conftest import TestClient, Users, ok


def names(transitions: list[dict[str, Any]]) -> list[str]:
    return [t["name"] for t in transitions]


def test_the_ticket_types_say_what_a_new_ticket_takes(client: TestClient, users: Users) -> None:
    types = {t["type"]: t for t in ok(client.get("/api/tickets/types", headers=users["lina"]))}
    assert set(types) == {"consultation", "complaint", "repair", "lead"}
    complaint = types["complaint"]
    assert complaint["levels"] == [1, 2, 3]
    assert types["consultation"]["levels"] == []
    assert complaint["initial_state"] == "recorded"
    assert complaint["priorities"] == ["low", "normal", "high", "urgent"]
    waiting = next(f for f in complaint["fields"] if f["name"] == "waiting_reason")
    assert (waiting["type"], waiting["options"]) == ("choice", ["customer", "third-party"])
    survey = next(f for f in complaint["fields"] if f["name"] == "satisfaction")
    assert (survey["type"], survey["min"], survey["max"], survey["label"]) == (
        "integer",
        1,
        5,
        "Survey score",
    )


def test_only_the_transitions_the_roles_allow_from_the_state_are_offered(
    client: TestClient, users: Users
) -> None:
    body = {"type": "complaint", "level": 2, "subject": "Billed twice", "customer_id": "cus-42"}
    ticket = ok(client.post("/api/tickets", json=body, headers=users["lina"]), 201)
    path = f"/api/tickets/{ticket['id']}/transitions"

    offered = ok(client.get(path, headers=users["lina"]))
    assert names(offered) == ticket["transitions"] == ["resolve", "escalate", "escalate-to-manager", "wait"]
    resolve = offered[0]
    assert (resolve["to"], resolve["to_label"], resolve["responds"]) == ("resolved", "resolved", True)
    assert [f["name"] for f in resolve["requires"]] == ["resolution"]
    wait = offered[3]
    assert wait["to_label"] == "Waiting on the customer or a third party"
    assert wait["requires"][0]["options"] == ["customer", "third-party"]

    # A supervisor may only pass it on.
    assert names(ok(client.get(path, headers=users["chen"]))) == ["escalate", "escalate-to-manager"]
    moved = {"name": "wait", "fields": {"waiting_reason": "customer"}}
    ok(client.post(f"/api/tickets/{ticket['id']}/transitions", json=moved, headers=users["lina"]))
    back = ok(client.get(path, headers=users["lina"]))
    assert [(t["name"], t["to"], t["requires"]) for t in back] == [("resume", "recorded", [])]

    ok(
        client.post(
            f"/api/tickets/{ticket['id']}/transitions", json={"name": "resume"}, headers=users["lina"]
        )
    )
    manager = {"name": "escalate-to-manager"}
    ok(client.post(f"/api/tickets/{ticket['id']}/transitions", json=manager, headers=users["lina"]))
    assert ok(client.get(path, headers=users["lina"])) == []
    for_manager = ok(client.get(path, headers=users["mali"]))
    assert names(for_manager) == ["manager-resolve"]
    assert [f["name"] for f in for_manager[0]["requires"]] == ["resolution", "compensation"]

    status, code, message = error_of(client.get("/api/tickets/tk-none/transitions", headers=users["lina"]))
    assert (status, code) == (404, "unknown-ticket")
    assert "tk-none" in message
