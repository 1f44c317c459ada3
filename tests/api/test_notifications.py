"""Notifications and webhooks through the HTTP API: templated SMS and email into the outbox, idempotency
by cause, frequency caps, precise 4xx for bad requests, role checks, and admin-only webhook subscriptions
whose changes are audited without their secret."""

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import DatabaseState, error_of, log_in

DISPATCH = {
    "channel": "sms",
    "to": "138 0013 8000",
    "template": "dispatch-notice",
    "language": "zh",
    "variables": {"customer_name": "王先生", "ticket_id": "T-7", "engineer": "李工", "window": "明天上午"},
    "customer_id": "c-1",
    "cause": "ticket:T-7:dispatched",
}


def test_an_agent_sends_a_templated_sms_once_per_cause(client: TestClient) -> None:
    agent = log_in(client, "lina")
    first = client.post("/api/notifications", json=DISPATCH, headers=agent)
    assert first.status_code == 201, first.text
    sent = first.json()
    assert sent["recipient"] == "+8613800138000"
    assert sent["body"] == "王先生您好，您的报修（工单 T-7）已派工，工程师李工将于明天上午上门服务。"
    assert (sent["status"], sent["purpose"], sent["template"]) == (
        "pending",
        "transactional",
        "dispatch-notice",
    )
    again = client.post("/api/notifications", json=DISPATCH, headers=agent)
    assert again.status_code == 200
    assert again.json()["id"] == sent["id"]
    # Agents send but do not read the outbox; supervisors do.
    assert client.get("/api/notifications", headers=agent).status_code == 403
    listed = client.get("/api/notifications?channel=sms&customer_id=c-1", headers=log_in(client, "chen"))
    assert [n["id"] for n in listed.json()] == [sent["id"]]


def test_marketing_over_the_cap_is_kept_as_suppressed(client: TestClient) -> None:
    admin = log_in(client, "wang")
    offer = {
        "channel": "sms",
        "to": "13800138000",
        "body": "新套餐优惠",
        "purpose": "marketing",
        "customer_id": "c-9",
    }
    assert client.post("/api/notifications", json=offer, headers=admin).json()["status"] == "pending"
    capped = client.post("/api/notifications", json=offer, headers=admin).json()
    assert capped["status"] == "suppressed"
    assert capped["last_error"] == "contact-frequency cap: at most 1 care/marketing contacts by sms per day"
    assert [
        n["status"] for n in client.get("/api/notifications?status=suppressed", headers=admin).json()
    ] == ["suppressed"]


@pytest.mark.parametrize(
    ("change", "status", "code", "message"),
    [
        ({"to": "12345"}, 422, "invalid-recipient", "'12345' is not a valid phone number"),
        ({"template": "nope"}, 422, "unknown-template", "no notification template 'nope'"),
        (
            {"variables": {"customer_name": "王"}},
            422,
            "template-variable-missing",
            "needs ticket_id, engineer",
        ),
        (
            {"template": "after-call", "channel": "email", "to": "a@b.cn"},
            422,
            "template-not-for-channel",
            "is for sms",
        ),
        ({"body": "x"}, 422, "invalid-request", "either a template"),
        ({"channel": "fax"}, 422, "invalid-request", "channel"),
    ],
)
def test_bad_requests_get_a_precise_4xx_and_queue_nothing(
    client: TestClient,
    database_state: DatabaseState,
    change: dict[str, object],
    status: int,
    code: str,
    message: str,
) -> None:
    admin = log_in(client, "wang")
    before = database_state()
    response = client.post("/api/notifications", json={**DISPATCH, **change}, headers=admin)
    got_status, got_code, got_message = error_of(response)
    assert (got_status, got_code) == (status, code)
    assert message in got_message or message in response.text
    assert database_state()["notification_outbox"] == before["notification_outbox"]


def test_templates_are_listed_with_their_variables(client: TestClient) -> None:
    listed = client.get("/api/notification-templates", headers=log_in(client, "lina")).json()
    survey = next(t for t in listed if t["key"] == "survey-link")
    assert survey["purpose"] == "care"
    assert survey["variables"] == ["customer_name", "link"]
    assert survey["texts"]["zh"]["subject"] == "请评价我们的服务"


def test_webhook_subscriptions_are_admin_only_and_audited_without_the_secret(
    client: TestClient, database_state: DatabaseState
) -> None:
    subscription = {"id": "erp", "url": "https://erp.example.com/hooks/baiying", "event_types": ["contact-*"]}
    for login in ("chen", "zhou", "lina"):
        headers = log_in(client, login)
        before = database_state()
        assert client.post("/api/webhooks", json=subscription, headers=headers).status_code == 403
        assert client.get("/api/webhooks", headers=headers).status_code == 403
        assert database_state() == before
    admin = log_in(client, "wang")
    created = client.post("/api/webhooks", json=subscription, headers=admin)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert len(secret) >= 32
    assert "secret" not in client.get("/api/webhooks/erp", headers=admin).json()
    assert client.get("/api/webhooks/erp", headers=log_in(client, "smith")).status_code == 404  # other tenant
    paused = client.patch("/api/webhooks/erp", json={"active": False}, headers=admin).json()
    assert paused["active"] is False
    bad = client.post(
        "/api/webhooks", json={**subscription, "id": "x", "event_types": ["Contact Queued"]}, headers=admin
    )
    assert error_of(bad)[:2] == (422, "invalid-request")
    assert client.delete("/api/webhooks/erp", headers=admin).status_code == 204
    audit = client.get("/api/audit?entity=webhook", headers=admin).json()
    assert sorted(entry["action"] for entry in audit) == ["create", "delete", "update"]
    assert secret not in str(audit)
