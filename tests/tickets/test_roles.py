"""Each role against each ticket endpoint, on SQLite and PostgreSQL: admins everything; a supervisor of
guangzhou not a ticket of beijing, nor the reports and automation for agents; forbidden calls get 403 and
change nothing. The matrix covers every ticket route (checked against the OpenAPI schema)."""

from pathlib import Path
from typing import Any, NamedTuple

import pytest
from fastapi import FastAPI

from baiying.storage.ticket_attachments import LocalAttachmentStore
from baiying.tickets.bundled import default_files
from tests.api.conftest import DatabaseState
from tests.tickets.conftest import TestClient, Users, ok


class Call(NamedTuple):
    method: str
    path: str
    body: Any
    expected: tuple[int, int, int]  # wang (admin), chen (supervisor of guangzhou), lina (agent)


T = "/api/tickets/tk-bj"
CALLS = [
    Call("POST", "/api/tickets", {"type": "repair", "subject": "Fan", "site_id": "beijing"}, (201, 403, 201)),
    Call("GET", "/api/tickets", None, (200, 200, 200)),
    Call("GET", "/api/tickets/reports/sla-attainment", None, (200, 200, 403)),
    Call("POST", "/api/tickets/automation/sweep", {"dry_run": True}, (200, 200, 403)),
    Call("GET", "/api/tickets/automation/rules", None, (200, 200, 403)),
    Call("GET", "/api/tickets/outbox", None, (200, 200, 403)),
    Call("POST", "/api/tickets/outbox/999999/done", None, (404, 404, 403)),
    Call("POST", f"{T}/automation/preview", {"rule_id": "complaint-acknowledged"}, (200, 403, 403)),
    Call("GET", "/api/tickets/types", None, (200, 200, 200)),
    Call("GET", T, None, (200, 403, 200)),
    Call("GET", f"{T}/transitions", None, (200, 403, 200)),
    Call("PATCH", T, {"priority": "high"}, (200, 403, 200)),
    Call(
        "POST",
        f"{T}/transitions",
        {"name": "escalate", "fields": {"escalation_reason": "x"}},
        (200, 403, 200),
    ),
    Call("PUT", f"{T}/assignment", {"agent_id": "zhang-wei"}, (200, 403, 200)),
    Call("POST", f"{T}/comments", {"kind": "note", "body": "called back"}, (201, 403, 201)),
    Call("GET", f"{T}/comments", None, (200, 403, 200)),
    Call("POST", f"{T}/email-replies", {"body": "Fixed.", "to": "kh@example.com"}, (201, 403, 201)),
    Call("GET", f"{T}/history", None, (200, 403, 200)),
    Call("GET", f"{T}/outbox", None, (200, 403, 200)),
    Call("GET", f"{T}/sla", None, (200, 403, 200)),
    Call("POST", f"{T}/attachments?filename=log.txt", b"modem log", (201, 403, 201)),
    Call("GET", f"{T}/attachments", None, (200, 403, 200)),
    Call("GET", f"{T}/attachments/at-none", None, (404, 403, 404)),
    Call("GET", "/api/ticket-config", None, (200, 200, 403)),
    Call("GET", "/api/ticket-config/sla.yaml", None, (200, 200, 403)),
    Call("GET", "/api/ticket-config/sla.yaml/versions", None, (200, 200, 403)),
    Call("PUT", "/api/ticket-config/rules.yaml", {"text": default_files()["rules.yaml"]}, (200, 403, 403)),
]
TICKET_ROUTES = {
    ("POST", "/api/tickets"),
    ("GET", "/api/tickets"),
    ("GET", "/api/tickets/reports/sla-attainment"),
    ("POST", "/api/tickets/automation/sweep"),
    ("GET", "/api/tickets/automation/rules"),
    ("GET", "/api/tickets/outbox"),
    ("POST", "/api/tickets/outbox/{entry_id}/done"),
    ("POST", "/api/tickets/{ticket_id}/automation/preview"),
    ("GET", "/api/tickets/types"),
    ("GET", "/api/tickets/{ticket_id}"),
    ("GET", "/api/tickets/{ticket_id}/transitions"),
    ("PATCH", "/api/tickets/{ticket_id}"),
    ("POST", "/api/tickets/{ticket_id}/transitions"),
    ("PUT", "/api/tickets/{ticket_id}/assignment"),
    ("POST", "/api/tickets/{ticket_id}/comments"),
    ("GET", "/api/tickets/{ticket_id}/comments"),
    ("POST", "/api/tickets/{ticket_id}/email-replies"),
    ("GET", "/api/tickets/{ticket_id}/history"),
    ("GET", "/api/tickets/{ticket_id}/outbox"),
    ("GET", "/api/tickets/{ticket_id}/sla"),
    ("POST", "/api/tickets/{ticket_id}/attachments"),
    ("GET", "/api/tickets/{ticket_id}/attachments"),
    ("GET", "/api/tickets/{ticket_id}/attachments/{attachment_id}"),
    ("GET", "/api/ticket-config"),
    ("GET", "/api/ticket-config/{name}"),
    ("GET", "/api/ticket-config/{name}/versions"),
    ("PUT", "/api/ticket-config/{name}"),
}
"""Every ticket route; `tests/api/test_admin.py` leaves these to this matrix."""


def _template(path: str) -> str:
    path = path.partition("?")[0].replace("/tk-bj", "/{ticket_id}").replace("/999999", "/{entry_id}")
    path = path.replace("/sla.yaml", "/{name}").replace("/rules.yaml", "/{name}")
    return path.replace("/at-none", "/{attachment_id}")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_matrix_covers_every_ticket_route(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    routes = {
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        if path.startswith(("/api/tickets", "/api/ticket-config"))
        for method in ops
    }
    assert routes == TICKET_ROUTES
    assert {(c.method, _template(c.path)) for c in CALLS} == TICKET_ROUTES


@pytest.mark.parametrize("login", ["wang", "chen", "lina"])
def test_each_role_against_each_ticket_endpoint(
    app: FastAPI, client: TestClient, users: Users, world: str, tmp_path: Path, login: str
) -> None:
    app.state.ticket_attachments = LocalAttachmentStore(tmp_path / "attachments")
    ok(
        client.post(
            "/api/tickets",
            json={"id": "tk-bj", "type": "consultation", "subject": "No dial tone", "site_id": "beijing"},
            headers=users["wang"],
        ),
        201,
    )
    state = DatabaseState(world)
    index = ("wang", "chen", "lina").index(login)
    try:
        for call in CALLS:
            before = state() if call.expected[index] == 403 else None
            headers = dict(users[login])
            if isinstance(call.body, bytes):
                headers["Content-Type"] = "text/plain"
                response = client.request(call.method, call.path, content=call.body, headers=headers)
            else:
                response = client.request(call.method, call.path, json=call.body, headers=headers)
            assert response.status_code == call.expected[index], (call, response.text)
            if before is not None:
                assert response.json()["error"]["code"] == "forbidden"
                assert state() == before, call
    finally:
        state.engine.dispose()
